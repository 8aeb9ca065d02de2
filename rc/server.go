package rc

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"time"

	"github.com/apache/thrift/lib/go/thrift"

	"github.com/filbert/filbert/rc/rcthrift"
)

// strictBinaryHigh is the first byte of a strict binary protocol message
// (version word 0x80010000 | type). A frame length of framed transport never
// starts with it: frames are far below 2 GiB.
const strictBinaryHigh = 0x80

// ListenAndServe listens on addr and serves until the listener is closed
// (by Close). It returns the listener's error, or nil after Close.
func (c *Controller) ListenAndServe(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return c.Serve(ln)
}

// Serve accepts Thrift connections on ln until it is closed (by Close). Each
// connection is served on its own goroutine, unframed or framed as its first
// byte says (see the package comment). When a connection ends, every cluster
// is shut down, as the Java controller does.
func (c *Controller) Serve(ln net.Listener) error {
	if !c.track(c.listeners, ln) {
		ln.Close()
		return nil
	}
	defer c.untrack(c.listeners, ln)
	c.log.Info().Str("addr", ln.Addr().String()).Msg("remote controller listening")
	processor := rcthrift.NewRemoteControllerProcessor(c)
	var delay time.Duration
	for {
		conn, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				// Temporary accept failure (e.g. out of descriptors): back off.
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				time.Sleep(delay)
				continue
			}
			return err
		}
		delay = 0
		if !c.track(c.conns, conn) {
			conn.Close()
			return nil
		}
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			defer c.untrack(c.conns, conn)
			c.serveConn(conn, processor)
		}()
	}
}

// track adds x to set unless the controller is closing.
func (c *Controller) track(set map[io.Closer]struct{}, x io.Closer) bool {
	c.netMu.Lock()
	defer c.netMu.Unlock()
	if c.closing {
		return false
	}
	set[x] = struct{}{}
	return true
}

func (c *Controller) untrack(set map[io.Closer]struct{}, x io.Closer) {
	c.netMu.Lock()
	delete(set, x)
	c.netMu.Unlock()
}

// serveConn runs the request loop of one connection, then cleans.
func (c *Controller) serveConn(conn net.Conn, processor thrift.TProcessor) {
	log := c.log.With().Str("remote", conn.RemoteAddr().String()).Logger()
	defer conn.Close()
	raw := &connTransport{conn: conn, r: bufio.NewReader(conn), w: bufio.NewWriter(conn)}
	first, err := raw.r.Peek(1)
	if err != nil {
		log.Debug().Err(err).Msg("connection closed before its first request")
		return
	}
	conf := &thrift.TConfiguration{}
	var trans thrift.TTransport = raw
	framing := "unframed"
	if first[0] != strictBinaryHigh {
		trans = thrift.NewTFramedTransportConf(raw, conf)
		framing = "framed"
	}
	log.Info().Str("transport", framing).Msg("client connected")
	prot := thrift.NewTBinaryProtocolConf(trans, conf)
	ctx := context.Background()
	for {
		ok, err := processor.Process(ctx, prot, prot)
		if errors.Is(err, thrift.ErrAbandonRequest) {
			break
		}
		var te thrift.TTransportException
		if errors.As(err, &te) {
			if !errors.Is(err, io.EOF) {
				log.Debug().Err(err).Msg("connection ended")
			}
			break
		}
		var tae thrift.TApplicationException
		if errors.As(err, &tae) && tae.TypeId() == thrift.UNKNOWN_METHOD {
			log.Warn().Err(err).Msg("unknown method")
			continue
		}
		if !ok {
			break
		}
	}
	log.Info().Msg("client disconnected; shutting all clusters down")
	conn.Close()
	c.mu.Lock()
	c.cleanLocked("client disconnected")
	c.mu.Unlock()
}

// connTransport is a thrift.TTransport over an accepted connection whose
// first byte has been peeked.
type connTransport struct {
	conn net.Conn
	r    *bufio.Reader
	w    *bufio.Writer
}

func (t *connTransport) Open() error                     { return nil }
func (t *connTransport) IsOpen() bool                    { return true }
func (t *connTransport) Close() error                    { return t.conn.Close() }
func (t *connTransport) Read(p []byte) (int, error)      { return t.r.Read(p) }
func (t *connTransport) Write(p []byte) (int, error)     { return t.w.Write(p) }
func (t *connTransport) Flush(ctx context.Context) error { return t.w.Flush() }
func (t *connTransport) RemainingBytes() uint64          { return ^uint64(0) }
