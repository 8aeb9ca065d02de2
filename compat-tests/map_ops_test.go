package compattests

import (
	"fmt"
	"math"
	"reflect"
	"testing"
	"time"

	hazelcast "github.com/hazelcast/hazelcast-go-client"
	"github.com/hazelcast/hazelcast-go-client/serialization"
	"github.com/hazelcast/hazelcast-go-client/types"
)

// valueCase is a value type with two distinct values of it.
type valueCase struct {
	name string
	a, b any
}

// valueCases are the value types every map operation is exercised with.
// Each is a type the Go client serializes with a built-in serializer and
// deserializes back to the same Go type.
var valueCases = []valueCase{
	{"string", "alpha", "beta ü 日本"},
	{"int64", int64(42), int64(-7)},
	{"int32", int32(1 << 20), int32(-3)},
	{"bytes", []byte{1, 2, 3, 0}, []byte{0xff}},
	{"float64", 3.25, -1.5e300},
	{"bool", true, false},
	{"json", serialization.JSON(`{"a":1,"b":"x"}`), serialization.JSON(`[1,2,3]`)},
}

// eq fails the test when got differs from want (deep equality).
func eq(t testing.TB, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s: got %#v (%T), want %#v (%T)", what, got, got, want, want)
	}
}

// sameElements reports whether got and want hold the same elements in any
// order (deep equality, multiset).
func sameElements(got, want []any) bool {
	if len(got) != len(want) {
		return false
	}
	used := make([]bool, len(want))
outer:
	for _, g := range got {
		for i, w := range want {
			if !used[i] && reflect.DeepEqual(g, w) {
				used[i] = true
				continue outer
			}
		}
		return false
	}
	return true
}

func entriesToMap(t testing.TB, es []types.Entry) map[any]any {
	t.Helper()
	out := make(map[any]any, len(es))
	for _, e := range es {
		k := e.Key
		if b, ok := k.([]byte); ok {
			k = string(b)
		}
		if _, dup := out[k]; dup {
			t.Fatalf("duplicate key %#v in entries %#v", e.Key, es)
		}
		out[k] = e.Value
	}
	return out
}

// TestMapOperations runs every IMap operation with each value type, in
// both routing modes.
func TestMapOperations(t *testing.T) {
	m := startMember(t, nil)
	forEachMode(t, m, func(t *testing.T, c *hazelcast.Client) {
		for _, vc := range valueCases {
			t.Run(vc.name, func(t *testing.T) { mapOpsWith(t, c, vc) })
		}
	})
}

