package server

import (
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/filbert/filbert/cluster"
	"github.com/filbert/filbert/codec"
	"github.com/filbert/filbert/protocol"
)

// maxHops bounds how often one request is passed between members while
// tables disagree; past it the client gets a retryable error.
const maxHops = 4

func retryable(format string, args ...any) *Error {
	return &Error{Code: codeRetryable, ClassName: "com.hazelcast.spi.exception.RetryableHazelcastException",
		Message: fmt.Sprintf(format, args...)}
}

// clustered reports whether other members exist.
func (m *Member) clustered() bool { return m.memberCount.Load() > 1 }

// remoteKey names a client connection on another member.
type remoteKey struct {
	member protocol.UUID
	conn   uint64
}

// remoteConns holds stand-in connections for clients of other members:
// requests they forward run as if from them, listeners they register send
// events back through them.
type remoteConns struct {
	mu    sync.Mutex
	conns map[remoteKey]*Conn
}

// remoteConn returns the stand-in for connection id of member from.
func (m *Member) remoteConn(from protocol.UUID, id uint64, client protocol.UUID) *Conn {
	rc := &m.remotes
	rc.mu.Lock()
	defer rc.mu.Unlock()
	k := remoteKey{from, id}
	if c := rc.conns[k]; c != nil {
		return c
	}
	if rc.conns == nil {
		rc.conns = map[remoteKey]*Conn{}
	}
	c := &Conn{id: atomic.AddUint64(&m.nextConn, 1), remote: "member " + from.String()}
	c.client = clientInfo{uuid: client, typ: "remote"}
	c.authenticated.Store(true)
	c.sink = func(b []byte) {
		var e cluster.Enc
		e.Uvarint(id)
		e.B = append(e.B, b...)
		putBuf(b)
		m.node.Send(from, kindDeliver, e.B)
	}
	rc.conns[k] = c
	return c
}

// dropRemoteMember forgets the stand-ins of a departed member.
func (m *Member) dropRemoteMember(u protocol.UUID) {
	rc := &m.remotes
	rc.mu.Lock()
	var gone []*Conn
	for k, c := range rc.conns {
		if k.member == u {
			gone = append(gone, c)
			delete(rc.conns, k)
		}
	}
	rc.mu.Unlock()
	for _, c := range gone {
		m.listeners.dropConn(c)
		m.objects.dropConn(c)
	}
}

// serveConnGone drops the stand-in of a closed client connection.
func (m *Member) serveConnGone(from protocol.UUID, payload []byte) error {
	d := cluster.Dec{B: payload}
	id := d.Uvarint()
	if d.Err() != nil {
		return d.Err()
	}
	rc := &m.remotes
	rc.mu.Lock()
	c := rc.conns[remoteKey{from, id}]
	delete(rc.conns, remoteKey{from, id})
	rc.mu.Unlock()
	if c != nil {
		m.listeners.dropConn(c)
		m.objects.dropConn(c)
	}
	return nil
}

// serveDeliver passes bytes from another member to a local client
// connection (listener events for remote registrations).
func (m *Member) serveDeliver(payload []byte) error {
	d := cluster.Dec{B: payload}
	id := d.Uvarint()
	if d.Err() != nil {
		return d.Err()
	}
	if c := m.connByID(id); c != nil {
		c.send(d.B)
	}
	return nil
}

func (m *Member) connByID(id uint64) *Conn {
	m.connMu.Lock()
	defer m.connMu.Unlock()
	return m.connIDs[id]
}

// forward passes r to member target and relays the answer. Safe from any
// goroutine.
func (m *Member) forward(r request, target protocol.UUID) {
	r.wake = nil
	if r.hops >= maxHops {
		r.fail(retryable("request passed between members %d times; partition table is changing", r.hops))
		return
	}
	var e cluster.Enc
	e.Uvarint(uint64(r.hops + 1))
	e.UUID(r.c.client.uuid)
	e.Uvarint(r.c.id)
	e.B = append(e.B, r.msg...)
	m.stats.forwarded.Add(1)
	m.node.Call(target, kindForward, e.B, func(resp []byte, err error) {
		if err != nil {
			m.stats.retryables.Add(1)
			r.fail(retryable("member %s did not answer: %v", target, err))
			return
		}
		r.deliver(resp)
	})
}

