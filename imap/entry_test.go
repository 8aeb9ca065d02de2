package imap

import (
	"bytes"
	"fmt"
	"math"
	"math/rand"
	"testing"
)

// Values handed out must never change afterwards, whatever happens to the
// entry: server/bulk.go encodes them on another worker later.
func TestHandedOutValuesStayValid(t *testing.T) {
	p, clk, sink, _ := newTestPartition(MapConfig{})
	p.Put("m", PutArgs{Key: key("a"), Value: value("one"), TTL: -1, MaxIdle: -1})
	got := p.Get("m", key("a"))
	var fromEntries []byte
	p.Entries("m", func(_, v []byte) { fromEntries = v })
	view := p.EntryView("m", key("a")).Value
	added := sink.events[0].Value
	if cap(got) != len(got) {
		t.Fatalf("value cap %d != len %d: an append would write into the store", cap(got), len(got))
	}
	// Updates of the same key, other keys, TTL changes, removal, clear.
	old, _, _ := p.Put("m", PutArgs{Key: key("a"), Value: value("two"), TTL: -1, MaxIdle: -1})
	for i := range 100 {
		p.Put("m", PutArgs{Key: key(fmt.Sprint(i)), Value: value("xxx"), TTL: -1, MaxIdle: -1})
	}
	p.SetTTL("m", key("a"), 10)
	clk.now += 5
	got2 := p.Get("m", key("a"))
	_ = append(got2, 'z') // must reallocate, not write past the value
	p.Remove("m", RemoveArgs{Key: key("a")})
	p.Clear("m", false)
	for name, v := range map[string][]byte{"Get": got, "Entries": fromEntries, "EntryView": view, "event": added, "old": old} {
		if string(v) != string(value("one")) {
			t.Fatalf("%s value changed to %q", name, v)
		}
	}
	if string(got2) != string(value("two")) {
		t.Fatalf("second value changed to %q", got2)
	}
}

func TestNilAndEmptyValues(t *testing.T) {
	p, _, _, _ := newTestPartition(MapConfig{})
	p.Put("m", PutArgs{Key: key("nil"), Value: nil, TTL: -1, MaxIdle: -1})
	p.Put("m", PutArgs{Key: key("empty"), Value: []byte{}, TTL: -1, MaxIdle: -1})
	if v := p.Get("m", key("nil")); v != nil {
		t.Fatalf("nil value read back as %#v", v)
	}
	if v := p.Get("m", key("empty")); v == nil || len(v) != 0 {
		t.Fatalf("empty value read back as %#v", v)
	}
	if !p.ContainsKey("m", key("nil")) || p.Size("m") != 2 {
		t.Fatal("nil-valued entry missing")
	}
}

func TestShortAndLargeKeys(t *testing.T) {
	p, _, _, _ := newTestPartition(MapConfig{})
	big := bytes.Repeat([]byte("k"), 70000)
	bigV := bytes.Repeat([]byte("v"), 300000)
	// Identities: "", "\x01", "\x01\x02\x03", "\x05", type id only, 70000+ bytes.
	keys := [][]byte{{}, {1}, {1, 2, 3}, {9, 9, 9, 9, 5}, key(""), append([]byte{0, 0, 0, 7}, big...)}
	for i, k := range keys {
		v := append(value(fmt.Sprint(i)), bigV[:i*1000]...)
		p.Put("m", PutArgs{Key: k, Value: v, TTL: int64(i) << 40, MaxIdle: int64(i) << 20})
	}
	for i, k := range keys {
		want := append(value(fmt.Sprint(i)), bigV[:i*1000]...)
		if v := p.Get("m", k); !bytes.Equal(v, want) {
			t.Fatalf("key %d: got %d bytes", i, len(v))
		}
		ev := p.EntryView("m", k)
		if i > 0 && (ev.TTL != int64(i)<<40 || ev.MaxIdle != int64(i)<<20) {
			t.Fatalf("key %d: ttl %d idle %d", i, ev.TTL, ev.MaxIdle)
		}
		// Keys shorter than 4 bytes come back behind 4 zero bytes,
		// as before.
		wantKey := fullKey(idOf(k), keyHash(k))
		if !bytes.Equal(ev.Key, wantKey) {
			t.Fatalf("key %d: view key %x want %x", i, ev.Key, wantKey)
		}
		if ev.Cost != int64(len(wantKey)+len(want)+96) {
			t.Fatalf("key %d: cost %d", i, ev.Cost)
		}
	}
	if p.Size("m") != len(keys) {
		t.Fatalf("size %d", p.Size("m"))
	}
	// As before, a key shorter than 4 bytes is its own identity, so {}
	// and any 4-byte key share the identity "".
	if v := p.Get("m", []byte{9, 9, 9, 9}); string(v) != string(value("0")) {
		t.Fatalf("4-byte key read %q", v)
	}
}

