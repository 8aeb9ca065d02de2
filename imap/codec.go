package imap

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// RecordFormat is the format version AppendRecord writes as the first byte
// of every encoded record. DecodeRecord rejects other versions.
const RecordFormat = 1

// ErrMalformedRecord is wrapped by every error DecodeRecord returns.
var ErrMalformedRecord = errors.New("imap: malformed record")

// Bits of an encoded record's flags.
const (
	recPresent = 1 << iota
	recNilValue
	recLocked
	recKnown = recPresent | recNilValue | recLocked
)

// AppendRecord appends the binary encoding of r, a record of map name, to
// dst and returns the extended slice. The encoding is:
//
//	format version        1 byte (RecordFormat)
//	map name              uvarint length, bytes
//	flags                 uvarint: 1 present, 2 nil value, 4 locked
//	key                   uvarint length, bytes
//	if present:
//	  value               uvarint length, bytes (absent for a nil value)
//	  created             varint, Unix ms
//	  updated, accessed   varint each, ms after created
//	  TTL, max idle       varint each, ms
//	  hits, version       uvarint each
//	if locked:
//	  owner client        16 bytes: MSB, LSB big-endian
//	  owner thread        varint
//	  count               uvarint (at least 1)
//	  lease deadline      varint, Unix ms, 0 for none
//
// Records are self-delimiting, so several may be appended to one buffer and
// decoded in turn. A record with neither an entry nor a lock is valid: it
// applies as a removal.
func AppendRecord(dst []byte, name string, r *Record) []byte {
	dst = append(dst, RecordFormat)
	dst = binary.AppendUvarint(dst, uint64(len(name)))
	dst = append(dst, name...)
	var flags uint64
	if r.Present {
		flags |= recPresent
		if r.NilValue {
			flags |= recNilValue
		}
	}
	if r.Lock != nil {
		flags |= recLocked
	}
	dst = binary.AppendUvarint(dst, flags)
	dst = binary.AppendUvarint(dst, uint64(len(r.Key)))
	dst = append(dst, r.Key...)
	if r.Present {
		if !r.NilValue {
			dst = binary.AppendUvarint(dst, uint64(len(r.Value)))
			dst = append(dst, r.Value...)
		}
		// Differences wrap on overflow and the decoder's sums wrap
		// back, so every int64 round-trips.
		dst = binary.AppendVarint(dst, r.Created)
		dst = binary.AppendVarint(dst, r.Updated-r.Created)
		dst = binary.AppendVarint(dst, r.Accessed-r.Created)
		dst = binary.AppendVarint(dst, r.TTL)
		dst = binary.AppendVarint(dst, r.MaxIdle)
		dst = binary.AppendUvarint(dst, uint64(r.Hits))
		dst = binary.AppendUvarint(dst, uint64(r.Version))
	}
	if l := r.Lock; l != nil {
		dst = binary.BigEndian.AppendUint64(dst, l.Owner.Client.MSB)
		dst = binary.BigEndian.AppendUint64(dst, l.Owner.Client.LSB)
		dst = binary.AppendVarint(dst, l.Owner.Thread)
		dst = binary.AppendUvarint(dst, uint64(max(l.Count, 1)))
		dst = binary.AppendVarint(dst, l.Deadline)
	}
	return dst
}

