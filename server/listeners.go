package server

import (
	"sync"
	"sync/atomic"

	"github.com/filbert/filbert/codec"
	"github.com/filbert/filbert/imap"
	"github.com/filbert/filbert/protocol"
)

// listenerKind says which AddEntryListener variant registered a listener;
// the event type sent back must match it.
type listenerKind int

const (
	listenAll listenerKind = iota
	listenKey
)

// entryListener is one client registration for a map's entry events.
type entryListener struct {
	id           protocol.UUID
	c            *Conn
	corr         int64
	kind         listenerKind
	flags        int32
	includeValue bool
	key          string // key identity for listenKey
}

// listenerRegistry holds entry listeners per map. Workers read it on every
// mutation, so readers take no lock: the map is replaced on every change
// (registrations are rare).
type listenerRegistry struct {
	mu     sync.Mutex // serialises writers
	byMap  atomic.Pointer[map[string][]*entryListener]
	member protocol.UUID
	// wakeList returns the wake list of the worker publishing for pid
	// (nil for map-wide events published off the partition workers).
	wakeList func(pid int32) *[]*Conn
}

func newListenerRegistry() *listenerRegistry {
	r := &listenerRegistry{}
	empty := map[string][]*entryListener{}
	r.byMap.Store(&empty)
	return r
}

func (r *listenerRegistry) update(fn func(map[string][]*entryListener)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	cur := *r.byMap.Load()
	next := make(map[string][]*entryListener, len(cur))
	for k, v := range cur {
		next[k] = append([]*entryListener(nil), v...)
	}
	fn(next)
	for k, v := range next {
		if len(v) == 0 {
			delete(next, k)
		}
	}
	r.byMap.Store(&next)
}

func (r *listenerRegistry) add(name string, l *entryListener) {
	r.update(func(m map[string][]*entryListener) { m[name] = append(m[name], l) })
}

// remove drops the listener with id; it reports whether one existed.
func (r *listenerRegistry) remove(name string, id protocol.UUID) bool {
	found := false
	r.update(func(m map[string][]*entryListener) {
		ls := m[name]
		for i, l := range ls {
			if l.id == id {
				m[name] = append(ls[:i], ls[i+1:]...)
				found = true
				return
			}
		}
	})
	return found
}

// dropConn removes every listener registered through c.
func (r *listenerRegistry) dropConn(c *Conn) {
	r.update(func(m map[string][]*entryListener) {
		for name, ls := range m {
			kept := ls[:0]
			for _, l := range ls {
				if l.c != c {
					kept = append(kept, l)
				}
			}
			m[name] = kept
		}
	})
}

// dropMap removes the listeners of a destroyed map.
func (r *listenerRegistry) dropMap(name string) {
	r.update(func(m map[string][]*entryListener) { delete(m, name) })
}

// Wants implements imap.EventSink.
func (r *listenerRegistry) Wants(name string) bool {
	return len((*r.byMap.Load())[name]) > 0
}

// Publish implements imap.EventSink: it encodes the event once per
// interested listener and queues it on the listener's connection. It runs on
// the partition's worker, so events of one key keep their order.
func (r *listenerRegistry) Publish(pid int32, ev imap.Event) {
	ls := (*r.byMap.Load())[ev.Map]
	var id string
	for _, l := range ls {
		if l.flags&ev.Type == 0 {
			continue
		}
		if l.kind == listenKey {
			if ev.Key == nil {
				continue
			}
			if id == "" {
				id = string(ev.Key[4:])
			}
			if id != l.key {
				continue
			}
		}
		r.send(l, pid, ev)
	}
}

func (r *listenerRegistry) send(l *entryListener, pid int32, ev imap.Event) {
	value, old := ev.Value, ev.OldValue
	if !l.includeValue {
		value, old = nil, nil
	}
	w := newWriter()
	var b []byte
	switch l.kind {
	case listenKey:
		b = codec.EncodeMapAddEntryListenerToKeyEntryEvent(&w, pid, ev.Key, value, old, nil, ev.Type, r.member, ev.Affected)
	default:
		b = codec.EncodeMapAddEntryListenerEntryEvent(&w, pid, ev.Key, value, old, nil, ev.Type, r.member, ev.Affected)
	}
	protocol.SetCorrelationID(b, l.corr)
	var wake *[]*Conn
	if pid >= 0 && r.wakeList != nil {
		wake = r.wakeList(pid)
	}
	l.c.sendVia(b, wake)
}
