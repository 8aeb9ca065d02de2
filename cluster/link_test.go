package cluster

import (
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/filbert/filbert/protocol"
)

// TestNodeCallAndSend carries service messages between two members: calls
// get the handler's answer or its error, one-way messages arrive with the
// sender's UUID.
func TestNodeCallAndSend(t *testing.T) {
	ms, _ := startCluster(t, 2, nil)
	a, b := ms[0], ms[1]

	if a.node.Link(a.uuid()) != nil {
		t.Fatal("a link to this member itself")
	}
	if a.node.Link(protocol.UUID{MSB: 42}) != nil {
		t.Fatal("a link to a non-member")
	}
	l := a.node.Link(b.uuid())
	if l == nil || l.Peer.UUID != b.uuid() || a.node.Link(b.uuid()) != l {
		t.Fatal("Link does not return one link per member")
	}
	resp, err := l.CallWait(kindEcho, []byte("ping"), waitTimeout)
	if err != nil || string(resp) != "ping" {
		t.Fatalf("echo: %q, %v", resp, err)
	}
	_, err = l.CallWait(kindFail, nil, waitTimeout)
	var re *RemoteError
	if !errors.As(err, &re) || re.Text != "boom" {
		t.Fatalf("failing call: %v, want RemoteError boom", err)
	}
	done := make(chan error, 1)
	a.node.Call(b.uuid(), kindEcho, []byte("cb"), func(p []byte, err error) {
		if err == nil && string(p) != "cb" {
			err = errors.New("wrong payload " + string(p))
		}
		done <- err
	})
	if err := <-done; err != nil {
		t.Fatalf("Node.Call: %v", err)
	}
	a.node.Call(protocol.UUID{MSB: 42}, kindEcho, nil, func(_ []byte, err error) { done <- err })
	if err := <-done; !errors.Is(err, ErrLinkClosed) {
		t.Fatalf("Call to a non-member: %v, want ErrLinkClosed", err)
	}
	if a.node.Send(a.uuid(), kindNotify, nil) || a.node.Send(protocol.UUID{MSB: 42}, kindNotify, nil) {
		t.Fatal("Send to self or a stranger reported true")
	}
	if !a.node.Send(b.uuid(), kindNotify, []byte("note")) {
		t.Fatal("Send to a member reported false")
	}
	b.rec.wait(t, "the one-way message", func() bool {
		for _, m := range b.rec.messages() {
			if m.kind == kindNotify {
				return true
			}
		}
		return false
	})
	for _, m := range b.rec.messages() {
		if m.from != a.uuid() {
			t.Errorf("message kind %d from %v, want %v", m.kind, m.from, a.uuid())
		}
		if m.kind == kindNotify && (!m.oneWay || string(m.payload) != "note") {
			t.Errorf("one-way message %+v", m)
		}
	}
}

// TestLinkFailsCallsWhenPeerGoes: calls waiting for an answer fail with an
// ErrLinkClosed-wrapped error when the peer goes away, and the closed link
// refuses everything after.
func TestLinkFailsCallsWhenPeerGoes(t *testing.T) {
	ms, _ := startCluster(t, 2, nil)
	a, b := ms[0], ms[1]
	l := a.node.Link(b.uuid())
	held := make(chan error, 1)
	l.Call(kindHold, nil, func(_ []byte, err error) { held <- err })
	b.rec.wait(t, "b to receive the held call", func() bool {
		for _, m := range b.rec.messages() {
			if m.kind == kindHold {
				return true
			}
		}
		return false
	})
	b.kill()
	select {
	case err := <-held:
		if !errors.Is(err, ErrLinkClosed) {
			t.Fatalf("held call failed with %v, want ErrLinkClosed", err)
		}
	case <-time.After(waitTimeout):
		t.Fatal("held call not failed after the peer went away")
	}
	if !l.Closed() {
		t.Fatal("link not closed")
	}
	// Everything on a closed link fails at once.
	called := false
	l.Call(kindEcho, nil, func(_ []byte, err error) { called = errors.Is(err, ErrLinkClosed) })
	if !called {
		t.Fatal("Call on a closed link did not fail at once with ErrLinkClosed")
	}
	if _, err := l.CallWait(kindEcho, nil, waitTimeout); !errors.Is(err, ErrLinkClosed) {
		t.Fatalf("CallWait on a closed link: %v", err)
	}
	if l.Send(kindNotify, nil) {
		t.Fatal("Send on a closed link reported true")
	}
	dropped := l.Dropped()
	if l.TrySend(kindNotify, nil) || l.Dropped() != dropped+1 {
		t.Fatalf("TrySend on a closed link: dropped %d -> %d", dropped, l.Dropped())
	}
}

