package imap

import (
	"errors"
	"testing"
	"time"

	"github.com/filbert/filbert/protocol"
)

// fakeClock is a settable clock.
type fakeClock struct{ now int64 }

func (c *fakeClock) Now() int64 { return c.now }

// recSink records events.
type recSink struct{ events []Event }

func (s *recSink) Wants(string) bool        { return true }
func (s *recSink) Publish(_ int32, e Event) { s.events = append(s.events, e) }

// manualSched runs scheduled functions when the test says so.
type manualSched struct{ fns []func() }

func (m *manualSched) After(_ int32, _ time.Duration, f func()) func() bool {
	m.fns = append(m.fns, f)
	i := len(m.fns) - 1
	return func() bool { m.fns[i] = func() {}; return true }
}

func (m *manualSched) runAll() {
	fns := m.fns
	m.fns = nil
	for _, f := range fns {
		f()
	}
}

func key(s string) []byte   { return append([]byte{0, 0, 0, 0, 0xff, 0xff, 0xff, 0xf5}, s...) }
func value(s string) []byte { return append([]byte{0, 0, 0, 0, 0xff, 0xff, 0xff, 0xf5}, s...) }

func newTestPartition(cfg MapConfig) (*Partition, *fakeClock, *recSink, *manualSched) {
	clk := &fakeClock{now: 1_000_000}
	sink := &recSink{}
	sched := &manualSched{}
	p := NewPartition(7, func(string) MapConfig { return cfg }, sink, sched, clk.Now)
	return p, clk, sink, sched
}

var alice = Owner{Client: protocol.UUID{MSB: 1, LSB: 1}, Thread: 1}
var bob = Owner{Client: protocol.UUID{MSB: 2, LSB: 2}, Thread: 1}

func TestPutGetEvents(t *testing.T) {
	p, _, sink, _ := newTestPartition(MapConfig{})
	if old, stored, err := p.Put("m", PutArgs{Key: key("a"), Value: value("1"), TTL: -1, MaxIdle: -1}); old != nil || !stored || err != nil {
		t.Fatalf("first put: %v %v %v", old, stored, err)
	}
	old, _, _ := p.Put("m", PutArgs{Key: key("a"), Value: value("2"), TTL: -1, MaxIdle: -1})
	if string(old) != string(value("1")) {
		t.Fatalf("old = %q", old)
	}
	if got := p.Get("m", key("a")); string(got) != string(value("2")) {
		t.Fatalf("get = %q", got)
	}
	// Keys differing only in the partition-hash bytes are the same key.
	k2 := key("a")
	k2[3] = 9
	if got := p.Get("m", k2); got == nil {
		t.Fatal("key identity must ignore bytes 0-3")
	}
	if _, removed, _ := p.Remove("m", RemoveArgs{Key: key("a")}); !removed {
		t.Fatal("remove reported nothing removed")
	}
	want := []int32{EventAdded, EventUpdated, EventRemoved}
	if len(sink.events) != len(want) {
		t.Fatalf("events %+v", sink.events)
	}
	for i, e := range sink.events {
		if e.Type != want[i] {
			t.Fatalf("event %d type %d want %d", i, e.Type, want[i])
		}
	}
	if sink.events[2].OldValue == nil || sink.events[2].Value != nil {
		t.Fatal("removed event must carry the old value only")
	}
}

func TestConditionalPuts(t *testing.T) {
	p, _, _, _ := newTestPartition(MapConfig{})
	if _, stored, _ := p.Put("m", PutArgs{Key: key("a"), Value: value("1"), IfPresent: true}); stored {
		t.Fatal("replace of absent key stored")
	}
	p.Put("m", PutArgs{Key: key("a"), Value: value("1"), TTL: -1, MaxIdle: -1})
	if old, stored, _ := p.Put("m", PutArgs{Key: key("a"), Value: value("2"), IfAbsent: true}); stored || string(old) != string(value("1")) {
		t.Fatal("putIfAbsent overwrote")
	}
	if _, stored, _ := p.Put("m", PutArgs{Key: key("a"), Value: value("3"), Expect: value("x")}); stored {
		t.Fatal("replaceIfSame with wrong expectation stored")
	}
	if _, stored, _ := p.Put("m", PutArgs{Key: key("a"), Value: value("3"), Expect: value("1")}); !stored {
		t.Fatal("replaceIfSame with right expectation did not store")
	}
	if _, removed, _ := p.Remove("m", RemoveArgs{Key: key("a"), Expect: value("1")}); removed {
		t.Fatal("removeIfSame with stale value removed")
	}
}

