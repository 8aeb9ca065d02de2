package cluster

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/filbert/filbert/protocol"
)

// Message kinds of the membership protocol. Kinds from FirstServiceKind up
// belong to the Handler.
const (
	kindHello byte = iota + 1
	kindJoin
	kindMembers
	kindHeartbeat
	kindPing
	kindRemoved
)

// FirstServiceKind is the first message kind passed to Handler.
const FirstServiceKind byte = 16

// Join answers.
const (
	joinAccepted byte = iota
	joinNotMaster
	joinNotJoined
)

// Reply answers a call: a payload or an error. It is nil for one-way
// messages. It may be called from any goroutine, once.
type Reply func(payload []byte, err error)

// Handler receives what the membership layer does not handle itself.
type Handler interface {
	// HandleMessage serves a message of kind >= FirstServiceKind from a
	// member. It runs on the connection's event loop and must not block.
	HandleMessage(from protocol.UUID, kind byte, payload []byte, reply Reply)
	// ViewChanged is called in order, from one goroutine, after every
	// member list change.
	ViewChanged(prev, next View)
	// Removed is called when this member learns that the cluster removed
	// it (it was unreachable for too long). The member should rejoin as a
	// new member.
	Removed()
}

// Config configures a Node.
type Config struct {
	ClusterName string
	// ClusterID is the id of the cluster if this member forms it.
	ClusterID protocol.UUID
	// Self is this member (its port must be the bound one).
	Self MemberInfo
	// Seeds are the host:port addresses to look for members at (the
	// expanded tcp-ip member list). Self's address may be among them.
	Seeds []string
	// HeartbeatInterval is how often members heartbeat each other
	// (default 1s; hazelcast.heartbeat.interval.seconds).
	HeartbeatInterval time.Duration
	// MaxNoHeartbeat is how long a silent member stays in the cluster
	// (default 10s; hazelcast.max.no.heartbeat.seconds). Closed
	// connections are noticed at once; this is for hung members.
	MaxNoHeartbeat time.Duration
	// JoinWait is how long a starting member looks for reachable members
	// before forming a cluster of its own (default 1s).
	JoinWait time.Duration
	// MaxJoin bounds the whole join (default 30s): past it the member
	// forms a cluster of its own even if peers answer.
	MaxJoin time.Duration
	// DialTimeout bounds one connection attempt (default 1s).
	DialTimeout time.Duration
	// QueueLimit bounds the bytes of droppable messages queued per link
	// (default 64 MiB).
	QueueLimit int
	Logger     zerolog.Logger
	Handler    Handler
}

func (c *Config) defaults() {
	if c.HeartbeatInterval <= 0 {
		c.HeartbeatInterval = time.Second
	}
	if c.MaxNoHeartbeat <= 0 {
		c.MaxNoHeartbeat = 10 * time.Second
	}
	if c.JoinWait <= 0 {
		c.JoinWait = time.Second
	}
	if c.MaxJoin <= 0 {
		c.MaxJoin = 30 * time.Second
	}
	if c.DialTimeout <= 0 {
		c.DialTimeout = time.Second
	}
	if c.QueueLimit <= 0 {
		c.QueueLimit = 64 << 20
	}
}

// Node is this member's membership: it joins, keeps the versioned member
// list (the oldest member is the master), heartbeats, detects failures and
// carries other services' messages over member links.
type Node struct {
	cfg  Config
	log  zerolog.Logger
	self MemberInfo

	mu      sync.Mutex
	view    View
	joined  bool
	stopped bool
	// out: this member learned that the cluster removed it; it no
	// longer takes part (no heartbeats, no failure detection).
	out      bool
	links    map[protocol.UUID]*Link
	lastSeen map[protocol.UUID]time.Time
	// suspects are members this member found unreachable; they are not
	// considered for mastership.
	suspects map[protocol.UUID]bool
	// checking are members a link-loss check is running for.
	checking map[protocol.UUID]bool
	// viewMu serializes the master's view changes (admit, unreachable,
	// Remove): each derives the next view from the current one and
	// publishes it before the next starts. Taken before mu.
	viewMu sync.Mutex

	// changes are the view changes not yet given to the Handler, in
	// order (guarded by mu); viewsReady wakes deliverViews.
	changes    [][2]View
	viewsReady chan struct{}
	stop       chan struct{}
	wg         sync.WaitGroup
	// ready is set once Bind fixed the port and seeds; Serve refuses
	// connections before.
	ready atomic.Bool
}

