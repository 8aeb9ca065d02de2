package server

import (
	"bytes"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/panjf2000/gnet/v2"
	"github.com/rs/zerolog"

	"github.com/filbert/filbert/cluster"
	"github.com/filbert/filbert/protocol"
	"github.com/filbert/filbert/rest"
)

// eventHandler adapts the member to gnet's callbacks. Every method runs on
// an event loop and must not block.
type eventHandler struct {
	gnet.BuiltinEventEngine
	m *Member
}

func (h *eventHandler) OnBoot(eng gnet.Engine) gnet.Action {
	m := h.m
	m.engine = eng
	port, err := boundPort(eng)
	if err != nil {
		m.booted <- fmt.Errorf("server: %w", err)
		return gnet.Shutdown
	}
	m.port = port
	m.booted <- nil
	return gnet.None
}

func (h *eventHandler) OnOpen(gc gnet.Conn) ([]byte, gnet.Action) {
	m := h.m
	c := &Conn{
		id:      atomic.AddUint64(&m.nextConn, 1),
		gc:      gc,
		remote:  gc.RemoteAddr().String(),
		scanner: protocol.NewScanner(m.opts.Limits),
		fd:      gc.Fd(),
	}
	c.lastRead.Store(time.Now().UnixNano())
	gc.SetContext(c)
	m.connMu.Lock()
	m.conns[c] = struct{}{}
	m.connIDs[c.id] = c
	m.connMu.Unlock()
	m.log.Debug().Uint64("conn", c.id).Str("remote", c.remote).Msg("connection opened")
	return nil, gnet.None
}

func (h *eventHandler) OnClose(gc gnet.Conn, err error) gnet.Action {
	c, ok := gc.Context().(*Conn)
	if !ok {
		return gnet.None
	}
	h.m.connClosed(c, err)
	return gnet.None
}

func (h *eventHandler) OnTraffic(gc gnet.Conn) gnet.Action {
	c := gc.Context().(*Conn)
	m := h.m
	c.beginLoopWork()
	action := gnet.None
	if n := gc.InboundBuffered(); n > 0 {
		c.lastRead.Store(time.Now().UnixNano())
		// Official clients leave Nagle's algorithm on: a request sent
		// while an earlier one is unacknowledged waits for our ACK, which
		// Linux delays up to 40 ms when no response is going out. That
		// happens while operations wait on a lock; ask for an immediate
		// ACK then (not always: the syscall costs ~0.5 us per read).
		if c.parked.Load() > 0 {
			quickAck(gc)
		}
		buf, _ := gc.Peek(n)
		used, err := m.readMessages(c, buf)
		if used > 0 {
			// Never Discard(0): gnet treats n <= 0 as "discard everything".
			_, _ = gc.Discard(used)
		}
		if err != nil {
			m.log.Warn().Uint64("conn", c.id).Str("remote", c.remote).Err(err).Msg("closing connection: protocol error")
			action = gnet.Close
		}
	}
	c.flush()
	return action
}