func TestTTLAndMaxIdle(t *testing.T) {
	p, clk, sink, _ := newTestPartition(MapConfig{TTLSeconds: 10})
	p.Put("m", PutArgs{Key: key("cfg"), Value: value("1"), TTL: -1, MaxIdle: -1})
	p.Put("m", PutArgs{Key: key("call"), Value: value("1"), TTL: 2000, MaxIdle: -1})
	p.Put("m", PutArgs{Key: key("idle"), Value: value("1"), TTL: 0, MaxIdle: 3000})
	p.Put("m", PutArgs{Key: key("forever"), Value: value("1"), TTL: 0, MaxIdle: -1})
	clk.now += 1500
	if p.Get("m", key("idle")) == nil { // access resets idle
		t.Fatal("idle key gone early")
	}
	clk.now += 1000 // t=2.5s
	if p.Get("m", key("call")) != nil {
		t.Fatal("2s TTL key alive at 2.5s")
	}
	clk.now += 2000 // t=4.5s, idle last access at 1.5s
	if n := p.Sweep(); n != 1 {
		t.Fatalf("sweep expired %d, want 1 (idle)", n)
	}
	clk.now += 6000 // t=10.5s
	p.Sweep()
	if p.Get("m", key("cfg")) != nil {
		t.Fatal("map-config TTL not applied")
	}
	if p.Get("m", key("forever")) == nil {
		t.Fatal("TTL 0 must mean forever")
	}
	expired := 0
	for _, e := range sink.events {
		if e.Type == EventExpired {
			expired++
		}
	}
	if expired != 3 {
		t.Fatalf("expired events %d, want 3", expired)
	}
}

func TestEntryView(t *testing.T) {
	p, clk, _, _ := newTestPartition(MapConfig{})
	p.Put("m", PutArgs{Key: key("a"), Value: value("1"), TTL: 5000, MaxIdle: -1})
	clk.now += 10
	p.Get("m", key("a"))
	p.Get("m", key("a"))
	p.Put("m", PutArgs{Key: key("a"), Value: value("2"), TTL: 5000, MaxIdle: -1})
	v := p.EntryView("m", key("a"))
	if v.Hits != 2 || v.Version != 1 || v.TTL != 5000 || v.CreationTime != 1_000_000 || v.LastUpdateTime != 1_000_010 {
		t.Fatalf("view %+v", v)
	}
	if v.ExpirationTime != 1_000_010+5000 {
		t.Fatalf("expiration %d", v.ExpirationTime)
	}
}

func TestLocks(t *testing.T) {
	p, clk, _, sched := newTestPartition(MapConfig{})
	if !p.Lock("m", key("a"), alice, -1) || !p.Lock("m", key("a"), alice, -1) {
		t.Fatal("reentrant lock failed")
	}
	if p.Lock("m", key("a"), bob, -1) {
		t.Fatal("bob took alice's lock")
	}
	if err := p.Unlock("m", key("a"), bob); !errors.Is(err, ErrNotLockOwner) {
		t.Fatalf("bob unlock: %v", err)
	}
	if _, _, err := p.Put("m", PutArgs{Key: key("a"), Value: value("x"), Owner: bob}); !errors.Is(err, ErrLocked) {
		t.Fatalf("bob put on locked key: %v", err)
	}
	if _, _, err := p.Put("m", PutArgs{Key: key("a"), Value: value("x"), Owner: alice}); err != nil {
		t.Fatalf("alice put: %v", err)
	}
	woken := 0
	p.Park("m", key("a"), -1, &Parked{Retry: func() { woken++ }})
	_ = p.Unlock("m", key("a"), alice)
	if woken != 0 || !p.IsLocked("m", key("a")) {
		t.Fatal("one unlock of a twice-held lock released it")
	}
	_ = p.Unlock("m", key("a"), alice)
	if woken != 1 || p.IsLocked("m", key("a")) {
		t.Fatalf("release did not wake (woken=%d)", woken)
	}
	// A lease ends the lock by itself.
	p.Lock("m", key("b"), alice, 1000)
	clk.now += 1000
	sched.runAll()
	if p.IsLocked("m", key("b")) {
		t.Fatal("lease did not expire")
	}
	// Park with a timeout: the timeout fires, not the retry.
	p.Lock("m", key("c"), alice, -1)
	timedOut := false
	p.Park("m", key("c"), time.Second, &Parked{Retry: func() { t.Error("retry after timeout") }, Timeout: func() { timedOut = true }})
	sched.runAll()
	if !timedOut {
		t.Fatal("park timeout did not fire")
	}
	p.ForceUnlock("m", key("c"))
	if p.IsLocked("m", key("c")) {
		t.Fatal("force unlock failed")
	}
	// A departed client's locks are released.
	p.Lock("m", key("d"), bob, -1)
	p.ReleaseClient(bob.Client)
	if p.IsLocked("m", key("d")) {
		t.Fatal("ReleaseClient left the lock")
	}
}