// Bind sets this member's bound port and the seed addresses. Call it once,
// before Join; until then Serve refuses member connections.
func (n *Node) Bind(port int, seeds []string) {
	n.self.Port = port
	n.cfg.Self.Port = port
	n.cfg.Seeds = seeds
	n.ready.Store(true)
}

// NewNode returns a node that has not joined yet.
func NewNode(cfg Config) *Node {
	cfg.defaults()
	return &Node{
		cfg:        cfg,
		log:        cfg.Logger.With().Str("component", "cluster").Logger(),
		self:       cfg.Self,
		links:      make(map[protocol.UUID]*Link),
		lastSeen:   make(map[protocol.UUID]time.Time),
		suspects:   make(map[protocol.UUID]bool),
		checking:   make(map[protocol.UUID]bool),
		viewsReady: make(chan struct{}, 1),
		stop:       make(chan struct{}),
	}
}

// Self returns this member.
func (n *Node) Self() MemberInfo { return n.self }

// View returns the current member list.
func (n *Node) View() View {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.view
}

// IsMaster reports whether this member is the master.
func (n *Node) IsMaster() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.joined && !n.out && n.view.Master().UUID == n.self.UUID
}

func (n *Node) hello() []byte {
	var e Enc
	e.String(n.cfg.ClusterName)
	e.member(n.self)
	return e.B
}

// Join finds the cluster and joins it, or forms one. It returns once this
// member is in a member list.
func (n *Node) Join() error {
	n.wg.Add(1)
	go n.deliverViews()
	start := time.Now()
	seeds := n.seedList()
	var refusedLogged = map[string]bool{}
	for {
		if n.isStopped() {
			return errors.New("cluster: stopped while joining")
		}
		reachable := false
		var peers []MemberInfo
		queue := append([]string(nil), seeds...)
		tried := map[string]bool{}
		for len(queue) > 0 {
			addr := queue[0]
			queue = queue[1:]
			if tried[addr] || addr == n.self.Addr() {
				continue
			}
			tried[addr] = true
			status, view, peer, err := n.probe(addr)
			if err != nil {
				var re *RemoteError
				if errors.As(err, &re) && !refusedLogged[addr] {
					refusedLogged[addr] = true
					n.log.Warn().Str("address", addr).Err(err).Msg("member refused to let this member join")
				}
				continue
			}
			reachable = true
			switch status {
			case joinAccepted:
				n.joinedWith(view)
				return nil
			case joinNotMaster:
				queue = append([]string{peer.Addr()}, queue...)
			case joinNotJoined:
				peers = append(peers, peer)
			}
		}
		waited := time.Since(start)
		switch {
		case len(peers) > 0 && n.lowest(peers):
			n.log.Info().Int("peers", len(peers)).Msg("no cluster found; this member has the lowest address and forms it")
			n.form()
			return nil
		case !reachable && waited >= n.cfg.JoinWait:
			n.form()
			return nil
		case waited >= n.cfg.MaxJoin:
			n.log.Warn().Dur("waited", waited).Msg("could not join the members found; forming a cluster alone")
			n.form()
			return nil
		}
		select {
		case <-time.After(50 * time.Millisecond):
		case <-n.stop:
		}
	}
}

