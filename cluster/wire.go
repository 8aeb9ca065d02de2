package cluster

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/filbert/filbert/protocol"
)

// Preamble opens a member-to-member connection; clients open theirs with
// protocol.Preamble ("CP2"). The member port tells the two apart by these
// first three bytes.
var Preamble = []byte("FMP")

// HeaderSize is the size of a frame header on a member link:
//
//	u32 length of kind..payload (big endian)
//	u8  kind
//	u8  flags (FlagResponse, FlagError)
//	u64 correlation id (big endian; 0 for one-way messages)
const HeaderSize = 4 + 1 + 1 + 8

// Frame flags.
const (
	// FlagResponse marks the answer to a call with the same correlation id.
	FlagResponse byte = 1 << iota
	// FlagError marks a response whose payload is an error text.
	FlagError
)

// MaxFrame bounds one member frame (payload included). Partition snapshots
// are sent in chunks well below it.
const MaxFrame = 256 << 20

// ErrFrameTooLarge is returned for frames above MaxFrame.
var ErrFrameTooLarge = errors.New("cluster: member frame too large")

// Frame is one parsed member frame. Payload aliases the buffer it was
// parsed from.
type Frame struct {
	Kind    byte
	Flags   byte
	Corr    uint64
	Payload []byte
}

// ParseFrame parses the frame at the start of b. It returns the frame and
// its total size, or n == 0 if b holds only part of a frame.
func ParseFrame(b []byte) (f Frame, n int, err error) {
	if len(b) < HeaderSize {
		return Frame{}, 0, nil
	}
	l := binary.BigEndian.Uint32(b)
	if l < HeaderSize-4 || l > MaxFrame {
		return Frame{}, 0, fmt.Errorf("%w: length %d", ErrFrameTooLarge, l)
	}
	total := int(l) + 4
	if len(b) < total {
		return Frame{}, 0, nil
	}
	f = Frame{Kind: b[4], Flags: b[5], Corr: binary.BigEndian.Uint64(b[6:]), Payload: b[HeaderSize:total:total]}
	return f, total, nil
}

// AppendHeader appends a frame header for a payload of n bytes.
func AppendHeader(dst []byte, kind, flags byte, corr uint64, n int) []byte {
	dst = binary.BigEndian.AppendUint32(dst, uint32(HeaderSize-4+n))
	dst = append(dst, kind, flags)
	return binary.BigEndian.AppendUint64(dst, corr)
}

// Enc appends values in the member wire format: uvarints, zig-zag varints,
// length-prefixed bytes and strings, UUIDs as two big-endian u64.
type Enc struct{ B []byte }

// Uvarint appends x.
func (e *Enc) Uvarint(x uint64) { e.B = binary.AppendUvarint(e.B, x) }

// Varint appends x zig-zag encoded.
func (e *Enc) Varint(x int64) { e.B = binary.AppendVarint(e.B, x) }

// Bool appends b as one byte.
func (e *Enc) Bool(b bool) {
	if b {
		e.B = append(e.B, 1)
	} else {
		e.B = append(e.B, 0)
	}
}

// Bytes appends a length-prefixed byte string.
func (e *Enc) Bytes(b []byte) {
	e.Uvarint(uint64(len(b)))
	e.B = append(e.B, b...)
}

// String appends a length-prefixed string.
func (e *Enc) String(s string) {
	e.Uvarint(uint64(len(s)))
	e.B = append(e.B, s...)
}

// UUID appends u.
func (e *Enc) UUID(u protocol.UUID) {
	e.B = binary.BigEndian.AppendUint64(e.B, u.MSB)
	e.B = binary.BigEndian.AppendUint64(e.B, u.LSB)
}

// ErrShort is the sticky error of a Dec that ran past its input.
var ErrShort = errors.New("cluster: truncated member message")

// Dec reads what Enc wrote. The first error sticks: later reads return zero
// values and Err reports it.
type Dec struct {
	B   []byte
	err error
}

// Err returns the first decoding error.
func (d *Dec) Err() error { return d.err }

func (d *Dec) fail() {
	if d.err == nil {
		d.err = ErrShort
	}
	d.B = nil
}

// Uvarint reads an unsigned varint.
func (d *Dec) Uvarint() uint64 {
	x, n := binary.Uvarint(d.B)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.B = d.B[n:]
	return x
}

// Varint reads a zig-zag varint.
func (d *Dec) Varint() int64 {
	x, n := binary.Varint(d.B)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.B = d.B[n:]
	return x
}

// Int reads a varint that must fit an int32.
func (d *Dec) Int() int {
	x := d.Varint()
	if x < math.MinInt32 || x > math.MaxInt32 {
		d.fail()
		return 0
	}
	return int(x)
}

// Bool reads one byte as a bool.
func (d *Dec) Bool() bool {
	if len(d.B) < 1 {
		d.fail()
		return false
	}
	b := d.B[0] != 0
	d.B = d.B[1:]
	return b
}

// Bytes reads a length-prefixed byte string; the result aliases the input.
func (d *Dec) Bytes() []byte {
	n := d.Uvarint()
	if d.err != nil || n > uint64(len(d.B)) {
		d.fail()
		return nil
	}
	b := d.B[:n:n]
	d.B = d.B[n:]
	return b
}

// String reads a length-prefixed string.
func (d *Dec) String() string { return string(d.Bytes()) }

// UUID reads a UUID.
func (d *Dec) UUID() protocol.UUID {
	if len(d.B) < 16 {
		d.fail()
		return protocol.UUID{}
	}
	u := protocol.UUID{MSB: binary.BigEndian.Uint64(d.B), LSB: binary.BigEndian.Uint64(d.B[8:])}
	d.B = d.B[16:]
	return u
}

// Count reads an element count and checks it against the bytes left (each
// element needs at least min bytes), so a corrupt count cannot make the
// reader allocate a huge slice.
func (d *Dec) Count(min int) int {
	n := d.Uvarint()
	if d.err != nil {
		return 0
	}
	if min < 1 {
		min = 1
	}
	if n > uint64(len(d.B)/min) {
		d.fail()
		return 0
	}
	return int(n)
}
