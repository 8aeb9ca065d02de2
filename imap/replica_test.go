package imap

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/filbert/filbert/protocol"
)

// keyWithHash is key(s) with partition-hash bytes h.
func keyWithHash(s string, h byte) []byte {
	k := key(s)
	k[0], k[1], k[2], k[3] = h, h+1, h+2, h+3
	return k
}

// put stores k=v in map m with a TTL and max idle in ms (0 = none).
func put(t testing.TB, p *Partition, m string, k, v []byte, ttl, idle int64) {
	t.Helper()
	if _, _, err := p.Put(m, PutArgs{Key: k, Value: v, TTL: ttl, MaxIdle: idle, IgnoreLock: true}); err != nil {
		t.Fatal(err)
	}
}

// replicaFixture fills p with entries of every kind: TTL, max idle, nil
// and empty values, long and short keys, hits and versions, reentrant
// leased locks and locks on absent keys, in two maps. It returns the keys
// by map.
func replicaFixture(t testing.TB, p *Partition, clk *fakeClock) map[string][][]byte {
	keys := map[string][][]byte{}
	add := func(m string, k, v []byte, ttl, idle int64) {
		put(t, p, m, k, v, ttl, idle)
		keys[m] = append(keys[m], k)
	}
	add("m", keyWithHash("ttl", 9), value("1"), 5000, 0)
	clk.now += 1234
	add("m", key("idle"), value("2"), 0, 3000)
	add("m", key("both"), value("3"), 7000, 2000)
	add("m", key("nil"), nil, 0, 0)
	add("m", key("empty"), []byte{}, 0, 0)
	add("m", key(strings.Repeat("k", 300)), bytes.Repeat([]byte("v"), 5000), 0, 0)
	add("m", []byte{1, 2}, value("short key"), 0, 0)
	add("other", key("ttl"), value("other map"), 100_000, 0)
	clk.now += 777
	// Hits, access time and versions.
	for range 3 {
		p.Get("m", key("idle"))
		clk.now += 10
	}
	put(t, p, "m", keyWithHash("ttl", 9), value("1b"), 5000, 0)
	put(t, p, "m", keyWithHash("ttl", 9), value("1c"), 6000, 0)
	clk.now += 55
	// Locks: reentrant with a lease on a present key, none on an absent
	// key, and one on a key of the other map.
	p.Lock("m", key("both"), alice, 60_000)
	p.Lock("m", key("both"), alice, 90_000)
	lk := keyWithHash("locked absent", 0x40)
	p.Lock("m", lk, bob, -1)
	keys["m"] = append(keys["m"], lk)
	p.Lock("other", key("ttl"), bob, -1)
	clk.now += 5
	return keys
}

func encodeDecode(t testing.TB, name string, r *Record) (string, Record) {
	t.Helper()
	buf := AppendRecord([]byte("prefix"), name, r)
	gotName, got, n, err := DecodeRecord(buf[len("prefix"):])
	if err != nil {
		t.Fatalf("decode %q: %v", r.Key, err)
	}
	if n != len(buf)-len("prefix") {
		t.Fatalf("decode took %d of %d bytes", n, len(buf)-len("prefix"))
	}
	return gotName, got
}

