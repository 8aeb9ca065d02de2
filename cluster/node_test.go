package cluster

import (
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/filbert/filbert/protocol"
)

// TestJoinAlone: a member that finds nobody forms a cluster of one after
// JoinWait and is its master. Its own address among the seeds is skipped.
func TestJoinAlone(t *testing.T) {
	m := newMember(t, nil)
	m.bind(m.addr())
	start := time.Now()
	m.join()
	if waited := time.Since(start); waited < m.cfg.JoinWait {
		t.Errorf("formed a cluster after %v, before JoinWait %v", waited, m.cfg.JoinWait)
	}
	v := m.node.View()
	want := View{Version: 1, Members: []MemberInfo{m.node.Self()}, ClusterID: m.cfg.ClusterID}
	if !reflect.DeepEqual(v, want) {
		t.Fatalf("view %+v, want %+v", v, want)
	}
	if self := m.node.Self(); self.Port != m.port || self.UUID != m.uuid() {
		t.Fatalf("Self = %+v after Bind(%d)", self, m.port)
	}
	if !m.node.IsMaster() || !m.node.IsMasterOf(m.uuid()) || m.node.Out() {
		t.Fatal("the only member is not the master")
	}
	m.rec.wait(t, "ViewChanged", func() bool { return len(m.rec.viewChanges()) == 1 })
	if got := m.rec.viewChanges()[0]; !reflect.DeepEqual(got, [2]View{{}, want}) {
		t.Fatalf("ViewChanged(%+v, %+v)", got[0], got[1])
	}
}

// TestJoinThreeConcurrently: three members started at once with each
// other's addresses as seeds end in one cluster, whose master is the member
// with the lowest address.
func TestJoinThreeConcurrently(t *testing.T) {
	ms, v := startConcurrently(t, 3, nil)
	lowest := slices.MinFunc(ms, func(a, b *testMember) int { return a.port - b.port })
	if v.Master().UUID != lowest.uuid() {
		t.Fatalf("master %s, want the lowest address %s\n%s", v.Master().Addr(), lowest.addr(), v.Format(protocol.UUID{}))
	}
	if v.ClusterID != lowest.cfg.ClusterID {
		t.Fatalf("cluster id %v, want the forming member's %v", v.ClusterID, lowest.cfg.ClusterID)
	}
	for _, m := range ms {
		if m.node.IsMaster() != (m == lowest) {
			t.Errorf("%s: IsMaster = %v", m.addr(), m.node.IsMaster())
		}
		if !m.node.IsMasterOf(lowest.uuid()) || m.node.Out() {
			t.Errorf("%s: IsMasterOf(master) = %v, Out = %v", m.addr(), m.node.IsMasterOf(lowest.uuid()), m.node.Out())
		}
		if n := m.rec.removedCount(); n != 0 {
			t.Errorf("%s: Removed called %d times", m.addr(), n)
		}
		if m == lowest {
			continue
		}
		if got, ok := v.Lookup(m.uuid()); !ok || got.Port != m.port || got.Host != "127.0.0.1" {
			t.Errorf("%s is in the view as %+v", m.addr(), got)
		}
	}
	// Every member saw the final view through ViewChanged, and the views
	// it was shown went up in version, each prev being the previous next.
	for _, m := range ms {
		m.rec.wait(t, "the final view to reach the handler", func() bool {
			c := m.rec.viewChanges()
			return len(c) > 0 && reflect.DeepEqual(c[len(c)-1][1], v)
		})
		var prev View
		for _, c := range m.rec.viewChanges() {
			if !reflect.DeepEqual(c[0], prev) || c[1].Version <= prev.Version {
				t.Errorf("%s: ViewChanged(v%d, v%d) after v%d", m.addr(), c[0].Version, c[1].Version, prev.Version)
			}
			prev = c[1]
		}
	}
}