func TestClearSkipsLockedKeys(t *testing.T) {
	p, _, _, _ := newTestPartition(MapConfig{})
	p.Put("m", PutArgs{Key: key("a"), Value: value("1"), TTL: -1, MaxIdle: -1})
	p.Put("m", PutArgs{Key: key("b"), Value: value("1"), TTL: -1, MaxIdle: -1})
	p.Lock("m", key("a"), alice, -1)
	if n := p.Clear("m", false); n != 1 {
		t.Fatalf("cleared %d, want 1", n)
	}
	if p.Size("m") != 1 {
		t.Fatal("locked key cleared")
	}
}

func BenchmarkPutGet(b *testing.B) {
	p, _, _, _ := newTestPartition(MapConfig{})
	p.sink = nil
	keys := make([][]byte, 1024)
	for i := range keys {
		keys[i] = key(string(rune('a'+i%26)) + string(rune(i)))
	}
	v := value("0123456789012345678901234567890123456789")
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		k := keys[i&1023]
		if i&1 == 0 {
			p.Put("m", PutArgs{Key: k, Value: v, TTL: -1, MaxIdle: -1})
		} else {
			p.Get("m", k)
		}
	}
}

func benchKeys(n int) [][]byte {
	keys := make([][]byte, n)
	for i := range keys {
		keys[i] = key(string(rune('a'+i%26)) + string(rune(i)))
	}
	return keys
}

func BenchmarkGet(b *testing.B) {
	p, _, _, _ := newTestPartition(MapConfig{})
	p.sink = nil
	keys := benchKeys(1024)
	v := value("0123456789012345678901234567890123456789")
	for _, k := range keys {
		p.Put("m", PutArgs{Key: k, Value: v, TTL: -1, MaxIdle: -1})
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		p.Get("m", keys[i&1023])
	}
}

func BenchmarkPutUpdate(b *testing.B) {
	p, _, _, _ := newTestPartition(MapConfig{})
	p.sink = nil
	keys := benchKeys(1024)
	v := value("0123456789012345678901234567890123456789")
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		p.Put("m", PutArgs{Key: keys[i&1023], Value: v, TTL: -1, MaxIdle: -1})
	}
}

// BenchmarkPutInsert fills fresh maps of 64k entries (growth included).
func BenchmarkPutInsert(b *testing.B) {
	keys := benchKeys(1 << 16)
	v := value("0123456789012345678901234567890123456789")
	b.ReportAllocs()
	var p *Partition
	for i := 0; i < b.N; i++ {
		if i&(1<<16-1) == 0 {
			p, _, _, _ = newTestPartition(MapConfig{})
			p.sink = nil
		}
		p.Put("m", PutArgs{Key: keys[i&(1<<16-1)], Value: v, TTL: -1, MaxIdle: -1})
	}
}

// TestMaxIdleCountsAccessInWholeSeconds: as in Hazelcast, reads polled faster
// than a 1s max idle do not keep the entry forever, while reads spaced well
// within a longer max idle do.
func TestMaxIdleCountsAccessInWholeSeconds(t *testing.T) {
	p, clk, _, _ := newTestPartition(MapConfig{})
	p.Put("m", PutArgs{Key: key("short"), Value: value("1"), TTL: 0, MaxIdle: 1000})
	p.Put("m", PutArgs{Key: key("long"), Value: value("1"), TTL: 0, MaxIdle: 3000})
	gone := -1
	for step := 1; step <= 10; step++ {
		clk.now += 300
		if p.Get("m", key("short")) == nil && gone < 0 {
			gone = step * 300
		}
		if p.Get("m", key("long")) == nil {
			t.Fatalf("3s max idle entry expired at +%dms despite reads every 300ms", step*300)
		}
	}
	if gone < 1000 || gone > 2000 {
		t.Fatalf("1s max idle entry polled every 300ms expired at +%dms, want within 1-2s", gone)
	}
}