func TestExportEncodeApplyRoundTrip(t *testing.T) {
	p, clk, sink, _ := newTestPartition(MapConfig{})
	keys := replicaFixture(t, p, clk)
	sink.events = nil

	// The receiver's stores are created later, with another time base.
	clk2 := &fakeClock{now: clk.now + 50}
	q := NewPartition(7, nil, nil, &manualSched{}, clk2.Now)
	for name, ks := range keys {
		for _, k := range ks {
			r, ok := p.ExportKey(name, k)
			if !ok {
				t.Fatalf("%s %q: not exported", name, k)
			}
			gotName, dec := encodeDecode(t, name, &r)
			if gotName != name || !reflect.DeepEqual(dec, r) {
				t.Fatalf("decoded %q %+v, want %q %+v", gotName, dec, name, r)
			}
			q.ApplyRecord(gotName, &dec)
			got, ok := q.ExportKey(name, k)
			if !ok || !reflect.DeepEqual(got, r) {
				t.Fatalf("%s %q: applied\n%+v\nwant\n%+v", name, k, got, r)
			}
			if r.Lock != nil && !reflect.DeepEqual(got.Lock, r.Lock) {
				t.Fatalf("lock %+v want %+v", got.Lock, r.Lock)
			}
		}
	}
	if len(sink.events) != 0 {
		t.Fatalf("export published %+v", sink.events)
	}

	// Spot checks that the fixture exercised what it should.
	r, _ := p.ExportKey("m", key("idle"))
	if r.Hits != 3 || r.MaxIdle != 3000 || r.Accessed <= r.Updated || r.TTL != 0 {
		t.Fatalf("idle record %+v", r)
	}
	r, _ = p.ExportKey("m", key("ttl")) // other hash bytes, same key
	if r.Version != 2 || r.TTL != 6000 || string(r.Key) != string(keyWithHash("ttl", 9)) || r.Created >= r.Updated {
		t.Fatalf("ttl record %+v", r)
	}
	r, _ = p.ExportKey("m", key("both"))
	if r.Lock == nil || r.Lock.Count != 2 || r.Lock.Owner != alice || r.Lock.Deadline != clk.now-5+90_000 {
		t.Fatalf("lock %+v", r.Lock)
	}
	r, _ = p.ExportKey("m", key("nil"))
	if !r.NilValue || r.Value != nil {
		t.Fatalf("nil record %+v", r)
	}
	r, _ = p.ExportKey("m", key("empty"))
	if r.NilValue || r.Value == nil || len(r.Value) != 0 {
		t.Fatalf("empty record %+v", r)
	}
	r, _ = p.ExportKey("m", key("locked absent"))
	if r.Present || r.Lock == nil || r.Lock.Owner != bob || string(r.Key) != string(keyWithHash("locked absent", 0x40)) {
		t.Fatalf("locked absent record %+v", r)
	}
	if _, ok := p.ExportKey("m", key("nothing")); ok {
		t.Fatal("exported a key that has nothing")
	}
	if _, ok := p.ExportKey("nomap", key("ttl")); ok {
		t.Fatal("exported from a map that does not exist")
	}

	// Expiry on the receiver follows the sender's times: both expire at
	// the same instant.
	for _, x := range []*Partition{p, q} {
		x.now = func() int64 { return r2deadline(t, p) - 1 }
		if x.Peek("m", key("ttl")) == nil {
			t.Fatal("expired early")
		}
		x.now = func() int64 { return r2deadline(t, p) }
		if x.Peek("m", key("ttl")) != nil {
			t.Fatal("not expired at its deadline")
		}
	}
}

// r2deadline is the expiration time of p's "m"/"ttl" entry.
func r2deadline(t testing.TB, p *Partition) int64 {
	s := p.Store("m", false)
	_, e := s.entries.find(idOf(key("ttl")), s.entries.hash(idOf(key("ttl"))))
	if e == nil {
		t.Fatal("no ttl entry")
	}
	return e.expirationTime(s.base)
}

func TestExportKeyChangesNothing(t *testing.T) {
	p, clk, sink, _ := newTestPartition(MapConfig{})
	put(t, p, "m", key("a"), value("1"), 100, 0)
	p.Get("m", key("a"))
	before := *p.EntryView("m", key("a"))
	clk.now += 1000 // due
	sink.events = nil
	for range 3 {
		r, ok := p.ExportKey("m", key("a"))
		if !ok || !r.Present || r.Hits != 1 || r.Accessed != before.LastAccessTime {
			t.Fatalf("export of a due entry: %v %+v", ok, r)
		}
	}
	p.ExportAll(func(string, *Record) bool { return true })
	p.Digest()
	p.Peek("m", key("a"))
	if p.EntryCount() != 1 || len(sink.events) != 0 {
		t.Fatalf("count %d events %+v", p.EntryCount(), sink.events)
	}
}

