package server

import (
	"sync"
	"sync/atomic"

	"github.com/panjf2000/gnet/v2"

	"github.com/filbert/filbert/cluster"
	"github.com/filbert/filbert/protocol"
	"github.com/filbert/filbert/rest"
)

// Conn is one client connection. Fields without a comment on locking are
// touched only on the connection's event loop.
type Conn struct {
	id      uint64
	gc      gnet.Conn
	remote  string
	scanner *protocol.Scanner
	asm     *protocol.Assembler
	slab    []byte // loop only: free space for inbound messages

	preambleOK bool
	// member is set for connections from other members.
	member *cluster.Inbound
	// http is set for REST connections.
	http *rest.Conn
	// authenticated is set on the loop and read by workers.
	authenticated atomic.Bool
	client        clientInfo
	closed        atomic.Bool
	// lastRead is the Unix nanosecond time of the last inbound bytes.
	lastRead atomic.Int64
	// parked counts this connection's operations waiting on a lock.
	parked atomic.Int32

	mu          sync.Mutex
	out         [][]byte // pending encoded messages, guarded by mu
	wakePending bool     // guarded by mu: a flush is coming

	// wmu serialises writers of the socket (the loop and the workers)
	// and guards the fields below.
	wmu   sync.Mutex
	spare [][]byte
	// slow is set while gnet holds output the socket has not taken: then
	// every write goes through the loop so order is kept.
	slow bool
	fd   int

	// sink, for a stand-in connection of a client connected to another
	// member, carries output to that member instead of a socket.
	sink func(b []byte)
}

// clientInfo is what authentication told about the client.
type clientInfo struct {
	uuid    protocol.UUID
	typ     string
	name    string
	version string
}

// send queues an encoded message for the connection and makes sure the
// loop will write it. It takes ownership of b (a pooled buffer). Safe from
// any goroutine.
func (c *Conn) send(b []byte) { c.sendVia(b, nil) }

// sendVia is send for partition workers: when the loop must be woken, c is
// appended to wake (the worker's list, woken once after its batch) instead
// of being woken at once, so a batch of responses leaves in one write.
func (c *Conn) sendVia(b []byte, wake *[]*Conn) {
	if c.sink != nil {
		c.sink(b)
		return
	}
	if c.closed.Load() {
		putBuf(b)
		return
	}
	c.mu.Lock()
	c.out = append(c.out, b)
	need := !c.wakePending
	c.wakePending = true
	c.mu.Unlock()
	if !need {
		return
	}
	if wake != nil {
		*wake = append(*wake, c)
		return
	}
	c.wake()
}

// wake makes the loop flush c.
func (c *Conn) wake() {
	if err := c.gc.Wake(nil); err != nil {
		c.mu.Lock()
		c.wakePending = false
		c.mu.Unlock()
	}
}

// beginLoopWork marks that the loop is running for c, so sends from the
// loop itself do not wake it again; flush ends the mark.
func (c *Conn) beginLoopWork() {
	c.mu.Lock()
	c.wakePending = true
	c.mu.Unlock()
}

// takeOut swaps out the pending messages. Called with wmu held.
func (c *Conn) takeOut() [][]byte {
	c.mu.Lock()
	out := c.out
	c.out = c.spare[:0]
	c.wakePending = false
	c.mu.Unlock()
	c.spare = nil
	return out
}

// recycle returns written buffers to the pool. Called with wmu held.
func (c *Conn) recycle(out [][]byte) {
	for i, b := range out {
		putBuf(b)
		out[i] = nil
	}
	c.spare = out[:0]
}

// flush writes every pending message through gnet with one writev. Loop
// only. If the socket could not take everything, gnet keeps the rest and
// the connection stays on this path until gnet's buffer drains.
func (c *Conn) flush() {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	out := c.takeOut()
	if len(out) > 0 && !c.closed.Load() {
		_, _ = c.gc.Writev(out)
	}
	c.slow = c.gc.OutboundBuffered() > 0
	c.recycle(out)
}

// flushDirect writes pending messages from a partition worker straight to
// the socket (non-blocking), saving the event loop a wake-up, an epoll
// round and a copy per batch. It falls back to the loop when gnet holds
// unsent output (to keep order) or the socket is full. OnClose takes wmu
// before gnet closes the descriptor, so a closed (and possibly reused)
// descriptor is never written.
func (c *Conn) flushDirect() {
	c.wmu.Lock()
	if c.closed.Load() {
		c.wmu.Unlock()
		return
	}
	if c.slow {
		c.wmu.Unlock()
		c.wake()
		return
	}
	out := c.takeOut()
	rest := writeAll(c.fd, out)
	if rest != nil {
		directWriteFallbacks.Add(1)
		// Put what the socket did not take back in front, in order, and
		// let the loop finish through gnet (which waits for writability).
		c.slow = true
		c.mu.Lock()
		c.out = append(rest, c.out...)
		c.wakePending = true
		c.mu.Unlock()
	}
	c.recycle(out)
	c.wmu.Unlock()
	if rest != nil {
		c.wake()
	}
}

// copyRest copies bufs, skipping the first skip bytes of bufs[0], into
// fresh pooled buffers (the originals are recycled by the caller).
func copyRest(bufs [][]byte, skip int) [][]byte {
	rest := make([][]byte, 0, len(bufs))
	for i, b := range bufs {
		if i == 0 {
			b = b[skip:]
		}
		rest = append(rest, append(getBuf(), b...))
	}
	return rest
}

// directWriteFallbacks counts worker flushes that found the socket full and
// handed output back to the event loop (process-wide; for tests and
// diagnostics).
var directWriteFallbacks atomic.Int64

// Response buffers are recycled through bufPool as *[]byte boxes; empty
// boxes wait in boxPool, so neither getting nor returning a buffer
// allocates.
var bufPool, boxPool sync.Pool

func getBuf() []byte {
	if x := bufPool.Get(); x != nil {
		box := x.(*[]byte)
		b := (*box)[:0]
		*box = nil
		boxPool.Put(box)
		return b
	}
	return make([]byte, 0, 256)
}

func putBuf(b []byte) {
	if cap(b) > 64<<10 || cap(b) == 0 {
		return
	}
	box, _ := boxPool.Get().(*[]byte)
	if box == nil {
		box = new([]byte)
	}
	*box = b
	bufPool.Put(box)
}

// slabSize is the size of the chunks inbound messages are carved from.
const slabSize = 32 << 10

// ownMessage copies a whole message out of the loop's input buffer. Small
// messages are carved from a per-connection slab, so most requests cost no
// allocation of their own; the slab is collected once no request refers to
// it (the stores copy what they keep).
func (c *Conn) ownMessage(b []byte) []byte {
	n := len(b)
	if n > slabSize/4 {
		return append([]byte(nil), b...)
	}
	if len(c.slab) < n {
		c.slab = make([]byte, slabSize)
	}
	msg := c.slab[:n:n]
	c.slab = c.slab[n:]
	copy(msg, b)
	return msg
}

// newWriter returns a writer over a pooled buffer.
func newWriter() protocol.Writer {
	var w protocol.Writer
	w.Reset(getBuf())
	return w
}
