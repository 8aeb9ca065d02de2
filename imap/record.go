package imap

import (
	"encoding/binary"
	"math"
	"math/bits"
	"unsafe"
)

// An entry is one map entry: a single pointer-free heap allocation holding
// its statistics, its serialized key and its value:
//
//	offset 0   entryHdr (24 bytes, below)
//	offset 24  key length, uvarint
//	           value length, uvarint
//	           key: bytes 0-3 are the partition hash of the first put,
//	                bytes 4- the key's identity (see keyID)
//	           value
//	           TTL in ms, uvarint, if flagTTL
//	           max idle in ms, uvarint, if flagIdle
//
// Only the index of a RecordStore points at an entry (as *entryHdr, the
// start of the allocation). Everything after the header is immutable once
// the entry is built: a new value, TTL or max idle builds a new entry and
// the index slot is switched to it. Values handed out (Get, Entries, events,
// the old value of a put) are subslices of the value bytes with cap == len,
// so they stay valid and unchanged for as long as anyone holds them — the
// old entry simply stays alive (key and header too) until the last
// reference is dropped. Only
// the header (hits, times) is written in place, by the partition's worker;
// it never overlaps a slice handed out, so a value being encoded on another
// goroutine is not a data race.
type entryHdr struct {
	hits    uint32 // saturating
	version uint32 // saturating
	// Times in ms as 40-bit values relative to the store's time base
	// (see encTime): low 32 bits in tlo, high 8 in thi.
	tlo   [3]uint32
	thi   [3]uint8
	flags uint8
}

const hdrSize = unsafe.Sizeof(entryHdr{})

// Indexes of entryHdr times.
const (
	tUpdate = iota
	tAccess
	tCreate
)

// entryHdr.flags bits.
const (
	flagTTL      = 1 << iota // a TTL follows the value
	flagIdle                 // a max idle follows the value
	flagNilValue             // the value is nil, not empty
)

// timeBias centres the 40-bit time range on the store's base: times within
// ±17 years of the store's creation are exact.
const (
	timeBias = 1 << 39
	timeMax  = 1<<40 - 1
)

// encTime turns Unix ms into the 40-bit form relative to base, clamping.
func encTime(t, base int64) uint64 {
	// Compare before subtracting: t - base may overflow for times that
	// come from outside (replication records).
	switch {
	case t <= base-timeBias:
		return 0
	case t >= base+(timeMax-timeBias):
		return timeMax
	}
	return uint64(t - base + timeBias)
}

func decTime(v uint64, base int64) int64 { return int64(v) - timeBias + base }

func (e *entryHdr) time(i int, base int64) int64 {
	return decTime(uint64(e.tlo[i])|uint64(e.thi[i])<<32, base)
}

func (e *entryHdr) setTime(i int, t, base int64) {
	v := encTime(t, base)
	e.tlo[i] = uint32(v)
	e.thi[i] = uint8(v >> 32)
}

func (e *entryHdr) hit() {
	if e.hits != math.MaxUint32 {
		e.hits++
	}
}

// at returns the address of byte off of the entry.
func (e *entryHdr) at(off uintptr) *byte {
	return (*byte)(unsafe.Add(unsafe.Pointer(e), off))
}

// uvarint decodes the uvarint at off and returns it and the offset after it.
func (e *entryHdr) uvarint(off uintptr) (uint64, uintptr) {
	var x uint64
	var s uint
	for {
		b := *e.at(off)
		off++
		if b < 0x80 {
			return x | uint64(b)<<s, off
		}
		x |= uint64(b&0x7f) << s
		s += 7
	}
}

// lens returns the offset of the key and the key and value lengths.
func (e *entryHdr) lens() (keyOff, keyLen, valLen uintptr) {
	// Every entry has at least one byte per length. Hot callers repeat
	// this fast path: with the call below, lens is too big to inline.
	b := (*[hdrSize + 2]byte)(unsafe.Pointer(e))
	if k, v := b[hdrSize], b[hdrSize+1]; k|v < 0x80 {
		return hdrSize + 2, uintptr(k), uintptr(v)
	}
	return e.lensSlow()
}

