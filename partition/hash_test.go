package partition

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"testing"
)

// Serialized forms as the official Go client (v1.5.0) writes them with its
// default serialization config: partition hash 0, then the type id, then the
// value, all big-endian.
const (
	typeInt64     int32 = -8
	typeInt32     int32 = -7
	typeString    int32 = -11
	typeByteArray int32 = -12
)

func header(typeID int32) []byte {
	b := make([]byte, 8, 32)
	binary.BigEndian.PutUint32(b[4:], uint32(typeID))
	return b
}

// encString serializes s as the client does: UTF-8 byte length (int32), then
// the UTF-8 bytes.
func encString(s string) []byte {
	b := binary.BigEndian.AppendUint32(header(typeString), uint32(len(s)))
	return append(b, s...)
}

func encInt32(v int32) []byte {
	return binary.BigEndian.AppendUint32(header(typeInt32), uint32(v))
}

// encInt64 serializes int64 values and Go ints (the client writes int as int64).
func encInt64(v int64) []byte {
	return binary.BigEndian.AppendUint64(header(typeInt64), uint64(v))
}

func encBytes(v []byte) []byte {
	b := binary.BigEndian.AppendUint32(header(typeByteArray), uint32(len(v)))
	return append(b, v...)
}

// clientVectors were produced by the official Go client's own serialization
// service (ToData), its Data.PartitionHash and its murmur.HashToIndex.
var clientVectors = []struct {
	name                string
	enc                 []byte
	data                string // hex, as the client serialized it
	hash                int32
	p271, p1, p7, p1000 int32
}{
	{`string ""`, encString(""), "00000000fffffff500000000", 923237662, 11, 0, 4, 662},
	{`string "a"`, encString("a"), "00000000fffffff50000000161", 2099876635, 73, 0, 3, 635},
	{`string "key-1"`, encString("key-1"), "00000000fffffff5000000056b65792d31", 2132451398, 94, 0, 0, 398},
	{`string "key-9"`, encString("key-9"), "00000000fffffff5000000056b65792d39", 367503437, 66, 0, 0, 437},
	{`string "hello world"`, encString("hello world"), "00000000fffffff50000000b68656c6c6f20776f726c64", 1531991486, 31, 0, 4, 486},
	{`string "héllo"`, encString("héllo"), "00000000fffffff50000000668c3a96c6c6f", -131653103, 219, 0, 1, 103},
	{`string "日本語キー"`, encString("日本語キー"), "00000000fffffff50000000fe697a5e69cace8aa9ee382ade383bc", -1972308008, 89, 0, 6, 8},
	{`string "ключ-42"`, encString("ключ-42"), "00000000fffffff50000000bd0bad0bbd18ed1872d3432", 1873333600, 30, 0, 5, 600},
	{`string "🙂emoji"`, encString("🙂emoji"), "00000000fffffff500000009f09f9982656d6f6a69", 933537623, 75, 0, 4, 623},
	{"int32 0", encInt32(0), "00000000fffffff900000000", 923237662, 11, 0, 4, 662},
	{"int32 1", encInt32(1), "00000000fffffff900000001", 768969306, 31, 0, 0, 306},
	{"int32 -1", encInt32(-1), "00000000fffffff9ffffffff", -730160613, 164, 0, 0, 613},
	{"int32 42", encInt32(42), "00000000fffffff90000002a", 2076340387, 175, 0, 2, 387},
	{"int32 max", encInt32(math.MaxInt32), "00000000fffffff97fffffff", -558437363, 129, 0, 1, 363},
	{"int32 min", encInt32(math.MinInt32), "00000000fffffff980000000", 2100936963, 249, 0, 6, 963},
	{"int64 0", encInt64(0), "00000000fffffff80000000000000000", -778983647, 109, 0, 1, 647},
	{"int64 1", encInt64(1), "00000000fffffff80000000000000001", 1824103549, 110, 0, 2, 549},
	{"int64 -1", encInt64(-1), "00000000fffffff8ffffffffffffffff", -1267298398, 231, 0, 2, 398},
	{"int64 1234567890123", encInt64(1234567890123), "00000000fffffff80000011f71fb04cb", -242531761, 40, 0, 3, 761},
	{"int64 min", encInt64(math.MinInt64), "00000000fffffff88000000000000000", -40697186, 32, 0, 5, 186},
	{"int64 max", encInt64(math.MaxInt64), "00000000fffffff87fffffffffffffff", -647413059, 21, 0, 6, 59},
	{"int 7", encInt64(7), "00000000fffffff80000000000000007", 1354136415, 92, 0, 2, 415},
	{"int -7", encInt64(-7), "00000000fffffff8fffffffffffffff9", 915712658, 135, 0, 0, 658},
	{"[]byte raw", encBytes([]byte("raw")), "00000000fffffff400000003726177", 2100326353, 202, 0, 6, 353},
}