func TestTTLPrecision(t *testing.T) {
	p, clk, _, _ := newTestPartition(MapConfig{})
	start := clk.now
	p.Put("m", PutArgs{Key: key("a"), Value: value("1"), TTL: 1000, MaxIdle: -1})
	p.Put("m", PutArgs{Key: key("i"), Value: value("1"), TTL: 0, MaxIdle: 1000})
	clk.now = start + 999
	if p.Get("m", key("a")) == nil {
		t.Fatal("1s TTL expired at 999ms")
	}
	clk.now = start + 1000
	if p.Get("m", key("a")) != nil {
		t.Fatal("1s TTL alive at 1000ms")
	}
	// The idle entry was last accessed at start: due at start+1000.
	if p.Get("m", key("i")) != nil {
		t.Fatal("1s max idle alive at 1000ms")
	}
}

func TestUpdateKeepsStats(t *testing.T) {
	p, clk, _, _ := newTestPartition(MapConfig{})
	k := key("a")
	k[0] = 0x12 // partition hash bytes of the first put are kept
	p.Put("m", PutArgs{Key: k, Value: value("1"), TTL: 0, MaxIdle: 7000})
	clk.now += 3
	p.Get("m", key("a"))
	clk.now += 4
	p.Put("m", PutArgs{Key: key("a"), Value: value("2"), TTL: 9000, MaxIdle: -1})
	clk.now += 5
	p.SetTTL("m", key("a"), 2000)
	v := p.EntryView("m", key("a"))
	if v.Key[0] != 0x12 || v.Hits != 1 || v.Version != 1 || v.CreationTime != 1_000_000 ||
		v.LastAccessTime != 1_000_003 || v.LastUpdateTime != 1_000_012 || v.TTL != 2000 ||
		v.MaxIdle != 7000 || v.ExpirationTime != 1_000_012+2000 || string(v.Value) != string(value("2")) {
		t.Fatalf("view %+v", v)
	}
	// TTL 0 removes the expiry; the store no longer counts it.
	p.SetTTL("m", key("a"), 0)
	p.Put("m", PutArgs{Key: key("a"), Value: value("3"), TTL: 0, MaxIdle: 0})
	if s := p.Store("m", false); s.expiring != 0 {
		t.Fatalf("expiring %d", s.expiring)
	}
}

func TestStatsSaturate(t *testing.T) {
	p, _, _, _ := newTestPartition(MapConfig{})
	p.Put("m", PutArgs{Key: key("a"), Value: value("1"), TTL: -1, MaxIdle: -1})
	s := p.Store("m", false)
	_, e := s.entries.find(idOf(key("a")), s.entries.hash(idOf(key("a"))))
	e.hits, e.version = math.MaxUint32, math.MaxUint32
	p.Get("m", key("a"))
	p.Put("m", PutArgs{Key: key("a"), Value: value("2"), TTL: -1, MaxIdle: -1})
	if v := p.EntryView("m", key("a")); v.Hits != math.MaxUint32 || v.Version != math.MaxUint32 {
		t.Fatalf("hits %d version %d", v.Hits, v.Version)
	}
}

func TestTimeEncoding(t *testing.T) {
	const base = 1_700_000_000_000
	for _, d := range []int64{0, 1, -1, 1 << 32, -(1 << 32), 17 * 365 * 86_400_000, -17 * 365 * 86_400_000} {
		if got := decTime(encTime(base+d, base), base); got != base+d {
			t.Fatalf("%d: round trip %d", d, got-base)
		}
	}
	if got := decTime(encTime(base+1<<45, base), base); got != base+timeMax-timeBias {
		t.Fatalf("far future not clamped: %d", got-base)
	}
	if got := decTime(encTime(base-1<<45, base), base); got != base-timeBias {
		t.Fatalf("far past not clamped: %d", got-base)
	}
}

