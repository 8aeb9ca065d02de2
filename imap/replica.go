package imap

import (
	"encoding/binary"

	"github.com/cespare/xxhash/v2"
)

// Record is the complete replicable state of one key of one map on a
// partition: its entry (when Present) and its lock (when Lock is non-nil).
// It is what a primary ships to its backups after a change, what a
// partition migration carries, and what ExportKey, ExportAll and
// ApplyRecord exchange.
//
// A Record with Present false and a Lock describes a locked absent key;
// one with neither describes an absent key (ApplyRecord then removes it).
type Record struct {
	// Key is the serialized key. Exported records carry the key as
	// stored: bytes 0-3 are the partition hash the key was first stored
	// (or, for a lock alone, locked) with, bytes 4- its identity. Only the
	// identity selects the entry.
	Key []byte
	// Present reports whether the key has an entry; when false, the
	// fields below up to Lock are ignored.
	Present bool
	// Value is the serialized value. NilValue marks a nil (rather than
	// empty) value; Value is then nil.
	Value    []byte
	NilValue bool
	// Created, Updated and Accessed are the entry's creation, last update
	// and last access times in Unix ms. ApplyRecord treats 0 as the
	// current time. The store keeps times exact within ±17 years of the
	// map's creation on the partition and clamps others.
	Created, Updated, Accessed int64
	// TTL and MaxIdle are the entry's time to live and max idle in ms as
	// stored, already resolved against the map's defaults. Exported
	// records have 0 for none; ApplyRecord treats any value <= 0 (such as
	// -1) as none. The TTL counts from Updated; the max idle from the
	// later of Updated and Accessed (the latter rounded down to its whole
	// second, as Hazelcast does).
	TTL, MaxIdle int64
	// Hits is the entry's hit count and Version its version (both
	// saturate at the maximum).
	Hits    uint32
	Version uint32
	// Lock is the key's lock, nil if it is not locked.
	Lock *LockRecord
}

// LockRecord is the state of a key's lock.
type LockRecord struct {
	// Owner holds the lock.
	Owner Owner
	// Count is the number of holds (locks are reentrant); values below 1
	// are treated as 1.
	Count int
	// Deadline is the end of the lease in Unix ms, 0 for none.
	Deadline int64
}

// exportEntry fills r with e's entry state. Key and Value alias e, whose
// bytes past the header are never written again.
func (s *RecordStore) exportEntry(r *Record, e *entryHdr) {
	ttl, idle := e.expiry()
	*r = Record{
		Key:      e.key(),
		Present:  true,
		Value:    e.value(),
		NilValue: e.flags&flagNilValue != 0,
		Created:  e.time(tCreate, s.base),
		Updated:  e.time(tUpdate, s.base),
		Accessed: e.time(tAccess, s.base),
		TTL:      ttl,
		MaxIdle:  idle,
		Hits:     e.hits,
		Version:  e.version,
	}
}

// liveLock returns the lock of identity id unless there is none or its
// lease has ended.
func (s *RecordStore) liveLock(id []byte, now int64) *lockState {
	if len(s.locks) == 0 {
		return nil
	}
	l := s.locks[string(id)]
	if l == nil || l.expired(now) {
		return nil
	}
	return l
}

func (l *lockState) export(lr *LockRecord) {
	*lr = LockRecord{Owner: l.owner, Count: l.count, Deadline: l.deadline}
}

// ExportKey returns the full current state of key in map name: its entry
// and its lock (a lock whose lease has ended counts as none). It reports
// false if the key has neither. An entry that is due to expire but not yet
// removed is exported as it is: its times travel with it, so a receiver
// sees it as due too.
//
// ExportKey changes nothing: it counts no hit or access, expires nothing
// and publishes nothing. The record's Key and Value alias the store and are
// never written again; they may be kept but must not be modified.
func (p *Partition) ExportKey(name string, key []byte) (Record, bool) {
	s := p.maps[name]
	if s == nil {
		return Record{}, false
	}
	id := idOf(key)
	var r Record
	if _, e := s.entries.find(id, s.entries.hash(id)); e != nil {
		s.exportEntry(&r, e)
	}
	if l := s.liveLock(id, p.now()); l != nil {
		r.Lock = new(LockRecord)
		l.export(r.Lock)
		if !r.Present {
			r.Key = fullKey(id, l.hash)
		}
	}
	return r, r.Present || r.Lock != nil
}

