package server

import (
	"fmt"

	"github.com/filbert/filbert/codec"
	"github.com/filbert/filbert/protocol"
)

// handler serves one message type. It runs on the event loop: it decodes,
// then answers at once or queues work on a partition worker. A returned
// error is a protocol violation that closes the connection; ordinary
// failures are answered with an error response instead.
type handler func(m *Member, r request) error

// request is a decoded-enough view of one inbound message.
type request struct {
	c    *Conn
	msg  protocol.Message
	typ  int32
	corr int64
	pid  int32
	// wake, when set, is the list of the partition worker answering r:
	// the loop is woken once after the worker's batch.
	wake *[]*Conn
	// sink, when set, takes the response instead of the connection: the
	// request came from another member (forwarded or scattered).
	sink func(b []byte)
	// regID, when set, is the registration id to use for a listener
	// another member spread.
	regID protocol.UUID
	// hops counts how often the request was forwarded between members.
	hops int
}

// reply sends an encoded response for r, taking ownership of b.
func (r request) reply(b []byte) {
	protocol.SetCorrelationID(b, r.corr)
	if r.sink != nil {
		r.sink(b)
		return
	}
	r.c.sendVia(b, r.wake)
}

// deliver sends a response that already carries r's correlation id, from
// any goroutine (not through a worker's wake list).
func (r request) deliver(b []byte) {
	if r.sink != nil {
		r.sink(b)
		return
	}
	r.c.send(b)
}

// fail sends an error response for r.
func (r request) fail(err error) {
	w := newWriter()
	r.reply(encodeError(&w, err))
}

// authFree lists the messages allowed before authentication.
var authFree = map[int32]bool{
	codec.ClientAuthenticationRequestType:       true,
	codec.ClientAuthenticationCustomRequestType: true,
}

// newRequest reads the header of msg, a client request arriving on c
// (directly, or passed on by another member).
func newRequest(c *Conn, msg protocol.Message) (request, error) {
	init := msg.Initial()
	if len(init.Content) < protocol.RequestHeaderSize {
		return request{}, fmt.Errorf("%w: initial frame of %d bytes", protocol.ErrMalformed, len(init.Content))
	}
	h0 := init.Content
	return request{c: c, msg: msg,
		typ:  protocol.GetInt32(h0, protocol.TypeOffset),
		corr: protocol.GetInt64(h0, protocol.CorrelationIDOffset),
		pid:  protocol.GetInt32(h0, protocol.PartitionIDOffset),
	}, nil
}

func (m *Member) dispatch(c *Conn, msg protocol.Message) error {
	r, err := newRequest(c, msg)
	if err != nil {
		return err
	}
	if !c.authenticated.Load() && !authFree[r.typ] {
		r.fail(&Error{Code: codeAuthentication, ClassName: "com.hazelcast.client.AuthenticationException",
			Message: "client is not authenticated; send Client.authentication first"})
		return fmt.Errorf("request %s before authentication", codec.MessageName(r.typ))
	}
	return m.serve(r)
}

// serve runs the handler of r's message type.
func (m *Member) serve(r request) error {
	c := r.c
	h := m.mux[r.typ]
	if h == nil {
		m.log.Debug().Uint64("conn", c.id).Str("type", fmt.Sprintf("%#06x", r.typ)).
			Str("message", codec.MessageName(r.typ)).Msg("unsupported message")
		r.fail(unsupported(fmt.Sprintf("message type %#x (%s) is not supported by Filbert", r.typ, codec.MessageName(r.typ))))
		return nil
	}
	if ClusterState(m.state.Load()) == StatePassive && writes[r.typ] {
		r.fail(passiveError(codec.MessageName(r.typ)))
		return nil
	}
	if r.sink == nil && r.hops == 0 && m.clustered() {
		if merge := scatterMerge[r.typ]; merge != nil {
			m.scatter(r, h, merge)
			return nil
		}
	}
	return h(m, r)
}

// routes builds the message-type mux. Registering a type twice panics: the
// table is wire format and a duplicate is a programming error.
func (m *Member) routes() map[int32]handler {
	mux := make(map[int32]handler)
	add := func(t int32, h handler) {
		if _, dup := mux[t]; dup {
			panic(fmt.Sprintf("server: handler for %#x registered twice", t))
		}
		mux[t] = h
	}
	registerClientHandlers(add)
	registerMapHandlers(add)
	registerMCHandlers(add)
	registerBackupHandlers(add)
	registerDynamicConfigHandlers(add)
	return mux
}
