package imap

import (
	"hash/maphash"
	"math/bits"
)

// index maps key identities to entries. It is an open-addressing hash table
// in the style of Go's own (swiss) maps, specialised so that a slot is only
// a pointer: the key lives in the entry, and one control byte per slot holds
// 7 bits of the hash. That makes a slot 9 bytes where a map[string]*T slot
// is 24 plus a separate key allocation.
//
// Slots come in groups of 8 whose control bytes form one uint64, so a probe
// tests a whole group with a few word operations. Groups are probed
// linearly from the one the hash selects; a lookup stops at the first group
// with an empty slot. The number of groups need not be a power of two,
// which lets the table grow by less than 2x.
//
// Not safe for concurrent use (a Partition is single-threaded).
type index struct {
	ctrl  []uint64 // one word per group; byte i is slot i's control
	slots []*entryHdr
	seed  maphash.Seed
	count int // live entries
	// tombs counts deleted markers, which take a slot until the next
	// rehash.
	tombs int
}

// Control bytes, as in the Go runtime: empty and deleted have the top bit
// set; a full slot holds the low 7 bits of the hash.
const (
	ctrlEmpty   = 0x80
	ctrlDeleted = 0xfe

	groupSlots  = 8
	emptyGroup  = 0x8080808080808080
	bitsetLSB   = 0x0101010101010101
	bitsetMSB   = 0x8080808080808080
	maxLoadNum  = 7 // a table is rehashed when live+deleted slots exceed
	maxLoadDen  = 8 // 7/8 of its slots,
	growLoadNum = 2 // to a size that puts the live entries at 2/3 (so it
	growLoadDen = 3 // grows by ~1.3x when there are no deletions).
)

func matchH2(c uint64, h2 uint8) uint64 {
	v := c ^ (bitsetLSB * uint64(h2))
	// May report false positives (never false negatives); keys are
	// compared anyway.
	return ((v - bitsetLSB) &^ v) & bitsetMSB
}

// matchEmpty: empty is 1000_0000, deleted 1111_1110, full 0xxx_xxxx.
func matchEmpty(c uint64) uint64          { return (c &^ (c << 6)) & bitsetMSB }
func matchEmptyOrDeleted(c uint64) uint64 { return c & bitsetMSB }
func matchFull(c uint64) uint64           { return ^c & bitsetMSB }

// slotIn returns the slot (0-7) of the lowest bit set in a match.
func slotIn(m uint64) int { return bits.TrailingZeros64(m) >> 3 }

func newIndex() index { return index{seed: maphash.MakeSeed()} }

func (x *index) hash(id []byte) uint64 { return maphash.Bytes(x.seed, id) }

// home returns the first group to probe for hash h.
func (x *index) home(h uint64) int {
	hi, _ := bits.Mul64(h>>7, uint64(len(x.ctrl))<<7)
	return int(hi)
}

// find returns the slot of id (hash h) and its entry, or -1 and nil.
func (x *index) find(id []byte, h uint64) (int, *entryHdr) {
	n := len(x.ctrl)
	if n == 0 {
		return -1, nil
	}
	h2 := uint8(h & 0x7f)
	g := x.home(h)
	for {
		c := x.ctrl[g]
		for m := matchH2(c, h2); m != 0; m &= m - 1 {
			i := g*groupSlots + slotIn(m)
			if e := x.slots[i]; e.idEqual(id) {
				return i, e
			}
		}
		if matchEmpty(c) != 0 {
			return -1, nil
		}
		if g++; g == n {
			g = 0
		}
	}
}

// insert adds e, whose key has hash h and is not in the table.
func (x *index) insert(e *entryHdr, h uint64) {
	if (x.count+x.tombs+1)*maxLoadDen > len(x.slots)*maxLoadNum {
		x.rehash(x.count + 1)
	}
	n := len(x.ctrl)
	g := x.home(h)
	for {
		if m := matchEmptyOrDeleted(x.ctrl[g]); m != 0 {
			s := slotIn(m)
			shift := uint(s * 8)
			if uint8(x.ctrl[g]>>shift) == ctrlDeleted {
				x.tombs--
			}
			x.ctrl[g] = x.ctrl[g]&^(0xff<<shift) | uint64(h&0x7f)<<shift
			x.slots[g*groupSlots+s] = e
			x.count++
			return
		}
		if g++; g == n {
			g = 0
		}
	}
}

// remove empties slot i.
func (x *index) remove(i int) {
	g, shift := i/groupSlots, uint(i%groupSlots*8)
	c := byte(ctrlDeleted)
	if matchEmpty(x.ctrl[g]) != 0 {
		// Lookups stop at this group anyway, so no probe sequence
		// runs through it: the slot can be empty rather than deleted.
		c = ctrlEmpty
	} else {
		x.tombs++
	}
	x.ctrl[g] = x.ctrl[g]&^(0xff<<shift) | uint64(c)<<shift
	x.slots[i] = nil
	x.count--
	if x.count == 0 {
		x.reset()
	}
}

// reset empties the table. A large one gives its memory back (a Go map
// would keep it); a small one is kept, minus its deleted markers.
func (x *index) reset() {
	if len(x.ctrl) > 8 {
		*x = index{seed: x.seed}
		return
	}
	for i := range x.ctrl {
		x.ctrl[i] = emptyGroup
	}
	clear(x.slots)
	x.count, x.tombs = 0, 0
}

// rehash rebuilds the table for at least n live entries, dropping deleted
// markers. The table grows or shrinks to put n at 2/3 load: the load then
// stays between 2/3 and 7/8, 0.77 on average, 11.7 bytes per entry.
func (x *index) rehash(n int) {
	groups := (n*growLoadDen/growLoadNum + groupSlots - 1) / groupSlots
	groups = max(groups, 1)
	old := x.slots
	x.ctrl = make([]uint64, groups)
	for i := range x.ctrl {
		x.ctrl[i] = emptyGroup
	}
	x.slots = make([]*entryHdr, groups*groupSlots)
	x.count, x.tombs = 0, 0
	for _, e := range old {
		if e != nil {
			x.insert(e, x.hash(e.id()))
		}
	}
}

// all calls fn with every live slot and its entry, in table order. fn may
// remove the entry it is given (and others), but must not insert.
func (x *index) all(fn func(i int, e *entryHdr) bool) {
	for g := 0; g < len(x.ctrl); g++ {
		for m := matchFull(x.ctrl[g]); m != 0; m &= m - 1 {
			if len(x.ctrl) == 0 {
				return // fn removed the last entry: the table was reset
			}
			i := g*groupSlots + slotIn(m)
			e := x.slots[i]
			if e == nil {
				continue // removed by fn since m was read
			}
			if !fn(i, e) {
				return
			}
		}
	}
}