func (n *Node) seedList() []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range n.cfg.Seeds {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// lowest reports whether this member's address sorts before every peer's.
func (n *Node) lowest(peers []MemberInfo) bool {
	for _, p := range peers {
		if !addrLess(n.self, p) {
			return false
		}
	}
	return true
}

func addrLess(a, b MemberInfo) bool {
	ia, ea := netip.ParseAddr(a.Host)
	ib, eb := netip.ParseAddr(b.Host)
	if ea == nil && eb == nil && ia != ib {
		return ia.Less(ib)
	}
	if a.Host != b.Host {
		return a.Host < b.Host
	}
	if a.Port != b.Port {
		return a.Port < b.Port
	}
	return a.UUID.MSB < b.UUID.MSB || (a.UUID.MSB == b.UUID.MSB && a.UUID.LSB < b.UUID.LSB)
}

// probe asks the member at addr to let this member join.
func (n *Node) probe(addr string) (status byte, view View, peer MemberInfo, err error) {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return 0, View{}, MemberInfo{}, err
	}
	port, _ := strconv.Atoi(portStr)
	l := newLink(MemberInfo{Host: host, Port: port}, n.cfg.DialTimeout, n.hello(), 0, nil)
	defer l.Close(nil)
	var e Enc
	e.member(n.self)
	resp, err := l.CallWait(kindJoin, e.B, n.cfg.DialTimeout+time.Second)
	if err != nil {
		return 0, View{}, MemberInfo{}, err
	}
	d := Dec{B: resp}
	status = byte(d.Uvarint())
	switch status {
	case joinAccepted:
		view = d.View()
	default:
		peer = d.member()
	}
	return status, view, peer, d.Err()
}

// form makes this member the master of a new cluster.
func (n *Node) form() {
	n.joinedWith(View{Version: 1, Members: []MemberInfo{n.self}, ClusterID: n.cfg.ClusterID})
}

func (n *Node) joinedWith(v View) {
	n.mu.Lock()
	n.joined = true
	n.mu.Unlock()
	n.apply(v)
	n.wg.Add(1)
	go n.heartbeats()
}

// apply installs v if it is newer than the current view.
func (n *Node) apply(v View) bool {
	n.mu.Lock()
	if v.Version <= n.view.Version || n.stopped {
		n.mu.Unlock()
		return false
	}
	if !v.Contains(n.self.UUID) {
		already := n.out
		n.out = true
		n.mu.Unlock()
		if already {
			return false
		}
		n.log.Info().Int32("version", v.Version).Msg("this member is not in the new member list")
		if n.cfg.Handler != nil {
			go n.cfg.Handler.Removed()
		}
		return false
	}
	prev := n.view
	n.view = v
	n.changes = append(n.changes, [2]View{prev, v})
	now := time.Now()
	for _, m := range v.Members {
		if _, ok := n.lastSeen[m.UUID]; !ok {
			n.lastSeen[m.UUID] = now
		}
	}
	for u, l := range n.links {
		if !v.Contains(u) {
			delete(n.links, u)
			delete(n.lastSeen, u)
			go l.Close(nil)
		}
	}
	for u := range n.suspects {
		if !v.Contains(u) {
			delete(n.suspects, u)
		}
	}
	n.mu.Unlock()
	n.log.Info().Int("size", len(v.Members)).Int32("version", v.Version).
		Str("master", v.Master().Addr()).Msg(v.Format(n.self.UUID))
	select {
	case n.viewsReady <- struct{}{}:
	default:
	}
	return true
}

func (n *Node) deliverViews() {
	defer n.wg.Done()
	for {
		select {
		case <-n.viewsReady:
			n.mu.Lock()
			changes := n.changes
			n.changes = nil
			n.mu.Unlock()
			for _, pv := range changes {
				if n.cfg.Handler != nil {
					n.cfg.Handler.ViewChanged(pv[0], pv[1])
				}
			}
		case <-n.stop:
			return
		}
	}
}

// Link returns the open link to member u, making one if needed. It
// returns nil for this member itself and for non-members.
func (n *Node) Link(u protocol.UUID) *Link {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.linkLocked(u)
}

func (n *Node) linkLocked(u protocol.UUID) *Link {
	if u == n.self.UUID || n.stopped {
		return nil
	}
	if l := n.links[u]; l != nil && !l.Closed() {
		return l
	}
	m, ok := n.view.Lookup(u)
	if !ok {
		return nil
	}
	l := newLink(m, n.cfg.DialTimeout, n.hello(), n.cfg.QueueLimit, n.linkClosed)
	n.links[u] = l
	return l
}

