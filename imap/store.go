package imap

import (
	"bytes"
	"errors"
	"math"
	"time"

	"github.com/filbert/filbert/protocol"
)

// Errors returned by operations.
var (
	// ErrLocked means the key is locked by another owner; the caller parks
	// the operation with Partition.Park and retries when the lock is freed.
	ErrLocked = errors.New("imap: key is locked by another owner")
	// ErrNotLockOwner means an unlock came from an owner that does not
	// hold the lock (Hazelcast: IllegalMonitorStateException).
	ErrNotLockOwner = errors.New("imap: current thread is not owner of the lock")
)

// Owner identifies a lock holder: the client's UUID and the thread id the
// client sent (the Go client sends its lock context id, Node.js 0).
type Owner struct {
	Client protocol.UUID
	Thread int64
}

// MapConfig is what a record store needs of a map's configuration.
type MapConfig struct {
	TTLSeconds     int
	MaxIdleSeconds int
}

// EventType values are Hazelcast's EntryEventType bits. Wire format.
const (
	EventAdded    int32 = 1
	EventRemoved  int32 = 2
	EventUpdated  int32 = 4
	EventEvicted  int32 = 8
	EventExpired  int32 = 16
	EventEvictAll int32 = 32
	EventClearAll int32 = 64
	EventMerged   int32 = 128
)

// Event is an entry event produced by an operation. Key, Value and OldValue
// are safe to keep: Key is the event's own copy; Value and OldValue are the
// store's bytes, which are never written again (see Partition.Get), and must
// not be modified.
type Event struct {
	Map      string
	Type     int32
	Key      []byte
	Value    []byte
	OldValue []byte
	// Affected is the number of entries for map-wide events.
	Affected int32
}

// EventSink receives events produced on a partition, on the partition's
// worker. Implementations must not block.
type EventSink interface {
	// Wants reports whether any listener of map name wants events, so
	// that operations skip building events nobody reads.
	Wants(name string) bool
	Publish(pid int32, ev Event)
}

// Scheduler runs f on the worker owning partition pid after d.
type Scheduler interface {
	After(pid int32, d time.Duration, f func()) (stop func() bool)
}

// Clock returns the current time in Unix milliseconds.
type Clock func() int64

// SystemClock is the wall clock.
func SystemClock() int64 { return time.Now().UnixMilli() }

// RecordStore is one map's data on one partition.
type RecordStore struct {
	name    string
	cfg     MapConfig
	entries index
	// base is the origin of the entries' 40-bit relative times (ms).
	base int64
	// locks is allocated by the first Lock: most maps never lock.
	locks map[string]*lockState
	// expiring counts records with a TTL or max idle, so the expiry
	// sweep skips stores that have none.
	expiring int
}

// Len returns the number of entries (expired ones not yet swept included).
func (s *RecordStore) Len() int { return s.entries.count }

// Partition holds every map's record store for one partition.
type Partition struct {
	ID     int32
	maps   map[string]*RecordStore
	config func(name string) MapConfig
	sink   EventSink
	sched  Scheduler
	now    Clock
	// waiting holds operations parked on a locked key, per map and key.
	waiting map[waitKey][]*Parked

	// ExpiryHook, if set, is called with the map name and the stored
	// serialized key of every entry removed because it expired: by Sweep,
	// Size, or lazily when an operation finds it due. A primary uses it to
	// ship the removal to its backups (which do not expire entries on their
	// own; see ApplyRemove). It runs on the partition's worker, after the
	// entry is removed and before the EXPIRED event is published, possibly
	// while p is iterating a map, so it must not call back into p. key
	// aliases the removed entry, whose bytes are never written again: it
	// may be kept but must not be modified.
	ExpiryHook func(name string, key []byte)
}

type waitKey struct {
	Map string
	Key string
}

// NewPartition returns an empty partition.
func NewPartition(id int32, config func(string) MapConfig, sink EventSink, sched Scheduler, now Clock) *Partition {
	if now == nil {
		now = SystemClock
	}
	return &Partition{
		ID:      id,
		maps:    make(map[string]*RecordStore),
		config:  config,
		sink:    sink,
		sched:   sched,
		now:     now,
		waiting: make(map[waitKey][]*Parked),
	}
}

