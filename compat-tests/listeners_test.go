package compattests

import (
	"fmt"
	"testing"
	"time"

	hazelcast "github.com/hazelcast/hazelcast-go-client"
)

// eventTimeout bounds the wait for one entry event (expiry events come
// from the member's once-a-second sweep, hence the margin).
const eventTimeout = 5 * time.Second

// eventSink collects entry events of one listener.
type eventSink chan *hazelcast.EntryNotified

func newSink() eventSink { return make(eventSink, 1024) }

func (s eventSink) handler(e *hazelcast.EntryNotified) {
	select {
	case s <- e:
	default: // a test that floods a sink fails on its own assertions
	}
}

// next waits for the next event.
func (s eventSink) next(t testing.TB, what string) *hazelcast.EntryNotified {
	t.Helper()
	select {
	case e := <-s:
		return e
	case <-time.After(eventTimeout):
		t.Fatalf("%s: no event within %v", what, eventTimeout)
		return nil
	}
}

// expect waits for the next event and checks its type, key, value and old
// value (want == nil for "must be absent").
func (s eventSink) expect(t testing.TB, typ hazelcast.EntryEventType, key, value, old any) *hazelcast.EntryNotified {
	t.Helper()
	what := fmt.Sprintf("event %s for key %#v", eventName(typ), key)
	e := s.next(t, what)
	if e.EventType != typ {
		t.Fatalf("%s: got %s (key %#v value %#v old %#v)", what, eventName(e.EventType), e.Key, e.Value, e.OldValue)
	}
	eq(t, what+": key", e.Key, key)
	eq(t, what+": value", e.Value, value)
	eq(t, what+": old value", e.OldValue, old)
	return e
}

// none checks that no event is pending.
func (s eventSink) none(t testing.TB, what string) {
	t.Helper()
	select {
	case e := <-s:
		t.Fatalf("%s: unexpected event %s key %#v value %#v", what, eventName(e.EventType), e.Key, e.Value)
	default:
	}
}

func eventName(t hazelcast.EntryEventType) string {
	switch t {
	case hazelcast.EntryAdded:
		return "ADDED"
	case hazelcast.EntryRemoved:
		return "REMOVED"
	case hazelcast.EntryUpdated:
		return "UPDATED"
	case hazelcast.EntryEvicted:
		return "EVICTED"
	case hazelcast.EntryExpired:
		return "EXPIRED"
	case hazelcast.EntryAllEvicted:
		return "EVICT_ALL"
	case hazelcast.EntryAllCleared:
		return "CLEAR_ALL"
	}
	return fmt.Sprintf("type(%d)", int32(t))
}

// allEvents is a listener config for every event type we implement.
func allEvents(includeValue bool, key any) hazelcast.MapEntryListenerConfig {
	cfg := hazelcast.MapEntryListenerConfig{IncludeValue: includeValue, Key: key}
	cfg.NotifyEntryAdded(true)
	cfg.NotifyEntryUpdated(true)
	cfg.NotifyEntryRemoved(true)
	cfg.NotifyEntryEvicted(true)
	cfg.NotifyEntryExpired(true)
	cfg.NotifyEntryAllCleared(true)
	cfg.NotifyEntryAllEvicted(true)
	return cfg
}