// linkClosed runs when an outbound link closes. Unless the member is gone
// from the view, check at once whether it is still reachable: a killed
// process's connections close immediately, so its death is noticed well
// before the heartbeat timeout.
func (n *Node) linkClosed(l *Link, err error) {
	n.mu.Lock()
	if n.links[l.Peer.UUID] == l {
		delete(n.links, l.Peer.UUID)
	}
	u := l.Peer.UUID
	member := n.view.Contains(u) && !n.stopped && !n.suspects[u] && !n.checking[u]
	if member {
		n.checking[u] = true
	}
	n.mu.Unlock()
	if !member {
		return
	}
	n.log.Debug().Str("member", l.Peer.Addr()).Err(err).Msg("member link closed; checking the member")
	go n.check(l.Peer)
}

// check pings m on a fresh link and declares it unreachable if that fails.
func (n *Node) check(m MemberInfo) {
	defer func() {
		n.mu.Lock()
		delete(n.checking, m.UUID)
		n.mu.Unlock()
	}()
	for attempt := 0; attempt < 2; attempt++ {
		l := n.Link(m.UUID)
		if l == nil {
			return
		}
		if _, err := l.CallWait(kindPing, nil, n.cfg.DialTimeout); err == nil {
			return
		}
	}
	n.unreachable(m, "connection lost")
}

// unreachable handles a member this member cannot talk to.
func (n *Node) unreachable(m MemberInfo, why string) {
	n.viewMu.Lock()
	defer n.viewMu.Unlock()
	n.mu.Lock()
	if !n.view.Contains(m.UUID) || n.stopped || n.out || n.suspects[m.UUID] {
		n.mu.Unlock()
		return
	}
	n.suspects[m.UUID] = true
	n.log.Warn().Str("member", m.Addr()).Str("uuid", m.UUID.String()).Str("reason", why).Msg("member unreachable")
	// The master removes it; if the master is the one gone, the oldest
	// member still reachable takes over.
	var candidate protocol.UUID
	for _, x := range n.view.Members {
		if !n.suspects[x.UUID] {
			candidate = x.UUID
			break
		}
	}
	var next View
	if candidate == n.self.UUID {
		next = n.view.Without(n.suspects)
	}
	n.mu.Unlock()
	if next.Version != 0 {
		n.publish(next)
	}
}

// publish installs v and sends it to every member of v. Master only (or a
// leaving master handing over: then v lacks this member).
func (n *Node) publish(v View) {
	if !n.apply(v) && v.Contains(n.self.UUID) {
		return
	}
	var e Enc
	e.View(v)
	for _, m := range v.Members {
		if l := n.Link(m.UUID); l != nil {
			l.Send(kindMembers, e.B)
		}
	}
}

// Remove takes members out of the cluster (master only), for example after
// they handed off their partitions. It reports false on a non-master.
func (n *Node) Remove(gone ...protocol.UUID) bool {
	n.viewMu.Lock()
	defer n.viewMu.Unlock()
	n.mu.Lock()
	if !n.joined || n.view.Master().UUID != n.self.UUID {
		n.mu.Unlock()
		return false
	}
	set := map[protocol.UUID]bool{}
	var told []MemberInfo
	for _, u := range gone {
		if m, ok := n.view.Lookup(u); ok {
			set[u] = true
			if u != n.self.UUID {
				told = append(told, m)
			}
		}
	}
	if len(set) == 0 {
		n.mu.Unlock()
		return true
	}
	next := n.view.Without(set)
	n.mu.Unlock()
	n.publish(next)
	// The removed members hear it too, so that a leaving member knows it
	// is out.
	// publish closed the links to them: the list goes on a link of its
	// own, closed once a ping sent after it is answered (the peer serves
	// a connection's frames in order).
	var e Enc
	e.View(next)
	for _, m := range told {
		l := newLink(m, n.cfg.DialTimeout, n.hello(), 0, nil)
		l.Send(kindMembers, e.B)
		l.Call(kindPing, nil, func([]byte, error) { l.Close(nil) })
	}
	return true
}

