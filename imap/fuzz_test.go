package imap

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

// FuzzDecodeRecord feeds DecodeRecord arbitrary bytes. Its seed corpus
// (testdata/fuzz/FuzzDecodeRecord) holds valid records of every shape,
// truncated ones and garbage; `go test` runs the seeds, `go test
// -fuzz=FuzzDecodeRecord ./imap/` explores. It checks that decoding never
// panics, that it accepts exactly what it can account for, that what it
// accepts re-encodes to a record that decodes the same, and that applying
// an accepted record to a partition neither panics nor loses the entry.
func FuzzDecodeRecord(f *testing.F) {
	for _, r := range fuzzSeedRecords() {
		b := AppendRecord(nil, "map", &r)
		f.Add(b)
		f.Add(b[:len(b)/2])
	}
	f.Add([]byte{})
	f.Add([]byte{RecordFormat})
	f.Add([]byte{0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		name, r, n, err := DecodeRecord(b)
		if err != nil {
			if n != 0 || !errors.Is(err, ErrMalformedRecord) {
				t.Fatalf("error %v with n %d", err, n)
			}
			return
		}
		if n <= 0 || n > len(b) {
			t.Fatalf("n %d of %d bytes", n, len(b))
		}
		if r.NilValue && r.Value != nil || !r.Present && (r.Value != nil || r.NilValue) {
			t.Fatalf("inconsistent record %+v", r)
		}
		if r.Lock != nil && r.Lock.Count < 1 {
			t.Fatalf("lock count %d", r.Lock.Count)
		}
		// What decodes re-encodes to something that decodes the same
		// (not necessarily the same bytes: varints may be padded).
		enc := AppendRecord(nil, name, &r)
		name2, r2, n2, err := DecodeRecord(enc)
		if err != nil || n2 != len(enc) || name2 != name || !reflect.DeepEqual(r, r2) {
			t.Fatalf("re-decode: %v, %d of %d, %q %+v, want %q %+v", err, n2, len(enc), name2, r2, name, r)
		}
		// Applying never panics and installs the value.
		clk := &fakeClock{now: 1_700_000_000_000}
		p := NewPartition(0, nil, nil, &manualSched{}, clk.Now)
		p.ApplyRecord(name, &r)
		got, ok := p.ExportKey(name, r.Key)
		if r.Present {
			if !ok || !got.Present || !bytes.Equal(got.Value, r.Value) || got.NilValue != r.NilValue ||
				got.Hits != r.Hits || got.Version != r.Version || got.TTL != max(r.TTL, 0) || got.MaxIdle != max(r.MaxIdle, 0) {
				t.Fatalf("applied %+v, exported %v %+v", r, ok, got)
			}
		} else if got.Present {
			t.Fatalf("applied %+v, exported %+v", r, got)
		}
		if p.EntryCount() > 1 {
			t.Fatalf("%d entries", p.EntryCount())
		}
		p.Digest()
		p.ApplyRemove(name, r.Key)
		if _, ok := p.ExportKey(name, r.Key); ok || p.EntryCount() != 0 {
			t.Fatal("not removed")
		}
	})
}

// fuzzSeedRecords returns records of every shape for the fuzz seeds.
func fuzzSeedRecords() []Record {
	lock := &LockRecord{Owner: alice, Count: 3, Deadline: 1_700_000_060_000}
	return []Record{
		{Key: key("plain"), Present: true, Value: value("v"), Created: 1_700_000_000_000, Updated: 1_700_000_000_500, Accessed: 1_700_000_000_900, Hits: 2, Version: 1},
		{Key: key("ttl"), Present: true, Value: value("v"), Created: 1_700_000_000_000, Updated: 1_700_000_000_000, Accessed: 1_700_000_000_000, TTL: 5000, MaxIdle: 3000},
		{Key: key("nil"), Present: true, NilValue: true, Created: 1, Updated: -1, Accessed: 1 << 62, TTL: -1, Hits: 1<<32 - 1, Version: 1<<32 - 1},
		{Key: key("empty"), Present: true, Value: []byte{}},
		{Key: key("locked"), Present: true, Value: value("v"), Lock: lock},
		{Key: key("locked absent"), Lock: &LockRecord{Owner: bob, Count: 1}},
		{Key: []byte{1}},
		{Key: bytes.Repeat([]byte("k"), 200), Present: true, Value: bytes.Repeat([]byte("v"), 300)},
	}
}