// ExportAll calls fn with every entry and every lock (including locks on
// absent keys) of every map on the partition, one Record per key, in no
// particular order, until fn returns false. Like ExportKey it changes
// nothing, and exports entries that are due but not yet removed.
//
// *r and *r.Lock are reused between calls: fn must copy what it keeps of
// them. r.Key and r.Value alias the store and are never written again; fn
// may keep them but must not modify them. fn must not call back into p.
func (p *Partition) ExportAll(fn func(name string, r *Record) bool) {
	now := p.now()
	r := new(Record)
	lr := new(LockRecord)
	for name, s := range p.maps {
		for _, e := range s.entries.all {
			s.exportEntry(r, e)
			if l := s.liveLock(e.id(), now); l != nil {
				l.export(lr)
				r.Lock = lr
			}
			if !fn(name, r) {
				return
			}
		}
		for sid, l := range s.locks {
			if l.expired(now) {
				continue
			}
			id := []byte(sid)
			if _, e := s.entries.find(id, s.entries.hash(id)); e != nil {
				continue // exported with its entry
			}
			l.export(lr)
			*r = Record{Key: fullKey(id, l.hash), Lock: lr}
			if !fn(name, r) {
				return
			}
		}
	}
}

// ApplyRecord installs r as the state of r.Key in map name, creating the
// map's store if needed: the entry is replaced by r's (value, times, TTL,
// max idle, hits and version exactly as given) or removed if r is not
// Present, and the lock is set to r.Lock or released if that is nil. A
// lock whose lease has already ended counts as none; a lease still running
// ends on this partition's clock as one taken by Lock does.
//
// It publishes no events and does not touch the entry's statistics beyond
// what r says. Parked operations stay parked unless the key's lock was
// released or passed to another owner: then they are resumed as Unlock
// resumes them (they re-run and may park again). The store keeps its own
// copies of r's bytes, so r may alias a buffer that is reused afterwards.
func (p *Partition) ApplyRecord(name string, r *Record) {
	s := p.Store(name, true)
	now := p.now()
	id := idOf(r.Key)
	h := s.entries.hash(id)
	i, old := s.entries.find(id, h)
	switch {
	case r.Present:
		e := s.buildEntry(r, id, now)
		if old != nil {
			s.replace(i, old, e)
		} else {
			s.entries.insert(e, h)
			if e.expiring() {
				s.expiring++
			}
		}
	case old != nil:
		s.remove(i, old)
	}
	p.applyLock(s, id, keyHash(r.Key), r.Lock, now)
}

// ApplyRemove silently removes key's entry and lock from map name, creating
// the map's store if needed. It is ApplyRecord with a record that has
// neither: operations parked on the key's lock are resumed.
func (p *Partition) ApplyRemove(name string, key []byte) {
	p.ApplyRecord(name, &Record{Key: key})
}

// buildEntry builds the entry r describes (identity id).
func (s *RecordStore) buildEntry(r *Record, id []byte, now int64) *entryHdr {
	v := r.Value
	if r.NilValue {
		v = nil
	} else if v == nil {
		v = empty
	}
	e := newEntry(nil, keyHash(r.Key), id, v, max(r.TTL, 0), max(r.MaxIdle, 0))
	e.hits = r.Hits
	e.version = r.Version
	for i, t := range [...]int64{tCreate: r.Created, tUpdate: r.Updated, tAccess: r.Accessed} {
		if t == 0 {
			t = now
		}
		e.setTime(i, t, s.base)
	}
	return e
}

// applyLock sets the lock of identity id (key hash bytes hash) to lr.
func (p *Partition) applyLock(s *RecordStore, id []byte, hash int32, lr *LockRecord, now int64) {
	if lr != nil && lr.Deadline != 0 && now >= lr.Deadline {
		lr = nil // the lease is over
	}
	var cur *lockState
	if len(s.locks) > 0 {
		cur = s.locks[string(id)]
	}
	if lr == nil {
		if cur != nil {
			sid := string(id)
			delete(s.locks, sid)
			p.wake(s.name, sid)
		}
		return
	}
	count := max(lr.Count, 1)
	if cur != nil && cur.owner == lr.Owner {
		cur.count = count
		cur.hash = hash
		if cur.deadline != lr.Deadline {
			// A new lease: disarm the old lease's timer (it checks gen)
			// and arm one for the new lease.
			cur.gen++
			cur.deadline = lr.Deadline
			if cur.deadline != 0 {
				p.scheduleLeaseEnd(s, string(id), cur)
			}
		}
		return
	}
	sid := string(id)
	l := &lockState{owner: lr.Owner, count: count, deadline: lr.Deadline, hash: hash}
	if s.locks == nil {
		s.locks = make(map[string]*lockState)
	}
	s.locks[sid] = l
	if l.deadline != 0 {
		p.scheduleLeaseEnd(s, sid, l)
	}
	if cur != nil {
		// The lock passed to another owner: parked operations re-check.
		p.wake(s.name, sid)
	}
}

