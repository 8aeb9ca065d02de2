package imap

import (
	"time"

	"github.com/filbert/filbert/protocol"
)

// lockState is the lock of one key.
type lockState struct {
	owner Owner
	count int
	// deadline is the lease end in Unix ms, 0 for no lease.
	deadline int64
	gen      uint64
	// hash is bytes 0-3 of the key the lock was taken with, so that a
	// lock on an absent key can be exported with a whole serialized key.
	hash int32
}

func (l *lockState) expired(now int64) bool {
	return l.deadline != 0 && now >= l.deadline
}

// Parked is an operation waiting for a key's lock to be released. Retry runs
// on the partition's worker when the lock is freed; it may park again.
// Timeout, if the operation had one, runs instead when it expires first.
type Parked struct {
	Retry   func()
	Timeout func()
	stop    func() bool
	done    bool
}

func (w *Parked) cancel() {
	w.done = true
	if w.stop != nil {
		w.stop()
	}
}

// Park queues w until key of map name is unlocked. timeout < 0 waits
// forever; otherwise Timeout runs after it unless Retry ran first.
func (p *Partition) Park(name string, key []byte, timeout time.Duration, w *Parked) {
	k := waitKey{Map: name, Key: keyID(key)}
	p.waiting[k] = append(p.waiting[k], w)
	// A lease may end while nobody touches the key: make sure someone
	// looks when it does.
	if s := p.Store(name, false); s != nil {
		if l := s.locks[k.Key]; l != nil && l.deadline != 0 {
			p.scheduleLeaseEnd(s, k.Key, l)
		}
	}
	if timeout < 0 || p.sched == nil {
		return
	}
	w.stop = p.sched.After(p.ID, timeout, func() {
		if w.done {
			return
		}
		w.done = true
		ws := p.waiting[k]
		for i, x := range ws {
			if x == w {
				ws = append(ws[:i:i], ws[i+1:]...)
				break
			}
		}
		if len(ws) == 0 {
			delete(p.waiting, k)
		} else {
			p.waiting[k] = ws
		}
		if w.Timeout != nil {
			w.Timeout()
		}
	})
}

// wake resumes every operation parked on key.
func (p *Partition) wake(name, id string) {
	k := waitKey{Map: name, Key: id}
	ws := p.waiting[k]
	if len(ws) == 0 {
		return
	}
	delete(p.waiting, k)
	for _, w := range ws {
		if w.done {
			continue
		}
		w.cancel()
		w.Retry()
	}
}

// Lock acquires key's lock for o with a lease in ms (negative = forever).
// It reports false when another owner holds it; the caller parks and
// retries. Locks are reentrant for the same owner.
func (p *Partition) Lock(name string, key []byte, o Owner, lease int64) bool {
	s := p.Store(name, true)
	now := p.now()
	id := keyID(key)
	l := s.locks[id]
	if l != nil && l.expired(now) {
		delete(s.locks, id)
		l = nil
	}
	if l != nil && l.owner != o {
		return false
	}
	if l == nil {
		l = &lockState{owner: o, hash: keyHash(key)}
		if s.locks == nil {
			s.locks = make(map[string]*lockState)
		}
		s.locks[id] = l
	}
	l.count++
	l.gen++
	l.deadline = 0
	if lease >= 0 && lease < 1<<62 {
		l.deadline = now + lease
		p.scheduleLeaseEnd(s, id, l)
	}
	return true
}

func (p *Partition) scheduleLeaseEnd(s *RecordStore, id string, l *lockState) {
	if p.sched == nil {
		return
	}
	gen := l.gen
	wait := time.Duration(l.deadline-p.now()) * time.Millisecond
	p.sched.After(p.ID, max(wait, 0), func() {
		if cur := s.locks[id]; cur == l && l.gen == gen {
			if p.now() < l.deadline {
				p.scheduleLeaseEnd(s, id, l)
				return
			}
			delete(s.locks, id)
			p.wake(s.name, id)
		}
	})
}

// Unlock releases one hold of key's lock by o.
func (p *Partition) Unlock(name string, key []byte, o Owner) error {
	s := p.Store(name, false)
	if s == nil {
		return ErrNotLockOwner
	}
	id := keyID(key)
	l := s.locks[id]
	if l == nil || l.expired(p.now()) || l.owner != o {
		return ErrNotLockOwner
	}
	l.count--
	if l.count > 0 {
		return nil
	}
	delete(s.locks, id)
	p.wake(name, id)
	return nil
}

// ForceUnlock releases key's lock whoever holds it.
func (p *Partition) ForceUnlock(name string, key []byte) {
	s := p.Store(name, false)
	if s == nil {
		return
	}
	id := keyID(key)
	if _, ok := s.locks[id]; ok {
		delete(s.locks, id)
		p.wake(name, id)
	}
}

// IsLocked reports whether key is locked by anyone.
func (p *Partition) IsLocked(name string, key []byte) bool {
	s := p.Store(name, false)
	if s == nil {
		return false
	}
	l := s.locks[keyID(key)]
	return l != nil && !l.expired(p.now())
}

// ReleaseClient frees every lock held by client (it disconnected), as
// Hazelcast does when a client's endpoint is removed.
func (p *Partition) ReleaseClient(client protocol.UUID) {
	for _, s := range p.maps {
		for id, l := range s.locks {
			if l.owner.Client == client {
				delete(s.locks, id)
				p.wake(s.name, id)
			}
		}
	}
}