// Store returns the record store of map name, creating it when create is
// true; otherwise it may return nil.
func (p *Partition) Store(name string, create bool) *RecordStore {
	s := p.maps[name]
	if s == nil && create {
		cfg := MapConfig{}
		if p.config != nil {
			cfg = p.config(name)
		}
		s = &RecordStore{
			name:    name,
			cfg:     cfg,
			entries: newIndex(),
			base:    p.now(),
		}
		p.maps[name] = s
	}
	return s
}

// Maps returns the names of maps that have a store on this partition.
func (p *Partition) Maps() []string {
	names := make([]string, 0, len(p.maps))
	for n := range p.maps {
		names = append(names, n)
	}
	return names
}

// Destroy drops map name's data and locks on this partition.
func (p *Partition) Destroy(name string) {
	delete(p.maps, name)
	for k, ws := range p.waiting {
		if k.Map == name {
			delete(p.waiting, k)
			for _, w := range ws {
				w.cancel()
				w.Retry()
			}
		}
	}
}

func (p *Partition) publish(ev Event) {
	if p.sink != nil && p.sink.Wants(ev.Map) {
		p.sink.Publish(p.ID, ev)
	}
}

func (p *Partition) wants(name string) bool {
	return p.sink != nil && p.sink.Wants(name)
}

// lookup returns the slot and the live entry of id (hash h), expiring the
// entry if it is due; -1 and nil if there is none.
func (p *Partition) lookup(s *RecordStore, id []byte, h uint64, now int64) (int, *entryHdr) {
	i, e := s.entries.find(id, h)
	if e == nil {
		return -1, nil
	}
	if e.expired(now, s.base) {
		p.expire(s, i, e)
		return -1, nil
	}
	return i, e
}

func (p *Partition) expire(s *RecordStore, i int, e *entryHdr) {
	s.remove(i, e)
	if p.ExpiryHook != nil {
		p.ExpiryHook(s.name, e.key())
	}
	if p.wants(s.name) {
		p.publish(Event{Map: s.name, Type: EventExpired, Key: clone(e.key()), OldValue: e.value()})
	}
}

// remove drops entry e in slot i.
func (s *RecordStore) remove(i int, e *entryHdr) {
	s.entries.remove(i)
	if e.expiring() {
		s.expiring--
	}
}

// replace puts e in slot i in place of old (same key).
func (s *RecordStore) replace(i int, old, e *entryHdr) {
	s.entries.slots[i] = e
	if was, is := old.expiring(), e.expiring(); was != is {
		if is {
			s.expiring++
		} else {
			s.expiring--
		}
	}
}

// resolve turns a client TTL or max-idle argument (ms; negative = map
// default, 0 = unlimited) into milliseconds.
func resolve(arg int64, defSeconds int) int64 {
	if arg < 0 {
		return int64(defSeconds) * 1000
	}
	return arg
}

// checkLock returns ErrLocked if key id is locked by someone other than o.
func (s *RecordStore) checkLock(id []byte, o Owner, now int64) error {
	if len(s.locks) == 0 {
		return nil
	}
	l := s.locks[string(id)]
	if l == nil || l.expired(now) || l.owner == o {
		return nil
	}
	return ErrLocked
}

// PutArgs are the arguments of the put family.
type PutArgs struct {
	Key, Value []byte
	// TTL and MaxIdle are client arguments: ms, negative = map default,
	// 0 = unlimited.
	TTL, MaxIdle int64
	Owner        Owner
	// IfAbsent stores only if no live entry exists.
	IfAbsent bool
	// IfPresent stores only if a live entry exists (replace).
	IfPresent bool
	// Expect, if non-nil, must equal the current value (replaceIfSame).
	Expect []byte
	// IgnoreLock stores even if another owner holds the key's lock, as
	// Hazelcast's putAll does.
	IgnoreLock bool
}

