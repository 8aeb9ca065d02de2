package compattests

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	hazelcast "github.com/hazelcast/hazelcast-go-client"
	"github.com/hazelcast/hazelcast-go-client/hzerrors"
)

// TestLocks checks lock ownership by lock context, reentrancy, TryLock
// variants, ForceUnlock, that writes from another owner wait for the lock,
// and that leases free the lock.
func TestLocks(t *testing.T) {
	m := startMember(t, nil)
	forEachMode(t, m, func(t *testing.T, c *hazelcast.Client) {
		base := testCtx(t)
		mp := getMap(t, c, mapName(t, "locks"))
		a, b := mp.NewLockContext(base), mp.NewLockContext(base)

		isLocked := func(key string) bool {
			t.Helper()
			ok, err := mp.IsLocked(base, key)
			must(t, err, "IsLocked(%q)", key)
			return ok
		}

		// Ownership.
		must(t, mp.Lock(a, "k"), "Lock by a")
		eq(t, "IsLocked after Lock", isLocked("k"), true)
		eq(t, "IsLocked of another key", isLocked("other"), false)
		ok, err := mp.TryLock(b, "k")
		must(t, err, "TryLock by b")
		eq(t, "TryLock by another owner", ok, false)
		start := time.Now()
		ok, err = mp.TryLockWithTimeout(b, "k", 300*time.Millisecond)
		must(t, err, "TryLockWithTimeout by b")
		eq(t, "TryLockWithTimeout by another owner", ok, false)
		if el := time.Since(start); el < 250*time.Millisecond || el > 5*time.Second {
			t.Errorf("TryLockWithTimeout(300ms) on a held lock returned after %v", el)
		}
		err = mp.Unlock(b, "k")
		if !errors.Is(err, hzerrors.ErrIllegalMonitorState) {
			t.Fatalf("Unlock by a non-owner: got %v, want ErrIllegalMonitorState", err)
		}
		eq(t, "still locked after a foreign Unlock", isLocked("k"), true)
		ok, err = mp.TryPutWithTimeout(b, "k", "b", 100*time.Millisecond)
		must(t, err, "TryPutWithTimeout by b")
		eq(t, "TryPut by another owner on a locked key", ok, false)
		ok, err = mp.TryRemoveWithTimeout(b, "k", 100*time.Millisecond)
		must(t, err, "TryRemoveWithTimeout by b")
		eq(t, "TryRemove by another owner on a locked key", ok, false)

		// The owner may write; another owner's write waits for the unlock.
		_, err = mp.Put(a, "k", "a")
		must(t, err, "Put by owner")
		done := make(chan error, 1)
		go func() {
			_, err := mp.Put(b, "k", "b")
			done <- err
		}()
		select {
		case err := <-done:
			t.Fatalf("Put by another owner completed while the key was locked (err %v)", err)
		case <-time.After(300 * time.Millisecond):
		}
		must(t, mp.Unlock(a, "k"), "Unlock by a")
		select {
		case err := <-done:
			must(t, err, "parked Put")
		case <-time.After(10 * time.Second):
			t.Fatal("Put by another owner did not complete after Unlock")
		}
		v, err := mp.Get(base, "k")
		must(t, err, "Get")
		eq(t, "value written by the parked Put", v, "b")
		eq(t, "IsLocked after Unlock", isLocked("k"), false)

		// Unlocking a free lock is an error too.
		err = mp.Unlock(a, "k")
		if !errors.Is(err, hzerrors.ErrIllegalMonitorState) {
			t.Fatalf("Unlock of an unlocked key: got %v, want ErrIllegalMonitorState", err)
		}

		// Reentrancy.
		must(t, mp.Lock(a, "r"), "Lock 1")
		ok, err = mp.TryLock(a, "r")
		must(t, err, "TryLock reentrant")
		eq(t, "TryLock by the owner (reentrant)", ok, true)
		must(t, mp.Unlock(a, "r"), "Unlock 1")
		eq(t, "locked after one of two unlocks", isLocked("r"), true)
		ok, _ = mp.TryLock(b, "r")
		eq(t, "TryLock by another owner while reentrantly held", ok, false)
		must(t, mp.Unlock(a, "r"), "Unlock 2")
		eq(t, "free after two unlocks", isLocked("r"), false)

		// ForceUnlock from anyone frees the lock, whatever its count.
		must(t, mp.Lock(a, "f"), "Lock f")
		must(t, mp.Lock(a, "f"), "Lock f again")
		must(t, mp.ForceUnlock(b, "f"), "ForceUnlock by b")
		eq(t, "IsLocked after ForceUnlock", isLocked("f"), false)
		ok, err = mp.TryLock(b, "f")
		must(t, err, "TryLock after ForceUnlock")
		eq(t, "TryLock after ForceUnlock", ok, true)
		must(t, mp.Unlock(b, "f"), "Unlock f by b")

		// Waiting TryLock gets the lock when it is released.
		must(t, mp.Lock(a, "w"), "Lock w")
		got := make(chan bool, 1)
		go func() {
			ok, err := mp.TryLockWithTimeout(b, "w", 10*time.Second)
			if err != nil {
				ok = false
			}
			got <- ok
		}()
		must(t, mp.Unlock(a, "w"), "Unlock w")
		select {
		case ok := <-got:
			eq(t, "waiting TryLockWithTimeout after release", ok, true)
		case <-time.After(10 * time.Second):
			t.Fatal("waiting TryLockWithTimeout did not return")
		}
		must(t, mp.Unlock(b, "w"), "Unlock w by b")
	})
}

