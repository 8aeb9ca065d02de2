package imap

import (
	"bytes"
	"errors"
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
// are owned by the event (safe to keep).
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
	entries map[string]*Record
	locks   map[string]*lockState
	// expiring counts records with a TTL or max idle, so the expiry
	// sweep skips stores that have none.
	expiring int
}

// Len returns the number of entries (expired ones not yet swept included).
func (s *RecordStore) Len() int { return len(s.entries) }

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
			entries: make(map[string]*Record),
			locks:   make(map[string]*lockState),
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

// lookup returns the live record for key, expiring it if due.
func (p *Partition) lookup(s *RecordStore, id string, now int64) *Record {
	r := s.entries[id]
	if r == nil {
		return nil
	}
	if r.Expired(now) {
		p.expire(s, id, r)
		return nil
	}
	return r
}

func (p *Partition) expire(s *RecordStore, id string, r *Record) {
	s.remove(id, r)
	if p.wants(s.name) {
		p.publish(Event{Map: s.name, Type: EventExpired, Key: fullKey(id, r.Hash), OldValue: r.Value})
	}
}

func (s *RecordStore) remove(id string, r *Record) {
	delete(s.entries, id)
	if r.TTL > 0 || r.MaxIdle > 0 {
		s.expiring--
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

// checkLock returns ErrLocked if key is locked by someone other than o.
func (s *RecordStore) checkLock(id string, o Owner, now int64) error {
	l := s.locks[id]
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
func (p *Partition) Put(name string, a PutArgs) (old []byte, stored bool, err error) {
	s := p.Store(name, true)
	now := p.now()
	id := keyID(a.Key)
	if !a.IgnoreLock {
		if err := s.checkLock(id, a.Owner, now); err != nil {
			return nil, false, err
		}
	}
	r := p.lookup(s, id, now)
	switch {
	case a.IfAbsent && r != nil:
		return r.Value, false, nil
	case a.IfPresent && r == nil:
		return nil, false, nil
	case a.Expect != nil && (r == nil || !bytes.Equal(r.Value, a.Expect)):
		return nil, false, nil
	}
	ttl := resolve(a.TTL, s.cfg.TTLSeconds)
	idle := resolve(a.MaxIdle, s.cfg.MaxIdleSeconds)
	value := clone(a.Value)
	if r == nil {
		r = &Record{
			Hash:           keyHash(a.Key),
			Value:          value,
			CreationTime:   now,
			LastAccessTime: now,
			LastUpdateTime: now,
			TTL:            ttl,
			MaxIdle:        idle,
		}
		s.entries[id] = r
		if ttl > 0 || idle > 0 {
			s.expiring++
		}
		if p.wants(name) {
			p.publish(Event{Map: name, Type: EventAdded, Key: clone(a.Key), Value: value})
		}
		return nil, true, nil
	}
	old = r.Value
	wasExpiring := r.TTL > 0 || r.MaxIdle > 0
	r.Value = value
	r.LastUpdateTime = now
	r.Version++
	r.TTL = ttl
	// Hazelcast keeps the existing max idle on an update that does not
	// set one explicitly.
	if a.MaxIdle >= 0 || s.cfg.MaxIdleSeconds > 0 {
		r.MaxIdle = idle
	}
	isExpiring := r.TTL > 0 || r.MaxIdle > 0
	if wasExpiring != isExpiring {
		if isExpiring {
			s.expiring++
		} else {
			s.expiring--
		}
	}
	if p.wants(name) {
		p.publish(Event{Map: name, Type: EventUpdated, Key: clone(a.Key), Value: value, OldValue: old})
	}
	return old, true, nil
}

// Get returns the value of key (nil if absent) and counts a hit.
func (p *Partition) Get(name string, key []byte) []byte {
	s := p.Store(name, false)
	if s == nil {
		return nil
	}
	now := p.now()
	r := p.lookup(s, keyID(key), now)
	if r == nil {
		return nil
	}
	r.Hits++
	r.LastAccessTime = now
	return r.Value
}

// ContainsKey reports whether key has a live entry. Like Hazelcast it counts
// as an access.
func (p *Partition) ContainsKey(name string, key []byte) bool {
	s := p.Store(name, false)
	if s == nil {
		return false
	}
	now := p.now()
	r := p.lookup(s, keyID(key), now)
	if r == nil {
		return false
	}
	r.LastAccessTime = now
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
	id := keyID(a.Key)
	if err := s.checkLock(id, a.Owner, now); err != nil {
		if a.Evict {
			// Hazelcast does not evict locked keys.
			return nil, false, nil
		}
		return nil, false, err
	}
	r := p.lookup(s, id, now)
	if r == nil {
		return nil, false, nil
	}
	if a.Expect != nil && !bytes.Equal(r.Value, a.Expect) {
		return nil, false, nil
	}
	s.remove(id, r)
	if p.wants(name) {
		typ := EventRemoved
		if a.Evict {
			typ = EventEvicted
		}
		p.publish(Event{Map: name, Type: typ, Key: fullKey(id, r.Hash), OldValue: r.Value})
	}
	return r.Value, true, nil
}

// SetTTL changes the TTL of a live entry; it reports whether one existed.
func (p *Partition) SetTTL(name string, key []byte, ttl int64) bool {
	s := p.Store(name, false)
	if s == nil {
		return false
	}
	now := p.now()
	r := p.lookup(s, keyID(key), now)
	if r == nil {
		return false
	}
	was := r.TTL > 0 || r.MaxIdle > 0
	r.TTL = resolve(ttl, s.cfg.TTLSeconds)
	// The new TTL counts from now, as in Hazelcast.
	r.LastUpdateTime = now
	if is := r.TTL > 0 || r.MaxIdle > 0; is != was {
		if is {
			s.expiring++
		} else {
			s.expiring--
		}
	}
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
func (p *Partition) EntryView(name string, key []byte) *EntryView {
	s := p.Store(name, false)
	if s == nil {
		return nil
	}
	id := keyID(key)
	r := p.lookup(s, id, p.now())
	if r == nil {
		return nil
	}
	exp := r.ExpirationTime()
	if exp == 0 {
		exp = 1<<63 - 1
	}
	ttl, idle := r.TTL, r.MaxIdle
	if ttl == 0 {
		ttl = 1<<63 - 1
	}
	if idle == 0 {
		idle = 1<<63 - 1
	}
	return &EntryView{
		Key:            fullKey(id, r.Hash),
		Value:          r.Value,
		Cost:           r.Cost(len(id) + 4),
		CreationTime:   r.CreationTime,
		ExpirationTime: exp,
		Hits:           r.Hits,
		LastAccessTime: r.LastAccessTime,
		LastUpdateTime: r.LastUpdateTime,
		Version:        r.Version,
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
	return len(s.entries)
}

// ContainsValue reports whether some live entry has value.
func (p *Partition) ContainsValue(name string, value []byte) bool {
	s := p.Store(name, false)
	if s == nil {
		return false
	}
	now := p.now()
	for id, r := range s.entries {
		if r.Expired(now) {
			p.expire(s, id, r)
			continue
		}
		if bytes.Equal(r.Value, value) {
			return true
		}
	}
	return false
}

// Entries calls fn for every live entry. Keys are rebuilt copies; values
// alias the store and must be copied (or encoded) before the worker moves on.
func (p *Partition) Entries(name string, fn func(key, value []byte)) {
	s := p.Store(name, false)
	if s == nil {
		return
	}
	now := p.now()
	for id, r := range s.entries {
		if r.Expired(now) {
			p.expire(s, id, r)
			continue
		}
		fn(fullKey(id, r.Hash), r.Value)
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
	for id, r := range s.entries {
		if l := s.locks[id]; l != nil && !l.expired(now) {
			continue
		}
		s.remove(id, r)
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
	for id, r := range s.entries {
		if r.Expired(now) {
			p.expire(s, id, r)
			n++
		}
	}
	return n
}
