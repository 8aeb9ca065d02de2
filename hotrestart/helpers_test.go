package hotrestart

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"

	"github.com/rs/zerolog"
)

// testOptions returns small-chunk options for dir with background GC off
// and logs going to t.
func testOptions(t testing.TB, dir string) Options {
	return Options{
		Dir:         dir,
		Parallelism: 2,
		ChunkSize:   minChunkSize,
		GCInterval:  -1,
		Logger:      zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.InfoLevel),
	}
}

// mustOpen opens a store and closes it at the end of the test.
func mustOpen(t testing.TB, opts Options) *Store {
	t.Helper()
	s, err := Open(opts)
	if err != nil {
		t.Fatalf("Open(%s): %v", opts.Dir, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// kv is a model of the expected live state.
type kv map[string]Record

// id names a record's key in the model.
func id(store string, pid int32, key []byte) string { return fmt.Sprintf("%s/%d/%s", store, pid, key) }

// put writes rec to s and the model.
func (m kv) put(t testing.TB, s *Store, rec Record) {
	t.Helper()
	if err := s.Put(rec); err != nil {
		t.Fatalf("Put(%s): %v", id(rec.Store, rec.Partition, rec.Key), err)
	}
	rec.Key = bytes.Clone(rec.Key)
	rec.Value = bytes.Clone(rec.Value)
	m[id(rec.Store, rec.Partition, rec.Key)] = rec
}

// del deletes a key from s and the model.
func (m kv) del(t testing.TB, s *Store, store string, pid int32, key []byte) {
	t.Helper()
	if err := s.Delete(store, pid, key); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	delete(m, id(store, pid, key))
}

// clone copies the model.
func (m kv) clone() kv {
	out := make(kv, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// loadAll loads every live record of s.
func loadAll(t testing.TB, s *Store) (kv, LoadStats) {
	t.Helper()
	var mu sync.Mutex
	got := kv{}
	stats, err := s.Load(func(r Record) error {
		r.Key, r.Value = bytes.Clone(r.Key), bytes.Clone(r.Value)
		mu.Lock()
		defer mu.Unlock()
		k := id(r.Store, r.Partition, r.Key)
		if _, dup := got[k]; dup {
			return fmt.Errorf("%s delivered twice", k)
		}
		got[k] = r
		return nil
	}, nil)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return got, stats
}

// checkSame compares loaded records with the model (sequence numbers
// aside).
func checkSame(t testing.TB, got, want kv) {
	t.Helper()
	var problems []string
	for k, w := range want {
		g, ok := got[k]
		switch {
		case !ok:
			problems = append(problems, "missing "+k)
		case !bytes.Equal(g.Value, w.Value) || g.ExpireAt != w.ExpireAt || g.TTL != w.TTL || g.MaxIdle != w.MaxIdle || g.Tombstone:
			problems = append(problems, fmt.Sprintf("%s: got value %q exp %d ttl %d idle %d, want %q exp %d ttl %d idle %d",
				k, g.Value, g.ExpireAt, g.TTL, g.MaxIdle, w.Value, w.ExpireAt, w.TTL, w.MaxIdle))
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			problems = append(problems, "unexpected "+k)
		}
	}
	sort.Strings(problems)
	if len(problems) > 10 {
		problems = append(problems[:10], fmt.Sprintf("... and %d more", len(problems)-10))
	}
	for _, p := range problems {
		t.Error(p)
	}
}

// chunkFiles lists the chunk files of stripe i of dir.
func chunkFiles(t testing.TB, dir string, stripe int) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(dir, stripeDirName(stripe)))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if _, ok := parseChunkFileName(e.Name()); ok {
			out = append(out, filepath.Join(dir, stripeDirName(stripe), e.Name()))
		}
	}
	sort.Strings(out)
	return out
}

// value returns a test value of about n bytes.
func value(i, version, n int) []byte {
	v := fmt.Appendf(nil, "value-%d-v%d-", i, version)
	for len(v) < n {
		v = append(v, byte('a'+len(v)%26))
	}
	return v
}