func TestClientSerializedKeys(t *testing.T) {
	for _, v := range clientVectors {
		t.Run(v.name, func(t *testing.T) {
			want, err := hex.DecodeString(v.data)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(v.enc, want) {
				t.Fatalf("hand encoding %x, client wrote %x", v.enc, want)
			}
			if got := Hash(want); got != v.hash {
				t.Errorf("Hash = %d, want %d", got, v.hash)
			}
			for _, c := range []struct {
				count int
				want  int32
			}{{DefaultCount, v.p271}, {1, v.p1}, {7, v.p7}, {1000, v.p1000}} {
				if got := ID(want, c.count); got != c.want {
					t.Errorf("ID(count=%d) = %d, want %d", c.count, got, c.want)
				}
			}
		})
	}
}

// TestClientMurmurVectors checks the raw-bytes vectors of the client's
// internal/murmur/murmur_test.go (hash of the bare string bytes, seed Seed).
func TestClientMurmurVectors(t *testing.T) {
	for _, v := range []struct {
		key   string
		hash  int32
		index int32
	}{
		{"key-1", 1228513025, 107},
		{"key-2", 1503416236, 105},
		{"key-3", 1876349747, 218},
		{"key-4", -914632498, 181},
		{"key-5", -803210507, 111},
		{"key-6", -847942313, 115},
		{"key-7", 1196747334, 223},
		{"key-8", -1444149994, 208},
		{"key-9", 1182720020, 140},
	} {
		h := Murmur3([]byte(v.key), Seed)
		if h != v.hash {
			t.Errorf("Murmur3(%q) = %d, want %d", v.key, h, v.hash)
		}
		if got := HashToIndex(h, DefaultCount); got != v.index {
			t.Errorf("HashToIndex(Murmur3(%q)) = %d, want %d", v.key, got, v.index)
		}
	}
}

// TestMurmur3Reference checks MurmurHash3_x86_32 reference vectors for other
// seeds and every tail length.
func TestMurmur3Reference(t *testing.T) {
	for _, v := range []struct {
		in   string
		seed uint32
		want uint32
	}{
		{"", 0, 0},
		{"", 1, 0x514e28b7},
		{"", 0xffffffff, 0x81f16f39},
		{"\x00\x00\x00\x00", 0, 0x2362f9de},
		{"\xff\xff\xff\xff", 0, 0x76293b50},
		{"\x21\x43\x65\x87", 0, 0xf55b516b},
		{"\x21\x43\x65\x87", 0x5082edee, 0x2362f9de},
		{"\x21\x43\x65", 0, 0x7e4a8634},
		{"\x21\x43", 0, 0xa0f7b07a},
		{"\x21", 0, 0x72661cf4},
		{"abc", 0, 0xb3dd93fa},
		{"aaaa", 0x9747b28c, 0x5a97808a},
		{"Hello, world!", 0x9747b28c, 0x24884cba},
		{"The quick brown fox jumps over the lazy dog", 0x9747b28c, 0x2fa826cd},
	} {
		if got := uint32(Murmur3([]byte(v.in), v.seed)); got != v.want {
			t.Errorf("Murmur3(%q, %#x) = %#08x, want %#08x", v.in, v.seed, got, v.want)
		}
	}
}

