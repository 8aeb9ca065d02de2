package cluster

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// ErrLinkClosed fails calls whose link closed before they were answered.
var ErrLinkClosed = errors.New("cluster: member link closed")

// RemoteError is an error a peer answered a call with.
type RemoteError struct{ Text string }

func (e *RemoteError) Error() string { return "remote: " + e.Text }

// Callback receives the answer to a call: the response payload (owned by
// the callback) or an error. It runs on the link's reader goroutine (or the
// goroutine that closed the link) and must not block.
type Callback func(resp []byte, err error)

// Link is this member's outbound connection to one peer. Requests and
// one-way messages go out on it; answers come back on it. Every method is
// safe for concurrent use and none blocks on the network: output is queued
// and written by the link's own goroutine.
type Link struct {
	Peer MemberInfo

	conn net.Conn

	mu      sync.Mutex
	pending map[uint64]Callback
	queue   net.Buffers
	queued  int // bytes in queue
	closed  bool
	err     error
	signal  chan struct{}
	done    chan struct{}

	nextCorr atomic.Uint64
	// dropped counts droppable messages refused because the queue was
	// over its limit.
	dropped atomic.Uint64
	// QueueLimit bounds the bytes of droppable messages queued (0: none).
	queueLimit int
	onClose    func(*Link, error)
}

// newLink returns a link to peer at once; the connection is made by the
// link's goroutine, which first sends the preamble and hello. Messages
// queued before the connection is up go out right after the hello. A failed
// dial closes the link with the dial error.
func newLink(peer MemberInfo, timeout time.Duration, hello []byte, queueLimit int, onClose func(*Link, error)) *Link {
	l := &Link{
		Peer:       peer,
		pending:    make(map[uint64]Callback),
		signal:     make(chan struct{}, 1),
		done:       make(chan struct{}),
		queueLimit: queueLimit,
		onClose:    onClose,
	}
	l.queue = append(l.queue, Preamble)
	l.Call(kindHello, hello, func(_ []byte, err error) {
		if err != nil {
			l.Close(fmt.Errorf("member %s refused the connection: %w", peer.Addr(), err))
		}
	})
	go l.run(timeout)
	return l
}

func (l *Link) run(timeout time.Duration) {
	conn, err := net.DialTimeout("tcp", l.Peer.Addr(), timeout)
	if err != nil {
		l.Close(fmt.Errorf("dial member %s: %w", l.Peer.Addr(), err))
		return
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true)
	}
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		_ = conn.Close()
		return
	}
	l.conn = conn
	l.mu.Unlock()
	go l.readLoop()
	l.writeLoop()
}

// Call sends a request and calls cb with the answer. If the link is
// closed cb runs at once with the link's error.
func (l *Link) Call(kind byte, payload []byte, cb Callback) {
	corr := l.nextCorr.Add(1)
	l.mu.Lock()
	if l.closed {
		err := l.err
		l.mu.Unlock()
		if cb != nil {
			cb(nil, err)
		}
		return
	}
	if cb != nil {
		l.pending[corr] = cb
	}
	l.enqueue(kind, 0, corr, payload)
	l.mu.Unlock()
}

// CallWait sends a request and waits up to timeout for its answer. For
// goroutines that may block; never call it on an event loop or worker.
func (l *Link) CallWait(kind byte, payload []byte, timeout time.Duration) ([]byte, error) {
	type result struct {
		b   []byte
		err error
	}
	ch := make(chan result, 1)
	corr := l.nextCorr.Add(1)
	l.mu.Lock()
	if l.closed {
		err := l.err
		l.mu.Unlock()
		return nil, err
	}
	l.pending[corr] = func(b []byte, err error) { ch <- result{b, err} }
	l.enqueue(kind, 0, corr, payload)
	l.mu.Unlock()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case r := <-ch:
		return r.b, r.err
	case <-t.C:
		l.mu.Lock()
		delete(l.pending, corr)
		l.mu.Unlock()
		return nil, fmt.Errorf("member %s: no answer within %v", l.Peer.Addr(), timeout)
	}
}

