package server

import (
	"fmt"
	"sync"

	"github.com/filbert/filbert/cluster"
	"github.com/filbert/filbert/protocol"
)

// toOthers sends a one-way message to every other member.
func (m *Member) toOthers(kind byte, payload []byte) {
	for _, mi := range m.node.View().Members {
		if mi.UUID != m.uuid {
			m.node.Send(mi.UUID, kind, payload)
		}
	}
}

// remoteRegs remembers the listener registrations this member spread to the
// others (non-local listeners of its clients), to replay them to members
// that join later and to withdraw them when the client goes.
type remoteRegs struct {
	mu   sync.Mutex
	regs map[protocol.UUID]remoteReg
}

type remoteReg struct {
	conn    *Conn
	payload []byte // the kindListen payload
}

// spreadListener sends a registration to every other member so that their
// partitions' events reach the client too.
func (m *Member) spreadListener(r request, id protocol.UUID) {
	if r.hops > 0 || r.sink != nil {
		return
	}
	var e cluster.Enc
	e.Uvarint(r.c.id)
	e.UUID(r.c.client.uuid)
	e.UUID(id)
	e.B = append(e.B, r.msg...)
	m.regs.mu.Lock()
	if m.regs.regs == nil {
		m.regs.regs = map[protocol.UUID]remoteReg{}
	}
	m.regs.regs[id] = remoteReg{conn: r.c, payload: e.B}
	m.regs.mu.Unlock()
	m.toOthers(kindListen, e.B)
}

// withdrawListener removes a spread registration everywhere.
func (m *Member) withdrawListener(name string, id protocol.UUID) {
	m.regs.mu.Lock()
	_, ok := m.regs.regs[id]
	delete(m.regs.regs, id)
	m.regs.mu.Unlock()
	if !ok {
		return
	}
	var e cluster.Enc
	e.String(name)
	e.UUID(id)
	m.toOthers(kindUnlisten, e.B)
}

// replayRegistrations sends the spread registrations and the known
// distributed objects to a member that just joined.
func (m *Member) replayRegistrations(u protocol.UUID) {
	m.regs.mu.Lock()
	var ps [][]byte
	for _, r := range m.regs.regs {
		ps = append(ps, r.payload)
	}
	m.regs.mu.Unlock()
	for _, p := range ps {
		m.node.Send(u, kindListen, p)
	}
	for _, o := range m.objects.list() {
		var e cluster.Enc
		e.String(o.service)
		e.String(o.name)
		e.Bool(true)
		m.node.Send(u, kindProxy, e.B)
	}
}

// connRegsGone drops the spread registrations of a closed connection.
func (m *Member) connRegsGone(c *Conn) {
	m.regs.mu.Lock()
	found := false
	for id, r := range m.regs.regs {
		if r.conn == c {
			delete(m.regs.regs, id)
			found = true
		}
	}
	m.regs.mu.Unlock()
	if !found {
		return
	}
	var e cluster.Enc
	e.Uvarint(c.id)
	m.toOthers(kindConnGone, e.B)
}

// serveListen registers a listener for a client of another member.
func (m *Member) serveListen(from protocol.UUID, payload []byte) error {
	d := cluster.Dec{B: payload}
	id := d.Uvarint()
	client := d.UUID()
	reg := d.UUID()
	if d.Err() != nil {
		return d.Err()
	}
	r, err := newRequest(m.remoteConn(from, id, client), protocol.Message(d.B))
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	r.pid, r.hops, r.regID = -1, 1, reg
	r.sink = func(b []byte) { putBuf(b) } // the registration's answer went to the client already
	return m.serve(r)
}

// serveUnlisten removes a listener another member spread.
func (m *Member) serveUnlisten(payload []byte) error {
	d := cluster.Dec{B: payload}
	name := d.String()
	id := d.UUID()
	if d.Err() != nil {
		return d.Err()
	}
	m.listeners.remove(name, id)
	m.objects.removeListener(id)
	return nil
}

// spreadProxy tells the other members about a created or destroyed
// distributed object.
func (m *Member) spreadProxy(r request, service, name string, create bool) {
	if r.hops > 0 {
		return
	}
	var e cluster.Enc
	e.String(service)
	e.String(name)
	e.Bool(create)
	m.toOthers(kindProxy, e.B)
}

// serveProxy records a distributed object created or destroyed through
// another member.
func (m *Member) serveProxy(payload []byte) error {
	d := cluster.Dec{B: payload}
	service := d.String()
	name := d.String()
	create := d.Bool()
	if d.Err() != nil {
		return d.Err()
	}
	// The member where it happened raised the event (to local and
	// spread registrations); here the object is only recorded.
	if create {
		m.objects.create(service, name)
		return nil
	}
	m.objects.destroy(service, name)
	if service == mapServiceName {
		m.destroyMap(name)
	}
	return nil
}

// clientGone tells the other members that a client has no connection to
// this member any more, so they release its locks unless it is connected
// to them.
func (m *Member) clientGone(client protocol.UUID) {
	var e cluster.Enc
	e.UUID(client)
	m.toOthers(kindClientGone, e.B)
}

func (m *Member) serveClientGone(payload []byte) error {
	d := cluster.Dec{B: payload}
	client := d.UUID()
	if d.Err() != nil {
		return d.Err()
	}
	if !m.clients.has(client) {
		m.releaseClientLocks(client)
	}
	return nil
}