func mapOpsWith(t *testing.T, c *hazelcast.Client, vc valueCase) {
	ctx := testCtx(t)
	mp := getMap(t, c, mapName(t, "ops"))
	a, b := vc.a, vc.b
	k, k2, missing := "key-"+vc.name, int64(77), "missing"

	// Put / Get.
	old, err := mp.Put(ctx, k, a)
	must(t, err, "Put")
	eq(t, "Put on absent key returns", old, nil)
	v, err := mp.Get(ctx, k)
	must(t, err, "Get")
	eq(t, "Get after Put", v, a)
	old, err = mp.Put(ctx, k, b)
	must(t, err, "Put (update)")
	eq(t, "Put (update) returns old value", old, a)
	v, err = mp.Get(ctx, missing)
	must(t, err, "Get missing")
	eq(t, "Get missing", v, nil)

	// Set.
	must(t, mp.Set(ctx, k, a), "Set")
	v, err = mp.Get(ctx, k)
	must(t, err, "Get after Set")
	eq(t, "Get after Set", v, a)

	// ContainsKey / ContainsValue / Size / IsEmpty.
	ok, err := mp.ContainsKey(ctx, k)
	must(t, err, "ContainsKey")
	eq(t, "ContainsKey present", ok, true)
	ok, err = mp.ContainsKey(ctx, missing)
	must(t, err, "ContainsKey missing")
	eq(t, "ContainsKey missing", ok, false)
	ok, err = mp.ContainsValue(ctx, a)
	must(t, err, "ContainsValue")
	eq(t, "ContainsValue present", ok, true)
	ok, err = mp.ContainsValue(ctx, b)
	must(t, err, "ContainsValue absent")
	eq(t, "ContainsValue absent", ok, false)
	n, err := mp.Size(ctx)
	must(t, err, "Size")
	eq(t, "Size", n, 1)
	empty, err := mp.IsEmpty(ctx)
	must(t, err, "IsEmpty")
	eq(t, "IsEmpty", empty, false)

	// PutIfAbsent.
	old, err = mp.PutIfAbsent(ctx, k, b)
	must(t, err, "PutIfAbsent (present)")
	eq(t, "PutIfAbsent on present key returns current", old, a)
	v, _ = mp.Get(ctx, k)
	eq(t, "value unchanged by PutIfAbsent", v, a)
	old, err = mp.PutIfAbsent(ctx, k2, b)
	must(t, err, "PutIfAbsent (absent)")
	eq(t, "PutIfAbsent on absent key returns", old, nil)
	v, _ = mp.Get(ctx, k2)
	eq(t, "Get after PutIfAbsent", v, b)

	// Replace / ReplaceIfSame.
	old, err = mp.Replace(ctx, k, b)
	must(t, err, "Replace")
	eq(t, "Replace returns old", old, a)
	old, err = mp.Replace(ctx, missing, a)
	must(t, err, "Replace missing")
	eq(t, "Replace on missing returns", old, nil)
	ok, _ = mp.ContainsKey(ctx, missing)
	eq(t, "Replace must not create a missing key", ok, false)
	ok, err = mp.ReplaceIfSame(ctx, k, a, a)
	must(t, err, "ReplaceIfSame (mismatch)")
	eq(t, "ReplaceIfSame with wrong old value", ok, false)
	ok, err = mp.ReplaceIfSame(ctx, k, b, a)
	must(t, err, "ReplaceIfSame")
	eq(t, "ReplaceIfSame with right old value", ok, true)
	v, _ = mp.Get(ctx, k)
	eq(t, "Get after ReplaceIfSame", v, a)
	ok, err = mp.ReplaceIfSame(ctx, missing, a, b)
	must(t, err, "ReplaceIfSame missing")
	eq(t, "ReplaceIfSame on missing key", ok, false)

	// RemoveIfSame.
	ok, err = mp.RemoveIfSame(ctx, k2, a)
	must(t, err, "RemoveIfSame (mismatch)")
	eq(t, "RemoveIfSame with wrong value", ok, false)
	ok, err = mp.RemoveIfSame(ctx, k2, b)
	must(t, err, "RemoveIfSame")
	eq(t, "RemoveIfSame with right value", ok, true)
	ok, _ = mp.ContainsKey(ctx, k2)
	eq(t, "ContainsKey after RemoveIfSame", ok, false)

	// Remove / Delete.
	old, err = mp.Remove(ctx, k)
	must(t, err, "Remove")
	eq(t, "Remove returns old value", old, a)
	old, err = mp.Remove(ctx, k)
	must(t, err, "Remove again")
	eq(t, "Remove of absent key returns", old, nil)
	must(t, mp.Set(ctx, k, b), "Set")
	must(t, mp.Delete(ctx, k), "Delete")
	v, _ = mp.Get(ctx, k)
	eq(t, "Get after Delete", v, nil)
	must(t, mp.Delete(ctx, missing), "Delete missing")

	// TryPut / TryRemove.
	ok, err = mp.TryPut(ctx, k, b)
	must(t, err, "TryPut")
	eq(t, "TryPut on unlocked key", ok, true)
	v, _ = mp.Get(ctx, k)
	eq(t, "Get after TryPut", v, b)
	ok, err = mp.TryPutWithTimeout(ctx, k, a, 100*time.Millisecond)
	must(t, err, "TryPutWithTimeout")
	eq(t, "TryPutWithTimeout on unlocked key", ok, true)
	ok, err = mp.TryRemove(ctx, k)
	must(t, err, "TryRemove")
	eq(t, "TryRemove of present key", ok, true)
	ok, _ = mp.ContainsKey(ctx, k)
	eq(t, "ContainsKey after TryRemove", ok, false)
	// Hazelcast's TryRemoveOperation answers true only if something was
	// removed (successful = oldValue != null).
	ok, err = mp.TryRemove(ctx, missing)
	must(t, err, "TryRemove missing")
	if ok {
		t.Errorf("TryRemove of absent key: got true, want false")
	}

	// PutTransient.
	must(t, mp.PutTransient(ctx, k, a), "PutTransient")
	v, _ = mp.Get(ctx, k)
	eq(t, "Get after PutTransient", v, a)

	// Bulk: PutAll, GetAll, key/value/entry sets.
	entries := []types.Entry{
		types.NewEntry("e1", a),
		types.NewEntry("e2", b),
		types.NewEntry(int64(3), a),
	}
	must(t, mp.PutAll(ctx, entries...), "PutAll")
	got, err := mp.GetAll(ctx, "e1", "e2", int64(3), missing)
	must(t, err, "GetAll")
	eq(t, "GetAll", entriesToMap(t, got), map[any]any{"e1": a, "e2": b, int64(3): a})
	keys, err := mp.GetKeySet(ctx)
	must(t, err, "GetKeySet")
	if want := []any{k, "e1", "e2", int64(3)}; !sameElements(keys, want) {
		t.Fatalf("GetKeySet: got %#v, want %#v", keys, want)
	}
	vals, err := mp.GetValues(ctx)
	must(t, err, "GetValues")
	if want := []any{a, a, b, a}; !sameElements(vals, want) {
		t.Fatalf("GetValues: got %#v, want %#v", vals, want)
	}
	es, err := mp.GetEntrySet(ctx)
	must(t, err, "GetEntrySet")
	eq(t, "GetEntrySet", entriesToMap(t, es), map[any]any{k: a, "e1": a, "e2": b, int64(3): a})
	n, _ = mp.Size(ctx)
	eq(t, "Size after PutAll", n, 4)

	// Evict / EvictAll / Flush / Clear.
	ok, err = mp.Evict(ctx, "e1")
	must(t, err, "Evict")
	eq(t, "Evict of present key", ok, true)
	ok, err = mp.Evict(ctx, "e1")
	must(t, err, "Evict again")
	eq(t, "Evict of absent key", ok, false)
	v, _ = mp.Get(ctx, "e1")
	eq(t, "Get after Evict", v, nil)
	must(t, mp.Flush(ctx), "Flush")
	must(t, mp.EvictAll(ctx), "EvictAll")
	n, _ = mp.Size(ctx)
	eq(t, "Size after EvictAll", n, 0)
	must(t, mp.PutAll(ctx, entries...), "PutAll")
	must(t, mp.Clear(ctx), "Clear")
	n, _ = mp.Size(ctx)
	eq(t, "Size after Clear", n, 0)
	empty, _ = mp.IsEmpty(ctx)
	eq(t, "IsEmpty after Clear", empty, true)
	keys, _ = mp.GetKeySet(ctx)
	eq(t, "GetKeySet after Clear", len(keys), 0)

	// TTL / max-idle variants store the value (expiry itself is in
	// expiry_test.go; entry-view fields are checked in TestEntryView).
	old, err = mp.PutWithTTL(ctx, k, a, time.Minute)
	must(t, err, "PutWithTTL")
	eq(t, "PutWithTTL returns", old, nil)
	old, err = mp.PutWithMaxIdle(ctx, k, b, time.Minute)
	must(t, err, "PutWithMaxIdle")
	eq(t, "PutWithMaxIdle returns", old, a)
	old, err = mp.PutWithTTLAndMaxIdle(ctx, k, a, time.Minute, time.Minute)
	must(t, err, "PutWithTTLAndMaxIdle")
	eq(t, "PutWithTTLAndMaxIdle returns", old, b)
	must(t, mp.SetWithTTL(ctx, k, b, time.Minute), "SetWithTTL")
	v, _ = mp.Get(ctx, k)
	eq(t, "Get after SetWithTTL", v, b)
	must(t, mp.SetWithTTLAndMaxIdle(ctx, k, a, time.Minute, time.Minute), "SetWithTTLAndMaxIdle")
	v, _ = mp.Get(ctx, k)
	eq(t, "Get after SetWithTTLAndMaxIdle", v, a)
	must(t, mp.SetTTL(ctx, k, time.Minute), "SetTTL")
	v, _ = mp.Get(ctx, k)
	eq(t, "Get after SetTTL", v, a)
	old, err = mp.PutIfAbsentWithTTL(ctx, k2, b, time.Minute)
	must(t, err, "PutIfAbsentWithTTL")
	eq(t, "PutIfAbsentWithTTL returns", old, nil)
	old, err = mp.PutIfAbsentWithTTLAndMaxIdle(ctx, k2, a, time.Minute, time.Minute)
	must(t, err, "PutIfAbsentWithTTLAndMaxIdle")
	eq(t, "PutIfAbsentWithTTLAndMaxIdle on present key returns", old, b)
	must(t, mp.PutTransientWithTTL(ctx, "t1", a, time.Minute), "PutTransientWithTTL")
	must(t, mp.PutTransientWithMaxIdle(ctx, "t2", b, time.Minute), "PutTransientWithMaxIdle")
	must(t, mp.PutTransientWithTTLAndMaxIdle(ctx, "t3", a, time.Minute, time.Minute), "PutTransientWithTTLAndMaxIdle")
	got, err = mp.GetAll(ctx, "t1", "t2", "t3")
	must(t, err, "GetAll transient")
	eq(t, "transient entries", entriesToMap(t, got), map[any]any{"t1": a, "t2": b, "t3": a})
}

