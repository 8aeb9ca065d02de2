package server

import (
	"sync"

	"github.com/filbert/filbert/protocol"
)

// objectRegistry tracks distributed objects (proxies) clients created, and
// the connections listening for their creation and destruction.
type objectRegistry struct {
	mu        sync.Mutex
	objects   map[objectKey]struct{}
	listeners map[protocol.UUID]objectListener
}

type objectKey struct{ service, name string }

type objectListener struct {
	c    *Conn
	corr int64
}

func newObjectRegistry() *objectRegistry {
	return &objectRegistry{objects: make(map[objectKey]struct{}), listeners: make(map[protocol.UUID]objectListener)}
}

// create records an object; it reports whether it is new and returns the
// listeners to notify.
func (o *objectRegistry) create(service, name string) (bool, []objectListener) {
	o.mu.Lock()
	defer o.mu.Unlock()
	k := objectKey{service, name}
	if _, ok := o.objects[k]; ok {
		return false, nil
	}
	o.objects[k] = struct{}{}
	return true, o.listenerList()
}

// destroy forgets an object; it reports whether it existed.
func (o *objectRegistry) destroy(service, name string) (bool, []objectListener) {
	o.mu.Lock()
	defer o.mu.Unlock()
	k := objectKey{service, name}
	if _, ok := o.objects[k]; !ok {
		return false, nil
	}
	delete(o.objects, k)
	return true, o.listenerList()
}

func (o *objectRegistry) listenerList() []objectListener {
	ls := make([]objectListener, 0, len(o.listeners))
	for _, l := range o.listeners {
		ls = append(ls, l)
	}
	return ls
}

func (o *objectRegistry) list() []objectKey {
	o.mu.Lock()
	defer o.mu.Unlock()
	ks := make([]objectKey, 0, len(o.objects))
	for k := range o.objects {
		ks = append(ks, k)
	}
	return ks
}

func (o *objectRegistry) addListener(id protocol.UUID, l objectListener) {
	o.mu.Lock()
	o.listeners[id] = l
	o.mu.Unlock()
}

func (o *objectRegistry) removeListener(id protocol.UUID) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	_, ok := o.listeners[id]
	delete(o.listeners, id)
	return ok
}

func (o *objectRegistry) dropConn(c *Conn) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for id, l := range o.listeners {
		if l.c == c {
			delete(o.listeners, id)
		}
	}
}

// clientRegistry counts connections per client UUID, so a client's locks
// are released when its last connection closes.
type clientRegistry struct {
	mu    sync.Mutex
	conns map[protocol.UUID]int
}

func newClientRegistry() *clientRegistry {
	return &clientRegistry{conns: make(map[protocol.UUID]int)}
}

func (r *clientRegistry) add(id protocol.UUID) {
	r.mu.Lock()
	r.conns[id]++
	r.mu.Unlock()
}

// remove reports whether id has no connection left.
func (r *clientRegistry) remove(id protocol.UUID) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.conns[id]--
	if r.conns[id] <= 0 {
		delete(r.conns, id)
		return true
	}
	return false
}

// has reports whether the client has a connection to this member.
func (r *clientRegistry) has(id protocol.UUID) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.conns[id] > 0
}

func (r *clientRegistry) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.conns)
}