// Put stores a value and returns the previous one (nil if none) and whether
// the store changed. It returns ErrLocked when another owner holds the key's
// lock.
//
// The store keeps its own copy of a.Value; the returned old value (and
// values in events) are the store's bytes, which are never written again.
func (p *Partition) Put(name string, a PutArgs) (old []byte, stored bool, err error) {
	s := p.Store(name, true)
	now := p.now()
	id := idOf(a.Key)
	if !a.IgnoreLock {
		if err := s.checkLock(id, a.Owner, now); err != nil {
			return nil, false, err
		}
	}
	h := s.entries.hash(id)
	i, r := p.lookup(s, id, h, now)
	switch {
	case a.IfAbsent && r != nil:
		return r.value(), false, nil
	case a.IfPresent && r == nil:
		return nil, false, nil
	case a.Expect != nil && (r == nil || !bytes.Equal(r.value(), a.Expect)):
		return nil, false, nil
	}
	ttl := resolve(a.TTL, s.cfg.TTLSeconds)
	idle := resolve(a.MaxIdle, s.cfg.MaxIdleSeconds)
	if r == nil {
		e := newEntry(nil, keyHash(a.Key), id, a.Value, ttl, idle)
		e.setTime(tCreate, now, s.base)
		e.tlo[tAccess], e.thi[tAccess] = e.tlo[tCreate], e.thi[tCreate]
		e.tlo[tUpdate], e.thi[tUpdate] = e.tlo[tCreate], e.thi[tCreate]
		s.entries.insert(e, h)
		if e.expiring() {
			s.expiring++
		}
		if p.wants(name) {
			p.publish(Event{Map: name, Type: EventAdded, Key: clone(a.Key), Value: e.value()})
		}
		return nil, true, nil
	}
	old = r.value()
	// Hazelcast keeps the existing max idle on an update that does not
	// set one explicitly.
	if a.MaxIdle < 0 && s.cfg.MaxIdleSeconds <= 0 && r.flags&flagIdle != 0 {
		_, idle = r.expiry()
	}
	// A new value never overwrites the old one in place: old may be held
	// by the caller, a listener or a bulk response being encoded.
	e := newEntry(r, r.hash(), id, a.Value, ttl, idle)
	if e.version != math.MaxUint32 {
		e.version++
	}
	e.setTime(tUpdate, now, s.base)
	s.replace(i, r, e)
	if p.wants(name) {
		p.publish(Event{Map: name, Type: EventUpdated, Key: clone(a.Key), Value: e.value(), OldValue: old})
	}
	return old, true, nil
}

// Get returns the value of key (nil if absent) and counts a hit. The value
// aliases the store; it is never written again (see Put), so it may be kept.
func (p *Partition) Get(name string, key []byte) []byte {
	s := p.Store(name, false)
	if s == nil {
		return nil
	}
	now := p.now()
	id := idOf(key)
	_, r := p.lookup(s, id, s.entries.hash(id), now)
	if r == nil {
		return nil
	}
	r.hit()
	r.setTime(tAccess, now, s.base)
	return r.value()
}

// ContainsKey reports whether key has a live entry. Like Hazelcast it counts
// as an access.
func (p *Partition) ContainsKey(name string, key []byte) bool {
	s := p.Store(name, false)
	if s == nil {
		return false
	}
	now := p.now()
	id := idOf(key)
	_, r := p.lookup(s, id, s.entries.hash(id), now)
	if r == nil {
		return false
	}
	r.setTime(tAccess, now, s.base)
	return true
}

// RemoveArgs are the arguments of the remove family.
type RemoveArgs struct {
	Key   []byte
	Owner Owner
	// Expect, if non-nil, must equal the current value (removeIfSame).
	Expect []byte
	// Evict marks an eviction (EVICTED event) rather than a removal.
	Evict bool
}

// Remove deletes key and returns the removed value (nil if none).
func (p *Partition) Remove(name string, a RemoveArgs) (old []byte, removed bool, err error) {
	s := p.Store(name, false)
	if s == nil {
		return nil, false, nil
	}
	now := p.now()
	id := idOf(a.Key)
	if err := s.checkLock(id, a.Owner, now); err != nil {
		if a.Evict {
			// Hazelcast does not evict locked keys.
			return nil, false, nil
		}
		return nil, false, err
	}
	i, r := p.lookup(s, id, s.entries.hash(id), now)
	if r == nil {
		return nil, false, nil
	}
	if a.Expect != nil && !bytes.Equal(r.value(), a.Expect) {
		return nil, false, nil
	}
	s.remove(i, r)
	if p.wants(name) {
		typ := EventRemoved
		if a.Evict {
			typ = EventEvicted
		}
		p.publish(Event{Map: name, Type: typ, Key: clone(r.key()), OldValue: r.value()})
	}
	return r.value(), true, nil
}