// Send queues a one-way message. It reports false if the link is closed.
func (l *Link) Send(kind byte, payload []byte) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return false
	}
	l.enqueue(kind, 0, 0, payload)
	return true
}

// TrySend is Send for messages that may be dropped (async backups): it
// refuses when the queue is over its limit, so a slow peer cannot make this
// member hold unbounded memory. The caller repairs the gap later.
func (l *Link) TrySend(kind byte, payload []byte) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed || (l.queueLimit > 0 && l.queued > l.queueLimit) {
		l.dropped.Add(1)
		return false
	}
	l.enqueue(kind, 0, 0, payload)
	return true
}

// Dropped returns how many TrySend messages were refused.
func (l *Link) Dropped() uint64 { return l.dropped.Load() }

// Queued returns the bytes waiting to be written.
func (l *Link) Queued() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.queued
}

func (l *Link) enqueue(kind, flags byte, corr uint64, payload []byte) {
	hdr := AppendHeader(make([]byte, 0, HeaderSize), kind, flags, corr, len(payload))
	l.queue = append(l.queue, hdr)
	if len(payload) > 0 {
		l.queue = append(l.queue, payload)
	}
	l.queued += HeaderSize + len(payload)
	select {
	case l.signal <- struct{}{}:
	default:
	}
}

func (l *Link) writeLoop() {
	for {
		select {
		case <-l.signal:
		case <-l.done:
			return
		}
		l.mu.Lock()
		q := l.queue
		l.queue = nil
		l.queued = 0
		l.mu.Unlock()
		if len(q) == 0 {
			continue
		}
		if _, err := q.WriteTo(l.conn); err != nil {
			l.Close(fmt.Errorf("write to member %s: %w", l.Peer.Addr(), err))
			return
		}
	}
}

func (l *Link) readLoop() {
	r := bufio.NewReaderSize(l.conn, 64<<10)
	var hdr [HeaderSize]byte
	for {
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			l.Close(fmt.Errorf("read from member %s: %w", l.Peer.Addr(), err))
			return
		}
		n := int(binary.BigEndian.Uint32(hdr[:])) + 4 - HeaderSize
		if n < 0 || n > MaxFrame {
			l.Close(fmt.Errorf("member %s: %w", l.Peer.Addr(), ErrFrameTooLarge))
			return
		}
		payload := make([]byte, n)
		if _, err := io.ReadFull(r, payload); err != nil {
			l.Close(fmt.Errorf("read from member %s: %w", l.Peer.Addr(), err))
			return
		}
		flags := hdr[5]
		corr := binary.BigEndian.Uint64(hdr[6:])
		if flags&FlagResponse == 0 {
			continue // peers only answer on this link
		}
		l.mu.Lock()
		cb := l.pending[corr]
		delete(l.pending, corr)
		l.mu.Unlock()
		if cb == nil {
			continue
		}
		if flags&FlagError != 0 {
			cb(nil, &RemoteError{Text: string(payload)})
		} else {
			cb(payload, nil)
		}
	}
}

// Close closes the link; pending calls fail with err (ErrLinkClosed if nil).
func (l *Link) Close(err error) {
	if err == nil {
		err = ErrLinkClosed
	} else {
		err = fmt.Errorf("%w: %w", ErrLinkClosed, err)
	}
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return
	}
	l.closed = true
	l.err = err
	pending := l.pending
	l.pending = nil
	l.queue, l.queued = nil, 0
	close(l.done)
	conn := l.conn
	l.mu.Unlock()
	if conn != nil {
		_ = conn.Close()
	}
	for _, cb := range pending {
		cb(nil, err)
	}
	if l.onClose != nil {
		l.onClose(l, err)
	}
}

// Closed reports whether the link is closed.
func (l *Link) Closed() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.closed
}