// TestConcurrentJoinsToFormedCluster: members that ask the master to join at
// the same moment are all admitted; none is told it is out. A few rounds,
// each on a fresh cluster, make a lost join likely to show.
func TestConcurrentJoinsToFormedCluster(t *testing.T) {
	const rounds, joiners = 4, 5
	for round := range rounds {
		master := newMember(t, nil)
		master.bind()
		master.join()
		ms := []*testMember{master}
		for range joiners {
			m := newMember(t, nil)
			m.bind(master.addr())
			ms = append(ms, m)
		}
		var wg sync.WaitGroup
		start := make(chan struct{})
		for _, m := range ms[1:] {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				m.join()
			}()
		}
		close(start)
		wg.Wait()
		for _, m := range ms[1:] {
			if m.node.Out() || m.rec.removedCount() > 0 {
				t.Errorf("round %d: %s joined and was told at once that it is out of the cluster (its view: %s)",
					round, m.addr(), m.node.View().Format(m.uuid()))
			}
		}
		if t.Failed() {
			t.FailNow()
		}
		v := agree(t, ms...)
		if v.Master().UUID != master.uuid() {
			t.Fatalf("master %v, want the first member", v.Master())
		}
		for _, m := range ms {
			m.kill()
		}
	}
}

// TestOtherClusterRefused: a member configured with another cluster name is
// refused by every member; it forms a cluster of its own and the others'
// view does not change.
func TestOtherClusterRefused(t *testing.T) {
	ms, v := startCluster(t, 2, nil)
	other := newMember(t, func(c *Config) { c.ClusterName = "other" })
	other.bind(ms[0].addr(), ms[1].addr())
	other.join()
	ov := other.node.View()
	if len(ov.Members) != 1 || ov.Master().UUID != other.uuid() || !other.node.IsMaster() {
		t.Fatalf("the refused member's view: %s", ov.Format(other.uuid()))
	}
	if ov.ClusterID != other.cfg.ClusterID || ov.ClusterID == v.ClusterID {
		t.Fatalf("the refused member's cluster id %v (own %v, the cluster's %v)", ov.ClusterID, other.cfg.ClusterID, v.ClusterID)
	}
	for _, m := range ms {
		if got := m.node.View(); !reflect.DeepEqual(got, v) {
			t.Errorf("%s: view changed to %s", m.addr(), got.Format(m.uuid()))
		}
		if n := m.hellosFrom(other.uuid()); n != 0 {
			t.Errorf("%s accepted %d hellos from the other cluster's member", m.addr(), n)
		}
	}
}

// TestStoppedMemberLeavesQuickly: when a member stops, its connections
// close and the master drops it at once, long before MaxNoHeartbeat; the
// handlers see the change.
func TestStoppedMemberLeavesQuickly(t *testing.T) {
	const maxNoHeartbeat = 5 * time.Second
	ms, v := startCluster(t, 3, func(c *Config) { c.MaxNoHeartbeat = maxNoHeartbeat })
	master := byUUID(t, ms, v.Master().UUID)
	gone := byUUID(t, ms, v.Members[1].UUID)
	rest := except(ms, gone)

	start := time.Now()
	gone.kill()
	master.rec.wait(t, "the master to drop the stopped member", func() bool {
		return !master.node.View().Contains(gone.uuid())
	})
	if took := time.Since(start); took > maxNoHeartbeat/2 {
		t.Errorf("the master dropped a stopped member after %v; closed connections should be noticed at once (MaxNoHeartbeat %v)", took, maxNoHeartbeat)
	}
	want := v.Without(map[protocol.UUID]bool{gone.uuid(): true})
	var saw bool
	for _, c := range master.rec.viewChanges() {
		if reflect.DeepEqual(c, [2]View{v, want}) {
			saw = true
		}
	}
	if !saw {
		t.Errorf("master's handler never saw ViewChanged(%s, %s); it saw %+v", v.Format(master.uuid()), want.Format(master.uuid()), master.rec.viewChanges())
	}
	if got := agree(t, rest...); !reflect.DeepEqual(got, want) {
		t.Fatalf("remaining members' view %s, want %s", got.Format(protocol.UUID{}), want.Format(protocol.UUID{}))
	}
}