// TestLockLeases checks that LockWithLease, TryLockWithLease and
// TryLockWithLeaseAndTimeout leases expire and free the lock.
func TestLockLeases(t *testing.T) {
	m := startMember(t, nil)
	forEachMode(t, m, func(t *testing.T, c *hazelcast.Client) {
		base := testCtx(t)
		mp := getMap(t, c, mapName(t, "leases"))
		a, b := mp.NewLockContext(base), mp.NewLockContext(base)

		// LockWithLease: a waiting TryLock of another owner gets the lock
		// once the lease ends, without any unlock.
		start := time.Now()
		must(t, mp.LockWithLease(a, "l1", time.Second), "LockWithLease")
		ok, err := mp.TryLockWithTimeout(b, "l1", 10*time.Second)
		must(t, err, "TryLockWithTimeout after lease")
		eq(t, "TryLockWithTimeout waiting for a lease to end", ok, true)
		if el := time.Since(start); el < 800*time.Millisecond {
			t.Errorf("lock of a 1s lease was taken over after %v", el)
		}
		must(t, mp.Unlock(b, "l1"), "Unlock l1 by b")
		// The expired owner no longer holds it.
		if err := mp.Unlock(a, "l1"); !errors.Is(err, hzerrors.ErrIllegalMonitorState) {
			t.Fatalf("Unlock by the owner of an expired lease: got %v, want ErrIllegalMonitorState", err)
		}

		// TryLockWithLease: IsLocked turns false by itself.
		ok, err = mp.TryLockWithLease(a, "l2", time.Second)
		must(t, err, "TryLockWithLease")
		eq(t, "TryLockWithLease on a free key", ok, true)
		locked, err := mp.IsLocked(base, "l2")
		must(t, err, "IsLocked")
		eq(t, "IsLocked during lease", locked, true)
		eventually(t, 4*time.Second, "lease of l2 ends", func() (bool, string) {
			locked, err := mp.IsLocked(base, "l2")
			if err != nil {
				return false, err.Error()
			}
			return !locked, "still locked"
		})
		ok, err = mp.TryLock(b, "l2")
		must(t, err, "TryLock after lease")
		eq(t, "TryLock after the lease ended", ok, true)
		must(t, mp.Unlock(b, "l2"), "Unlock l2")

		// TryLockWithLeaseAndTimeout.
		ok, err = mp.TryLockWithLeaseAndTimeout(a, "l3", time.Second, time.Second)
		must(t, err, "TryLockWithLeaseAndTimeout")
		eq(t, "TryLockWithLeaseAndTimeout on a free key", ok, true)
		_, err = mp.Put(b, "l3", "after-lease") // waits for the lease to end
		must(t, err, "Put waiting for the lease")
		v, _ := mp.Get(base, "l3")
		eq(t, "value written after the lease", v, "after-lease")
	})
}

