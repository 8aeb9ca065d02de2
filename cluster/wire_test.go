package cluster

import (
	"bytes"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/filbert/filbert/protocol"
)

// sampleView is a view with members whose fields exercise the encoding:
// a multi-byte port, an IPv6 host, a long host name.
func sampleView() View {
	return View{
		Version:   7,
		ClusterID: protocol.UUID{MSB: 0x0102030405060708, LSB: 0xf0e0d0c0b0a09080},
		Members: []MemberInfo{
			{UUID: protocol.UUID{MSB: 1, LSB: 2}, Host: "127.0.0.1", Port: 5701},
			{UUID: protocol.UUID{MSB: math.MaxUint64, LSB: math.MaxUint64}, Host: "::1", Port: 65535},
			{UUID: protocol.UUID{MSB: 3, LSB: 0}, Host: strings.Repeat("h", 300), Port: 0},
		},
	}
}

// encodeAll writes one value of every kind Enc knows, in a fixed order that
// decodeAll reads back.
func encodeAll(e *Enc) {
	e.Uvarint(0)
	e.Uvarint(math.MaxUint64)
	e.Varint(math.MinInt64)
	e.Varint(-1)
	e.Varint(math.MaxInt64)
	e.Varint(math.MinInt32)
	e.Bool(true)
	e.Bool(false)
	e.Bytes(nil)
	e.Bytes([]byte{0, 1, 2, 0xff})
	e.String("")
	e.String("héllo, wörld")
	e.UUID(protocol.UUID{MSB: 0xdeadbeef, LSB: 1})
	e.View(View{})
	e.View(sampleView())
}

type decoded struct {
	U0, UMax             uint64
	VMin, VNeg, VMax     int64
	I32                  int
	T, F                 bool
	BNil, B              []byte
	SEmpty, S            string
	U                    protocol.UUID
	ViewEmpty, ViewThree View
}

func decodeAll(d *Dec) decoded {
	var r decoded
	r.U0, r.UMax = d.Uvarint(), d.Uvarint()
	r.VMin, r.VNeg, r.VMax = d.Varint(), d.Varint(), d.Varint()
	r.I32 = d.Int()
	r.T, r.F = d.Bool(), d.Bool()
	r.BNil, r.B = d.Bytes(), d.Bytes()
	r.SEmpty, r.S = d.String(), d.String()
	r.U = d.UUID()
	r.ViewEmpty, r.ViewThree = d.View(), d.View()
	return r
}

func TestEncDecRoundTrip(t *testing.T) {
	var e Enc
	encodeAll(&e)
	d := Dec{B: e.B}
	got := decodeAll(&d)
	if err := d.Err(); err != nil {
		t.Fatalf("Err = %v", err)
	}
	if len(d.B) != 0 {
		t.Fatalf("%d bytes left over", len(d.B))
	}
	want := decoded{
		U0: 0, UMax: math.MaxUint64,
		VMin: math.MinInt64, VNeg: -1, VMax: math.MaxInt64,
		I32: math.MinInt32,
		T:   true, F: false,
		BNil: []byte{}, B: []byte{0, 1, 2, 0xff},
		SEmpty: "", S: "héllo, wörld",
		U:         protocol.UUID{MSB: 0xdeadbeef, LSB: 1},
		ViewEmpty: View{},
		ViewThree: sampleView(),
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("decoded\n%+v\nwant\n%+v", got, want)
	}
}

func TestDecBytesAliasesWithCappedCapacity(t *testing.T) {
	var e Enc
	e.Bytes([]byte("abc"))
	e.Bytes([]byte("xyz"))
	in := e.B
	d := Dec{B: in}
	b := d.Bytes()
	if cap(b) != len(b) {
		t.Fatalf("cap %d > len %d: appending to the result would overwrite the input", cap(b), len(b))
	}
	_ = append(b, '!')
	if got := d.String(); got != "xyz" {
		t.Fatalf("second value = %q after appending to the first", got)
	}
}

// TestDecTruncated decodes every proper prefix of a valid encoding: the
// first short read sets ErrShort, it sticks, and every later read returns
// its zero value without panicking.
func TestDecTruncated(t *testing.T) {
	var e Enc
	encodeAll(&e)
	full := e.B
	for cut := 0; cut < len(full); cut++ {
		d := Dec{B: bytes.Clone(full[:cut])}
		_ = decodeAll(&d)
		if !errors.Is(d.Err(), ErrShort) {
			t.Fatalf("prefix of %d/%d bytes: Err = %v, want ErrShort", cut, len(full), d.Err())
		}
	}
}