// TestMasterDeath: when the master's process dies, the next oldest member
// becomes master and publishes a view without it, keeping the cluster id.
func TestMasterDeath(t *testing.T) {
	ms, v := startCluster(t, 3, nil)
	old := byUUID(t, ms, v.Members[0].UUID)
	heir := byUUID(t, ms, v.Members[1].UUID)
	third := byUUID(t, ms, v.Members[2].UUID)

	old.kill()
	nv := agree(t, heir, third)
	if nv.Master().UUID != heir.uuid() || !heir.node.IsMaster() || third.node.IsMaster() {
		t.Fatalf("after the master died: %s", nv.Format(protocol.UUID{}))
	}
	if nv.ClusterID != v.ClusterID {
		t.Fatalf("cluster id changed from %v to %v", v.ClusterID, nv.ClusterID)
	}
	if nv.Version <= v.Version {
		t.Fatalf("version %d after %d", nv.Version, v.Version)
	}
	if !reflect.DeepEqual(nv.Members, []MemberInfo{v.Members[1], v.Members[2]}) {
		t.Fatalf("members %+v, want the survivors in join order", nv.Members)
	}
}

// TestRemove: Remove on the master publishes a view without the member, and
// the removed member learns it is out.
func TestRemove(t *testing.T) {
	ms, v := startCluster(t, 3, nil)
	master := byUUID(t, ms, v.Members[0].UUID)
	other := byUUID(t, ms, v.Members[1].UUID)
	gone := byUUID(t, ms, v.Members[2].UUID)

	if other.node.Remove(gone.uuid()) {
		t.Fatal("Remove on a non-master reported true")
	}
	if !master.node.Remove(protocol.UUID{MSB: 42}) || !reflect.DeepEqual(master.node.View(), v) {
		t.Fatalf("Remove(stranger) changed the view to %s", master.node.View().Format(master.uuid()))
	}
	if !master.node.Remove(gone.uuid()) {
		t.Fatal("Remove on the master reported false")
	}
	want := v.Without(map[protocol.UUID]bool{gone.uuid(): true})
	if got := master.node.View(); !reflect.DeepEqual(got, want) {
		t.Fatalf("master's view right after Remove: %s, want %s", got.Format(master.uuid()), want.Format(master.uuid()))
	}
	gone.rec.wait(t, "the removed member's Removed", func() bool { return gone.rec.removedCount() > 0 })
	if !gone.node.Out() || gone.node.IsMaster() || gone.node.IsMasterOf(master.uuid()) {
		t.Fatalf("removed member: Out=%v", gone.node.Out())
	}
	if got := agree(t, master, other); !reflect.DeepEqual(got, want) {
		t.Fatalf("view %s, want %s", got.Format(protocol.UUID{}), want.Format(protocol.UUID{}))
	}
	// A removed member no longer takes part: it does not accuse the master
	// when it loses it, and its handler hears of its removal once.
	master.kill()
	other.rec.wait(t, "the survivor to drop the master", func() bool { return len(other.node.View().Members) == 1 })
	if n := gone.rec.removedCount(); n != 1 {
		t.Errorf("Removed called %d times", n)
	}
}

// TestRemoveTellsTheMemberDirectly: without heartbeats to learn it from,
// the removed member still hears that it is out: Remove sends it the new
// member list.
func TestRemoveTellsTheMemberDirectly(t *testing.T) {
	ms, v := startCluster(t, 3, func(c *Config) {
		c.HeartbeatInterval = time.Hour
		c.MaxNoHeartbeat = 2 * time.Hour
	})
	master := byUUID(t, ms, v.Members[0].UUID)
	gone := byUUID(t, ms, v.Members[2].UUID)
	if !master.node.Remove(gone.uuid()) {
		t.Fatal("Remove on the master reported false")
	}
	gone.rec.wait(t, "the removed member's Removed", func() bool { return gone.rec.removedCount() > 0 })
}