// TestEntryListeners checks added, updated, removed, evicted, expired,
// map-cleared and map-evicted events, with and without values, and a
// key-filtered listener.
func TestEntryListeners(t *testing.T) {
	m := startMember(t, nil)
	forEachMode(t, m, func(t *testing.T, c *hazelcast.Client) {
		ctx := testCtx(t)
		mp := getMap(t, c, mapName(t, "events"))
		withValues, noValues, onK1 := newSink(), newSink(), newSink()
		_, err := mp.AddEntryListener(ctx, allEvents(true, nil), withValues.handler)
		must(t, err, "AddEntryListener include-value")
		_, err = mp.AddEntryListener(ctx, allEvents(false, nil), noValues.handler)
		must(t, err, "AddEntryListener no value")
		_, err = mp.AddEntryListener(ctx, allEvents(true, "k1"), onK1.handler)
		must(t, err, "AddEntryListener key k1")

		// added / updated / removed
		_, err = mp.Put(ctx, "k1", "v1")
		must(t, err, "Put")
		withValues.expect(t, hazelcast.EntryAdded, "k1", "v1", nil)
		noValues.expect(t, hazelcast.EntryAdded, "k1", nil, nil)
		onK1.expect(t, hazelcast.EntryAdded, "k1", "v1", nil)
		_, err = mp.Put(ctx, "k1", "v2")
		must(t, err, "Put update")
		withValues.expect(t, hazelcast.EntryUpdated, "k1", "v2", "v1")
		noValues.expect(t, hazelcast.EntryUpdated, "k1", nil, nil)
		onK1.expect(t, hazelcast.EntryUpdated, "k1", "v2", "v1")
		_, err = mp.Remove(ctx, "k1")
		must(t, err, "Remove")
		withValues.expect(t, hazelcast.EntryRemoved, "k1", nil, "v2")
		noValues.expect(t, hazelcast.EntryRemoved, "k1", nil, nil)
		onK1.expect(t, hazelcast.EntryRemoved, "k1", nil, "v2")

		// The key filter: k2's events reach the map-wide listeners only.
		_, err = mp.Put(ctx, "k2", int64(2))
		must(t, err, "Put k2")
		withValues.expect(t, hazelcast.EntryAdded, "k2", int64(2), nil)
		noValues.expect(t, hazelcast.EntryAdded, "k2", nil, nil)
		must(t, mp.Delete(ctx, "k2"), "Delete k2")
		withValues.expect(t, hazelcast.EntryRemoved, "k2", nil, int64(2))
		noValues.expect(t, hazelcast.EntryRemoved, "k2", nil, nil)
		// A later k1 event on the filtered listener proves k2's events
		// (published before it on the same connection) were not sent to it.
		must(t, mp.Set(ctx, "k1", "v3"), "Set k1")
		onK1.expect(t, hazelcast.EntryAdded, "k1", "v3", nil)
		withValues.expect(t, hazelcast.EntryAdded, "k1", "v3", nil)
		noValues.expect(t, hazelcast.EntryAdded, "k1", nil, nil)

		// evicted
		ok, err := mp.Evict(ctx, "k1")
		must(t, err, "Evict")
		eq(t, "Evict", ok, true)
		e := withValues.next(t, "EVICTED")
		eq(t, "evict event type", eventName(e.EventType), "EVICTED")
		eq(t, "evict event key", e.Key, "k1")
		e = noValues.next(t, "EVICTED (no value)")
		eq(t, "evict event type", eventName(e.EventType), "EVICTED")
		eq(t, "evict event value without include-value", e.Value, nil)
		eq(t, "evict event old value without include-value", e.OldValue, nil)
		e = onK1.next(t, "EVICTED (key)")
		eq(t, "evict event type (key listener)", eventName(e.EventType), "EVICTED")

		// expired (TTL 1s; the member sweeps once a second)
		_, err = mp.PutWithTTL(ctx, "k1", "short", time.Second)
		must(t, err, "PutWithTTL")
		withValues.expect(t, hazelcast.EntryAdded, "k1", "short", nil)
		noValues.expect(t, hazelcast.EntryAdded, "k1", nil, nil)
		onK1.expect(t, hazelcast.EntryAdded, "k1", "short", nil)
		e = withValues.next(t, "EXPIRED")
		eq(t, "expire event type", eventName(e.EventType), "EXPIRED")
		eq(t, "expire event key", e.Key, "k1")
		e = noValues.next(t, "EXPIRED (no value)")
		eq(t, "expire event type", eventName(e.EventType), "EXPIRED")
		e = onK1.next(t, "EXPIRED (key)")
		eq(t, "expire event type (key listener)", eventName(e.EventType), "EXPIRED")

		// map cleared: one event carrying the number of entries. Key
		// listeners do not get map-wide events.
		for i := 0; i < 3; i++ {
			must(t, mp.Set(ctx, fmt.Sprintf("c%d", i), int64(i)), "Set")
		}
		for i := 0; i < 3; i++ {
			withValues.next(t, "ADDED before clear")
			noValues.next(t, "ADDED before clear")
		}
		must(t, mp.Clear(ctx), "Clear")
		e = withValues.next(t, "CLEAR_ALL")
		eq(t, "clear event type", eventName(e.EventType), "CLEAR_ALL")
		eq(t, "clear event affected entries", e.NumberOfAffectedEntries, 3)
		e = noValues.next(t, "CLEAR_ALL (no value)")
		eq(t, "clear event type", eventName(e.EventType), "CLEAR_ALL")
		eq(t, "clear event affected entries", e.NumberOfAffectedEntries, 3)

		// map evicted
		for i := 0; i < 2; i++ {
			must(t, mp.Set(ctx, fmt.Sprintf("e%d", i), int64(i)), "Set")
		}
		for i := 0; i < 2; i++ {
			withValues.next(t, "ADDED before evictAll")
			noValues.next(t, "ADDED before evictAll")
		}
		must(t, mp.EvictAll(ctx), "EvictAll")
		e = withValues.next(t, "EVICT_ALL")
		eq(t, "evictAll event type", eventName(e.EventType), "EVICT_ALL")
		eq(t, "evictAll event affected entries", e.NumberOfAffectedEntries, 2)
		e = noValues.next(t, "EVICT_ALL (no value)")
		eq(t, "evictAll event type", eventName(e.EventType), "EVICT_ALL")

		// One more k1 event: the key listener must have seen nothing about
		// other keys (map-wide CLEAR_ALL / EVICT_ALL events are tolerated,
		// as Hazelcast's filtering of them for key listeners is an
		// implementation detail).
		must(t, mp.Set(ctx, "k1", "last"), "Set k1 last")
		for {
			e := onK1.next(t, "ADDED k1 last")
			if e.EventType == hazelcast.EntryAllCleared || e.EventType == hazelcast.EntryAllEvicted {
				continue
			}
			if e.EventType != hazelcast.EntryAdded || e.Key != "k1" || e.Value != "last" {
				t.Fatalf("key listener: got %s key %#v value %#v, want ADDED k1 last", eventName(e.EventType), e.Key, e.Value)
			}
			break
		}
		onK1.none(t, "key listener after its last event")
	})
}

