package server

import "github.com/filbert/filbert/codec"

func registerMapListenerHandlers(add func(int32, handler)) {
	add(codec.MapAddEntryListenerRequestType, decoded(codec.DecodeMapAddEntryListenerRequest, func(m *Member, r request, q *codec.MapAddEntryListenerRequest) {
		id := newUUID()
		m.listeners.add(q.Name, &entryListener{id: id, c: r.c, corr: r.corr, kind: listenAll, flags: q.ListenerFlags, includeValue: q.IncludeValue})
		w := newWriter()
		r.reply(codec.EncodeMapAddEntryListenerResponse(&w, id))
	}))
	add(codec.MapAddEntryListenerToKeyRequestType, decoded(codec.DecodeMapAddEntryListenerToKeyRequest, func(m *Member, r request, q *codec.MapAddEntryListenerToKeyRequest) {
		id := newUUID()
		key := ""
		if len(q.Key) >= 4 {
			key = string(q.Key[4:])
		}
		m.listeners.add(q.Name, &entryListener{id: id, c: r.c, corr: r.corr, kind: listenKey, flags: q.ListenerFlags, includeValue: q.IncludeValue, key: key})
		w := newWriter()
		r.reply(codec.EncodeMapAddEntryListenerToKeyResponse(&w, id))
	}))
	add(codec.MapRemoveEntryListenerRequestType, decoded(codec.DecodeMapRemoveEntryListenerRequest, func(m *Member, r request, q *codec.MapRemoveEntryListenerRequest) {
		// The Go client removes with ids it made itself; unknown ids answer
		// false, never an error.
		ok := m.listeners.remove(q.Name, q.RegistrationID)
		w := newWriter()
		r.reply(codec.EncodeMapRemoveEntryListenerResponse(&w, ok))
	}))
}