// Send sends a one-way message to member u. It reports false if there is
// no link (u is not a member, or is this member).
func (n *Node) Send(u protocol.UUID, kind byte, payload []byte) bool {
	l := n.Link(u)
	return l != nil && l.Send(kind, payload)
}

// Call sends a request to member u; cb gets the answer.
func (n *Node) Call(u protocol.UUID, kind byte, payload []byte, cb Callback) {
	l := n.Link(u)
	if l == nil {
		cb(nil, fmt.Errorf("%w: %s is not a member", ErrLinkClosed, u))
		return
	}
	l.Call(kind, payload, cb)
}

func (n *Node) heartbeats() {
	defer n.wg.Done()
	t := time.NewTicker(n.cfg.HeartbeatInterval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-n.stop:
			return
		}
		n.mu.Lock()
		if n.out {
			n.mu.Unlock()
			continue
		}
		v := n.view
		master := v.Master().UUID == n.self.UUID
		var silent []MemberInfo
		now := time.Now()
		for _, m := range v.Members {
			if m.UUID == n.self.UUID {
				continue
			}
			if (master || m.UUID == v.Master().UUID) && now.Sub(n.lastSeen[m.UUID]) > n.cfg.MaxNoHeartbeat {
				silent = append(silent, m)
			}
		}
		n.mu.Unlock()
		var e Enc
		e.Varint(int64(v.Version))
		for _, m := range v.Members {
			if l := n.Link(m.UUID); l != nil {
				l.Call(kindHeartbeat, e.B, n.heartbeatAnswer)
			}
		}
		for _, m := range silent {
			n.unreachable(m, fmt.Sprintf("no heartbeat for %v", n.cfg.MaxNoHeartbeat))
		}
	}
}

// Inbound is the state of one member connection accepted on this member's
// port: which member is on the other side once it said hello.
type Inbound struct {
	peer  protocol.UUID
	hello bool
}

// Peer returns the member on the other side (zero before hello).
func (in *Inbound) Peer() protocol.UUID { return in.peer }

// Serve handles one inbound frame. It runs on an event loop and does not
// block. reply is nil for one-way messages.
func (n *Node) Serve(in *Inbound, kind byte, payload []byte, reply Reply) error {
	if !n.ready.Load() {
		return errors.New("cluster: member connection before this member bound its port")
	}
	if kind == kindHello {
		d := Dec{B: payload}
		name := d.String()
		m := d.member()
		if d.Err() != nil {
			return fmt.Errorf("cluster: malformed hello: %w", d.Err())
		}
		if name != n.cfg.ClusterName {
			n.log.Warn().Str("member", m.Addr()).Str("cluster", name).Msg("refused member of another cluster")
			if reply != nil {
				reply(nil, fmt.Errorf("cluster name mismatch: this member is in cluster %q, the joiner in %q", n.cfg.ClusterName, name))
			}
			return nil
		}
		in.peer, in.hello = m.UUID, true
		if reply != nil {
			reply(nil, nil)
		}
		return nil
	}
	if !in.hello {
		return fmt.Errorf("cluster: message kind %d before hello", kind)
	}
	n.mu.Lock()
	if _, ok := n.lastSeen[in.peer]; ok {
		n.lastSeen[in.peer] = time.Now()
	}
	n.mu.Unlock()
	switch kind {
	case kindPing:
		if reply != nil {
			reply(nil, nil)
		}
	case kindHeartbeat:
		if reply == nil {
			return nil
		}
		n.mu.Lock()
		stranger := n.joined && !n.out && n.view.Master().UUID == n.self.UUID && !n.view.Contains(in.peer)
		n.mu.Unlock()
		if stranger {
			// A member this cluster removed (it was unreachable) is back:
			// tell it, so it rejoins as a new member.
			reply(nil, errNotMember)
			return nil
		}
		reply(nil, nil)
	case kindJoin:
		d := Dec{B: payload}
		m := d.member()
		if d.Err() != nil {
			return fmt.Errorf("cluster: malformed join: %w", d.Err())
		}
		go reply(n.admit(m))
	case kindMembers:
		d := Dec{B: payload}
		v := d.View()
		if d.Err() != nil {
			return fmt.Errorf("cluster: malformed member list: %w", d.Err())
		}
		if !n.fromMember(in.peer) {
			n.log.Debug().Str("from", in.peer.String()).Msg("ignored a member list from a non-member")
			return nil
		}
		// Synchronously: messages the sender queued after the list (a
		// partition table) must find it applied.
		n.apply(v)
	default:
		if kind < FirstServiceKind || n.cfg.Handler == nil {
			return fmt.Errorf("cluster: unknown message kind %d", kind)
		}
		n.cfg.Handler.HandleMessage(in.peer, kind, payload, reply)
	}
	return nil
}

