package server

import (
	"github.com/filbert/filbert/codec"
	"github.com/filbert/filbert/protocol"
)

// listenerID is the registration id for a new listener: the one the
// spreading member chose, or a new one.
func (r request) listenerID() protocol.UUID {
	if !r.regID.IsZero() {
		return r.regID
	}
	return newUUID()
}

func registerMapListenerHandlers(add func(int32, handler)) {
	add(codec.MapAddEntryListenerRequestType, decoded(codec.DecodeMapAddEntryListenerRequest, func(m *Member, r request, q *codec.MapAddEntryListenerRequest) {
		id := r.listenerID()
		m.listeners.add(q.Name, &entryListener{id: id, c: r.c, corr: r.corr, kind: listenAll, flags: q.ListenerFlags, includeValue: q.IncludeValue})
		if !q.LocalOnly {
			m.spreadListener(r, id)
		}
		w := newWriter()
		r.reply(codec.EncodeMapAddEntryListenerResponse(&w, id))
	}))
	add(codec.MapAddEntryListenerToKeyRequestType, decoded(codec.DecodeMapAddEntryListenerToKeyRequest, func(m *Member, r request, q *codec.MapAddEntryListenerToKeyRequest) {
		id := r.listenerID()
		key := ""
		if len(q.Key) >= 4 {
			key = string(q.Key[4:])
		}
		m.listeners.add(q.Name, &entryListener{id: id, c: r.c, corr: r.corr, kind: listenKey, flags: q.ListenerFlags, includeValue: q.IncludeValue, key: key})
		if !q.LocalOnly {
			m.spreadListener(r, id)
		}
		w := newWriter()
		r.reply(codec.EncodeMapAddEntryListenerToKeyResponse(&w, id))
	}))
	add(codec.MapRemoveEntryListenerRequestType, decoded(codec.DecodeMapRemoveEntryListenerRequest, func(m *Member, r request, q *codec.MapRemoveEntryListenerRequest) {
		// The Go client removes with ids it made itself; unknown ids answer
		// false, never an error.
		ok := m.listeners.remove(q.Name, q.RegistrationID)
		m.withdrawListener(q.Name, q.RegistrationID)
		w := newWriter()
		r.reply(codec.EncodeMapRemoveEntryListenerResponse(&w, ok))
	}))
}