// collect returns ExportAll's records by map and key, copied.
func collect(p *Partition) map[string]Record {
	out := map[string]Record{}
	p.ExportAll(func(name string, r *Record) bool {
		c := *r
		if r.Lock != nil {
			l := *r.Lock
			c.Lock = &l
		}
		k := name + "\x00" + string(idOf(r.Key))
		if _, dup := out[k]; dup {
			panic("exported twice: " + k)
		}
		out[k] = c
		return true
	})
	return out
}

func TestExportAllApplyReproduces(t *testing.T) {
	p, clk, _, _ := newTestPartition(MapConfig{})
	replicaFixture(t, p, clk)
	for i := range 2000 {
		put(t, p, fmt.Sprintf("map%d", i%3), key(fmt.Sprint(i)), value(strings.Repeat("x", i%200)), int64(i%2)*100_000, 0)
		if i%97 == 0 {
			p.Lock(fmt.Sprintf("map%d", i%3), key(fmt.Sprint(i)), alice, -1)
		}
	}
	for i := range 2000 {
		if i%5 == 0 {
			p.Remove(fmt.Sprintf("map%d", i%3), RemoveArgs{Key: key(fmt.Sprint(i)), Owner: alice})
		}
	}
	want := collect(p)

	// Stream every record through one buffer, as a migration does.
	var buf []byte
	records := 0
	p.ExportAll(func(name string, r *Record) bool {
		buf = AppendRecord(buf, name, r)
		records++
		return true
	})
	q := NewPartition(3, nil, nil, nil, clk.Now)
	for b := buf; len(b) > 0; {
		name, r, n, err := DecodeRecord(b)
		if err != nil {
			t.Fatal(err)
		}
		q.ApplyRecord(name, &r)
		b = b[n:]
		records--
	}
	if records != 0 {
		t.Fatalf("%d records not decoded", records)
	}
	if p.Digest() != q.Digest() || p.Digest() == 0 {
		t.Fatalf("digest %x != %x", p.Digest(), q.Digest())
	}
	if p.EntryCount() != q.EntryCount() || p.EntryCount() != 1600+7+1 {
		t.Fatalf("entries %d, %d", p.EntryCount(), q.EntryCount())
	}
	if got := collect(q); !reflect.DeepEqual(got, want) {
		t.Fatalf("ExportAll differs after apply: %d vs %d records", len(got), len(want))
	}
	// Expiry counters came along: the receiver sweeps what the sender
	// does.
	clk.now += 200_000
	if a, b := p.Sweep(), q.Sweep(); a != b || a == 0 {
		t.Fatalf("swept %d and %d", a, b)
	}
	if p.Digest() != q.Digest() {
		t.Fatal("digests differ after sweeping")
	}

	// ExportAll stops when fn returns false.
	calls := 0
	p.ExportAll(func(string, *Record) bool { calls++; return calls < 3 })
	if calls != 3 {
		t.Fatalf("fn called %d times after returning false", calls)
	}
}