// TestLocksReleasedWhenClientLeaves checks that a client's locks are freed
// when it disconnects.
func TestLocksReleasedWhenClientLeaves(t *testing.T) {
	m := startMember(t, nil)
	for _, md := range modes {
		t.Run(md.name, func(t *testing.T) {
			ctx := testCtx(t)
			name := mapName(t, "orphan")
			holder, err := hazelcast.StartNewClientWithConfig(ctx, clientConfig(m, md.unisocket))
			must(t, err, "start holder client")
			shut := false
			t.Cleanup(func() {
				if !shut {
					_ = holder.Shutdown(context.Background())
				}
			})
			hm := getMap(t, holder, name)
			must(t, hm.Lock(hm.NewLockContext(ctx), "k"), "Lock by holder")

			other := newClient(t, m, md)
			om := getMap(t, other, name)
			oc := om.NewLockContext(ctx)
			ok, err := om.TryLock(oc, "k")
			must(t, err, "TryLock by other client")
			eq(t, "TryLock of a lock held by another client", ok, false)

			must(t, holder.Shutdown(ctx), "holder Shutdown")
			shut = true
			ok, err = om.TryLockWithTimeout(oc, "k", 10*time.Second)
			must(t, err, "TryLockWithTimeout after holder left")
			eq(t, "lock freed when its client disconnects", ok, true)
			must(t, om.Unlock(oc, "k"), "Unlock")
		})
	}
}

// TestLockedCounter: 32 goroutines each doing rounds of lock / get /
// put+1 / unlock on one key lose no update.
//
// The official client leaves Nagle's algorithm on, so while lock requests
// sit parked on the member (no response to piggyback an ACK on) the next
// small request would wait for a delayed ACK (~40 ms on Linux); the member
// sets TCP_QUICKACK on reads so contended rounds stay fast.
func TestLockedCounter(t *testing.T) {
	const workers, rounds = 32, 50
	m := startMember(t, nil)
	forEachMode(t, m, func(t *testing.T, c *hazelcast.Client) {
		base := testCtx(t)
		mp := getMap(t, c, mapName(t, "counter"))
		must(t, mp.Set(base, "n", int64(0)), "Set")
		var wg sync.WaitGroup
		errs := make(chan error, workers)
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ctx := mp.NewLockContext(base)
				for i := 0; i < rounds; i++ {
					if err := increment(ctx, mp); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("worker: %v", err)
		}
		v, err := mp.Get(base, "n")
		must(t, err, "Get")
		eq(t, "counter after locked increments", v, int64(workers*rounds))
		locked, _ := mp.IsLocked(base, "n")
		eq(t, "counter key locked after all unlocks", locked, false)
	})
}

func increment(ctx context.Context, mp *hazelcast.Map) (err error) {
	if err := mp.Lock(ctx, "n"); err != nil {
		return err
	}
	defer func() {
		if uerr := mp.Unlock(ctx, "n"); uerr != nil && err == nil {
			err = uerr
		}
	}()
	v, err := mp.Get(ctx, "n")
	if err != nil {
		return err
	}
	n, ok := v.(int64)
	if !ok {
		return errors.New("counter is not an int64")
	}
	return mp.Set(ctx, "n", n+1)
}