// readMessages consumes whole messages from buf and dispatches them. It
// returns how many bytes were used.
func (m *Member) readMessages(c *Conn, buf []byte) (int, error) {
	used := 0
	if c.http != nil {
		n, err := c.http.Feed(buf)
		if err != nil {
			m.log.Debug().Uint64("conn", c.id).Err(err).Msg("REST request refused")
		}
		return n, nil
	}
	if !c.preambleOK && len(buf) >= rest.SniffLen && rest.IsHTTP(buf[:rest.SniffLen]) {
		if !m.cfg.REST.Enabled {
			// As Hazelcast: without <rest-api enabled="true"> an HTTP
			// request is refused by closing the connection.
			return 0, fmt.Errorf("HTTP request but the REST API is not enabled (<rest-api enabled=\"true\">)")
		}
		m.startHTTP(c)
		n, err := c.http.Feed(buf)
		if err != nil {
			m.log.Debug().Uint64("conn", c.id).Err(err).Msg("REST request refused")
		}
		return n, nil
	}
	if !c.preambleOK && len(buf) >= len(cluster.Preamble) && bytes.Equal(buf[:len(cluster.Preamble)], cluster.Preamble) {
		c.preambleOK = true
		c.member = &cluster.Inbound{}
		used = len(cluster.Preamble)
	}
	if c.member != nil {
		n, err := m.readMemberFrames(c, buf[used:])
		return used + n, err
	}
	if !c.preambleOK {
		ok, err := protocol.CheckPreamble(buf)
		if err != nil {
			return 0, err
		}
		if !ok {
			return 0, nil
		}
		c.preambleOK = true
		used = len(protocol.Preamble)
	}
	for used < len(buf) {
		n, err := c.scanner.Next(buf[used:])
		if err != nil {
			return used, fmt.Errorf("at stream offset %d: %w", used, err)
		}
		if n == 0 {
			break
		}
		// The one copy: the request owns its message from here on.
		msg := protocol.Message(c.ownMessage(buf[used : used+n]))
		used += n
		if protocol.IsFragment(msg) {
			if c.asm == nil {
				c.asm = protocol.NewAssembler(m.opts.Limits)
			}
			whole, err := c.asm.Add(msg)
			if err != nil {
				return used, err
			}
			if whole == nil {
				continue
			}
			msg = whole
		}
		if err := m.dispatch(c, msg); err != nil {
			return used, err
		}
	}
	return used, nil
}

// readMemberFrames consumes whole member frames from buf.
func (m *Member) readMemberFrames(c *Conn, buf []byte) (int, error) {
	used := 0
	for used < len(buf) {
		f, n, err := cluster.ParseFrame(buf[used:])
		if err != nil {
			return used, err
		}
		if n == 0 {
			break
		}
		payload := c.ownMessage(f.Payload)
		used += n
		var reply cluster.Reply
		if f.Corr != 0 {
			corr := f.Corr
			reply = func(p []byte, err error) {
				flags := cluster.FlagResponse
				if err != nil {
					flags |= cluster.FlagError
					p = []byte(err.Error())
				}
				b := make([]byte, 0, cluster.HeaderSize+len(p))
				b = cluster.AppendHeader(b, 0, flags, corr, len(p))
				b = append(b, p...)
				c.send(b)
			}
		}
		if err := m.node.Serve(c.member, f.Kind, payload, reply); err != nil {
			return used, err
		}
	}
	return used, nil
}

func (h *eventHandler) OnTick() (time.Duration, gnet.Action) {
	m := h.m
	now := time.Now().UnixNano()
	var idle []*Conn
	m.connMu.Lock()
	for c := range m.conns {
		if time.Duration(now-c.lastRead.Load()) > m.heartbeatTimeout {
			idle = append(idle, c)
		}
	}
	m.connMu.Unlock()
	for _, c := range idle {
		m.log.Info().Uint64("conn", c.id).Str("remote", c.remote).
			Dur("timeout", m.heartbeatTimeout).Msg("closing idle connection: no heartbeat")
		_ = c.gc.Close()
	}
	m.sweepExpired()
	return time.Second, gnet.None
}

// gnetLogger routes gnet's own logs to zerolog.
type gnetLogger struct{ l zerolog.Logger }

func (g gnetLogger) Debugf(f string, a ...any) { g.l.Debug().Msgf(f, a...) }
func (g gnetLogger) Infof(f string, a ...any)  { g.l.Debug().Msgf(f, a...) }
func (g gnetLogger) Warnf(f string, a ...any)  { g.l.Warn().Msgf(f, a...) }
func (g gnetLogger) Errorf(f string, a ...any) { g.l.Error().Msgf(f, a...) }
func (g gnetLogger) Fatalf(f string, a ...any) { g.l.Error().Msgf(f, a...) }
