package codec

import (
	"encoding/binary"
	"fmt"

	"github.com/filbert/filbert/protocol"
)

// Sample values for round-trip tests. The generated builders
// (roundtrip.gen_test.go) call the leaf builders below; every call takes a
// fresh number so that no two fields hold the same value and a swapped
// field shows up as a mismatch.

// sampleMode selects what the builders produce.
type sampleMode int

const (
	// fullSample: every value present, collections of two items.
	fullSample sampleMode = iota
	// nullSample: nullable values null (nil, zero UUID), collections of one.
	nullSample
	// emptySample: nullable values present but empty, collections, strings
	// and data empty, so empty and null are told apart.
	emptySample
)

var sampleModes = []sampleMode{fullSample, nullSample, emptySample}

func (m sampleMode) String() string { return [...]string{"full", "null", "empty"}[m] }

type sampler struct {
	mode sampleMode
	n    int
}

func (s *sampler) next() int {
	s.n++
	return s.n
}

// count is the number of items of a collection.
func (s *sampler) count() int { return [...]int{2, 1, 0}[s.mode] }

// null reports whether nullable values are null.
func (s *sampler) null() bool { return s.mode == nullSample }

func (s *sampler) empty() bool { return s.mode == emptySample }

const testPartitionID = 271

func sampleBoolean(s *sampler) bool   { return s.next()%2 == 1 }
func sampleByte(s *sampler) byte      { return byte(s.next()) }
func sampleInt(s *sampler) int32      { return int32(0x01000000 + s.next()) }
func sampleLong(s *sampler) int64     { return int64(s.next())<<40 | 0x5a5a }
func sampleFloat(s *sampler) float32  { return float32(s.next()) + 0.25 }
func sampleDouble(s *sampler) float64 { return float64(s.next()) + 0.125 }

func sampleUUID(s *sampler) protocol.UUID {
	n := uint64(s.next())
	return protocol.UUID{MSB: n<<32 | 0xabcd, LSB: ^n}
}

func sampleNullableUUID(s *sampler) protocol.UUID {
	if s.null() {
		s.next()
		return protocol.UUID{}
	}
	return sampleUUID(s)
}

func sampleString(s *sampler) string {
	n := s.next()
	if s.empty() {
		return ""
	}
	return fmt.Sprintf("str-%d-é", n)
}

// sampleData returns serialized data: partition hash 0, type id -11
// (string), a payload.
func sampleData(s *sampler) []byte {
	n := s.next()
	if s.empty() {
		return []byte{}
	}
	b := make([]byte, 8, 12)
	binary.BigEndian.PutUint32(b[4:], uint32(0xfffffff5))
	return binary.BigEndian.AppendUint32(b, uint32(n))
}

func sampleByteArray(s *sampler) []byte {
	n := s.next()
	if s.empty() {
		return []byte{}
	}
	return []byte{byte(n), 0, 0xff, byte(n >> 8)}
}

func sampleLongArray(s *sampler) []int64 {
	v := []int64{}
	for range s.count() {
		v = append(v, sampleLong(s))
	}
	return v
}

func sampleFloatArray(s *sampler) []float32 {
	v := []float32{}
	for range s.count() {
		v = append(v, sampleFloat(s))
	}
	return v
}

// sampleSQLPage returns a page with a column of every type; in full mode
// fixed-size columns mix nulls and values across more than eight rows.
func sampleSQLPage(s *sampler) SQLPage {
	rows := [...]int{10, 3, 0}[s.mode]
	n := s.next()
	p := SQLPage{Last: n%2 == 0}
	for t := SQLVarchar; t <= SQLJSON; t++ {
		col := SQLColumn{Type: t, Values: []any{}}
		for r := range rows {
			k := n*100 + r
			var v any
			switch t {
			case SQLVarchar, SQLJSON:
				v = fmt.Sprintf(`{"v":%d}`, k)
			case SQLBoolean:
				v = k%2 == 0
			case SQLTinyInt:
				v = int8(k)
			case SQLSmallInt:
				v = int16(k)
			case SQLInteger:
				v = int32(k)
			case SQLBigInt:
				v = int64(k) << 33
			case SQLReal:
				v = float32(k) / 4
			case SQLDouble:
				v = float64(k) / 8
			case SQLDate:
				v = SQLDateValue{Year: int32(2000 + k), Month: 2, Day: byte(k % 28)}
			case SQLTime:
				v = SQLTimeValue{Hour: 1, Minute: 2, Second: byte(k % 60), Nano: int32(k)}
			case SQLTimestamp:
				v = SQLTimestampValue{Date: SQLDateValue{Year: 1999, Month: 12, Day: 31}, Time: SQLTimeValue{Nano: int32(k)}}
			case SQLTimestampWithTimeZone:
				v = SQLTimestampTZValue{Date: SQLDateValue{Year: int32(k)}, OffsetSeconds: -3600}
			case SQLDecimal:
				v = SQLDecimalValue{Unscaled: []byte{0x01, byte(k)}, Scale: 2}
			case SQLObject:
				v = []byte{0, 0, 0, 0, 0xff, 0xff, 0xff, 0xf9, byte(k)}
			}
			// Every column type has nulls in rows 1 and 4 (all rows of NULL).
			if t == SQLNull || r == 1 || r == 4 {
				v = nil
			}
			// One column without nulls, to cover the not-null-only kind.
			if t == SQLBigInt && v == nil {
				v = int64(-k)
			}
			col.Values = append(col.Values, v)
		}
		p.Columns = append(p.Columns, col)
	}
	return p
}