// serveForward runs a request another member passed on.
func (m *Member) serveForward(from protocol.UUID, payload []byte, reply cluster.Reply) error {
	if reply == nil {
		return fmt.Errorf("forward: must be a call")
	}
	d := cluster.Dec{B: payload}
	hops := int(d.Uvarint())
	client := d.UUID()
	id := d.Uvarint()
	if d.Err() != nil {
		return d.Err()
	}
	r, err := newRequest(m.remoteConn(from, id, client), protocol.Message(d.B))
	if err != nil {
		return fmt.Errorf("forward: %w", err)
	}
	r.hops = hops
	r.sink = func(b []byte) { reply(b, nil) }
	return m.serve(r)
}

// notOwned handles r on the worker of a partition this member does not
// serve: forward to the member that does, or ask the client to retry.
func (m *Member) notOwned(r request, pid int32) {
	st := &m.pstate[pid]
	target := st.movingTo
	if target.IsZero() {
		target = m.ownerOf(pid)
	}
	if target.IsZero() || target == m.uuid {
		m.stats.retryables.Add(1)
		r.wake = nil
		r.fail(retryable("partition %d is migrating to this member", pid))
		return
	}
	m.forward(r, target)
}

// scatterMerge lists the cluster-wide requests: every member runs them on
// the partitions it owns and the member the client asked combines the
// answers.
var scatterMerge = map[int32]func(parts []protocol.Message) ([]byte, error){
	codec.MapSizeRequestType: func(parts []protocol.Message) ([]byte, error) {
		var n int32
		for _, p := range parts {
			r, err := codec.DecodeMapSizeResponse(p)
			if err != nil {
				return nil, err
			}
			n += r.Response
		}
		w := newWriter()
		return codec.EncodeMapSizeResponse(&w, n), nil
	},
	codec.MapIsEmptyRequestType: func(parts []protocol.Message) ([]byte, error) {
		empty := true
		for _, p := range parts {
			r, err := codec.DecodeMapIsEmptyResponse(p)
			if err != nil {
				return nil, err
			}
			empty = empty && r.Response
		}
		w := newWriter()
		return codec.EncodeMapIsEmptyResponse(&w, empty), nil
	},
	codec.MapContainsValueRequestType: func(parts []protocol.Message) ([]byte, error) {
		found := false
		for _, p := range parts {
			r, err := codec.DecodeMapContainsValueResponse(p)
			if err != nil {
				return nil, err
			}
			found = found || r.Response
		}
		w := newWriter()
		return codec.EncodeMapContainsValueResponse(&w, found), nil
	},
	codec.MapClearRequestType:    firstPart,
	codec.MapEvictAllRequestType: firstPart,
	codec.MapFlushRequestType:    firstPart,
	codec.MapKeySetRequestType: func(parts []protocol.Message) ([]byte, error) {
		var all [][]byte
		for _, p := range parts {
			r, err := codec.DecodeMapKeySetResponse(p)
			if err != nil {
				return nil, err
			}
			all = append(all, r.Response...)
		}
		w := newWriter()
		return codec.EncodeMapKeySetResponse(&w, all), nil
	},
	codec.MapValuesRequestType: func(parts []protocol.Message) ([]byte, error) {
		var all [][]byte
		for _, p := range parts {
			r, err := codec.DecodeMapValuesResponse(p)
			if err != nil {
				return nil, err
			}
			all = append(all, r.Response...)
		}
		w := newWriter()
		return codec.EncodeMapValuesResponse(&w, all), nil
	},
	codec.MapEntrySetRequestType: func(parts []protocol.Message) ([]byte, error) {
		var all []codec.Entry[[]byte, []byte]
		for _, p := range parts {
			r, err := codec.DecodeMapEntrySetResponse(p)
			if err != nil {
				return nil, err
			}
			all = append(all, r.Response...)
		}
		w := newWriter()
		return codec.EncodeMapEntrySetResponse(&w, all), nil
	},
}

func firstPart(parts []protocol.Message) ([]byte, error) {
	return append([]byte(nil), parts[0]...), nil
}