func TestApplyRecordSemantics(t *testing.T) {
	p, clk, sink, sched := newTestPartition(MapConfig{TTLSeconds: 100, MaxIdleSeconds: 100})
	s := p.Store("m", true)
	rec := &Record{Key: key("k"), Present: true, Value: value("v"), Created: clk.now - 10, Updated: clk.now - 5, Accessed: clk.now - 1, TTL: -1, MaxIdle: 0, Hits: 4, Version: 9}
	p.ApplyRecord("m", rec)
	got, _ := p.ExportKey("m", key("k"))
	// No map defaults: the record is installed as given.
	if got.TTL != 0 || got.MaxIdle != 0 || got.Hits != 4 || got.Version != 9 || got.Created != clk.now-10 || s.expiring != 0 {
		t.Fatalf("got %+v expiring %d", got, s.expiring)
	}
	rec.TTL = 50
	p.ApplyRecord("m", rec)
	if s.expiring != 1 || s.Len() != 1 {
		t.Fatalf("expiring %d len %d", s.expiring, s.Len())
	}
	rec.TTL = 0
	rec.MaxIdle = 7
	p.ApplyRecord("m", rec)
	if s.expiring != 1 {
		t.Fatalf("expiring %d", s.expiring)
	}
	p.ApplyRemove("m", key("k"))
	if s.expiring != 0 || s.Len() != 0 {
		t.Fatalf("expiring %d len %d after remove", s.expiring, s.Len())
	}
	// Zero times mean now.
	p.ApplyRecord("m", &Record{Key: key("z"), Present: true, Value: value("v")})
	if got, _ := p.ExportKey("m", key("z")); got.Created != clk.now || got.Updated != clk.now || got.Accessed != clk.now {
		t.Fatalf("zero times: %+v", got)
	}
	// ApplyRemove and ApplyRecord create the store.
	p.ApplyRemove("fresh", key("z"))
	if p.Store("fresh", false) == nil {
		t.Fatal("ApplyRemove did not create the store")
	}
	// A record with neither entry nor lock removes.
	p.ApplyRecord("m", &Record{Key: key("z")})
	if p.Peek("m", key("z")) != nil {
		t.Fatal("not removed")
	}
	if len(sink.events) != 0 {
		t.Fatalf("apply published %+v", sink.events)
	}

	// Locks: parked operations wake only when the lock is released or
	// changes hands.
	woken := 0
	park := func() {
		p.Park("m", key("l"), -1, &Parked{Retry: func() { woken++ }})
	}
	p.ApplyRecord("m", &Record{Key: key("l"), Lock: &LockRecord{Owner: alice, Count: 1}})
	if !p.IsLocked("m", key("l")) || p.Lock("m", key("l"), bob, -1) {
		t.Fatal("applied lock not held")
	}
	park()
	p.ApplyRecord("m", &Record{Key: key("l"), Present: true, Value: value("x"), Lock: &LockRecord{Owner: alice, Count: 2}})
	if woken != 0 {
		t.Fatal("woken by an entry change under the same lock")
	}
	if p.Unlock("m", key("l"), alice); !p.IsLocked("m", key("l")) {
		t.Fatal("count 2 not applied")
	}
	p.ApplyRecord("m", &Record{Key: key("l"), Present: true, Value: value("x"), Lock: &LockRecord{Owner: bob, Count: 1}})
	if woken != 1 {
		t.Fatalf("woken %d times by a change of owner", woken)
	}
	park()
	p.ApplyRecord("m", &Record{Key: key("l"), Present: true, Value: value("x")})
	if woken != 2 || p.IsLocked("m", key("l")) {
		t.Fatalf("woken %d times by a release", woken)
	}
	// A lease runs out on the receiver's clock and wakes waiters.
	sched.fns = nil
	p.ApplyRecord("m", &Record{Key: key("l"), Lock: &LockRecord{Owner: bob, Count: 1, Deadline: clk.now + 1000}})
	park()
	if len(sched.fns) == 0 {
		t.Fatal("lease end not scheduled")
	}
	clk.now += 1000
	sched.runAll()
	if woken != 3 || p.IsLocked("m", key("l")) {
		t.Fatalf("lease end: woken %d locked %v", woken, p.IsLocked("m", key("l")))
	}
	// A lease already over is no lock.
	p.ApplyRecord("m", &Record{Key: key("l"), Lock: &LockRecord{Owner: bob, Count: 1, Deadline: clk.now}})
	if p.IsLocked("m", key("l")) {
		t.Fatal("ended lease applied")
	}
	if _, ok := p.ExportKey("m", key("l")); ok {
		t.Fatal("exported an absent unlocked key")
	}
	// A new lease for the same owner replaces the old timer.
	p.ApplyRecord("m", &Record{Key: key("l"), Lock: &LockRecord{Owner: bob, Count: 1, Deadline: clk.now + 10}})
	p.ApplyRecord("m", &Record{Key: key("l"), Lock: &LockRecord{Owner: bob, Count: 1, Deadline: clk.now + 5000}})
	clk.now += 10
	sched.runAll()
	if !p.IsLocked("m", key("l")) {
		t.Fatal("old lease timer released the renewed lock")
	}
	// ApplyRemove releases the lock and wakes.
	park()
	p.ApplyRemove("m", key("l"))
	if woken != 4 || p.IsLocked("m", key("l")) {
		t.Fatalf("ApplyRemove: woken %d", woken)
	}
}

