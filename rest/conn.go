package rest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
)

// MaxPipelined bounds the requests of one connection waiting for their
// response. A client that pipelines more gets 503 and the connection is
// closed.
const MaxPipelined = 16

// ErrPipelineFull is returned by Conn.Feed when a client pipelines more
// than MaxPipelined requests.
var ErrPipelineFull = errors.New("rest: too many pipelined requests")

// Conn serves the HTTP requests of one connection, in order, off the event
// loop. The server creates one per HTTP connection, calls Feed from the
// event loop with the unread input, discards what Feed consumed, and calls
// Stop when the connection goes away.
//
// Requests are answered one at a time on a goroutine that exists only
// while requests are queued; each response is handed to send, in request
// order, from that goroutine (with gnet: AsyncWrite, then Close in its
// callback when closeAfter is true).
type Conn struct {
	router *Router
	limits Limits
	send   func(b []byte, closeAfter bool)
	ctx    context.Context
	cancel context.CancelFunc

	mu      sync.Mutex
	queue   []queued
	running bool
	// done is set once no further request may be read: a request asked
	// to close, input was malformed, or the pipeline overflowed.
	done bool
}

// queued is a request to answer, or a ready response (a parse error).
type queued struct {
	req  *Request
	resp *Response
}

// NewConn returns a Conn answering through r. send receives each
// response's bytes; closeAfter asks the server to close the connection
// once they are written.
func (r *Router) NewConn(limits Limits, send func(b []byte, closeAfter bool)) *Conn {
	ctx, cancel := context.WithCancel(context.Background())
	return &Conn{router: r, limits: limits.WithDefaults(), send: send, ctx: ctx, cancel: cancel}
}

// Feed parses every whole request at the start of buf and queues it; it
// returns how many bytes to discard. It never blocks, so it may run on the
// event loop. When the input is malformed or the pipeline is full it queues
// the error response (sent last, with closeAfter), consumes all of buf and
// returns the error for the log; once a request asked to close, or after an
// error, further input is consumed and ignored.
func (c *Conn) Feed(buf []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done {
		return len(buf), nil
	}
	n := 0
	for n < len(buf) {
		req, used, err := c.limits.Parse(buf[n:])
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				pe = &ParseError{Status: http.StatusBadRequest, Err: ErrMalformed, Reason: err.Error()}
			}
			resp := pe.Response()
			c.enqueue(queued{resp: &resp})
			c.done = true
			return len(buf), err
		}
		if req == nil {
			break
		}
		n += used
		if len(c.queue) >= MaxPipelined {
			resp := textResponse(http.StatusServiceUnavailable,
				fmt.Sprintf("more than %d pipelined requests", MaxPipelined))
			resp.Close = true
			c.enqueue(queued{resp: &resp})
			c.done = true
			return len(buf), ErrPipelineFull
		}
		c.enqueue(queued{req: req})
		if req.Close {
			c.done = true
			return len(buf), nil
		}
	}
	return n, nil
}

// enqueue adds q and starts the worker if idle. c.mu is held.
func (c *Conn) enqueue(q queued) {
	c.queue = append(c.queue, q)
	if !c.running && c.ctx.Err() == nil {
		c.running = true
		go c.run()
	}
}

// run answers queued requests until the queue is empty.
func (c *Conn) run() {
	for {
		c.mu.Lock()
		if len(c.queue) == 0 || c.ctx.Err() != nil {
			c.queue = nil
			c.running = false
			c.mu.Unlock()
			return
		}
		q := c.queue[0]
		c.queue[0] = queued{}
		c.queue = c.queue[1:]
		c.mu.Unlock()

		var resp Response
		if q.resp != nil {
			resp = *q.resp
		} else {
			resp = c.router.Handle(c.ctx, q.req)
		}
		if c.ctx.Err() != nil {
			continue // stopped: the connection is gone
		}
		c.send(resp.AppendTo(nil), resp.Close)
		if resp.Close {
			c.mu.Lock()
			c.done = true
			c.queue = nil
			c.mu.Unlock()
		}
	}
}

// Stop cancels the request being answered and drops the queued ones. Call
// it when the connection closes; send is not called afterwards, except
// possibly once by a send already under way.
func (c *Conn) Stop() {
	c.cancel()
	c.mu.Lock()
	c.done = true
	c.queue = nil
	c.mu.Unlock()
}