// scatter runs r on every member and answers with the merged result.
func (m *Member) scatter(r request, h handler, merge func([]protocol.Message) ([]byte, error)) {
	view := m.node.View()
	parts := make([]protocol.Message, len(view.Members))
	var left atomic.Int32
	left.Store(int32(len(view.Members)))
	finish := func() { answerMerged(r, parts, merge) }
	var e cluster.Enc
	e.UUID(r.c.client.uuid)
	e.Uvarint(r.c.id)
	e.B = append(e.B, r.msg...)
	for i, mi := range view.Members {
		i := i
		if mi.UUID == m.uuid {
			local := r
			local.hops = 1
			local.sink = func(b []byte) {
				parts[i] = protocol.Message(b)
				if left.Add(-1) == 0 {
					finish()
				}
			}
			if err := h(m, local); err != nil {
				local.fail(err)
			}
			continue
		}
		m.node.Call(mi.UUID, kindScatter, e.B, func(resp []byte, err error) {
			if err != nil {
				w := newWriter()
				resp = encodeError(&w, retryable("member %s did not answer: %v", mi.Addr(), err))
			}
			parts[i] = protocol.Message(resp)
			if left.Add(-1) == 0 {
				finish()
			}
		})
	}
}

// serveScatter runs a cluster-wide request on this member's partitions.
func (m *Member) serveScatter(from protocol.UUID, payload []byte, reply cluster.Reply) error {
	if reply == nil {
		return fmt.Errorf("scatter: must be a call")
	}
	d := cluster.Dec{B: payload}
	client := d.UUID()
	id := d.Uvarint()
	if d.Err() != nil {
		return d.Err()
	}
	r, err := newRequest(m.remoteConn(from, id, client), protocol.Message(d.B))
	if err != nil {
		return fmt.Errorf("scatter: %w", err)
	}
	r.pid, r.hops = -1, 1
	r.sink = func(b []byte) { reply(b, nil) }
	return m.serve(r)
}

// splitRemote takes the partitions other members own out of groups (key
// indexes by partition) and returns those indexes by owner. Requests that
// came from another member are not split again.
func (m *Member) splitRemote(r request, groups map[int32][]int) map[protocol.UUID][]int {
	if r.hops > 0 || !m.clustered() {
		return nil
	}
	var remote map[protocol.UUID][]int
	for pid, idx := range groups {
		o := m.ownerOf(pid)
		if o.IsZero() || o == m.uuid {
			continue
		}
		if remote == nil {
			remote = map[protocol.UUID][]int{}
		}
		remote[o] = append(remote[o], idx...)
		delete(groups, pid)
	}
	return remote
}

// gather runs the local part of r with runLocal and sends each owner its
// part (encoded by encode), then answers with the merged result.
func (m *Member) gather(r request, remote map[protocol.UUID][]int, encode func(idx []int) []byte, runLocal func(request), merge func([]protocol.Message) ([]byte, error)) {
	parts := make([]protocol.Message, len(remote)+1)
	var left atomic.Int32
	left.Store(int32(len(parts)))
	done := func(i int, b []byte) {
		parts[i] = protocol.Message(b)
		if left.Add(-1) == 0 {
			answerMerged(r, parts, merge)
		}
	}
	i := 1
	for owner, idx := range remote {
		slot := i
		i++
		sub := encode(idx)
		protocol.SetCorrelationID(sub, r.corr)
		var e cluster.Enc
		e.Uvarint(1)
		e.UUID(r.c.client.uuid)
		e.Uvarint(r.c.id)
		e.B = append(e.B, sub...)
		m.stats.forwarded.Add(1)
		target := owner
		m.node.Call(owner, kindForward, e.B, func(resp []byte, err error) {
			if err != nil {
				w := newWriter()
				resp = encodeError(&w, retryable("member %s did not answer: %v", target, err))
			}
			done(slot, resp)
		})
	}
	local := r
	local.hops = 1
	local.sink = func(b []byte) { done(0, b) }
	runLocal(local)
}

// answerMerged answers r with the first error among parts (the members'
// answers) or with their merge.
func answerMerged(r request, parts []protocol.Message, merge func([]protocol.Message) ([]byte, error)) {
	for _, p := range parts {
		if p.Type() == codec.ErrorResponseType {
			r.deliver(append([]byte(nil), p...))
			return
		}
	}
	b, err := merge(parts)
	if err != nil {
		r.fail(err)
		return
	}
	protocol.SetCorrelationID(b, r.corr)
	r.deliver(b)
}