func TestReset(t *testing.T) {
	p, clk, sink, sched := newTestPartition(MapConfig{})
	replicaFixture(t, p, clk)
	sink.events = nil
	retried := 0
	for _, k := range []string{"both", "locked absent"} {
		p.Park("m", key(k), -1, &Parked{Retry: func() {
			retried++
			if p.IsLocked("m", key(k)) || p.Get("m", key(k)) != nil || p.EntryCount() != 0 {
				t.Error("retry saw old state")
			}
		}})
	}
	p.Reset()
	if retried != 2 {
		t.Fatalf("retried %d", retried)
	}
	if p.EntryCount() != 0 || len(p.Maps()) != 0 || p.Digest() != 0 || len(sink.events) != 0 {
		t.Fatalf("after reset: %d entries, maps %v, events %v", p.EntryCount(), p.Maps(), sink.events)
	}
	if _, ok := p.ExportKey("m", key("both")); ok {
		t.Fatal("lock survived reset")
	}
	// A lease timer from before the reset leaves a new lock alone.
	if !p.Lock("m", key("both"), bob, -1) {
		t.Fatal("lock after reset")
	}
	p.Park("m", key("both"), -1, &Parked{Retry: func() { retried++ }})
	clk.now += 100_000
	sched.runAll()
	if !p.IsLocked("m", key("both")) || retried != 2 {
		t.Fatal("stale lease timer touched the new lock")
	}
}

func TestPeek(t *testing.T) {
	p, clk, sink, _ := newTestPartition(MapConfig{})
	put(t, p, "m", key("a"), value("1"), 0, 2000)
	clk.now += 1500
	before := *p.EntryView("m", key("a"))
	for range 5 {
		if got := p.Peek("m", key("a")); string(got) != string(value("1")) {
			t.Fatalf("peek %q", got)
		}
	}
	if after := *p.EntryView("m", key("a")); !reflect.DeepEqual(after, before) {
		t.Fatalf("peek changed the entry: %+v -> %+v", before, after)
	}
	if p.Peek("m", key("b")) != nil || p.Peek("x", key("a")) != nil {
		t.Fatal("peek of nothing")
	}
	clk.now += 600 // max idle passed: Get would have kept it alive
	sink.events = nil
	if p.Peek("m", key("a")) != nil {
		t.Fatal("peek returned an expired entry")
	}
	if p.EntryCount() != 1 || len(sink.events) != 0 {
		t.Fatal("peek expired the entry")
	}
}

