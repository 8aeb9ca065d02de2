package cluster

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"reflect"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/filbert/filbert/protocol"
)

// This file is the harness of the node tests: members on real TCP sockets
// on 127.0.0.1. In production the member's event loop reads member frames
// and feeds them to Node.Serve; here a small blocking server per member does
// that job (testMember.serveConn).

// waitTimeout bounds every wait for an event. Events normally take
// milliseconds; the bound only turns a hang into a failure.
const waitTimeout = 10 * time.Second

// Service message kinds the recording handler understands.
const (
	kindEcho   = FirstServiceKind     // answers with the payload
	kindFail   = FirstServiceKind + 1 // answers with errors.New("boom")
	kindHold   = FirstServiceKind + 2 // never answered
	kindNotify = FirstServiceKind + 3 // one-way: recorded only
)

func randUUID() protocol.UUID {
	return protocol.UUID{MSB: rand.Uint64() | 1, LSB: rand.Uint64()}
}

// guardedLog writes a node's log to its test until the test ends: nodes log
// from goroutines (link checks, Removed) that may outlive it, and t.Log
// panics then.
type guardedLog struct {
	mu   sync.Mutex
	t    testing.TB
	done bool
}

func (w *guardedLog) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(time.Now().Format("15:04:05.000 ") + string(bytes.TrimRight(p, "\n")))
	}
	return len(p), nil
}

func testLogger(t testing.TB, port int) zerolog.Logger {
	w := &guardedLog{t: t}
	t.Cleanup(func() {
		w.mu.Lock()
		w.done = true
		w.mu.Unlock()
	})
	out := zerolog.ConsoleWriter{Out: w, NoColor: true, PartsExclude: []string{zerolog.TimestampFieldName}}
	return zerolog.New(out).Level(zerolog.DebugLevel).With().Int("port", port).Logger()
}

// recorder is a Handler that records what the node tells it. Every event
// wakes the goroutines blocked in wait.
type recorder struct {
	mu      sync.Mutex
	changed chan struct{} // closed and replaced on every event
	views   [][2]View
	removed int
	msgs    []message
}

type message struct {
	from    protocol.UUID
	kind    byte
	payload []byte
	oneWay  bool
}

func newRecorder() *recorder { return &recorder{changed: make(chan struct{})} }

// eventLocked wakes the waiters; r.mu is held.
func (r *recorder) eventLocked() {
	close(r.changed)
	r.changed = make(chan struct{})
}

func (r *recorder) HandleMessage(from protocol.UUID, kind byte, payload []byte, reply Reply) {
	r.mu.Lock()
	r.msgs = append(r.msgs, message{from: from, kind: kind, payload: payload, oneWay: reply == nil})
	r.eventLocked()
	r.mu.Unlock()
	if reply == nil {
		return
	}
	switch kind {
	case kindEcho:
		reply(payload, nil)
	case kindFail:
		reply(nil, errors.New("boom"))
	}
}

func (r *recorder) ViewChanged(prev, next View) {
	r.mu.Lock()
	r.views = append(r.views, [2]View{prev, next})
	r.eventLocked()
	r.mu.Unlock()
}

func (r *recorder) Removed() {
	r.mu.Lock()
	r.removed++
	r.eventLocked()
	r.mu.Unlock()
}

func (r *recorder) viewChanges() [][2]View {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([][2]View(nil), r.views...)
}

func (r *recorder) removedCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.removed
}

func (r *recorder) messages() []message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]message(nil), r.msgs...)
}

// wait blocks until cond holds, re-checking it after every handler event.
func (r *recorder) wait(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(waitTimeout)
	defer deadline.Stop()
	for {
		r.mu.Lock()
		ch := r.changed
		r.mu.Unlock()
		if cond() {
			return
		}
		select {
		case <-ch:
		case <-deadline.C:
			t.Fatalf("timed out after %v waiting for %s", waitTimeout, what)
		}
	}
}

// eventually polls cond until it reports true; cond's text describes the
// state when it gives up. For conditions spanning several members, where no
// single handler sees every change.
func eventually(t testing.TB, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		ok, state := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s; %s", waitTimeout, what, state)
		}
		<-tick.C
	}
}

// testMember is one member: a Node and the server that feeds it the frames
// arriving on its port.
type testMember struct {
	t    testing.TB
	cfg  Config
	node *Node
	rec  *recorder
	ln   net.Listener
	port int

	mu     sync.Mutex
	conns  map[*inConn]bool
	down   bool
	cut    map[protocol.UUID]bool // peers whose connections are dropped after hello
	hellos map[protocol.UUID]int  // hellos served, per peer

	wg   sync.WaitGroup
	kill func()
}