// fromMember reports whether u may speak for the cluster to this member:
// u is in the current view (or this member has not joined yet), and this
// member has not been removed.
func (n *Node) fromMember(u protocol.UUID) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.out {
		return false
	}
	return !n.joined || n.view.Contains(u)
}

// IsMasterOf reports whether u is the master of the current view.
func (n *Node) IsMasterOf(u protocol.UUID) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return !n.out && n.view.Master().UUID == u
}

// Out reports whether the cluster removed this member.
func (n *Node) Out() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.out
}

// errNotMember is the master's answer to heartbeats from removed members.
var errNotMember = errors.New(notMemberText)

const notMemberText = "not a member of this cluster"

// heartbeatAnswer learns from the master that this member was removed.
func (n *Node) heartbeatAnswer(_ []byte, err error) {
	var re *RemoteError
	if err == nil || !errors.As(err, &re) || re.Text != notMemberText {
		return
	}
	n.mu.Lock()
	already := n.out || n.stopped
	n.out = true
	n.mu.Unlock()
	if already {
		return
	}
	n.log.Warn().Msg("the master says this member is no longer in the cluster")
	if n.cfg.Handler != nil {
		go n.cfg.Handler.Removed()
	}
}

// admit answers a join request.
func (n *Node) admit(m MemberInfo) ([]byte, error) {
	n.viewMu.Lock()
	defer n.viewMu.Unlock()
	var e Enc
	n.mu.Lock()
	switch {
	case !n.joined:
		n.mu.Unlock()
		e.Uvarint(uint64(joinNotJoined))
		e.member(n.self)
		return e.B, nil
	case n.view.Master().UUID != n.self.UUID:
		master := n.view.Master()
		n.mu.Unlock()
		e.Uvarint(uint64(joinNotMaster))
		e.member(master)
		return e.B, nil
	}
	v := n.view
	if !v.Contains(m.UUID) {
		// A member restarted on the same address is a new member: the
		// old one is gone.
		gone := map[protocol.UUID]bool{}
		for _, x := range v.Members {
			if x.Addr() == m.Addr() {
				gone[x.UUID] = true
			}
		}
		v = v.Without(gone)
		v.Members = append(v.Members, m)
		n.lastSeen[m.UUID] = time.Now()
	}
	n.mu.Unlock()
	if v.Version != n.View().Version {
		n.log.Info().Str("member", m.Addr()).Str("uuid", m.UUID.String()).Msg("member joined")
		n.publish(v)
	}
	v = n.View()
	e.Uvarint(uint64(joinAccepted))
	e.View(v)
	return e.B, nil
}

func (n *Node) isStopped() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.stopped
}

// Stop closes every link and stops heartbeats.
func (n *Node) Stop() {
	n.mu.Lock()
	if n.stopped {
		n.mu.Unlock()
		return
	}
	n.stopped = true
	links := n.links
	n.links = map[protocol.UUID]*Link{}
	n.mu.Unlock()
	close(n.stop)
	for _, l := range links {
		l.Close(nil)
	}
	n.wg.Wait()
}

// SortedAddrs returns the members' addresses, sorted (for logs and tests).
func (v View) SortedAddrs() []string {
	out := make([]string, len(v.Members))
	for i, m := range v.Members {
		out[i] = m.Addr()
	}
	sort.Strings(out)
	return out
}
