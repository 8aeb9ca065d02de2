package compattests

import (
	"context"
	"fmt"
	"testing"
	"time"

	hazelcast "github.com/hazelcast/hazelcast-go-client"

	"github.com/filbert/filbert/config"
)

// expiryDeadline bounds how long an entry with a 1s TTL or max idle may
// survive: the TTL plus the member's once-a-second sweep plus slack.
const expiryDeadline = 4 * time.Second

// expiring is an entry that must disappear.
type expiring struct {
	name  string
	key   string
	since time.Time     // when its clock started (put, or last access)
	min   time.Duration // it must not be gone before since+min
	gone  time.Time     // when it was first seen gone
}

// awaitExpiry polls mp's key set (unlike Get and ContainsKey it is not an
// access, so it does not extend max idle) until every entry of es is gone,
// and checks none went too early. touch, if set, is called on every poll
// (to keep some entries alive for a while). Afterwards Get and ContainsKey
// must agree that the entries are gone.
func awaitExpiry(t *testing.T, mp *hazelcast.Map, es []*expiring, touch func()) {
	t.Helper()
	ctx := testCtx(t)
	deadline := time.Now().Add(expiryDeadline + 2*time.Second)
	for {
		if touch != nil {
			touch()
		}
		keys, err := mp.GetKeySet(ctx)
		must(t, err, "GetKeySet")
		present := map[any]bool{}
		for _, k := range keys {
			present[k] = true
		}
		pending := 0
		now := time.Now()
		for _, e := range es {
			if e.gone.IsZero() && !present[e.key] {
				e.gone = now
			}
			if e.gone.IsZero() {
				pending++
				if now.Sub(e.since) > expiryDeadline {
					t.Fatalf("%s: entry %q still present %v after its clock started", e.name, e.key, now.Sub(e.since))
				}
			}
		}
		if pending == 0 {
			break
		}
		if now.After(deadline) {
			t.Fatalf("%d entries did not expire", pending)
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, e := range es {
		if el := e.gone.Sub(e.since); el < e.min {
			t.Errorf("%s: entry gone after %v, before its %v", e.name, el, e.min)
		}
		v, err := mp.Get(ctx, e.key)
		must(t, err, "Get")
		if v != nil {
			t.Errorf("%s: Get of an expired entry = %#v", e.name, v)
		}
		ok, err := mp.ContainsKey(ctx, e.key)
		must(t, err, "ContainsKey")
		if ok {
			t.Errorf("%s: ContainsKey of an expired entry = true", e.name)
		}
	}
}

// present checks that key still maps to want.
func present(t *testing.T, mp *hazelcast.Map, key, want any) {
	t.Helper()
	v, err := mp.Get(testCtx(t), key)
	must(t, err, "Get")
	eq(t, fmt.Sprintf("value of %#v, which must not have expired", key), v, want)
}

// TestExpiryFromCalls checks TTL and max idle passed with the operation.
// All cases share one map and one wait, to keep the test short.
func TestExpiryFromCalls(t *testing.T) {
	m := startMember(t, nil)
	forEachMode(t, m, func(t *testing.T, c *hazelcast.Client) {
		ctx := testCtx(t)
		mp := getMap(t, c, mapName(t, "ttl"))
		cases := []struct {
			name string
			put  func(ctx context.Context, k string) error
		}{
			{"PutWithTTL", func(ctx context.Context, k string) error {
				_, err := mp.PutWithTTL(ctx, k, "v", time.Second)
				return err
			}},
			{"SetWithTTL", func(ctx context.Context, k string) error {
				return mp.SetWithTTL(ctx, k, "v", time.Second)
			}},
			{"PutIfAbsentWithTTL", func(ctx context.Context, k string) error {
				_, err := mp.PutIfAbsentWithTTL(ctx, k, "v", time.Second)
				return err
			}},
			{"PutTransientWithTTL", func(ctx context.Context, k string) error {
				return mp.PutTransientWithTTL(ctx, k, "v", time.Second)
			}},
			{"PutWithMaxIdle", func(ctx context.Context, k string) error {
				_, err := mp.PutWithMaxIdle(ctx, k, "v", time.Second)
				return err
			}},
			{"PutTransientWithMaxIdle", func(ctx context.Context, k string) error {
				return mp.PutTransientWithMaxIdle(ctx, k, "v", time.Second)
			}},
			{"PutWithTTLAndMaxIdle(ttl)", func(ctx context.Context, k string) error {
				_, err := mp.PutWithTTLAndMaxIdle(ctx, k, "v", time.Second, time.Hour)
				return err
			}},
			{"SetWithTTLAndMaxIdle(idle)", func(ctx context.Context, k string) error {
				return mp.SetWithTTLAndMaxIdle(ctx, k, "v", time.Hour, time.Second)
			}},
			{"PutIfAbsentWithTTLAndMaxIdle", func(ctx context.Context, k string) error {
				_, err := mp.PutIfAbsentWithTTLAndMaxIdle(ctx, k, "v", time.Second, time.Hour)
				return err
			}},
			{"SetTTL", func(ctx context.Context, k string) error {
				if err := mp.Set(ctx, k, "v"); err != nil {
					return err
				}
				return mp.SetTTL(ctx, k, time.Second)
			}},
		}
		var es []*expiring
		for i, tc := range cases {
			k := fmt.Sprintf("case-%d", i)
			start := time.Now()
			must(t, tc.put(ctx, k), "%s", tc.name)
			es = append(es, &expiring{name: tc.name, key: k, since: start, min: 900 * time.Millisecond})
		}
		for _, e := range es {
			present(t, mp, e.key, "v")
		}

		// Entries that must survive: TTL 0 means forever; SetTTL 0 removes
		// a TTL; a 2s max idle is extended by reads every 300ms for 2.2s.
		// (As in Hazelcast, access times count in whole seconds, so a 1s
		// max idle polled every 300ms still expires: the official suite's
		// TestMap/PutWithMaxIdle relies on that.)
		_, err := mp.PutWithTTL(ctx, "forever", "v", 0)
		must(t, err, "PutWithTTL 0")
		_, err = mp.PutWithTTL(ctx, "cleared", "v", time.Second)
		must(t, err, "PutWithTTL")
		must(t, mp.SetTTL(ctx, "cleared", 0), "SetTTL 0")
		_, err = mp.PutWithMaxIdle(ctx, "idle-read", "v", 2*time.Second)
		must(t, err, "PutWithMaxIdle")
		idle := &expiring{name: "max idle extended by reads", key: "idle-read", since: time.Now(), min: 900 * time.Millisecond}
		es = append(es, idle)
		readsUntil := time.Now().Add(2200 * time.Millisecond)
		lastRead := time.Time{}
		touch := func() {
			now := time.Now()
			if now.After(readsUntil) || now.Sub(lastRead) < 300*time.Millisecond {
				return
			}
			present(t, mp, "idle-read", "v")
			lastRead = time.Now()
			idle.since = lastRead
		}
		awaitExpiry(t, mp, es, touch)
		if idle.gone.Before(readsUntil) {
			t.Errorf("max-idle entry expired at %v although read every 300ms until %v", idle.gone, readsUntil)
		}
		present(t, mp, "forever", "v")
		present(t, mp, "cleared", "v")
		n, err := mp.Size(ctx)
		must(t, err, "Size")
		eq(t, "Size after expiry (forever and cleared remain)", n, 2)
	})
}

// TestExpiryFromMapConfig checks <time-to-live-seconds> and
// <max-idle-seconds> of wildcard map configurations, and that an explicit
// TTL on the call overrides the configured one.
func TestExpiryFromMapConfig(t *testing.T) {
	m := startMember(t, func(cfg *config.Config) {
		ttl := config.DefaultMapConfig()
		ttl.Name = "ttl-*"
		ttl.TTLSeconds = 1
		cfg.Maps[ttl.Name] = ttl
		idle := config.DefaultMapConfig()
		idle.Name = "idle-*"
		idle.MaxIdleSeconds = 1
		cfg.Maps[idle.Name] = idle
	})
	forEachMode(t, m, func(t *testing.T, c *hazelcast.Client) {
		ctx := testCtx(t)
		ttlMap := getMap(t, c, "ttl-"+t.Name())
		idleMap := getMap(t, c, "idle-"+t.Name())
		plain := getMap(t, c, "plain-"+t.Name())
		start := time.Now()
		_, err := ttlMap.Put(ctx, "k", "v")
		must(t, err, "Put")
		must(t, ttlMap.Set(ctx, "s", "v"), "Set")
		_, err = ttlMap.PutWithTTL(ctx, "long", "v", time.Hour)
		must(t, err, "PutWithTTL 1h")
		_, err = idleMap.Put(ctx, "k", "v")
		must(t, err, "Put idle")
		_, err = plain.Put(ctx, "k", "v")
		must(t, err, "Put plain")

		ev, err := ttlMap.GetEntryView(ctx, "k")
		must(t, err, "GetEntryView")
		eq(t, "entry-view TTL from map config (ms)", ev.TTL, int64(1000))
		ev, err = idleMap.GetEntryView(ctx, "k")
		must(t, err, "GetEntryView idle")
		eq(t, "entry-view MaxIdle from map config (ms)", ev.MaxIdle, int64(1000))

		awaitExpiry(t, ttlMap, []*expiring{
			{name: "map ttl via Put", key: "k", since: start, min: 900 * time.Millisecond},
			{name: "map ttl via Set", key: "s", since: start, min: 900 * time.Millisecond},
		}, nil)
		awaitExpiry(t, idleMap, []*expiring{
			{name: "map max idle", key: "k", since: start, min: 900 * time.Millisecond},
		}, nil)
		present(t, ttlMap, "long", "v")
		present(t, plain, "k", "v")
	})
}