// inConn is one accepted member connection. Replies may come from any
// goroutine; wmu keeps their frames whole.
type inConn struct {
	c    net.Conn
	wmu  sync.Mutex
	peer protocol.UUID // set after hello; guarded by testMember.mu
}

// testConfig is the configuration of test members: small timeouts so that
// joins and failure detection take milliseconds.
func testConfig() Config {
	return Config{
		ClusterName:       "dev",
		ClusterID:         randUUID(),
		JoinWait:          200 * time.Millisecond,
		HeartbeatInterval: 100 * time.Millisecond,
		MaxNoHeartbeat:    time.Second,
		MaxJoin:           waitTimeout / 2,
		DialTimeout:       500 * time.Millisecond,
	}
}

// newMember listens on 127.0.0.1:0 and makes a node for it; mod adjusts
// testConfig. The node serves nothing until bind. The member is killed when
// the test ends.
func newMember(t testing.TB, mod func(*Config)) *testMember {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	m := &testMember{
		t:      t,
		rec:    newRecorder(),
		ln:     ln,
		port:   port,
		conns:  map[*inConn]bool{},
		cut:    map[protocol.UUID]bool{},
		hellos: map[protocol.UUID]int{},
	}
	m.cfg = testConfig()
	m.cfg.Self = MemberInfo{UUID: randUUID(), Host: "127.0.0.1"}
	m.cfg.Logger = testLogger(t, port)
	m.cfg.Handler = m.rec
	if mod != nil {
		mod(&m.cfg)
	}
	m.node = NewNode(m.cfg)
	var once sync.Once
	m.kill = func() { once.Do(m.shutdown) }
	t.Cleanup(m.kill)
	return m
}

func (m *testMember) addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(m.port)) }

func (m *testMember) uuid() protocol.UUID { return m.cfg.Self.UUID }

// bind tells the node its port and seeds and starts serving the port.
func (m *testMember) bind(seeds ...string) {
	m.node.Bind(m.port, seeds)
	m.wg.Add(1)
	go m.accept()
}

func (m *testMember) join() {
	if err := m.node.Join(); err != nil {
		m.t.Errorf("member %s: Join: %v", m.addr(), err)
	}
}

// shutdown stops the member as a process exit would: the port closes, every
// member connection closes, and the node stops.
func (m *testMember) shutdown() {
	m.mu.Lock()
	m.down = true
	conns := m.conns
	m.conns = map[*inConn]bool{}
	m.mu.Unlock()
	_ = m.ln.Close()
	for ic := range conns {
		_ = ic.c.Close()
	}
	m.node.Stop()
	m.wg.Wait()
}

// cutOff drops every connection from peer and refuses new ones right after
// their hello: peer can no longer reach this member, while this member's own
// links to peer keep working.
func (m *testMember) cutOff(peer protocol.UUID) {
	m.mu.Lock()
	m.cut[peer] = true
	var drop []*inConn
	for ic := range m.conns {
		if ic.peer == peer {
			drop = append(drop, ic)
		}
	}
	m.mu.Unlock()
	for _, ic := range drop {
		_ = ic.c.Close()
	}
}

// hellosFrom returns how many connections from peer said hello.
func (m *testMember) hellosFrom(peer protocol.UUID) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.hellos[peer]
}

func (m *testMember) accept() {
	defer m.wg.Done()
	for {
		c, err := m.ln.Accept()
		if err != nil {
			return
		}
		ic := &inConn{c: c}
		m.mu.Lock()
		if m.down {
			m.mu.Unlock()
			_ = c.Close()
			return
		}
		m.conns[ic] = true
		m.wg.Add(1)
		m.mu.Unlock()
		go m.serveConn(ic)
	}
}

// serveConn checks the preamble, then parses frames with ParseFrame and
// hands each to Node.Serve, as the member's event loop does. A Serve error
// closes the connection.
func (m *testMember) serveConn(ic *inConn) {
	defer m.wg.Done()
	defer func() {
		_ = ic.c.Close()
		m.mu.Lock()
		delete(m.conns, ic)
		m.mu.Unlock()
	}()
	var pre [3]byte
	if _, err := io.ReadFull(ic.c, pre[:]); err != nil || !bytes.Equal(pre[:], Preamble) {
		return
	}
	in := &Inbound{}
	var buf []byte
	chunk := make([]byte, 64<<10)
	for {
		k, rerr := ic.c.Read(chunk)
		buf = append(buf, chunk[:k]...)
		used := 0
		for {
			f, n, err := ParseFrame(buf[used:])
			if err != nil {
				m.cfg.Logger.Warn().Err(err).Msg("test server: bad member frame")
				return
			}
			if n == 0 {
				break
			}
			used += n
			if !m.serveFrame(ic, in, f) {
				return
			}
		}
		buf = append(buf[:0], buf[used:]...)
		if rerr != nil {
			return
		}
	}
}

