package server

import (
	"sync"
	"sync/atomic"

	"github.com/panjf2000/gnet/v2"

	"github.com/filbert/filbert/protocol"
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
	// authenticated is set on the loop and read by workers.
	authenticated atomic.Bool
	client        clientInfo
	closed        atomic.Bool
	// lastRead is the Unix nanosecond time of the last inbound bytes.
	lastRead atomic.Int64

	mu          sync.Mutex
	out         [][]byte // pending encoded messages, guarded by mu
	wakePending bool     // guarded by mu: the loop will flush out
	spare       [][]byte // loop only
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
func (c *Conn) send(b []byte) {
	if c.closed.Load() {
		putBuf(b)
		return
	}
	c.mu.Lock()
	c.out = append(c.out, b)
	wake := !c.wakePending
	c.wakePending = true
	c.mu.Unlock()
	if wake {
		if err := c.gc.Wake(nil); err != nil {
			c.mu.Lock()
			c.wakePending = false
			c.mu.Unlock()
		}
	}
}

// beginLoopWork marks that the loop is running for c, so sends from the
// loop itself do not wake it again; flush ends the mark.
func (c *Conn) beginLoopWork() {
	c.mu.Lock()
	c.wakePending = true
	c.mu.Unlock()
}

// flush writes every pending message with one writev. Loop only.
func (c *Conn) flush() {
	c.mu.Lock()
	out := c.out
	c.out = c.spare[:0]
	c.wakePending = false
	c.mu.Unlock()
	if len(out) == 0 {
		c.spare = out
		return
	}
	if !c.closed.Load() {
		_, _ = c.gc.Writev(out)
	}
	for i, b := range out {
		putBuf(b)
		out[i] = nil
	}
	c.spare = out[:0]
}

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
