package protocol

import (
	"bytes"
	"errors"
	"testing"
)

// buildRequest encodes a small request: fixed long param, a string and a
// nullable data.
func buildRequest(t testing.TB, corr int64) []byte {
	t.Helper()
	w := NewWriter(nil)
	c := w.StartRequest(0x010100, 17, LongSize)
	PutInt64(c, RequestHeaderSize, 42)
	w.StringFrame("my-map")
	w.BytesFrame(0, []byte{0, 0, 0, 0, 0xff, 0xff, 0xff, 0xf5, 'k'})
	w.Null()
	msg := w.Finish()
	SetCorrelationID(msg, corr)
	return msg
}

func TestWriterAndIterator(t *testing.T) {
	msg := Message(buildRequest(t, 99))
	if msg.Type() != 0x010100 || msg.CorrelationID() != 99 || msg.PartitionID() != 17 {
		t.Fatalf("header: type %#x corr %d pid %d", msg.Type(), msg.CorrelationID(), msg.PartitionID())
	}
	if msg.Flags()&Unfragmented != Unfragmented {
		t.Fatalf("initial flags %#x lack Unfragmented", msg.Flags())
	}
	it := msg.Iter()
	first := it.Next()
	if GetInt64(first.Content, RequestHeaderSize) != 42 {
		t.Fatal("fixed param lost")
	}
	if s := DecodeString(&it); s != "my-map" {
		t.Fatalf("string %q", s)
	}
	if d := DecodeData(&it); d[8] != 'k' {
		t.Fatalf("data %x", d)
	}
	if !it.NextIsNull() {
		t.Fatal("null frame not seen")
	}
	if it.HasNext() || it.Err() != nil {
		t.Fatalf("trailing state: hasNext %v err %v", it.HasNext(), it.Err())
	}
	// Reading past the end is a sticky error, not a panic.
	_ = DecodeString(&it)
	if !errors.Is(it.Err(), ErrMalformed) {
		t.Fatalf("err = %v, want ErrMalformed", it.Err())
	}
}

func TestFinishSetsFinalOnLastFrameOnly(t *testing.T) {
	msg := Message(buildRequest(t, 1))
	it := msg.Iter()
	var flags []uint16
	for it.HasNext() {
		flags = append(flags, it.Next().Flags)
	}
	for i, f := range flags {
		if (f&IsFinal != 0) != (i == len(flags)-1) {
			t.Fatalf("frame %d flags %#x", i, f)
		}
	}
	if flags[len(flags)-1] != IsFinal|IsNull {
		t.Fatalf("null final frame flags %#x, want %#x", flags[len(flags)-1], IsFinal|IsNull)
	}
}

func TestScannerWholeAndSplit(t *testing.T) {
	a := buildRequest(t, 1)
	b := buildRequest(t, 2)
	stream := append(append([]byte{}, a...), b...)
	s := NewScanner(Limits{})
	n, err := s.Next(stream)
	if err != nil || n != len(a) {
		t.Fatalf("first: n=%d err=%v", n, err)
	}
	n, err = s.Next(stream[len(a):])
	if err != nil || n != len(b) {
		t.Fatalf("second: n=%d err=%v", n, err)
	}
	// Feed one byte at a time: only the last byte completes the message.
	s.Reset()
	for i := 1; i < len(a); i++ {
		n, err := s.Next(a[:i])
		if err != nil || n != 0 {
			t.Fatalf("prefix %d: n=%d err=%v", i, n, err)
		}
	}
	if n, err := s.Next(a); err != nil || n != len(a) {
		t.Fatalf("whole: n=%d err=%v", n, err)
	}
}