// DecodeRecord decodes the record at the start of src, as written by
// AppendRecord, and returns its map name, the record and the number of
// bytes it took. Malformed input (truncated, an unknown format version or
// flag, lengths past the end, out-of-range numbers) gives an error wrapping
// ErrMalformedRecord and n == 0; it never panics.
//
// The record's Key and Value alias src (with cap equal to len, so an append
// copies): src must not be modified while they are in use. ApplyRecord
// copies them, so src may be reused once the record is applied. The name is
// a copy.
func DecodeRecord(src []byte) (name string, r Record, n int, err error) {
	d := decoder{b: src}
	if v := d.byte("format version"); d.err == nil && v != RecordFormat {
		d.fail(fmt.Sprintf("unknown format version %d", v))
	}
	nb := d.bytes("map name")
	flags := d.uvarint("flags")
	if d.err == nil {
		switch {
		case flags&^recKnown != 0:
			d.fail(fmt.Sprintf("unknown flags %#x", flags))
		case flags&recNilValue != 0 && flags&recPresent == 0:
			d.fail("nil value without an entry")
		}
	}
	r.Key = d.bytes("key")
	if flags&recPresent != 0 {
		r.Present = true
		if flags&recNilValue != 0 {
			r.NilValue = true
		} else {
			r.Value = d.bytes("value")
		}
		r.Created = d.varint("creation time")
		r.Updated = r.Created + d.varint("update time")
		r.Accessed = r.Created + d.varint("access time")
		r.TTL = d.varint("ttl")
		r.MaxIdle = d.varint("max idle")
		r.Hits = d.uint32("hits")
		r.Version = d.uint32("version")
	}
	if flags&recLocked != 0 {
		l := new(LockRecord)
		l.Owner.Client.MSB = d.uint64("lock owner")
		l.Owner.Client.LSB = d.uint64("lock owner")
		l.Owner.Thread = d.varint("lock thread")
		c := d.uvarint("lock count")
		if d.err == nil && (c == 0 || c > math.MaxInt) {
			d.fail(fmt.Sprintf("lock count %d out of range", c))
		}
		l.Count = int(c)
		l.Deadline = d.varint("lock deadline")
		r.Lock = l
	}
	if d.err != nil {
		return "", Record{}, 0, d.err
	}
	return string(nb), r, d.off, nil
}

// decoder reads a record. After the first error every read returns zero.
type decoder struct {
	b   []byte
	off int
	err error
}

func (d *decoder) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("%w at byte %d: %s", ErrMalformedRecord, d.off, what)
	}
}

func (d *decoder) byte(what string) byte {
	if d.err != nil {
		return 0
	}
	if d.off >= len(d.b) {
		d.fail(what + " truncated")
		return 0
	}
	d.off++
	return d.b[d.off-1]
}

func (d *decoder) uint64(what string) uint64 {
	if d.err != nil {
		return 0
	}
	if len(d.b)-d.off < 8 {
		d.fail(what + " truncated")
		return 0
	}
	d.off += 8
	return binary.BigEndian.Uint64(d.b[d.off-8:])
}

func (d *decoder) uvarint(what string) uint64 {
	if d.err != nil {
		return 0
	}
	x, n := binary.Uvarint(d.b[d.off:])
	if n <= 0 {
		d.varintError(what, "", n)
		return 0
	}
	d.off += n
	return x
}

// varintError records a varint that binary.Uvarint or Varint could not
// read (n: their result).
func (d *decoder) varintError(what, suffix string, n int) {
	if n == 0 {
		d.fail(what + suffix + " truncated")
	} else {
		d.fail(what + suffix + " overflows 64 bits")
	}
}

func (d *decoder) varint(what string) int64 {
	if d.err != nil {
		return 0
	}
	x, n := binary.Varint(d.b[d.off:])
	if n <= 0 {
		d.varintError(what, "", n)
		return 0
	}
	d.off += n
	return x
}

func (d *decoder) uint32(what string) uint32 {
	x := d.uvarint(what)
	if x > math.MaxUint32 {
		d.fail(fmt.Sprintf("%s %d out of range", what, x))
		return 0
	}
	return uint32(x)
}

// bytes reads a length-prefixed byte string, aliasing the input with cap
// equal to len. An empty string is non-nil.
func (d *decoder) bytes(what string) []byte {
	if d.err != nil {
		return nil
	}
	l, n := binary.Uvarint(d.b[d.off:])
	if n <= 0 {
		d.varintError(what, " length", n)
		return nil
	}
	d.off += n
	if l > uint64(len(d.b)-d.off) {
		d.fail(fmt.Sprintf("%s of %d bytes past the end", what, l))
		return nil
	}
	end := d.off + int(l)
	b := d.b[d.off:end:end]
	d.off = end
	return b
}
