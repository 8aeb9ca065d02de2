package compattests

import (
	"fmt"
	mrand "math/rand/v2"
	"testing"

	hazelcast "github.com/hazelcast/hazelcast-go-client"
	"github.com/hazelcast/hazelcast-go-client/types"
)

// TestBulkPutAll: 100,000 entries through PutAll (in batches), then Size
// and spot checks with Get, GetAll and ContainsKey.
func TestBulkPutAll(t *testing.T) {
	const n, batch = 100_000, 10_000
	m := startMember(t, nil)
	forEachMode(t, m, func(t *testing.T, c *hazelcast.Client) {
		ctx := testCtx(t)
		mp := getMap(t, c, mapName(t, "bulk"))
		key := func(i int) string { return fmt.Sprintf("bulk-%06d", i) }
		value := func(i int) any {
			if i%2 == 0 {
				return int64(i) * 3
			}
			return fmt.Sprintf("value-%d", i)
		}
		entries := make([]types.Entry, 0, batch)
		for i := 0; i < n; i++ {
			entries = append(entries, types.NewEntry(key(i), value(i)))
			if len(entries) == batch {
				must(t, mp.PutAll(ctx, entries...), "PutAll batch ending at %d", i)
				entries = entries[:0]
			}
		}
		size, err := mp.Size(ctx)
		must(t, err, "Size")
		eq(t, "Size after PutAll", size, n)

		rng := mrand.New(mrand.NewPCG(7, 11))
		for j := 0; j < 200; j++ {
			i := rng.IntN(n)
			v, err := mp.Get(ctx, key(i))
			must(t, err, "Get %s", key(i))
			eq(t, "Get "+key(i), v, value(i))
		}
		keys := make([]any, 0, 1001)
		want := map[any]any{}
		for len(want) < 1000 {
			i := rng.IntN(n)
			if _, dup := want[key(i)]; dup {
				continue
			}
			keys = append(keys, key(i))
			want[key(i)] = value(i)
		}
		keys = append(keys, "bulk-absent")
		got, err := mp.GetAll(ctx, keys...)
		must(t, err, "GetAll")
		eq(t, "GetAll of 1000 random keys plus an absent one", entriesToMap(t, got), want)
		for _, k := range []string{key(0), key(n - 1), key(n / 2)} {
			ok, err := mp.ContainsKey(ctx, k)
			must(t, err, "ContainsKey")
			eq(t, "ContainsKey "+k, ok, true)
		}
		ok, err := mp.ContainsKey(ctx, key(n))
		must(t, err, "ContainsKey past the end")
		eq(t, "ContainsKey past the end", ok, false)

		// One more PutAll overwriting a slice of the keys keeps Size.
		over := make([]types.Entry, 0, 1000)
		for i := 0; i < 1000; i++ {
			over = append(over, types.NewEntry(key(i*97), "over"))
		}
		must(t, mp.PutAll(ctx, over...), "PutAll overwrite")
		size, _ = mp.Size(ctx)
		eq(t, "Size after overwriting PutAll", size, n)
		v, _ := mp.Get(ctx, key(97*5))
		eq(t, "overwritten value", v, "over")

		must(t, mp.Clear(ctx), "Clear")
		size, _ = mp.Size(ctx)
		eq(t, "Size after Clear", size, 0)
	})
}