// TestEntryView checks GetEntryView's fields: hits, cost, creation, last
// access, last update, version, ttl and max idle.
func TestEntryView(t *testing.T) {
	m := startMember(t, nil)
	forEachMode(t, m, func(t *testing.T, c *hazelcast.Client) {
		ctx := testCtx(t)
		mp := getMap(t, c, mapName(t, "view"))

		ev, err := mp.GetEntryView(ctx, "absent")
		must(t, err, "GetEntryView absent")
		if ev != nil {
			t.Fatalf("GetEntryView of absent key: got %+v, want nil", ev)
		}

		before := time.Now().UnixMilli()
		_, err = mp.Put(ctx, "k", "v1")
		must(t, err, "Put")
		ev, err = mp.GetEntryView(ctx, "k")
		must(t, err, "GetEntryView")
		if ev == nil {
			t.Fatal("GetEntryView of present key: nil")
		}
		after := time.Now().UnixMilli()
		eq(t, "view key", ev.Key, "k")
		eq(t, "view value", ev.Value, "v1")
		const slack = 50 // ms of clock granularity
		if ev.CreationTime < before-slack || ev.CreationTime > after+slack {
			t.Errorf("CreationTime %d not within [%d, %d]", ev.CreationTime, before, after)
		}
		if ev.LastUpdateTime < ev.CreationTime || ev.LastUpdateTime > after+slack {
			t.Errorf("LastUpdateTime %d not within [creation %d, %d]", ev.LastUpdateTime, ev.CreationTime, after)
		}
		eq(t, "hits of a fresh entry", ev.Hits, int64(0))
		eq(t, "version of a fresh entry", ev.Version, int64(0))
		if ev.Cost <= 0 {
			t.Errorf("Cost %d, want > 0", ev.Cost)
		}
		// Without TTL or max idle, Hazelcast 5 reports Long.MAX_VALUE (some
		// versions 0); anything else would make clients think the entry
		// expires.
		if ev.TTL != math.MaxInt64 && ev.TTL != 0 {
			t.Errorf("TTL without ttl: %d, want Long.MAX_VALUE or 0", ev.TTL)
		}
		if ev.MaxIdle != math.MaxInt64 && ev.MaxIdle != 0 {
			t.Errorf("MaxIdle without max idle: %d, want Long.MAX_VALUE or 0", ev.MaxIdle)
		}
		if ev.ExpirationTime != math.MaxInt64 && ev.ExpirationTime != 0 {
			t.Errorf("ExpirationTime without ttl: %d, want Long.MAX_VALUE or 0", ev.ExpirationTime)
		}

		// Two reads are two hits and move last-access time.
		for i := 0; i < 2; i++ {
			_, err = mp.Get(ctx, "k")
			must(t, err, "Get")
		}
		readAt := time.Now().UnixMilli()
		ev2, err := mp.GetEntryView(ctx, "k")
		must(t, err, "GetEntryView after gets")
		eq(t, "hits after two Gets", ev2.Hits, int64(2))
		if ev2.LastAccessTime < ev.CreationTime || ev2.LastAccessTime > readAt+slack {
			t.Errorf("LastAccessTime %d not within [creation %d, %d]", ev2.LastAccessTime, ev.CreationTime, readAt)
		}
		eq(t, "creation time is stable", ev2.CreationTime, ev.CreationTime)

		// An update bumps version and last-update time, keeps creation.
		time.Sleep(5 * time.Millisecond) // let the millisecond clock move
		_, err = mp.Put(ctx, "k", "v2")
		must(t, err, "Put update")
		ev3, err := mp.GetEntryView(ctx, "k")
		must(t, err, "GetEntryView after update")
		eq(t, "view value after update", ev3.Value, "v2")
		eq(t, "version after one update", ev3.Version, int64(1))
		eq(t, "creation time after update", ev3.CreationTime, ev.CreationTime)
		if ev3.LastUpdateTime <= ev.LastUpdateTime {
			t.Errorf("LastUpdateTime did not move on update: %d then %d", ev.LastUpdateTime, ev3.LastUpdateTime)
		}

		// TTL and max idle as given by the call, in milliseconds.
		_, err = mp.PutWithTTLAndMaxIdle(ctx, "ttl", "v", 5*time.Second, 3*time.Second)
		must(t, err, "PutWithTTLAndMaxIdle")
		ev4, err := mp.GetEntryView(ctx, "ttl")
		must(t, err, "GetEntryView ttl")
		eq(t, "view TTL (ms)", ev4.TTL, int64(5000))
		eq(t, "view MaxIdle (ms)", ev4.MaxIdle, int64(3000))
		if d := ev4.ExpirationTime - ev4.LastUpdateTime; d <= 0 || d > 5000 {
			t.Errorf("ExpirationTime %d - LastUpdateTime %d = %d, want in (0, 5000] (min of ttl and idle deadline)",
				ev4.ExpirationTime, ev4.LastUpdateTime, d)
		}
		must(t, mp.SetTTL(ctx, "k", 7*time.Second), "SetTTL")
		ev5, err := mp.GetEntryView(ctx, "k")
		must(t, err, "GetEntryView after SetTTL")
		eq(t, "view TTL after SetTTL (ms)", ev5.TTL, int64(7000))
		eq(t, "value kept by SetTTL", ev5.Value, "v2")
	})
}