// TestLinkDialFailure: a link to an address nobody listens on closes with
// the dial error, and its pending calls fail with ErrLinkClosed.
func TestLinkDialFailure(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	closed := make(chan error, 1)
	l := newLink(MemberInfo{Host: "127.0.0.1", Port: port}, time.Second, nil, 0, func(_ *Link, err error) { closed <- err })
	_, err = l.CallWait(kindPing, nil, waitTimeout)
	if !errors.Is(err, ErrLinkClosed) || !strings.Contains(err.Error(), "dial member") {
		t.Fatalf("call on a link that cannot connect: %v", err)
	}
	if err := <-closed; !errors.Is(err, ErrLinkClosed) {
		t.Fatalf("onClose got %v", err)
	}
}

// TestCallWaitTimeout: an unanswered CallWait gives up after its timeout
// and forgets the call.
func TestCallWaitTimeout(t *testing.T) {
	ms, _ := startCluster(t, 2, nil)
	l := ms[0].node.Link(ms[1].uuid())
	start := time.Now()
	_, err := l.CallWait(kindHold, nil, 100*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "no answer within") || errors.Is(err, ErrLinkClosed) {
		t.Fatalf("unanswered call: %v", err)
	}
	if took := time.Since(start); took < 100*time.Millisecond {
		t.Fatalf("gave up after %v", took)
	}
	l.mu.Lock()
	pending := len(l.pending)
	l.mu.Unlock()
	if pending != 0 {
		t.Fatalf("%d calls still pending after the timeout", pending)
	}
	if l.Closed() {
		t.Fatal("a timeout closed the link")
	}
}

// TestTrySendQueueLimit: against a peer that reads nothing, TrySend refuses
// once the queued bytes are over the limit and counts what it refused;
// Send is never refused.
func TestTrySendQueueLimit(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			accepted <- c // held open, never read
		}
	}()
	t.Cleanup(func() {
		select {
		case c := <-accepted:
			c.Close()
		default:
		}
	})
	const limit = 100 << 10
	peer := MemberInfo{Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port}
	l := newLink(peer, time.Second, nil, limit, nil)
	t.Cleanup(func() { l.Close(nil) })

	// Stall the writer: a message far larger than the socket buffers,
	// which the peer never reads. Once the writer has taken it from the
	// queue, it stays blocked writing it.
	if !l.Send(kindNotify, make([]byte, 32<<20)) {
		t.Fatal("Send refused")
	}
	eventually(t, "the writer to take the queue", func() (bool, string) { return l.Queued() == 0, "" })

	msg := make([]byte, 64<<10)
	each := HeaderSize + len(msg)
	if !l.TrySend(kindNotify, msg) || !l.TrySend(kindNotify, msg) {
		t.Fatalf("TrySend refused with %d of %d bytes queued", l.Queued(), limit)
	}
	if got := l.Queued(); got != 2*each {
		t.Fatalf("Queued = %d, want %d", got, 2*each)
	}
	if l.TrySend(kindNotify, msg) || l.TrySend(kindNotify, nil) {
		t.Fatalf("TrySend accepted with %d bytes queued over a limit of %d", l.Queued(), limit)
	}
	if got := l.Dropped(); got != 2 {
		t.Fatalf("Dropped = %d, want 2", got)
	}
	if !l.Send(kindNotify, msg) {
		t.Fatal("Send refused over the TrySend limit")
	}
	if got := l.Queued(); got != 3*each {
		t.Fatalf("Queued = %d after Send, want %d", got, 3*each)
	}
	// Closing fails the pending hello call and frees the queue.
	l.Close(nil)
	if l.Queued() != 0 {
		t.Fatalf("Queued = %d after Close", l.Queued())
	}
}