func TestDigest(t *testing.T) {
	build := func(order []int, mutate func(p *Partition)) *Partition {
		clk := &fakeClock{now: 5_000_000}
		p := NewPartition(1, nil, nil, nil, clk.Now)
		for _, i := range order {
			m := fmt.Sprintf("m%d", i%2)
			put(t, p, m, keyWithHash(fmt.Sprint(i), byte(i)), value(fmt.Sprint(i*i)), int64(i%3)*100_000, int64(i%4)*100_000)
			clk.now += int64(i)
			if i%3 == 0 {
				p.Get(m, key(fmt.Sprint(i)))
			}
		}
		p.Lock("m0", key("absent"), alice, -1)
		p.Lock("m1", key("1"), bob, -1)
		if mutate != nil {
			mutate(p)
		}
		return p
	}
	var fwd, rev []int
	for i := range 300 {
		fwd = append(fwd, i)
		rev = append(rev, 299-i)
	}
	base := build(fwd, nil).Digest()
	if base == 0 {
		t.Fatal("zero digest")
	}
	// Equal in any order, after churn, and whatever hits, times and key
	// hash bytes.
	same := map[string]func(p *Partition){
		"reverse": nil,
		"churn": func(p *Partition) {
			put(t, p, "m0", key("tmp"), value("x"), 0, 0)
			p.Remove("m0", RemoveArgs{Key: key("tmp")})
			p.Lock("m0", key("tmp"), alice, -1)
			p.Unlock("m0", key("tmp"), alice)
			p.Store("empty map", true)
		},
		"hits": func(p *Partition) { p.Get("m0", key("2")); p.Get("m0", key("2")) },
		"hash bytes": func(p *Partition) {
			r, _ := p.ExportKey("m0", key("2"))
			r.Key = keyWithHash("2", 77)
			r.Version += 3
			r.Created -= 10
			p.ApplyRecord("m0", &r)
		},
	}
	for name, f := range same {
		order := fwd
		if name == "reverse" {
			order = rev
		}
		if d := build(order, f).Digest(); d != base {
			t.Errorf("%s: digest %x, want %x", name, d, base)
		}
	}
	changed := map[string]func(p *Partition){
		"value":     func(p *Partition) { put(t, p, "m0", key("2"), value("5"), 200_000, 200_000) },
		"ttl":       func(p *Partition) { p.SetTTL("m0", key("2"), 9000) },
		"removed":   func(p *Partition) { p.Remove("m0", RemoveArgs{Key: key("2")}) },
		"added":     func(p *Partition) { put(t, p, "m0", key("new"), value("x"), 0, 0) },
		"nil value": func(p *Partition) { put(t, p, "m0", key("new"), nil, 0, 0) },
		"other map": func(p *Partition) { put(t, p, "m2", key("new"), value("x"), 0, 0) },
		"lock":      func(p *Partition) { p.Lock("m0", key("2"), alice, -1) },
		"reentry":   func(p *Partition) { p.Lock("m1", key("1"), bob, -1) },
		"owner": func(p *Partition) {
			p.ForceUnlock("m1", key("1"))
			p.Lock("m1", key("1"), alice, -1)
		},
		"unlock absent": func(p *Partition) { p.ForceUnlock("m0", key("absent")) },
	}
	seen := map[uint64]string{base: "base"}
	for name, f := range changed {
		d := build(fwd, f).Digest()
		if prev, dup := seen[d]; dup {
			t.Errorf("%s: digest %x same as %s", name, d, prev)
		}
		seen[d] = name
	}
	// Nil and empty values differ.
	a := NewPartition(1, nil, nil, nil, nil)
	b := NewPartition(1, nil, nil, nil, nil)
	put(t, a, "m", key("k"), nil, 0, 0)
	put(t, b, "m", key("k"), []byte{}, 0, 0)
	if a.Digest() == b.Digest() {
		t.Fatal("nil and empty values digest the same")
	}
}

// TestDigestStable pins the digest of a fixed state: it must not depend on
// the process (index seeds, map order) so that members can compare.
func TestDigestStable(t *testing.T) {
	p := NewPartition(1, nil, nil, nil, func() int64 { return 1_700_000_000_000 })
	put(t, p, "m", key("a"), value("1"), 5000, 0)
	put(t, p, "m", key("b"), nil, 0, 3000)
	put(t, p, "n", key("a"), []byte{}, 0, 0)
	p.Lock("n", key("z"), alice, 10_000)
	const want = 0x9204da3782014a95
	if got := p.Digest(); got != want {
		t.Fatalf("digest %#x, want %#x", got, uint64(want))
	}
}