func TestHashToIndex(t *testing.T) {
	for _, v := range []struct {
		hash  int32
		count int
		want  int32
	}{
		{math.MinInt32, DefaultCount, 0},
		{math.MinInt32, 7, 0}, // abs would overflow; Hazelcast maps it to 0
		{math.MinInt32 + 1, DefaultCount, int32(math.MaxInt32 % DefaultCount)},
		{math.MaxInt32, DefaultCount, int32(math.MaxInt32 % DefaultCount)},
		{-1, DefaultCount, 1},
		{0, DefaultCount, 0},
		{271, DefaultCount, 0},
		{-272, DefaultCount, 1},
		{12345, 1, 0},
		{-12345, 1000, 345},
		{12345, 0, 0},  // degenerate count: no panic
		{12345, -5, 0}, // degenerate count: no panic
		{5, math.MaxInt32 + 10, 5},
	} {
		if got := HashToIndex(v.hash, v.count); got != v.want {
			t.Errorf("HashToIndex(%d, %d) = %d, want %d", v.hash, v.count, got, v.want)
		}
	}
}

func TestPartitionAwareKeys(t *testing.T) {
	key := encString("order-17")
	binary.BigEndian.PutUint32(key, 0x12345678)
	if got := Hash(key); got != 0x12345678 {
		t.Fatalf("Hash = %#x, want the stored partition hash 0x12345678", got)
	}
	if got, want := ID(key, DefaultCount), int32(0x12345678%DefaultCount); got != want {
		t.Errorf("ID = %d, want %d", got, want)
	}
	// Negative stored hash.
	binary.BigEndian.PutUint32(key, uint32(0xfffffff6)) // -10
	if got := ID(key, 7); got != 3 {
		t.Errorf("ID(-10, 7) = %d, want 3", got)
	}
	// Stored MinInt32.
	binary.BigEndian.PutUint32(key, 0x80000000)
	if got := ID(key, DefaultCount); got != 0 {
		t.Errorf("ID(MinInt32) = %d, want 0", got)
	}
	// An 8-byte blob with a stored hash and no payload still uses it.
	hdrOnly := []byte{0, 0, 0, 9, 0xff, 0xff, 0xff, 0xf5}
	if got := Hash(hdrOnly); got != 9 {
		t.Errorf("Hash(header only, stored 9) = %d, want 9", got)
	}
}

func TestShortData(t *testing.T) {
	empty := Murmur3(nil, Seed)
	for n := 0; n < DataOffset; n++ {
		b := bytes.Repeat([]byte{0xab}, n)
		if got := Hash(b); got != empty {
			t.Errorf("Hash(%d bytes) = %d, want empty-payload hash %d", n, got, empty)
		}
		_ = ID(b, DefaultCount)
	}
	if got := Hash(nil); got != empty {
		t.Errorf("Hash(nil) = %d, want %d", got, empty)
	}
	// Exactly the header, no stored hash: hash of the empty payload.
	if got := Hash(header(typeString)); got != empty {
		t.Errorf("Hash(header only) = %d, want %d", got, empty)
	}
}

func TestZeroAllocs(t *testing.T) {
	key := encString("key-12345")
	allocs := testing.AllocsPerRun(100, func() {
		_ = ID(key, DefaultCount)
		_ = Murmur3(key, Seed)
	})
	if allocs != 0 {
		t.Errorf("allocs per run = %v, want 0", allocs)
	}
}

func BenchmarkMurmur3(b *testing.B) {
	for _, n := range []int{8, 16, 64, 1024} {
		data := bytes.Repeat([]byte{0x5a}, n)
		b.Run(fmt.Sprintf("%dB", n), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(n))
			var sink int32
			for b.Loop() {
				sink ^= Murmur3(data, Seed)
			}
			_ = sink
		})
	}
}

func BenchmarkID(b *testing.B) {
	key := encString("key-12345")
	b.ReportAllocs()
	b.SetBytes(int64(len(key)))
	var sink int32
	for b.Loop() {
		sink ^= ID(key, DefaultCount)
	}
	_ = sink
}