// TestHungMemberRemovedAfterMaxNoHeartbeat: a member whose process hangs
// with its connections open sends no heartbeats; the master removes it after
// MaxNoHeartbeat, not before. Once it resumes, the master tells it that it
// is out.
func TestHungMemberRemovedAfterMaxNoHeartbeat(t *testing.T) {
	ms, v := startCluster(t, 3, nil)
	master := byUUID(t, ms, v.Members[0].UUID)
	hung := byUUID(t, ms, v.Members[2].UUID)
	rest := except(ms, hung)

	// Holding the node's lock stops its heartbeats and its Serve: a hung
	// process whose sockets stay open.
	hung.node.mu.Lock()
	var once sync.Once
	resume := func() { once.Do(hung.node.mu.Unlock) }
	t.Cleanup(resume)
	start := time.Now()
	master.rec.wait(t, "the master to drop the hung member", func() bool {
		return !master.node.View().Contains(hung.uuid())
	})
	took := time.Since(start)
	cfg := master.cfg
	if took < cfg.MaxNoHeartbeat-2*cfg.HeartbeatInterval {
		t.Errorf("hung member dropped after %v, before MaxNoHeartbeat %v", took, cfg.MaxNoHeartbeat)
	}
	want := v.Without(map[protocol.UUID]bool{hung.uuid(): true})
	if got := agree(t, rest...); !reflect.DeepEqual(got, want) {
		t.Fatalf("view %s, want %s", got.Format(protocol.UUID{}), want.Format(protocol.UUID{}))
	}
	resume()
	hung.rec.wait(t, "the resumed member to learn it is out", func() bool { return hung.rec.removedCount() > 0 })
	if !hung.node.Out() {
		t.Fatal("Removed called but Out() is false")
	}
}

// TestUnreachablePeerNotRedialedInALoop: when a member cannot reach another
// that the master still reaches (so it stays in the view), the member
// checks it and reports it, but does not redial it without pause.
func TestUnreachablePeerNotRedialedInALoop(t *testing.T) {
	// No heartbeats during the test: every dial comes from the check that
	// the link loss started.
	ms, v := startCluster(t, 3, func(c *Config) {
		c.HeartbeatInterval = time.Hour
		c.MaxNoHeartbeat = 2 * time.Hour
	})
	a := byUUID(t, ms, v.Members[1].UUID)
	b := byUUID(t, ms, v.Members[2].UUID)
	if l := a.node.Link(b.uuid()); l == nil {
		t.Fatal("no link from a to b")
	} else if _, err := l.CallWait(kindPing, nil, waitTimeout); err != nil {
		t.Fatal(err)
	}
	before := b.hellosFrom(a.uuid())
	b.cutOff(a.uuid())
	// a suspects b after its check fails; its view keeps b (only the
	// master removes members, and the master reaches b).
	eventually(t, "a to suspect b", func() (bool, string) {
		a.node.mu.Lock()
		defer a.node.mu.Unlock()
		return a.node.suspects[b.uuid()], ""
	})
	// Give a redial loop time to show, with an event-free wait: b counts
	// the connections a makes.
	const window = 300 * time.Millisecond
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for start := time.Now(); time.Since(start) < window; <-tick.C {
		if n := b.hellosFrom(a.uuid()) - before; n > 20 {
			t.Fatalf("a connected to b %d times within %v of losing it", n, time.Since(start))
		}
	}
	if !a.node.View().Contains(b.uuid()) {
		t.Fatal("a non-master removed a member")
	}
}