// SetTTL changes the TTL of a live entry; it reports whether one existed.
func (p *Partition) SetTTL(name string, key []byte, ttl int64) bool {
	s := p.Store(name, false)
	if s == nil {
		return false
	}
	now := p.now()
	id := idOf(key)
	i, r := p.lookup(s, id, s.entries.hash(id), now)
	if r == nil {
		return false
	}
	// The TTL lives in the immutable part of the entry: rebuild it.
	_, idle := r.expiry()
	e := newEntry(r, r.hash(), r.id(), r.value(), resolve(ttl, s.cfg.TTLSeconds), idle)
	// The new TTL counts from now, as in Hazelcast.
	e.setTime(tUpdate, now, s.base)
	s.replace(i, r, e)
	return true
}

// EntryView is a snapshot of one entry's statistics.
type EntryView struct {
	Key, Value     []byte
	Cost           int64
	CreationTime   int64
	ExpirationTime int64
	Hits           int64
	LastAccessTime int64
	LastStoredTime int64
	LastUpdateTime int64
	Version        int64
	TTL            int64
	MaxIdle        int64
}

// EntryView returns the view of key, or nil. It does not count as access.
// Key is a copy; Value aliases the store and is never written again.
func (p *Partition) EntryView(name string, key []byte) *EntryView {
	s := p.Store(name, false)
	if s == nil {
		return nil
	}
	id := idOf(key)
	_, r := p.lookup(s, id, s.entries.hash(id), p.now())
	if r == nil {
		return nil
	}
	exp := r.expirationTime(s.base)
	if exp == 0 {
		exp = 1<<63 - 1
	}
	ttl, idle := r.expiry()
	if ttl == 0 {
		ttl = 1<<63 - 1
	}
	if idle == 0 {
		idle = 1<<63 - 1
	}
	return &EntryView{
		Key:            clone(r.key()),
		Value:          r.value(),
		Cost:           r.cost(),
		CreationTime:   r.time(tCreate, s.base),
		ExpirationTime: exp,
		Hits:           int64(r.hits),
		LastAccessTime: r.time(tAccess, s.base),
		LastUpdateTime: r.time(tUpdate, s.base),
		Version:        int64(r.version),
		TTL:            ttl,
		MaxIdle:        idle,
	}
}

// Size returns the number of live entries of map name on this partition.
func (p *Partition) Size(name string) int {
	s := p.Store(name, false)
	if s == nil {
		return 0
	}
	p.sweepStore(s, p.now())
	return s.entries.count
}

// ContainsValue reports whether some live entry has value.
func (p *Partition) ContainsValue(name string, value []byte) bool {
	s := p.Store(name, false)
	if s == nil {
		return false
	}
	now := p.now()
	for i, r := range s.entries.all {
		if r.expired(now, s.base) {
			p.expire(s, i, r)
			continue
		}
		if bytes.Equal(r.value(), value) {
			return true
		}
	}
	return false
}

// Entries calls fn for every live entry. Keys are fresh copies, owned by
// fn. Values alias the store: a stored value's bytes are never written
// again (a put or SetTTL builds a new entry), so fn may keep a value,
// even after the worker moves on, but must not modify it. fn must not
// call back into p.
func (p *Partition) Entries(name string, fn func(key, value []byte)) {
	s := p.Store(name, false)
	if s == nil {
		return
	}
	now := p.now()
	for i, r := range s.entries.all {
		if r.expired(now, s.base) {
			p.expire(s, i, r)
			continue
		}
		fn(clone(r.key()), r.value())
	}
}

// Clear removes every entry not locked by another owner and returns how
// many were removed. Like Hazelcast, clear skips locked keys.
func (p *Partition) Clear(name string, evict bool) int {
	s := p.Store(name, false)
	if s == nil {
		return 0
	}
	now := p.now()
	n := 0
	for i, r := range s.entries.all {
		if len(s.locks) > 0 {
			if l := s.locks[string(r.id())]; l != nil && !l.expired(now) {
				continue
			}
		}
		s.remove(i, r)
		n++
	}
	return n
}

// Sweep expires due entries of every map on this partition, publishing
// EXPIRED events. It returns the number expired.
func (p *Partition) Sweep() int {
	now := p.now()
	n := 0
	for _, s := range p.maps {
		n += p.sweepStore(s, now)
	}
	return n
}

func (p *Partition) sweepStore(s *RecordStore, now int64) int {
	if s.expiring == 0 {
		return 0
	}
	n := 0
	for i, r := range s.entries.all {
		if r.expired(now, s.base) {
			p.expire(s, i, r)
			n++
		}
	}
	return n
}