// Reset silently drops every map's data and locks on the partition, as when
// the partition migrates away. Operations parked on a lock are resumed
// (their Retry runs, on the caller's goroutine, after the data is gone) so
// they re-run against the new, empty state — or, typically, find that the
// partition is no longer owned here. Lease timers of dropped locks do
// nothing when they fire.
func (p *Partition) Reset() {
	for _, s := range p.maps {
		s.locks = nil // lease timers find their lock gone
	}
	p.maps = make(map[string]*RecordStore)
	waiting := p.waiting
	p.waiting = make(map[waitKey][]*Parked)
	for _, ws := range waiting {
		for _, w := range ws {
			if w.done {
				continue
			}
			w.cancel()
			w.Retry()
		}
	}
}

// Peek returns the value of key in map name, nil if there is no live entry.
// Unlike Get it counts no hit or access, and it neither removes an entry
// that is due to expire (it returns nil for it) nor publishes anything: it
// serves reads from backup replicas, which must not diverge from their
// primary. The value aliases the store; it is never written again.
func (p *Partition) Peek(name string, key []byte) []byte {
	s := p.maps[name]
	if s == nil {
		return nil
	}
	id := idOf(key)
	_, e := s.entries.find(id, s.entries.hash(id))
	if e == nil || e.expired(p.now(), s.base) {
		return nil
	}
	return e.value()
}

// EntryCount returns the number of entries of all maps on the partition,
// including entries that are due to expire but not yet removed.
func (p *Partition) EntryCount() int {
	n := 0
	for _, s := range p.maps {
		n += s.entries.count
	}
	return n
}

// Digest returns a hash of the partition's replicated state, so that two
// replicas can be compared cheaply: equal states give equal digests in any
// process, whatever the order in which the data was built.
//
// It covers, for every key of every map, the map name, the key's identity
// (not its hash bytes), the value (nil and empty differ), TTL and max idle,
// and the lock's owner, count and lease end. It does not cover hits,
// version or times. Entries that are due but not yet removed count (a
// backup drops them when its primary ships the expiry); locks whose lease
// has ended do not. Each key's xxhash64 is summed, so the order of
// iteration does not matter.
func (p *Partition) Digest() uint64 {
	now := p.now()
	var sum uint64
	h := digester{d: xxhash.New()}
	for name, s := range p.maps {
		seed := xxhash.Sum64String(name)
		for _, e := range s.entries.all {
			ttl, idle := e.expiry()
			flags := byte(1)
			if e.flags&flagNilValue != 0 {
				flags |= 2
			}
			sum += h.sum(seed, e.id(), flags, e.value(), ttl, idle, s.liveLock(e.id(), now))
		}
		for sid, l := range s.locks {
			if l.expired(now) {
				continue
			}
			id := []byte(sid)
			if _, e := s.entries.find(id, s.entries.hash(id)); e != nil {
				continue // hashed with its entry
			}
			sum += h.sum(seed, id, 0, nil, 0, 0, l)
		}
	}
	return sum
}

// digester hashes one key's state for Digest.
type digester struct {
	d   *xxhash.Digest
	buf []byte
}

// sum hashes a key's state with the map's seed. Every field but the key's
// identity is self-delimiting and the identity comes last, so distinct
// states hash distinct inputs.
func (h *digester) sum(seed uint64, id []byte, flags byte, value []byte, ttl, idle int64, l *lockState) uint64 {
	h.d.ResetWithSeed(seed)
	b := append(h.buf[:0], flags)
	b = binary.AppendUvarint(b, uint64(len(value)))
	h.d.Write(b)
	h.d.Write(value)
	b = binary.AppendVarint(b[:0], ttl)
	b = binary.AppendVarint(b, idle)
	if l == nil {
		b = append(b, 0)
	} else {
		b = append(b, 1)
		b = binary.LittleEndian.AppendUint64(b, l.owner.Client.MSB)
		b = binary.LittleEndian.AppendUint64(b, l.owner.Client.LSB)
		b = binary.AppendVarint(b, l.owner.Thread)
		b = binary.AppendVarint(b, int64(l.count))
		b = binary.AppendVarint(b, l.deadline)
	}
	h.d.Write(b)
	h.d.Write(id)
	h.buf = b
	return h.d.Sum64()
}