// TestAddrLess: the member with the lowest address forms the cluster; IP
// addresses compare numerically, ports as numbers, ties by UUID.
func TestAddrLess(t *testing.T) {
	m := func(host string, port int, msb uint64) MemberInfo {
		return MemberInfo{UUID: protocol.UUID{MSB: msb}, Host: host, Port: port}
	}
	tests := []struct {
		a, b MemberInfo
		less bool
	}{
		{m("127.0.0.2", 5701, 1), m("127.0.0.10", 5701, 1), true},
		{m("127.0.0.10", 5701, 1), m("127.0.0.2", 5701, 1), false},
		{m("127.0.0.1", 5701, 1), m("127.0.0.1", 10000, 1), true},
		{m("127.0.0.1", 10000, 1), m("127.0.0.1", 5701, 1), false},
		{m("127.0.0.1", 5701, 1), m("127.0.0.1", 5701, 2), true},
		{m("127.0.0.1", 5701, 2), m("127.0.0.1", 5701, 1), false},
		{m("127.0.0.1", 5701, 1), m("127.0.0.1", 5701, 1), false},
		{m("a.example", 1, 1), m("b.example", 1, 1), true},
		{m("10.0.0.1", 1, 1), m("::1", 1, 1), true},
	}
	for _, tt := range tests {
		if got := addrLess(tt.a, tt.b); got != tt.less {
			t.Errorf("addrLess(%s/%d, %s/%d) = %v", tt.a.Addr(), tt.a.UUID.MSB, tt.b.Addr(), tt.b.UUID.MSB, got)
		}
	}
}

// TestServe checks Serve's contract frame by frame, without a network.
func TestServe(t *testing.T) {
	rec := newRecorder()
	self := MemberInfo{UUID: randUUID(), Host: "127.0.0.1"}
	n := NewNode(Config{ClusterName: "dev", Self: self, Logger: testLogger(t, 0), Handler: rec})
	t.Cleanup(n.Stop)
	peer := MemberInfo{UUID: randUUID(), Host: "127.0.0.1", Port: 6000}
	hello := func(cluster string) []byte {
		var e Enc
		e.String(cluster)
		e.member(peer)
		return e.B
	}
	type answer struct {
		p   []byte
		err error
	}
	call := func(in *Inbound, kind byte, payload []byte) (answer, error) {
		ch := make(chan answer, 1)
		err := n.Serve(in, kind, payload, func(p []byte, err error) { ch <- answer{p, err} })
		if err != nil {
			return answer{}, err
		}
		select {
		case a := <-ch:
			return a, nil
		case <-time.After(waitTimeout):
			t.Fatalf("kind %d not answered", kind)
			return answer{}, nil
		}
	}

	if err := n.Serve(&Inbound{}, kindHello, hello("dev"), nil); err == nil {
		t.Fatal("Serve accepted a connection before Bind")
	}
	n.Bind(5701, nil)

	in := &Inbound{}
	if _, err := call(in, kindPing, nil); err == nil || !strings.Contains(err.Error(), "before hello") {
		t.Fatalf("ping before hello: %v", err)
	}
	if err := n.Serve(in, kindHello, []byte{0xff}, nil); err == nil {
		t.Fatal("malformed hello accepted")
	}
	a, err := call(in, kindHello, hello("prod"))
	if err != nil || a.err == nil || !strings.Contains(a.err.Error(), "cluster name mismatch") {
		t.Fatalf("hello from another cluster: %v, answer %v", err, a.err)
	}
	if !in.Peer().IsZero() {
		t.Fatal("a refused hello set the peer")
	}
	if a, err := call(in, kindHello, hello("dev")); err != nil || a.err != nil {
		t.Fatalf("hello: %v, %v", err, a.err)
	}
	if in.Peer() != peer.UUID {
		t.Fatalf("Peer = %v, want %v", in.Peer(), peer.UUID)
	}
	if a, err := call(in, kindPing, nil); err != nil || a.err != nil {
		t.Fatalf("ping: %v, %v", err, a.err)
	}
	// A member that has not joined answers a join with "not joined" and
	// itself.
	var join Enc
	join.member(peer)
	a, err = call(in, kindJoin, join.B)
	if err != nil || a.err != nil {
		t.Fatalf("join: %v, %v", err, a.err)
	}
	d := Dec{B: a.p}
	if st, who := byte(d.Uvarint()), d.member(); d.Err() != nil || st != joinNotJoined || who != n.Self() {
		t.Fatalf("join answer: status %d, member %+v, err %v", st, who, d.Err())
	}
	if err := n.Serve(in, kindJoin, []byte{1}, func([]byte, error) {}); err == nil {
		t.Fatal("malformed join accepted")
	}
	if err := n.Serve(in, kindMembers, []byte{1}, nil); err == nil {
		t.Fatal("malformed member list accepted")
	}
	if err := n.Serve(in, FirstServiceKind-1, nil, nil); err == nil {
		t.Fatal("unknown membership kind accepted")
	}
	// Service kinds go to the handler with the peer's UUID.
	if a, err := call(in, kindEcho, []byte("hi")); err != nil || a.err != nil || string(a.p) != "hi" {
		t.Fatalf("echo: %v, %+v", err, a)
	}
	if err := n.Serve(in, kindNotify, []byte("note"), nil); err != nil {
		t.Fatal(err)
	}
	msgs := rec.messages()
	if len(msgs) != 2 || msgs[1].from != peer.UUID || msgs[1].kind != kindNotify || !msgs[1].oneWay || string(msgs[1].payload) != "note" {
		t.Fatalf("handler saw %+v", msgs)
	}
	// Without a handler, service kinds are refused.
	bare := NewNode(Config{ClusterName: "dev", Self: self, Logger: testLogger(t, 0)})
	bare.Bind(5701, nil)
	bin := &Inbound{}
	if err := bare.Serve(bin, kindHello, hello("dev"), nil); err != nil {
		t.Fatal(err)
	}
	if err := bare.Serve(bin, kindEcho, nil, nil); err == nil {
		t.Fatal("service kind accepted without a handler")
	}
}