// TestIndexAgainstMap runs random operations against a Go map, so that
// growth, deleted markers, shrinking and iteration with removal are
// covered.
func TestIndexAgainstMap(t *testing.T) {
	p, _, _, _ := newTestPartition(MapConfig{})
	p.sink = nil
	ref := map[string]string{}
	rng := rand.New(rand.NewSource(1))
	for round := range 40 {
		n := rng.Intn(3000)
		for range n {
			k := fmt.Sprint(rng.Intn(2000))
			switch op := rng.Intn(10); {
			case op < 5:
				v := fmt.Sprint(rng.Int())
				old, _, _ := p.Put("m", PutArgs{Key: key(k), Value: value(v), TTL: -1, MaxIdle: -1})
				if want, ok := ref[k]; ok != (old != nil) || ok && string(old) != string(value(want)) {
					t.Fatalf("put %s: old %q want %q", k, old, want)
				}
				ref[k] = v
			case op < 8:
				old, removed, _ := p.Remove("m", RemoveArgs{Key: key(k)})
				if want, ok := ref[k]; ok != removed || ok && string(old) != string(value(want)) {
					t.Fatalf("remove %s: %q %v want %q", k, old, removed, want)
				}
				delete(ref, k)
			default:
				v := p.Get("m", key(k))
				if want, ok := ref[k]; ok != (v != nil) || ok && string(v) != string(value(want)) {
					t.Fatalf("get %s: %q want %q", k, v, want)
				}
			}
		}
		seen := map[string]bool{}
		p.Entries("m", func(k, v []byte) {
			id := string(k[8:])
			if seen[id] || string(v) != string(value(ref[id])) {
				t.Fatalf("entries: %q twice or wrong value", id)
			}
			seen[id] = true
		})
		if len(seen) != len(ref) || p.Size("m") != len(ref) {
			t.Fatalf("round %d: %d entries, size %d, want %d", round, len(seen), p.Size("m"), len(ref))
		}
		if round%10 == 9 {
			p.Lock("m", key("7"), alice, -1)
			n := p.Clear("m", false)
			_, locked := ref["7"]
			if locked && n != len(ref)-1 || !locked && n != len(ref) {
				t.Fatalf("clear removed %d of %d", n, len(ref))
			}
			for k := range ref {
				if k != "7" {
					delete(ref, k)
				}
			}
			p.ForceUnlock("m", key("7"))
		}
	}
}

// Expiry during iteration removes entries from the index while it is
// walked: every live entry must still be visited exactly once.
func TestSweepDuringIteration(t *testing.T) {
	p, clk, sink, _ := newTestPartition(MapConfig{})
	for i := range 1000 {
		ttl := int64(0)
		if i%3 != 0 {
			ttl = 100
		}
		p.Put("m", PutArgs{Key: key(fmt.Sprint(i)), Value: value("v"), TTL: ttl, MaxIdle: -1})
	}
	clk.now += 100
	sink.events = nil
	n := 0
	p.Entries("m", func(_, _ []byte) { n++ })
	if n != 334 || len(sink.events) != 666 || p.Size("m") != 334 {
		t.Fatalf("live %d, expired events %d, size %d", n, len(sink.events), p.Size("m"))
	}
	clk.now += 1
	for i := range 1000 {
		if i%3 == 0 {
			p.SetTTL("m", key(fmt.Sprint(i)), 1)
		}
	}
	clk.now += 1
	if n := p.Sweep(); n != 334 || p.Size("m") != 0 || p.Store("m", false).expiring != 0 {
		t.Fatalf("swept %d, size %d", n, p.Size("m"))
	}
}

// Churn through many distinct keys with few live ones: deleted markers
// must be reclaimed rather than grow the table.
func TestIndexChurnStaysSmall(t *testing.T) {
	p, _, _, _ := newTestPartition(MapConfig{})
	p.sink = nil
	for i := range 100_000 {
		p.Put("m", PutArgs{Key: key(fmt.Sprint(i)), Value: value("v"), TTL: -1, MaxIdle: -1})
		if i >= 10 {
			if _, ok, _ := p.Remove("m", RemoveArgs{Key: key(fmt.Sprint(i - 10))}); !ok {
				t.Fatalf("remove %d failed", i-10)
			}
		}
	}
	s := p.Store("m", false)
	if s.Len() != 10 || len(s.entries.slots) > 64 {
		t.Fatalf("%d entries in %d slots", s.Len(), len(s.entries.slots))
	}
	// A large table emptied by Clear gives its memory back.
	for i := range 10_000 {
		p.Put("m", PutArgs{Key: key(fmt.Sprint(i)), Value: value("v"), TTL: -1, MaxIdle: -1})
	}
	p.Clear("m", false)
	if len(s.entries.slots) != 0 || p.Size("m") != 0 || p.Get("m", key("1")) != nil {
		t.Fatalf("cleared table keeps %d slots", len(s.entries.slots))
	}
	p.Put("m", PutArgs{Key: key("again"), Value: value("v"), TTL: -1, MaxIdle: -1})
	if p.Get("m", key("again")) == nil {
		t.Fatal("put after clear lost")
	}
}