func TestScannerRejects(t *testing.T) {
	short := []byte{3, 0, 0, 0, 0, 0x20}
	if _, err := NewScanner(Limits{}).Next(short); !errors.Is(err, ErrFrameTooShort) {
		t.Fatalf("short frame: %v", err)
	}
	negative := []byte{0xff, 0xff, 0xff, 0xff, 0, 0x20}
	if _, err := NewScanner(Limits{}).Next(negative); !errors.Is(err, ErrFrameTooShort) {
		t.Fatalf("negative length: %v", err)
	}
	big := []byte{0, 0, 0, 2, 0, 0x20} // 32 MiB
	if _, err := NewScanner(Limits{MaxFrameSize: 1 << 20}).Next(big); !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("large frame: %v", err)
	}
	// Many small non-final frames exceed the message limit.
	var many []byte
	w := NewWriter(nil)
	for i := 0; i < 100; i++ {
		w.Frame(0, 100)
	}
	many = w.buf // no Finish: no IsFinal anywhere
	if _, err := NewScanner(Limits{MaxMessageSize: 5000}).Next(many); !errors.Is(err, ErrMessageTooLarge) {
		t.Fatalf("message limit: %v", err)
	}
}

func TestPreamble(t *testing.T) {
	if ok, err := CheckPreamble([]byte("CP")); ok || err != nil {
		t.Fatalf("partial: %v %v", ok, err)
	}
	if ok, err := CheckPreamble([]byte("CP2")); !ok || err != nil {
		t.Fatalf("good: %v %v", ok, err)
	}
	if _, err := CheckPreamble([]byte("GET")); !errors.Is(err, ErrBadPreamble) {
		t.Fatalf("bad: %v", err)
	}
	if _, err := CheckPreamble([]byte("X")); !errors.Is(err, ErrBadPreamble) {
		t.Fatalf("bad partial: %v", err)
	}
}

// fragment splits msg into fragments of at most per frames each.
func fragment(msg []byte, id int64, per int) [][]byte {
	var frames [][]byte
	for off := 0; off < len(msg); {
		l, _, _ := frameAt(msg, off)
		frames = append(frames, msg[off:off+l])
		off += l
	}
	var out [][]byte
	for i := 0; i < len(frames); i += per {
		end := min(i+per, len(frames))
		w := NewWriter(nil)
		var flags uint16
		if i == 0 {
			flags |= BeginFragment
		}
		if end == len(frames) {
			flags |= EndFragment
		}
		PutInt64(w.Frame(flags, LongSize), 0, id)
		for _, f := range frames[i:end] {
			w.buf = append(w.buf, f...)
			w.last = len(w.buf) - len(f)
		}
		out = append(out, append([]byte(nil), w.Finish()...))
	}
	return out
}

func TestAssembler(t *testing.T) {
	orig := buildRequest(t, 5)
	frags := fragment(orig, 77, 2)
	if len(frags) < 2 {
		t.Fatalf("want several fragments, got %d", len(frags))
	}
	a := NewAssembler(Limits{})
	var got Message
	for i, f := range frags {
		if !IsFragment(Message(f)) {
			t.Fatalf("fragment %d not recognised", i)
		}
		m, err := a.Add(Message(f))
		if err != nil {
			t.Fatal(err)
		}
		if i < len(frags)-1 && m != nil {
			t.Fatal("message completed early")
		}
		got = m
	}
	if !bytes.Equal(got, orig) {
		t.Fatalf("reassembled\n%x\nwant\n%x", []byte(got), orig)
	}
	if _, err := a.Add(Message(frags[1])); !errors.Is(err, ErrFragment) {
		t.Fatalf("continuation without begin: %v", err)
	}
}

func TestUUIDString(t *testing.T) {
	u := UUID{MSB: 0x0123456789abcdef, LSB: 0xfedcba9876543210}
	if got := u.String(); got != "01234567-89ab-cdef-fedc-ba9876543210" {
		t.Fatal(got)
	}
	b := make([]byte, UUIDSize)
	PutUUID(b, 0, u)
	if GetUUID(b, 0) != u {
		t.Fatal("uuid round trip")
	}
	PutUUID(b, 0, UUID{})
	if b[0] != 1 || !GetUUID(b, 0).IsZero() {
		t.Fatal("null uuid")
	}
}