// TestServeMembersFromNonMember: a joined member ignores member lists from
// members outside its view.
func TestServeMembersFromNonMember(t *testing.T) {
	m := newMember(t, nil)
	m.bind()
	m.join()
	v := m.node.View()
	stranger := MemberInfo{UUID: randUUID(), Host: "127.0.0.1", Port: 1}
	var hello Enc
	hello.String("dev")
	hello.member(stranger)
	in := &Inbound{}
	if err := m.node.Serve(in, kindHello, hello.B, nil); err != nil {
		t.Fatal(err)
	}
	var e Enc
	e.View(View{Version: v.Version + 5, Members: []MemberInfo{stranger, m.node.Self()}, ClusterID: randUUID()})
	if err := m.node.Serve(in, kindMembers, e.B, nil); err != nil {
		t.Fatal(err)
	}
	if got := m.node.View(); !reflect.DeepEqual(got, v) {
		t.Fatalf("a stranger's member list was applied: %s", got.Format(m.uuid()))
	}
}

// TestViewChangedInOrder: views installed from several goroutines at once
// (join answers, member lists from the master, the master's own changes)
// reach the Handler in version order, each prev being the previous next.
func TestViewChangedInOrder(t *testing.T) {
	m := newMember(t, nil)
	m.bind()
	m.join()
	const rounds, n = 5, 100
	for range rounds {
		base := m.node.View()
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				v := base
				v.Version = base.Version + 1 + int32(i)
				m.node.apply(v)
			}()
		}
		close(start)
		wg.Wait()
		if got := m.node.View().Version; got != base.Version+n {
			t.Fatalf("view version %d, want %d", got, base.Version+n)
		}
	}
	last := m.node.View()
	m.rec.wait(t, "the last view to reach the handler", func() bool {
		return slices.ContainsFunc(m.rec.viewChanges(), func(c [2]View) bool { return c[1].Version == last.Version })
	})
	var prev View
	for i, c := range m.rec.viewChanges() {
		if !reflect.DeepEqual(c[0], prev) || c[1].Version <= prev.Version {
			t.Fatalf("change %d: ViewChanged(v%d, v%d) after v%d", i, c[0].Version, c[1].Version, prev.Version)
		}
		prev = c[1]
	}
}