// TestDestroyAndDistributedObjects checks that GetMap creates a listed
// distributed object and Destroy removes it and its data.
func TestDestroyAndDistributedObjects(t *testing.T) {
	m := startMember(t, nil)
	forEachMode(t, m, func(t *testing.T, c *hazelcast.Client) {
		ctx := testCtx(t)
		name := mapName(t, "objects")
		mp := getMap(t, c, name)
		_, err := mp.Put(ctx, "k", "v")
		must(t, err, "Put")

		want := types.DistributedObjectInfo{Name: name, ServiceName: "hz:impl:mapService"}
		infos, err := c.GetDistributedObjectsInfo(ctx)
		must(t, err, "GetDistributedObjectsInfo")
		if !containsInfo(infos, want) {
			t.Fatalf("GetDistributedObjectsInfo = %+v, want it to contain %+v", infos, want)
		}

		must(t, mp.Destroy(ctx), "Destroy")
		infos, err = c.GetDistributedObjectsInfo(ctx)
		must(t, err, "GetDistributedObjectsInfo after Destroy")
		if containsInfo(infos, want) {
			t.Fatalf("after Destroy, GetDistributedObjectsInfo still lists %+v: %+v", want, infos)
		}

		// The map can be used again and starts empty.
		mp = getMap(t, c, name)
		n, err := mp.Size(ctx)
		must(t, err, "Size after re-create")
		eq(t, "Size of a destroyed then re-created map", n, 0)
		v, err := mp.Get(ctx, "k")
		must(t, err, "Get after re-create")
		eq(t, "Get after re-create", v, nil)
		infos, _ = c.GetDistributedObjectsInfo(ctx)
		if !containsInfo(infos, want) {
			t.Fatalf("re-created map not listed: %+v", infos)
		}
	})
}