func TestDecErrorSticks(t *testing.T) {
	var e Enc
	e.Uvarint(300) // two bytes
	d := Dec{B: e.B[:1]}
	if x := d.Uvarint(); x != 0 || !errors.Is(d.Err(), ErrShort) {
		t.Fatalf("Uvarint on a cut varint = %d, %v", x, d.Err())
	}
	// Every reader returns its zero value once failed.
	if d.Uvarint() != 0 || d.Varint() != 0 || d.Int() != 0 || d.Bool() ||
		d.Bytes() != nil || d.String() != "" || !d.UUID().IsZero() ||
		d.Count(1) != 0 || !reflect.DeepEqual(d.View(), View{}) {
		t.Fatal("a failed Dec returned a non-zero value")
	}
	if !errors.Is(d.Err(), ErrShort) {
		t.Fatalf("Err = %v after more reads", d.Err())
	}
}

func TestDecShortInputs(t *testing.T) {
	enc := func(f func(*Enc)) []byte {
		var e Enc
		f(&e)
		return e.B
	}
	tests := []struct {
		name string
		in   []byte
		read func(*Dec)
	}{
		{"uvarint empty", nil, func(d *Dec) { d.Uvarint() }},
		{"uvarint overflow", bytes.Repeat([]byte{0xff}, 11), func(d *Dec) { d.Uvarint() }},
		{"varint empty", nil, func(d *Dec) { d.Varint() }},
		{"int above int32", enc(func(e *Enc) { e.Varint(math.MaxInt32 + 1) }), func(d *Dec) { d.Int() }},
		{"int below int32", enc(func(e *Enc) { e.Varint(math.MinInt32 - 1) }), func(d *Dec) { d.Int() }},
		{"bool empty", nil, func(d *Dec) { d.Bool() }},
		{"bytes longer than input", []byte{5, 1, 2, 3, 4}, func(d *Dec) { d.Bytes() }},
		{"bytes huge length", enc(func(e *Enc) { e.Uvarint(math.MaxUint64) }), func(d *Dec) { d.Bytes() }},
		{"string longer than input", []byte{2, 'a'}, func(d *Dec) { _ = d.String() }},
		{"uuid 15 bytes", make([]byte, 15), func(d *Dec) { d.UUID() }},
		{"view members cut", enc(func(e *Enc) { e.View(sampleView()) })[:40], func(d *Dec) { d.View() }},
		{"view version above int32", enc(func(e *Enc) {
			e.Varint(math.MaxInt32 + 1)
			e.UUID(protocol.UUID{})
			e.Uvarint(0)
		}), func(d *Dec) { d.View() }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Dec{B: tt.in}
			tt.read(&d)
			if !errors.Is(d.Err(), ErrShort) {
				t.Fatalf("Err = %v, want ErrShort", d.Err())
			}
		})
	}
}

func TestDecCount(t *testing.T) {
	withCount := func(n uint64, rest int) []byte {
		var e Enc
		e.Uvarint(n)
		return append(e.B, make([]byte, rest)...)
	}
	tests := []struct {
		name string
		in   []byte
		min  int
		want int
		err  bool
	}{
		{"zero", withCount(0, 0), 18, 0, false},
		{"fits exactly", withCount(3, 54), 18, 3, false},
		{"one byte short", withCount(3, 53), 18, 0, true},
		{"huge count", withCount(math.MaxUint64, 100), 1, 0, true},
		{"huge count, min 0 counts as 1", withCount(101, 100), 0, 0, true},
		{"min 0 counts as 1", withCount(100, 100), 0, 100, false},
		{"negative min counts as 1", withCount(100, 100), -5, 100, false},
		{"no count", nil, 1, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Dec{B: tt.in}
			got := d.Count(tt.min)
			if got != tt.want || (d.Err() != nil) != tt.err {
				t.Fatalf("Count(%d) = %d, err %v; want %d, err %v", tt.min, got, d.Err(), tt.want, tt.err)
			}
		})
	}
}

