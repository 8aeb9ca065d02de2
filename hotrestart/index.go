package hotrestart

import (
	"encoding/binary"
	"sync"
)

// loc is a record's place: chunk id and byte offset within the chunk.
type loc struct {
	chunk uint32
	off   uint32
}

// entry is the index entry of one (store, partition, key).
type entry struct {
	seq    uint64 // sequence of the latest record
	at     loc    // where the latest record is
	size   uint32 // its encoded size
	values uint32 // value records (not tombstones) of this key on disk, the latest included
	tomb   bool   // the latest record is a tombstone
}

// garbage reports whether the latest record is a tombstone with no value
// record of its key left on disk: it protects nothing and counts as
// garbage. (Older tombstones need no protection: bringing one back still
// reads as deleted.)
func (e *entry) garbage() bool { return e.tomb && e.values == 0 }

// chunkInfo is the accounting of one chunk.
type chunkInfo struct {
	id      uint32
	size    int64 // bytes of records (written or planned)
	dead    int64 // bytes of dead records
	records int64
	sealed  bool // fsynced and never written again; GC and backup may use it
	damaged bool // recovery skipped part of it; never collected
	pins    int  // running backups that still need the file
	gone    bool // being deleted by GC; not part of new backups
}

// garbageRatio is the chunk's share of dead bytes.
func (c *chunkInfo) garbageRatio() float64 {
	if c.size == 0 {
		return 0
	}
	return float64(c.dead) / float64(c.size)
}

// keyIndex is a stripe's index and chunk accounting. All methods require mu.
type keyIndex struct {
	mu      sync.Mutex
	entries map[string]*entry
	chunks  map[uint32]*chunkInfo
	scratch []byte // index key under construction
}

// newKeyIndex returns an empty index.
func newKeyIndex() *keyIndex {
	return &keyIndex{entries: make(map[string]*entry), chunks: make(map[uint32]*chunkInfo)}
}

// indexKey builds the index key of a record in ix.scratch: the interned
// store id, the partition and the key bytes. The result is valid until the
// next call.
func (ix *keyIndex) indexKey(storeID uint32, partition int32, key []byte) []byte {
	b := ix.scratch[:0]
	b = binary.LittleEndian.AppendUint32(b, storeID)
	b = binary.LittleEndian.AppendUint32(b, uint32(partition))
	b = append(b, key...)
	ix.scratch = b
	return b
}

// chunk returns the accounting of chunk id, creating it if needed.
func (ix *keyIndex) chunk(id uint32) *chunkInfo {
	c := ix.chunks[id]
	if c == nil {
		c = &chunkInfo{id: id}
		ix.chunks[id] = c
	}
	return c
}

// addDead adds n dead bytes to the chunk of l (if it still exists).
func (ix *keyIndex) addDead(chunk uint32, n int64) {
	if c := ix.chunks[chunk]; c != nil {
		c.dead += n
	}
}

// fixGarbage updates the dead bytes of e's latest record after a change
// of e.values: wasGarbage is e.garbage() before the change.
func (ix *keyIndex) fixGarbage(e *entry, wasGarbage bool) {
	switch now := e.garbage(); {
	case now && !wasGarbage:
		ix.addDead(e.at.chunk, int64(e.size))
	case !now && wasGarbage:
		ix.addDead(e.at.chunk, -int64(e.size))
	}
}

// track accounts a record of key (built by indexKey) stored at `at` with the
// given size, sequence and kind. The chunk's size must already include it.
// A newer sequence makes the record the latest of its key; an older or
// equal one (only during recovery: history, or a duplicate left by an
// interrupted GC) is dead at once.
func (ix *keyIndex) track(key []byte, at loc, size uint32, seq uint64, tomb bool) {
	e := ix.entries[string(key)]
	if e == nil {
		e = &entry{seq: seq, at: at, size: size, tomb: tomb}
		if !tomb {
			e.values = 1
		}
		ix.entries[string(key)] = e
		ix.fixGarbage(e, false)
		return
	}
	wasGarbage := e.garbage()
	if !tomb {
		e.values++
	}
	if seq > e.seq {
		if !wasGarbage {
			ix.addDead(e.at.chunk, int64(e.size))
		}
		e.seq, e.at, e.size, e.tomb = seq, at, size, tomb
		ix.fixGarbage(e, false)
		return
	}
	ix.addDead(at.chunk, int64(size))
	ix.fixGarbage(e, wasGarbage)
}

// live reports whether the record of key at `at` is the latest of its key
// and not garbage, so GC must keep it.
func (ix *keyIndex) live(key []byte, at loc) bool {
	e := ix.entries[string(key)]
	return e != nil && e.at == at && !e.garbage()
}

// relocate accounts a byte-for-byte copy, stored at `to`, of the record of
// key at `from`. If that record is still the live latest, the copy
// replaces it and the original becomes dead; otherwise the copy is dead at
// once.
func (ix *keyIndex) relocate(key []byte, from, to loc, size uint32, seq uint64, tomb bool) {
	e := ix.entries[string(key)]
	if e == nil {
		// Cannot happen while GC runs alone: entries are only dropped by
		// GC. Account the copy as recovery would see it.
		ix.track(key, to, size, seq, tomb)
		return
	}
	wasGarbage := e.garbage()
	if !tomb {
		e.values++
	}
	if e.at == from && !wasGarbage {
		ix.addDead(from.chunk, int64(size))
		e.at = to
		return
	}
	ix.addDead(to.chunk, int64(size))
	ix.fixGarbage(e, wasGarbage)
}

// dropCopy accounts the deletion, with its chunk, of the record of key at
// `at` (a tombstone if tomb). It returns false if that record was the live
// latest of its key, which callers prevent.
func (ix *keyIndex) dropCopy(key []byte, at loc, tomb bool) bool {
	e := ix.entries[string(key)]
	if e == nil {
		return true
	}
	if e.at == at {
		if !e.garbage() {
			return false
		}
		delete(ix.entries, string(key))
		return true
	}
	if !tomb && e.values > 0 {
		wasGarbage := e.garbage()
		e.values--
		ix.fixGarbage(e, wasGarbage)
	}
	return true
}
