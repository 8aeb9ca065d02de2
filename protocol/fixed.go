package protocol

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Sizes of fixed-size fields. These are wire format.
const (
	ByteSize    = 1
	BoolSize    = 1
	IntSize     = 4
	LongSize    = 8
	FloatSize   = 4
	DoubleSize  = 8
	UUIDSize    = 17
	ShortSize   = 2
	CharSize    = 2
	EntrySizeUL = UUIDSize + LongSize
)

// UUID is a 128-bit identifier as the protocol carries it. The zero UUID is
// the protocol's null UUID (the Go client encodes an all-zero UUID as null),
// so it is never used as an identifier.
type UUID struct {
	MSB, LSB uint64
}

// IsZero reports whether u is the null UUID.
func (u UUID) IsZero() bool { return u.MSB == 0 && u.LSB == 0 }

// String formats u in the canonical 8-4-4-4-12 form.
func (u UUID) String() string {
	const hex = "0123456789abcdef"
	var b [36]byte
	var raw [16]byte
	binary.BigEndian.PutUint64(raw[:8], u.MSB)
	binary.BigEndian.PutUint64(raw[8:], u.LSB)
	j := 0
	for i, x := range raw {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b[j] = '-'
			j++
		}
		b[j] = hex[x>>4]
		b[j+1] = hex[x&0xf]
		j += 2
	}
	return string(b[:])
}

// The Get* functions read a fixed-size field at off of b; the caller checks
// bounds (generated decoders check the frame length once). The Put*
// functions write one.

// GetBool reads a boolean.
func GetBool(b []byte, off int) bool { return b[off] != 0 }

// GetByte reads a byte.
func GetByte(b []byte, off int) byte { return b[off] }

// GetInt16 reads a little-endian int16.
func GetInt16(b []byte, off int) int16 { return int16(binary.LittleEndian.Uint16(b[off:])) }

// GetInt32 reads a little-endian int32.
func GetInt32(b []byte, off int) int32 { return int32(binary.LittleEndian.Uint32(b[off:])) }

// GetInt64 reads a little-endian int64.
func GetInt64(b []byte, off int) int64 { return int64(binary.LittleEndian.Uint64(b[off:])) }

// GetFloat32 reads a little-endian IEEE float.
func GetFloat32(b []byte, off int) float32 {
	return math.Float32frombits(binary.LittleEndian.Uint32(b[off:]))
}

// GetFloat64 reads a little-endian IEEE double.
func GetFloat64(b []byte, off int) float64 {
	return math.Float64frombits(binary.LittleEndian.Uint64(b[off:]))
}

// GetUUID reads a nullable UUID (is-null byte, then MSB and LSB).
func GetUUID(b []byte, off int) UUID {
	if b[off] != 0 {
		return UUID{}
	}
	return UUID{
		MSB: binary.LittleEndian.Uint64(b[off+1:]),
		LSB: binary.LittleEndian.Uint64(b[off+9:]),
	}
}

// PutBool writes a boolean.
func PutBool(b []byte, off int, v bool) {
	if v {
		b[off] = 1
	} else {
		b[off] = 0
	}
}

// PutByte writes a byte.
func PutByte(b []byte, off int, v byte) { b[off] = v }

// PutInt16 writes a little-endian int16.
func PutInt16(b []byte, off int, v int16) { binary.LittleEndian.PutUint16(b[off:], uint16(v)) }

// PutInt32 writes a little-endian int32.
func PutInt32(b []byte, off int, v int32) { binary.LittleEndian.PutUint32(b[off:], uint32(v)) }

// PutInt64 writes a little-endian int64.
func PutInt64(b []byte, off int, v int64) { binary.LittleEndian.PutUint64(b[off:], uint64(v)) }

// PutFloat32 writes a little-endian IEEE float.
func PutFloat32(b []byte, off int, v float32) {
	binary.LittleEndian.PutUint32(b[off:], math.Float32bits(v))
}

// PutFloat64 writes a little-endian IEEE double.
func PutFloat64(b []byte, off int, v float64) {
	binary.LittleEndian.PutUint64(b[off:], math.Float64bits(v))
}

// PutUUID writes a nullable UUID; the zero UUID is written as null.
func PutUUID(b []byte, off int, u UUID) {
	if u.IsZero() {
		b[off] = 1
		clear(b[off+1 : off+UUIDSize])
		return
	}
	b[off] = 0
	binary.LittleEndian.PutUint64(b[off+1:], u.MSB)
	binary.LittleEndian.PutUint64(b[off+9:], u.LSB)
}

// ParseUUID reads the text form String writes (hyphens are optional):
// 32 hex digits.
func ParseUUID(s string) (UUID, error) {
	var u UUID
	digits := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		var v uint64
		switch {
		case c == '-':
			continue
		case c >= '0' && c <= '9':
			v = uint64(c - '0')
		case c >= 'a' && c <= 'f':
			v = uint64(c-'a') + 10
		case c >= 'A' && c <= 'F':
			v = uint64(c-'A') + 10
		default:
			return UUID{}, fmt.Errorf("bad uuid %q", s)
		}
		if digits < 16 {
			u.MSB = u.MSB<<4 | v
		} else if digits < 32 {
			u.LSB = u.LSB<<4 | v
		}
		digits++
	}
	if digits != 32 {
		return UUID{}, fmt.Errorf("bad uuid %q: %d hex digits, want 32", s, digits)
	}
	return u, nil
}
