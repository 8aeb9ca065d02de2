package hotrestart

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/rs/zerolog"
)

// writeRecords fills a one-stripe store in dir with n records key-0..
// and closes it, returning the model.
func writeRecords(t *testing.T, dir string, n int) kv {
	t.Helper()
	opts := testOptions(t, dir)
	opts.Parallelism = 1
	s := mustOpen(t, opts)
	want := kv{}
	for i := range n {
		want.put(t, s, Record{Store: "m", Partition: int32(i), Key: fmt.Appendf(nil, "key-%03d", i), Value: value(i, 0, 100)})
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return want
}

// recordSizeOf returns the encoded size of the i-th record writeRecords
// wrote.
func recordSizeOf(i int) int64 {
	return int64(minRecordSize + len("m") + len(fmt.Sprintf("key-%03d", i)) + len(value(i, 0, 100)))
}

func TestTornTailTruncated(t *testing.T) {
	for _, tc := range []struct {
		name  string
		tear  func(t *testing.T, path string, size int64)
		extra int64 // bytes dropped beyond the last record
	}{
		{"truncated by 3 bytes", func(t *testing.T, path string, size int64) {
			if err := os.Truncate(path, size-3); err != nil {
				t.Fatal(err)
			}
		}, 0},
		{"last record checksum", func(t *testing.T, path string, size int64) { flipByte(t, path, size-20) }, 0},
		{"half a header appended", func(t *testing.T, path string, size int64) {
			f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
			if err != nil {
				t.Fatal(err)
			}
			f.Write([]byte{0x80, 0, 0})
			f.Close()
		}, 3},
		{"zeros appended", func(t *testing.T, path string, size int64) {
			f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
			if err != nil {
				t.Fatal(err)
			}
			f.Write(make([]byte, 4096))
			f.Close()
		}, 4096},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			want := writeRecords(t, dir, 100)
			files := chunkFiles(t, dir, 0)
			if len(files) < 2 {
				t.Fatalf("want several chunks, got %d", len(files))
			}
			last := files[len(files)-1]
			fi, _ := os.Stat(last)
			tc.tear(t, last, fi.Size())
			if tc.extra == 0 {
				delete(want, id("m", 99, []byte("key-099")))
			}

			var logs bytes.Buffer
			opts := testOptions(t, dir)
			opts.Parallelism = 1
			opts.Logger = zerolog.New(&logs)
			s := mustOpen(t, opts)
			got, stats := loadAll(t, s)
			checkSame(t, got, want)
			if len(stats.Truncated) != 1 || stats.Truncated[0].Path != last || len(stats.Skipped) != 0 {
				t.Fatalf("stats %+v", stats)
			}
			d := stats.Truncated[0]
			wantOff := fi.Size() - recordSizeOf(99)
			if tc.extra > 0 {
				wantOff = fi.Size()
			}
			if d.Offset != wantOff {
				t.Errorf("truncated at %d, want %d", d.Offset, wantOff)
			}
			if !strings.Contains(logs.String(), "torn tail") || !strings.Contains(logs.String(), `"level":"warn"`) {
				t.Errorf("no warning logged: %s", logs.String())
			}
			if fi2, _ := os.Stat(last); fi2.Size() != d.Offset {
				t.Errorf("file is %d bytes after truncation at %d", fi2.Size(), d.Offset)
			}
			// New writes go to a new chunk and survive another restart.
			want.put(t, s, Record{Store: "m", Partition: 0, Key: []byte("new"), Value: []byte("v")})
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			s = mustOpen(t, opts)
			got, stats = loadAll(t, s)
			checkSame(t, got, want)
			if len(stats.Truncated) != 0 {
				t.Errorf("truncated again: %+v", stats.Truncated)
			}
		})
	}
}

// flipByte inverts one bit of the byte at off in path.
func flipByte(t *testing.T, path string, off int64) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, off); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0x04
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}