func TestExpiryHook(t *testing.T) {
	p, clk, _, _ := newTestPartition(MapConfig{})
	var got []string
	p.ExpiryHook = func(name string, key []byte) { got = append(got, name+":"+string(key[8:])) }
	put(t, p, "m", key("a"), value("1"), 100, 0)
	put(t, p, "m", key("b"), value("1"), 100, 0)
	put(t, p, "m", key("c"), value("1"), 0, 0)
	put(t, p, "n", key("d"), value("1"), 100, 0)
	clk.now += 100
	if p.Get("m", key("a")) != nil {
		t.Fatal("not expired")
	}
	if len(got) != 1 || got[0] != "m:a" {
		t.Fatalf("lazy expiry hook: %v", got)
	}
	if n := p.Sweep(); n != 2 || len(got) != 3 {
		t.Fatalf("sweep %d hook %v", n, got)
	}
	// Not called for removals, evictions or applied removals.
	p.Remove("m", RemoveArgs{Key: key("c")})
	p.ApplyRemove("m", key("b"))
	if len(got) != 3 {
		t.Fatalf("hook %v", got)
	}
}

func TestDecodeMalformed(t *testing.T) {
	r := Record{Key: key("k"), Present: true, Value: value("v"), Created: 1, Updated: 2, Accessed: 3, TTL: 4, MaxIdle: 5, Hits: 6, Version: 7,
		Lock: &LockRecord{Owner: Owner{Client: protocol.UUID{MSB: 8, LSB: 9}, Thread: -10}, Count: 11, Deadline: 12}}
	good := AppendRecord(nil, "map", &r)
	// Every truncation fails.
	for i := range len(good) {
		if _, _, n, err := DecodeRecord(good[:i]); err == nil || n != 0 || !errors.Is(err, ErrMalformedRecord) {
			t.Fatalf("truncated to %d: n %d err %v", i, n, err)
		}
	}
	// Trailing bytes are left for the next record.
	if _, _, n, err := DecodeRecord(append(good, 0xff)); err != nil || n != len(good) {
		t.Fatalf("trailing: n %d err %v", n, err)
	}
	bad := func(name string, b []byte) {
		t.Helper()
		if _, _, n, err := DecodeRecord(b); err == nil || n != 0 || !errors.Is(err, ErrMalformedRecord) {
			t.Fatalf("%s: n %d err %v", name, n, err)
		}
	}
	mod := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	bad("version", mod(func(b []byte) []byte { b[0] = 2; return b }))
	bad("unknown flag", []byte{1, 0, 8, 0})
	bad("nil without entry", []byte{1, 0, 2, 0})
	bad("name past end", []byte{1, 50, 'a'})
	bad("huge length", []byte{1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f})
	bad("varint overflow", []byte{1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	bad("empty", nil)
	lockOnly := AppendRecord(nil, "", &Record{Lock: &LockRecord{Count: 1}})
	zero := append([]byte(nil), lockOnly...)
	zero[len(zero)-2] = 0
	bad("lock count 0", zero)
	big := binary.AppendUvarint(append([]byte(nil), lockOnly[:len(lockOnly)-2]...), math.MaxUint64)
	bad("lock count huge", append(big, 0))
	hits := AppendRecord(nil, "", &Record{Present: true, NilValue: true})
	hits = binary.AppendUvarint(hits[:len(hits)-2], math.MaxUint32+1)
	bad("hits out of range", append(hits, 0))

	// Garbage never panics and never claims more than it has.
	seed := uint64(1)
	for range 20_000 {
		n := int(seed % 40)
		b := make([]byte, n)
		for i := range b {
			seed = seed*6364136223846793005 + 1442695040888963407
			b[i] = byte(seed >> 56)
		}
		if len(b) > 0 && seed%2 == 0 {
			b[0] = RecordFormat
		}
		if _, _, m, err := DecodeRecord(b); (err == nil) != (m > 0) || m > len(b) {
			t.Fatalf("%x: n %d err %v", b, m, err)
		}
	}
}

func TestDecodeAliases(t *testing.T) {
	buf := AppendRecord(nil, "m", &Record{Key: key("k"), Present: true, Value: value("v")})
	_, r, _, err := DecodeRecord(buf)
	if err != nil {
		t.Fatal(err)
	}
	if cap(r.Key) != len(r.Key) || cap(r.Value) != len(r.Value) {
		t.Fatal("decoded slices have spare capacity")
	}
	// Applying copies: the buffer may be reused.
	p := NewPartition(1, nil, nil, nil, nil)
	p.ApplyRecord("m", &r)
	buf[bytes.LastIndex(buf, value("v"))+8] = 'w'
	if r.Value[8] != 'w' {
		t.Fatal("value does not alias the input")
	}
	if string(p.Peek("m", key("k"))) != string(value("v")) {
		t.Fatal("applied record aliases the buffer")
	}
}

// benchPartition holds n entries with 16-byte keys and 100-byte values.
func benchPartition(b *testing.B, n int) (*Partition, int64) {
	p := NewPartition(1, nil, nil, nil, nil)
	v := bytes.Repeat([]byte("v"), 100)
	var size int64
	for i := range n {
		k := key(fmt.Sprintf("%08d", i))
		put(b, p, "bench", k, v, int64(i%2)*60_000, 0)
		size += int64(len(k) + len(v))
	}
	return p, size
}

// BenchmarkExportAll measures a migration's read side per partition of
// 10k entries; bytes are keys and values.
func BenchmarkExportAll(b *testing.B) {
	p, size := benchPartition(b, 10_000)
	b.Run("iterate", func(b *testing.B) {
		b.SetBytes(size)
		b.ReportAllocs()
		for b.Loop() {
			n := 0
			p.ExportAll(func(_ string, r *Record) bool { n += len(r.Value); return true })
		}
	})
	b.Run("encode", func(b *testing.B) {
		b.SetBytes(size)
		b.ReportAllocs()
		var buf []byte
		for b.Loop() {
			buf = buf[:0]
			p.ExportAll(func(name string, r *Record) bool { buf = AppendRecord(buf, name, r); return true })
		}
	})
	b.Run("digest", func(b *testing.B) {
		b.SetBytes(size)
		b.ReportAllocs()
		for b.Loop() {
			p.Digest()
		}
	})
}

// BenchmarkApplyRecord measures a backup's or migration's write side, per
// record; bytes are the encoded records.
func BenchmarkApplyRecord(b *testing.B) {
	p, _ := benchPartition(b, 10_000)
	var buf []byte
	var offs []int
	p.ExportAll(func(name string, r *Record) bool {
		offs = append(offs, len(buf))
		buf = AppendRecord(buf, name, r)
		return true
	})
	offs = append(offs, len(buf))
	per := int64(len(buf) / (len(offs) - 1))
	b.Run("apply", func(b *testing.B) {
		recs := make([]Record, len(offs)-1)
		for i := range recs {
			_, recs[i], _, _ = DecodeRecord(buf[offs[i]:])
		}
		q := NewPartition(1, nil, nil, nil, nil)
		b.SetBytes(per)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			q.ApplyRecord("bench", &recs[i])
			if i++; i == len(recs) {
				i = 0
			}
		}
	})
	b.Run("decode+apply", func(b *testing.B) {
		q := NewPartition(1, nil, nil, nil, nil)
		b.SetBytes(per)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			name, r, _, err := DecodeRecord(buf[offs[i]:])
			if err != nil {
				b.Fatal(err)
			}
			q.ApplyRecord(name, &r)
			if i++; i == len(offs)-1 {
				i = 0
			}
		}
	})
}