// TestDecViewHugeCountDoesNotAllocate checks that a corrupt member count
// fails before the reader allocates for it.
func TestDecViewHugeCountDoesNotAllocate(t *testing.T) {
	var e Enc
	e.Varint(1)
	e.UUID(protocol.UUID{MSB: 1})
	e.Uvarint(1 << 40)
	in := append(e.B, make([]byte, 64)...)
	allocs := testing.AllocsPerRun(10, func() {
		d := Dec{B: in}
		_ = d.View()
		if d.Err() == nil {
			t.Fatal("a view claiming 2^40 members decoded")
		}
	})
	if allocs > 1 {
		t.Fatalf("%v allocations decoding a view with a corrupt count", allocs)
	}
}

func TestFrameRoundTrip(t *testing.T) {
	frames := []Frame{
		{Kind: kindHello, Flags: 0, Corr: 1, Payload: []byte("hello")},
		{Kind: 0, Flags: FlagResponse | FlagError, Corr: math.MaxUint64, Payload: []byte("boom")},
		{Kind: FirstServiceKind, Flags: 0, Corr: 0, Payload: []byte{}},
		{Kind: 255, Flags: FlagResponse, Corr: 1 << 40, Payload: bytes.Repeat([]byte{0xab}, 70000)},
	}
	var stream []byte
	for _, f := range frames {
		before := len(stream)
		stream = AppendHeader(stream, f.Kind, f.Flags, f.Corr, len(f.Payload))
		if got := len(stream) - before; got != HeaderSize {
			t.Fatalf("AppendHeader wrote %d bytes, want HeaderSize %d", got, HeaderSize)
		}
		stream = append(stream, f.Payload...)
	}
	rest := stream
	for i, want := range frames {
		got, n, err := ParseFrame(rest)
		if err != nil || n != HeaderSize+len(want.Payload) {
			t.Fatalf("frame %d: n=%d err=%v", i, n, err)
		}
		if got.Kind != want.Kind || got.Flags != want.Flags || got.Corr != want.Corr || !bytes.Equal(got.Payload, want.Payload) {
			t.Fatalf("frame %d = %+v, want %+v", i, got, want)
		}
		if cap(got.Payload) != len(got.Payload) {
			t.Fatalf("frame %d: payload capacity %d reaches into the next frame", i, cap(got.Payload))
		}
		rest = rest[n:]
	}
	if len(rest) != 0 {
		t.Fatalf("%d bytes left", len(rest))
	}
}

// TestParseFramePartial feeds every proper prefix of a frame: all report
// n == 0 without an error.
func TestParseFramePartial(t *testing.T) {
	frame := AppendHeader(nil, kindJoin, 0, 42, 5)
	frame = append(frame, "12345"...)
	for cut := 0; cut < len(frame); cut++ {
		f, n, err := ParseFrame(frame[:cut])
		if n != 0 || err != nil || f.Payload != nil {
			t.Fatalf("prefix %d/%d: n=%d err=%v frame=%+v", cut, len(frame), n, err, f)
		}
	}
	if _, n, err := ParseFrame(frame); n != len(frame) || err != nil {
		t.Fatalf("whole frame: n=%d err=%v", n, err)
	}
}

func TestParseFrameBadLength(t *testing.T) {
	header := func(l uint32) []byte {
		b := []byte{byte(l >> 24), byte(l >> 16), byte(l >> 8), byte(l)}
		return append(b, make([]byte, HeaderSize-4)...)
	}
	for _, l := range []uint32{MaxFrame + 1, math.MaxUint32, 0, HeaderSize - 5} {
		_, n, err := ParseFrame(header(l))
		if n != 0 || !errors.Is(err, ErrFrameTooLarge) {
			t.Errorf("length %d: n=%d err=%v, want ErrFrameTooLarge", l, n, err)
		}
	}
	// The largest allowed frame is only incomplete, not an error.
	if _, n, err := ParseFrame(header(MaxFrame)); n != 0 || err != nil {
		t.Errorf("length MaxFrame with the header only: n=%d err=%v", n, err)
	}
	// A frame with an empty payload is exactly a header.
	if _, n, err := ParseFrame(header(HeaderSize - 4)); n != HeaderSize || err != nil {
		t.Errorf("empty payload: n=%d err=%v", n, err)
	}
}

func TestPreambleDiffersFromClients(t *testing.T) {
	if len(Preamble) != len(protocol.Preamble) || bytes.Equal(Preamble, protocol.Preamble[:]) {
		t.Fatalf("member preamble %q vs client preamble %q: must be distinct and the same length", Preamble, protocol.Preamble)
	}
}
