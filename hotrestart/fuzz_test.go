package hotrestart

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// fuzzSeeds are the inputs of testdata/fuzz/FuzzChunkReader: valid chunks,
// a torn one, flipped bytes and junk.
func fuzzSeeds() map[string][]byte {
	enc := func(rs ...Record) []byte {
		var b []byte
		for i, r := range rs {
			var err error
			if b, err = AppendRecord(b, r, uint64(i+1)); err != nil {
				panic(err)
			}
		}
		return b
	}
	one := enc(Record{Store: "orders", Partition: 17, Key: []byte("k1"), Value: []byte("v1"), ExpireAt: 1700000000000, TTL: 60000, MaxIdle: 5000})
	three := enc(
		Record{Store: "m", Partition: 0, Key: []byte("a"), Value: []byte("1")},
		Record{Store: "m", Partition: 0, Key: []byte("a"), Tombstone: true},
		Record{Store: "", Partition: 270, Key: nil, Value: bytes.Repeat([]byte{0xF1}, 40)},
	)
	flipped := bytes.Clone(three)
	flipped[len(one)+10] ^= 0x01
	badFlags := bytes.Clone(one)
	badFlags[offFlags] = 0x82
	return map[string][]byte{
		"empty":          {},
		"one":            one,
		"three":          three,
		"truncated":      three[:len(three)-5],
		"header-only":    three[:headerSize],
		"flipped":        flipped,
		"bad-flags":      badFlags,
		"zeros-tail":     append(bytes.Clone(one), make([]byte, 64)...),
		"huge-length":    append([]byte{0xff, 0xff, 0xff, 0x7f, recordMagic}, make([]byte, 60)...),
		"garbage-then-1": append([]byte("junk"), one...),
	}
}

// TestWriteFuzzSeeds rewrites the committed seed corpus when
// HOTRESTART_WRITE_FUZZ_SEEDS is set, and otherwise checks it is present.
func TestWriteFuzzSeeds(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzChunkReader")
	for name, data := range fuzzSeeds() {
		path := filepath.Join(dir, name)
		content := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", data)
		if os.Getenv("HOTRESTART_WRITE_FUZZ_SEEDS") != "" {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if b, err := os.ReadFile(path); err != nil || string(b) != content {
			t.Errorf("seed %s missing or stale (rerun with HOTRESTART_WRITE_FUZZ_SEEDS=1): %v", path, err)
		}
	}
}

// FuzzChunkReader walks arbitrary bytes as a chunk. It checks that the
// reader never panics, that it agrees with decodeRecord applied record by
// record, that every record it accepts re-encodes to the same bytes, and
// that errors carry the offset of the damaged record.
func FuzzChunkReader(f *testing.F) {
	for _, seed := range fuzzSeeds() {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := newChunkReader(bytes.NewReader(data), "fuzz.chunk", int64(len(data)))
		var end int
		for {
			v, off, n, err := r.next()
			if err == io.EOF {
				if end != len(data) {
					t.Fatalf("EOF at %d of %d", end, len(data))
				}
				break
			}
			want, wantN, status, _ := decodeRecord(data[end:])
			if err != nil {
				var ce *CorruptionError
				if !errors.As(err, &ce) || !errors.Is(err, ErrCorrupt) {
					t.Fatalf("error %v is not a CorruptionError", err)
				}
				if ce.Offset != int64(end) || ce.Path != "fuzz.chunk" {
					t.Fatalf("error at %s:%d, want offset %d", ce.Path, ce.Offset, end)
				}
				if status == decodeOK {
					t.Fatalf("reader rejects a record decodeRecord accepts at %d: %v", end, err)
				}
				if ce.Incomplete != (status == decodeIncomplete) {
					t.Fatalf("incomplete = %v, decodeRecord status %d: %v", ce.Incomplete, status, err)
				}
				break
			}
			if status != decodeOK || wantN != n || off != int64(end) || want.seq != v.seq {
				t.Fatalf("reader and decodeRecord disagree at %d", end)
			}
			enc, err := AppendRecord(nil, v.record(string(v.store)), v.seq)
			if err != nil {
				t.Fatalf("accepted record does not encode: %v", err)
			}
			if !bytes.Equal(enc, data[end:end+n]) {
				t.Fatalf("record at %d re-encodes differently", end)
			}
			end += n
		}
		if p := findValidRecord(data); p >= 0 {
			if _, _, st, _ := decodeRecord(data[p:]); st != decodeOK {
				t.Fatalf("findValidRecord returned %d, which does not decode", p)
			}
		}
	})
}

func TestChunkReaderLargeRecord(t *testing.T) {
	var data []byte
	var err error
	big := bytes.Repeat([]byte("x"), 3*readBufferSize)
	for i, v := range [][]byte{[]byte("small"), big, []byte("after")} {
		if data, err = AppendRecord(data, Record{Store: "m", Key: []byte{byte(i)}, Value: v}, uint64(i+1)); err != nil {
			t.Fatal(err)
		}
	}
	r := newChunkReader(bytes.NewReader(data), "big", int64(len(data)))
	for i := range 3 {
		v, _, _, err := r.next()
		if err != nil || v.seq != uint64(i+1) || (i == 1 && !bytes.Equal(v.value, big)) {
			t.Fatalf("record %d: seq %d, %v", i, v.seq, err)
		}
	}
	if _, _, _, err := r.next(); err != io.EOF {
		t.Fatalf("end: %v", err)
	}
	// The same chunk cut inside the big record is torn.
	r = newChunkReader(bytes.NewReader(data[:len(data)/2]), "big", int64(len(data)/2))
	r.next()
	if _, off, _, err := r.next(); err == nil || !err.(*CorruptionError).Incomplete || off == 0 {
		t.Fatalf("cut big record: %v", err)
	}
}