func containsInfo(infos []types.DistributedObjectInfo, want types.DistributedObjectInfo) bool {
	for _, i := range infos {
		if i == want {
			return true
		}
	}
	return false
}

// String keys of various shapes exercise key encoding in the member.
func TestKeyTypes(t *testing.T) {
	m := startMember(t, nil)
	keys := []any{"", "s", "日本語", int64(0), int64(-1), int32(5), int16(3), int8(-2), byte(9),
		1.5, float32(2.5), true, false, []byte{}, []byte{0, 1}, types.NewUUID(), 'r',
		[]string{"a", "b"}, []int64{1, 2}}
	forEachMode(t, m, func(t *testing.T, c *hazelcast.Client) {
		ctx := testCtx(t)
		mp := getMap(t, c, mapName(t, "keys"))
		for i, k := range keys {
			_, err := mp.Put(ctx, k, int64(i))
			must(t, err, "Put key %#v", k)
		}
		for i, k := range keys {
			v, err := mp.Get(ctx, k)
			must(t, err, "Get key %#v", k)
			eq(t, fmt.Sprintf("Get key %#v (%T)", k, k), v, int64(i))
		}
		n, err := mp.Size(ctx)
		must(t, err, "Size")
		eq(t, "Size with distinct typed keys", n, len(keys))
	})
}