func (m *testMember) serveFrame(ic *inConn, in *Inbound, f Frame) bool {
	// Serve may keep the payload (a join is answered from a goroutine,
	// handlers may store it): it gets its own copy, as on the event loop.
	payload := bytes.Clone(f.Payload)
	var reply Reply
	if f.Corr != 0 {
		corr := f.Corr
		reply = func(p []byte, err error) { ic.respond(corr, p, err) }
	}
	if err := m.node.Serve(in, f.Kind, payload, reply); err != nil {
		m.cfg.Logger.Info().Err(err).Msg("test server: closing member connection")
		return false
	}
	if f.Kind == kindHello && !in.Peer().IsZero() {
		m.mu.Lock()
		ic.peer = in.Peer()
		m.hellos[ic.peer]++
		cut := m.cut[ic.peer]
		m.mu.Unlock()
		if cut {
			return false
		}
	}
	return true
}

// respond writes the answer to call corr: FlagResponse, plus FlagError with
// the error text as payload.
func (ic *inConn) respond(corr uint64, p []byte, err error) {
	flags := FlagResponse
	if err != nil {
		flags |= FlagError
		p = []byte(err.Error())
	}
	b := AppendHeader(make([]byte, 0, HeaderSize+len(p)), 0, flags, corr, len(p))
	b = append(b, p...)
	ic.wmu.Lock()
	defer ic.wmu.Unlock()
	_, _ = ic.c.Write(b)
}

// startCluster starts n members one after another, each with the
// addresses of those before it as seeds, and waits until they agree on a
// view of n. The first is the master and the view lists them in order.
func startCluster(t testing.TB, n int, mod func(*Config)) ([]*testMember, View) {
	t.Helper()
	var ms []*testMember
	var seeds []string
	for range n {
		m := newMember(t, mod)
		m.bind(seeds...)
		m.join()
		ms = append(ms, m)
		seeds = append(seeds, m.addr())
	}
	v := agree(t, ms...)
	for i, m := range ms {
		if v.Members[i].UUID != m.uuid() {
			t.Fatalf("members in the view out of join order: %s", v.Format(protocol.UUID{}))
		}
	}
	return ms, v
}

// startConcurrently starts n members that have each other's addresses as
// seeds, joins them all at once and waits until they agree on a view of n.
func startConcurrently(t testing.TB, n int, mod func(*Config)) ([]*testMember, View) {
	t.Helper()
	ms := make([]*testMember, n)
	seeds := make([]string, n)
	for i := range ms {
		ms[i] = newMember(t, mod)
		seeds[i] = ms[i].addr()
	}
	for _, m := range ms {
		m.bind(seeds...)
	}
	var wg sync.WaitGroup
	for _, m := range ms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m.join()
		}()
	}
	wg.Wait()
	for _, m := range ms {
		if m.node.Out() {
			t.Errorf("%s joined and was told at once that it is out of the cluster", m.addr())
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	return ms, agree(t, ms...)
}

// agree waits until every member has the same view, made of exactly these
// members, and returns it.
func agree(t testing.TB, ms ...*testMember) View {
	t.Helper()
	var v View
	eventually(t, fmt.Sprintf("%d members to agree on a view of themselves", len(ms)), func() (bool, string) {
		views := make([]View, len(ms))
		for i, m := range ms {
			views[i] = m.node.View()
		}
		state := ""
		for i, x := range views {
			state += fmt.Sprintf("\n%s: %s out=%v", ms[i].addr(), x.Format(ms[i].uuid()), ms[i].node.Out())
		}
		for _, x := range views {
			if !reflect.DeepEqual(x, views[0]) || len(x.Members) != len(ms) {
				return false, state
			}
		}
		for _, m := range ms {
			if !views[0].Contains(m.uuid()) {
				return false, state
			}
		}
		v = views[0]
		return true, ""
	})
	return v
}

// byUUID returns the member of ms with uuid u.
func byUUID(t testing.TB, ms []*testMember, u protocol.UUID) *testMember {
	t.Helper()
	for _, m := range ms {
		if m.uuid() == u {
			return m
		}
	}
	t.Fatalf("no member %v", u)
	return nil
}

// except returns ms without x.
func except(ms []*testMember, x ...*testMember) []*testMember {
	var out []*testMember
next:
	for _, m := range ms {
		for _, y := range x {
			if m == y {
				continue next
			}
		}
		out = append(out, m)
	}
	return out
}