// lensSlow is lens for lengths of 128 and more.
func (e *entryHdr) lensSlow() (keyOff, keyLen, valLen uintptr) {
	kl, off := e.uvarint(hdrSize)
	vl, off := e.uvarint(off)
	return off, uintptr(kl), uintptr(vl)
}

// idEqual reports whether the key's identity is id.
func (e *entryHdr) idEqual(id []byte) bool {
	b := (*[hdrSize + 2]byte)(unsafe.Pointer(e))
	off, kl := uintptr(hdrSize+2), uintptr(b[hdrSize])
	if b[hdrSize]|b[hdrSize+1] >= 0x80 {
		off, kl, _ = e.lensSlow()
	}
	if kl-4 != uintptr(len(id)) {
		return false
	}
	// len(id) == 0 must not form a pointer past the identity: it may be
	// the end of the allocation.
	return len(id) == 0 || string(unsafe.Slice(e.at(off+4), len(id))) == string(id)
}

// key returns the stored serialized key (4 hash bytes and the identity).
// It aliases the entry: callers copy it before handing it out.
func (e *entryHdr) key() []byte {
	off, kl, _ := e.lens()
	return unsafe.Slice(e.at(off), kl)
}

// id returns the key's identity (bytes 4 on of the stored key), aliasing
// the entry.
func (e *entryHdr) id() []byte {
	off, kl, _ := e.lens()
	if kl == 4 {
		// Do not form a pointer that may be just past the allocation.
		return empty
	}
	return unsafe.Slice(e.at(off+4), kl-4)
}

// empty is a non-nil empty slice that points at no entry.
var empty = []byte{}

// hash returns bytes 0-3 of the stored key.
func (e *entryHdr) hash() int32 {
	off, _, _ := e.lens()
	return int32(binary.BigEndian.Uint32(unsafe.Slice(e.at(off), 4)))
}

// value returns the value, aliasing the entry, with cap == len so that an
// append by a holder reallocates instead of writing past it.
func (e *entryHdr) value() []byte {
	b := (*[hdrSize + 2]byte)(unsafe.Pointer(e))
	off, kl, vl := uintptr(hdrSize+2), uintptr(b[hdrSize]), uintptr(b[hdrSize+1])
	if kl|vl >= 0x80 {
		off, kl, vl = e.lensSlow()
	}
	if vl == 0 {
		// nil or empty; do not point past the allocation.
		if e.flags&flagNilValue != 0 {
			return nil
		}
		return empty
	}
	return unsafe.Slice(e.at(off+kl), vl)
}

// expiry returns the TTL and max idle in ms (0 = unlimited).
func (e *entryHdr) expiry() (ttl, idle int64) {
	if e.flags&(flagTTL|flagIdle) == 0 {
		return 0, 0
	}
	off, kl, vl := e.lens()
	off += kl + vl
	var x uint64
	if e.flags&flagTTL != 0 {
		x, off = e.uvarint(off)
		ttl = int64(x)
	}
	if e.flags&flagIdle != 0 {
		x, _ = e.uvarint(off)
		idle = int64(x)
	}
	return ttl, idle
}

func (e *entryHdr) expiring() bool { return e.flags&(flagTTL|flagIdle) != 0 }

// expirationTime returns when e expires in Unix ms, or 0 for never.
func (e *entryHdr) expirationTime(base int64) int64 {
	ttl, idle := e.expiry()
	var exp int64
	if ttl > 0 {
		exp = e.time(tUpdate, base) + ttl
	}
	if idle > 0 {
		// Like Hazelcast, which keeps access times in whole seconds, an
		// access counts from the start of its second. Clients that poll
		// faster than the max idle (the official suites do) still see the
		// entry expire within a second of it; a write counts exactly.
		access := e.time(tAccess, base)
		access -= access % 1000
		last := max(access, e.time(tUpdate, base))
		if x := last + idle; exp == 0 || x < exp {
			exp = x
		}
	}
	return exp
}