// TestEntryListenerFlagsAndRemoval checks that a listener only gets the
// event types it asked for, and none after it is removed.
func TestEntryListenerFlagsAndRemoval(t *testing.T) {
	m := startMember(t, nil)
	forEachMode(t, m, func(t *testing.T, c *hazelcast.Client) {
		ctx := testCtx(t)
		mp := getMap(t, c, mapName(t, "flags"))
		removedOnly, all := newSink(), newSink()
		cfg := hazelcast.MapEntryListenerConfig{IncludeValue: true}
		cfg.NotifyEntryRemoved(true)
		_, err := mp.AddEntryListener(ctx, cfg, removedOnly.handler)
		must(t, err, "AddEntryListener removed-only")
		allID, err := mp.AddEntryListener(ctx, allEvents(true, nil), all.handler)
		must(t, err, "AddEntryListener all")

		// The non-deprecated MapListener API too.
		added := newSink()
		listenerID, err := mp.AddListener(ctx, hazelcast.MapListener{EntryAdded: added.handler}, true)
		must(t, err, "AddListener")

		_, err = mp.Put(ctx, "a", "1")
		must(t, err, "Put")
		_, err = mp.Put(ctx, "a", "2")
		must(t, err, "Put update")
		_, err = mp.Remove(ctx, "a")
		must(t, err, "Remove")
		all.expect(t, hazelcast.EntryAdded, "a", "1", nil)
		all.expect(t, hazelcast.EntryUpdated, "a", "2", "1")
		all.expect(t, hazelcast.EntryRemoved, "a", nil, "2")
		removedOnly.expect(t, hazelcast.EntryRemoved, "a", nil, "2")
		removedOnly.none(t, "removed-only listener")
		added.expect(t, hazelcast.EntryAdded, "a", "1", nil)

		must(t, mp.RemoveEntryListener(ctx, allID), "RemoveEntryListener")
		must(t, mp.RemoveListener(ctx, listenerID), "RemoveListener")
		_, err = mp.Put(ctx, "b", "1")
		must(t, err, "Put after removal")
		must(t, mp.Delete(ctx, "b"), "Delete after removal")
		// The still-registered listener's event is queued behind anything
		// the removed ones would have got.
		removedOnly.expect(t, hazelcast.EntryRemoved, "b", nil, "1")
		all.none(t, "removed listener")
		added.none(t, "removed MapListener")
	})
}