// recordStarts returns the offsets of the records of a chunk file.
func recordStarts(t *testing.T, path string) []int64 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []int64
	for off := 0; off < len(b); {
		_, n, err := DecodeRecord(b[off:])
		if err != nil {
			t.Fatalf("%s at %d: %v", path, off, err)
		}
		out = append(out, int64(off))
		off += n
	}
	return out
}

func TestCorruptionInNonLastChunk(t *testing.T) {
	dir := t.TempDir()
	want := writeRecords(t, dir, 100)
	files := chunkFiles(t, dir, 0)
	first := files[0]
	starts := recordStarts(t, first)
	bad := starts[len(starts)/2]
	flipByte(t, first, bad+30) // inside the middle record's header
	opts := testOptions(t, dir)
	opts.Parallelism = 1

	_, err := Open(opts)
	var ce *CorruptionError
	if !errors.As(err, &ce) || !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Open: %v, want a CorruptionError", err)
	}
	if ce.Path != first || ce.Offset != bad {
		t.Errorf("error at %s:%d, want %s:%d", ce.Path, ce.Offset, first, bad)
	}
	if msg := err.Error(); !strings.Contains(msg, first) || !strings.Contains(msg, fmt.Sprintf("byte offset %d", bad)) {
		t.Errorf("error %q does not name the file and offset", msg)
	}

	opts.AllowPartial = true
	s := mustOpen(t, opts)
	got, stats := loadAll(t, s)
	if len(stats.Skipped) != 1 || stats.Skipped[0].Path != first || stats.Skipped[0].Offset != bad {
		t.Fatalf("skipped %+v", stats.Skipped)
	}
	// Records before the damage and in later chunks load; the rest of the
	// damaged chunk is lost.
	lost := len(starts) - len(starts)/2
	for i := len(starts) / 2; i < len(starts); i++ {
		delete(want, id("m", int32(i), fmt.Appendf(nil, "key-%03d", i)))
	}
	checkSame(t, got, want)
	if len(got) != 100-lost {
		t.Errorf("loaded %d, want %d", len(got), 100-lost)
	}
	// The damaged chunk is never collected.
	if _, err := s.GC(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(first); err != nil {
		t.Errorf("damaged chunk removed: %v", err)
	}
}

func TestCorruptionInMiddleOfLastChunk(t *testing.T) {
	dir := t.TempDir()
	writeRecords(t, dir, 100)
	files := chunkFiles(t, dir, 0)
	last := files[len(files)-1]
	starts := recordStarts(t, last)
	if len(starts) < 3 {
		t.Fatalf("last chunk has %d records", len(starts))
	}
	flipByte(t, last, starts[1]+60)
	opts := testOptions(t, dir)
	opts.Parallelism = 1
	_, err := Open(opts)
	var ce *CorruptionError
	if !errors.As(err, &ce) || ce.Path != last || ce.Offset != starts[1] || !strings.Contains(err.Error(), "not a torn tail") {
		t.Fatalf("Open: %v; want corruption at %s:%d", err, last, starts[1])
	}
	if fi, _ := os.Stat(last); fi.Size() <= starts[2] {
		t.Errorf("chunk was truncated to %d", fi.Size())
	}
}

func TestWrongStripe(t *testing.T) {
	dir := t.TempDir()
	opts := testOptions(t, dir)
	s := mustOpen(t, opts)
	s.Close()
	b, _ := AppendRecord(nil, Record{Store: "m", Partition: 1, Key: []byte("k")}, 1)
	os.WriteFile(chunkPathIn(dir, 0, 1), b, 0o644)
	if _, err := Open(opts); err == nil || !strings.Contains(err.Error(), "does not belong to stripe 0") {
		t.Errorf("Open: %v", err)
	}
}

// chunkPathIn returns the path of a chunk in a store directory.
func chunkPathIn(dir string, stripe int, id uint32) string {
	return dir + "/" + stripeDirName(stripe) + "/" + chunkFileName(id)
}
