package hotrestart

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"
)

func TestGCReclaimsAndDataStillLoads(t *testing.T) {
	dir := t.TempDir()
	opts := testOptions(t, dir)
	s := mustOpen(t, opts)
	want := kv{}
	const keys = 40
	for v := range 20 {
		for i := range keys {
			want.put(t, s, Record{Store: "m", Partition: int32(i), Key: fmt.Appendf(nil, "k%d", i), Value: value(i, v, 120), TTL: int64(v)})
		}
	}
	for i := 0; i < keys; i += 4 {
		want.del(t, s, "m", int32(i), fmt.Appendf(nil, "k%d", i))
	}
	if err := s.Sync(); err != nil {
		t.Fatal(err)
	}
	before := s.Stats()
	if before.GarbageRatio < 0.8 {
		t.Fatalf("garbage ratio %.2f before GC", before.GarbageRatio)
	}
	gs, err := s.GC()
	if err != nil {
		t.Fatal(err)
	}
	after := s.Stats()
	t.Logf("before %+v\nGC %+v\nafter %+v", before, gs, after)
	if gs.Chunks == 0 || after.DiskBytes >= before.DiskBytes/2 || after.GCChunks != int64(gs.Chunks) {
		t.Errorf("GC reclaimed too little: %+v", gs)
	}
	if n := len(chunkFiles(t, dir, 0)) + len(chunkFiles(t, dir, 1)); n != after.Chunks {
		t.Errorf("%d chunk files, stats say %d", n, after.Chunks)
	}
	got, _ := loadAll(t, s)
	checkSame(t, got, want)
	// Writes continue after GC, and everything survives a restart.
	want.put(t, s, Record{Store: "m", Partition: 1, Key: []byte("k1"), Value: []byte("after gc")})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = mustOpen(t, opts)
	got, _ = loadAll(t, s)
	checkSame(t, got, want)
}

func TestGCKeepsTombstonesWhileOlderValuesExist(t *testing.T) {
	dir := t.TempDir()
	opts := testOptions(t, dir)
	opts.Parallelism = 1
	s := mustOpen(t, opts)
	want := kv{}
	// The value of "victim" sits in chunk 1 among values that stay live.
	want.put(t, s, Record{Store: "m", Key: []byte("victim"), Value: value(0, 0, 100)})
	for i := range 30 {
		want.put(t, s, Record{Store: "m", Key: fmt.Appendf(nil, "stable-%d", i), Value: value(i, 0, 100)})
	}
	// Its tombstone goes to a later chunk full of garbage.
	want.del(t, s, "m", 0, []byte("victim"))
	for v := range 10 {
		for i := range 10 {
			want.put(t, s, Record{Store: "m", Key: fmt.Appendf(nil, "churn-%d", i), Value: value(i, v, 100)})
		}
	}
	if err := s.Sync(); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := s.GC(); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = mustOpen(t, opts)
	got, _ := loadAll(t, s)
	checkSame(t, got, want) // "victim" must not come back

	// Once the old value's chunk is collected the tombstone becomes
	// garbage, and a pass over its chunk (which may by now hold the
	// tombstone's GC copy next to churn values) drops it from disk and index.
	for i := range 30 {
		want.put(t, s, Record{Store: "m", Key: fmt.Appendf(nil, "stable-%d", i), Value: value(i, 1, 100)})
	}
	for i := range 10 {
		want.put(t, s, Record{Store: "m", Key: fmt.Appendf(nil, "churn-%d", i), Value: value(i, 99, 100)})
	}
	for range 3 {
		if err := s.Sync(); err != nil {
			t.Fatal(err)
		}
		if _, err := s.GC(); err != nil {
			t.Fatal(err)
		}
	}
	st := s.Stats()
	if st.Keys != len(want) {
		t.Errorf("index has %d keys, want %d (tombstone not dropped)", st.Keys, len(want))
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = mustOpen(t, opts)
	got, _ = loadAll(t, s)
	checkSame(t, got, want)
}

func TestGCConcurrentWithWrites(t *testing.T) {
	dir := t.TempDir()
	opts := testOptions(t, dir)
	opts.Parallelism = 3
	opts.GCInterval = 5 * time.Millisecond
	opts.FlushInterval = time.Millisecond
	s := mustOpen(t, opts)
	models := make([]kv, 4)
	var wg sync.WaitGroup
	for w := range models {
		models[w] = kv{}
		wg.Go(func() {
			for v := range 60 {
				for i := range 15 {
					k := fmt.Appendf(nil, "w%d-k%d", w, i)
					if (v+i)%7 == 0 {
						models[w].del(t, s, "m", int32(w*15+i), k)
					} else {
						models[w].put(t, s, Record{Store: "m", Partition: int32(w*15 + i), Key: k, Value: value(i, v, 80)})
					}
				}
			}
		})
	}
	wg.Wait()
	if err := s.Sync(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GC(); err != nil {
		t.Fatal(err)
	}
	want := kv{}
	for _, m := range models {
		for k, v := range m {
			want[k] = v
		}
	}
	st := s.Stats()
	if st.GCChunks == 0 {
		t.Errorf("background GC collected nothing: %+v", st)
	}
	got, _ := loadAll(t, s)
	checkSame(t, got, want)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	opts.GCInterval = -1
	s = mustOpen(t, opts)
	got, _ = loadAll(t, s)
	checkSame(t, got, want)
}

// TestRandomOpsModel runs random puts, deletes, GC passes and restarts
// against a model, and checks after each restart that recovery rebuilds
// the same accounting the running store had.
func TestRandomOpsModel(t *testing.T) {
	dir := t.TempDir()
	opts := testOptions(t, dir)
	opts.Parallelism = 2
	opts.GCGarbageRatio = 0.3
	rng := rand.New(rand.NewPCG(1, 2))
	s := mustOpen(t, opts)
	want := kv{}
	var collected int64
	defer func() {
		if collected == 0 {
			t.Error("GC never collected a chunk")
		}
	}()
	for round := range 12 {
		for range 400 {
			k := rng.IntN(60)
			key := fmt.Appendf(nil, "k%d", k)
			pid := int32(k % 5)
			switch r := rng.IntN(10); {
			case r < 3:
				want.del(t, s, "m", pid, key)
			default:
				want.put(t, s, Record{Store: "m", Partition: pid, Key: key, Value: value(k, round, 20+rng.IntN(200))})
			}
			if rng.IntN(150) == 0 {
				if _, err := s.GC(); err != nil {
					t.Fatal(err)
				}
			}
		}
		if err := s.Sync(); err != nil {
			t.Fatal(err)
		}
		before := s.Stats()
		collected += before.GCChunks
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		s = mustOpen(t, opts)
		after := s.Stats()
		if before.Keys != after.Keys || before.DiskBytes != after.DiskBytes || before.GarbageBytes != after.GarbageBytes {
			t.Errorf("round %d: running store had keys %d disk %d garbage %d; recovery found %d %d %d", round,
				before.Keys, before.DiskBytes, before.GarbageBytes, after.Keys, after.DiskBytes, after.GarbageBytes)
		}
		got, _ := loadAll(t, s)
		checkSame(t, got, want)
		if t.Failed() {
			t.FailNow()
		}
	}
}