// expired reports whether e has expired at now.
func (e *entryHdr) expired(now, base int64) bool {
	return e.expiring() && e.expiredAt(now, base)
}

// expiredAt is the rest of expired, kept out of line so that expired,
// called on every lookup, inlines.
//
//go:noinline
func (e *entryHdr) expiredAt(now, base int64) bool {
	exp := e.expirationTime(base)
	return exp != 0 && now >= exp
}

// newEntry builds an entry for the stored key (hash bytes and identity),
// value, TTL and max idle (ms, >= 0; 0 = unlimited), with the statistics
// of stats (nil: all zero).
func newEntry(stats *entryHdr, hash int32, id, value []byte, ttl, idle int64) *entryHdr {
	kl := 4 + len(id)
	n := int(hdrSize) + uvarintLen(uint64(kl)) + uvarintLen(uint64(len(value))) + kl + len(value)
	var flags uint8
	if ttl > 0 {
		flags |= flagTTL
		n += uvarintLen(uint64(ttl))
	}
	if idle > 0 {
		flags |= flagIdle
		n += uvarintLen(uint64(idle))
	}
	if value == nil {
		flags |= flagNilValue
	}
	// A []uint64 backing store is 8-byte aligned (entryHdr needs 4) and
	// holds no pointers, so the collector never scans it.
	words := make([]uint64, (n+7)/8)
	e := (*entryHdr)(unsafe.Pointer(&words[0]))
	if stats != nil {
		*e = *stats
	}
	e.flags = flags
	b := unsafe.Slice((*byte)(unsafe.Pointer(&words[0])), n)[hdrSize:]
	off := putUvarint(b, uint64(kl))
	off += putUvarint(b[off:], uint64(len(value)))
	binary.BigEndian.PutUint32(b[off:], uint32(hash))
	off += 4
	off += copy(b[off:], id)
	off += copy(b[off:], value)
	if ttl > 0 {
		off += putUvarint(b[off:], uint64(ttl))
	}
	if idle > 0 {
		putUvarint(b[off:], uint64(idle))
	}
	return e
}

func uvarintLen(x uint64) int { return (bits.Len64(x|1) + 6) / 7 }

func putUvarint(b []byte, x uint64) int {
	if x < 0x80 {
		b[0] = byte(x)
		return 1
	}
	return binary.PutUvarint(b, x)
}

// cost estimates the heap bytes of an entry, as EntryView.getCost does.
func (e *entryHdr) cost() int64 {
	_, kl, vl := e.lens()
	return int64(kl + vl + 96)
}

// keyID returns the identity of a serialized key as a string: bytes from 4
// on. It allocates; it is used for the (rare) lock and wait tables.
func keyID(key []byte) string { return string(idOf(key)) }

// idOf returns the identity of a serialized key: bytes from 4 on (the whole
// key if it is shorter than 4 bytes). It aliases key.
func idOf(key []byte) []byte {
	if len(key) < 4 {
		return key
	}
	return key[4:]
}

// fullKey rebuilds a serialized key from its identity and hash bytes.
func fullKey(id []byte, hash int32) []byte {
	b := make([]byte, 4+len(id))
	binary.BigEndian.PutUint32(b, uint32(hash))
	copy(b[4:], id)
	return b
}

// keyHash returns bytes 0-3 of a serialized key.
func keyHash(key []byte) int32 {
	if len(key) < 4 {
		return 0
	}
	return int32(binary.BigEndian.Uint32(key))
}

// clone copies b so an event does not alias a message buffer.
func clone(b []byte) []byte {
	if b == nil {
		return nil
	}
	c := make([]byte, len(b))
	copy(c, b)
	return c
}
