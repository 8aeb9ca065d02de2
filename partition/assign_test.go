package partition

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
)

// uuids returns k distinct member UUIDs whose values depend on seed, so that
// nothing can rely on members sorting in join order.
func uuids(seed uint64, k int) []UUID {
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	u := make([]UUID, k)
	for i := range u {
		u[i] = UUID{MSB: r.Uint64() | 1, LSB: r.Uint64()}
	}
	return u
}

// checkTable asserts the invariants every Assign result has: levels, an
// owner and all replicas per partition on distinct members, per-level
// floor/ceil balance, totals per member within one, and a consistent owner
// Table.
func checkTable(t *testing.T, tb *ReplicaTable, members []UUID, replicas int) {
	t.Helper()
	n, p := len(members), tb.Count()
	levels := min(n, replicas)
	if tb.Levels() != levels {
		t.Fatalf("Levels = %d, want min(%d members, %d replicas)", tb.Levels(), n, replicas)
	}
	if !slices.Equal(tb.Members(), members) {
		t.Fatalf("Members = %v, want %v", tb.Members(), members)
	}
	idx := map[UUID]int{}
	for i, m := range members {
		idx[m] = i
	}
	perLevel := make([][]int, levels)
	for i := range perLevel {
		perLevel[i] = make([]int, n)
	}
	total := make([]int, n)
	for pid := int32(0); pid < int32(p); pid++ {
		seen := map[UUID]bool{}
		for i := range MaxReplicaCount {
			u := tb.Replica(pid, i)
			if i >= levels {
				if !u.IsZero() || tb.ReplicaIndex(pid, i) != -1 {
					t.Fatalf("partition %d replica %d = %v beyond %d levels", pid, i, u, levels)
				}
				continue
			}
			if u.IsZero() {
				t.Fatalf("partition %d replica %d empty with %d members", pid, i, n)
			}
			if seen[u] {
				t.Fatalf("partition %d: member %v holds two replicas", pid, u)
			}
			seen[u] = true
			m, ok := idx[u]
			if !ok || tb.ReplicaIndex(pid, i) != m {
				t.Fatalf("partition %d replica %d: %v (index %d) not member %d", pid, i, u, tb.ReplicaIndex(pid, i), m)
			}
			perLevel[i][m]++
			total[m]++
		}
		if tb.Owner(pid) != tb.Replica(pid, 0) {
			t.Fatalf("Owner(%d) != Replica(%d, 0)", pid, pid)
		}
	}
	if n == 0 {
		if tb.Table() != nil || tb.ByOwner() != nil {
			t.Fatal("table without members has an owner Table")
		}
		return
	}
	lo, hi := p/n, (p+n-1)/n
	for i, counts := range perLevel {
		for m, c := range counts {
			if c < lo || c > hi {
				t.Fatalf("replica %d: member %d holds %d partitions, want %d..%d (per-level loads %v)", i, m, c, lo, hi, counts)
			}
		}
	}
	if mn, mx := slices.Min(total), slices.Max(total); mx-mn > 1 {
		t.Fatalf("replicas per member range %d..%d: %v", mn, mx, total)
	}
	ot := tb.Table()
	if ot == nil || ot.Version() != tb.Version() || ot.Count() != p || !slices.Equal(ot.Members(), members) {
		t.Fatalf("owner Table inconsistent: %+v", ot)
	}
	sum := 0
	for _, op := range tb.ByOwner() {
		for _, pid := range op.Partitions {
			if tb.Owner(pid) != op.Owner {
				t.Fatalf("ByOwner lists %d under %v, owner is %v", pid, op.Owner, tb.Owner(pid))
			}
		}
		sum += len(op.Partitions)
	}
	if sum != p {
		t.Fatalf("ByOwner covers %d of %d partitions", sum, p)
	}
}

// apply replays moves on prev and reports whether the result is next.
func apply(prev, next *ReplicaTable, moves []Move) error {
	levels := max(next.Levels(), prev.Levels())
	rows := make([][]UUID, prev.Count())
	for pid := range rows {
		rows[pid] = make([]UUID, levels)
		for i := range levels {
			rows[pid][i] = prev.Replica(int32(pid), i)
		}
	}
	for _, mv := range moves {
		if rows[mv.Partition][mv.Replica] != mv.Old {
			return fmt.Errorf("move %+v: old is %v", mv, rows[mv.Partition][mv.Replica])
		}
		if mv.Old == mv.New {
			return fmt.Errorf("move %+v changes nothing", mv)
		}
		rows[mv.Partition][mv.Replica] = mv.New
	}
	for pid := range rows {
		for i := range levels {
			if rows[pid][i] != next.Replica(int32(pid), i) {
				return fmt.Errorf("partition %d replica %d: replay gives %v, next has %v", pid, i, rows[pid][i], next.Replica(int32(pid), i))
			}
		}
	}
	return nil
}

type movement struct {
	owners   int // partitions whose owner changed
	replicas int // replica slots that changed
	others   int // partitions whose owner changed although it was still a member
	copies   int // replicas given to a member that held no copy of the partition
}

func measure(prev, next *ReplicaTable) movement {
	var mv movement
	alive := map[UUID]bool{}
	for _, m := range next.Members() {
		alive[m] = true
	}
	for pid := int32(0); pid < int32(next.Count()); pid++ {
		for i := range next.Levels() {
			u := next.Replica(pid, i)
			had := false
			for j := range prev.Levels() {
				had = had || prev.Replica(pid, j) == u
			}
			if !had {
				mv.copies++
			}
		}
	}
	for _, d := range prev.Diff(next) {
		mv.replicas++
		if d.Replica == 0 {
			mv.owners++
			if alive[d.Old] {
				mv.others++
			}
		}
	}
	return mv
}

// step calls Assign and checks everything that holds for any step.
func step(t *testing.T, prev *ReplicaTable, members []UUID, replicas int) *ReplicaTable {
	t.Helper()
	if prev == nil {
		prev = NewReplicaTable(DefaultCount)
	}
	in := slices.Clone(members)
	next := Assign(prev, members, replicas)
	if !slices.Equal(in, members) {
		t.Fatal("Assign modified its members argument")
	}
	checkTable(t, next, members, replicas)

	// Deterministic: the same inputs give the same placement, slot for slot.
	again := Assign(prev, slices.Clone(members), replicas)
	if !again.Equal(next) || !slices.Equal(again.slots, next.slots) {
		t.Fatal("Assign is not deterministic")
	}

	// Versions.
	moves := prev.Diff(next)
	switch {
	case len(moves) == 0 && next.Version() != prev.Version():
		t.Fatalf("nothing moved but version %d -> %d", prev.Version(), next.Version())
	case len(moves) == 0 && slices.Equal(prev.Members(), members) && next != prev:
		t.Fatal("nothing changed but Assign did not return prev")
	case len(moves) > 0 && next.Version() != prev.Version()+1:
		t.Fatalf("placement changed but version %d -> %d", prev.Version(), next.Version())
	}
	if err := apply(prev, next, moves); err != nil {
		t.Fatal(err)
	}
	// Assigning again changes nothing.
	if again := Assign(next, members, replicas); again != next {
		t.Fatal("Assign(next, same members) is not next")
	}

	// Promotion: when at most one member left, an owner that left is
	// replaced by the hottest surviving replica.
	alive := map[UUID]bool{}
	for _, m := range members {
		alive[m] = true
	}
	left := 0
	for _, m := range prev.Members() {
		if !alive[m] {
			left++
		}
	}
	if left <= 1 {
		checkPromoted(t, prev, next)
	}
	checkSources(t, prev, moves, alive)
	return next
}

// checkPromoted asserts that every partition whose owner left is owned by
// its hottest surviving replica.
func checkPromoted(t *testing.T, prev, next *ReplicaTable) {
	t.Helper()
	alive := map[UUID]bool{}
	for _, m := range next.Members() {
		alive[m] = true
	}
	for pid := int32(0); pid < int32(prev.Count()); pid++ {
		if alive[prev.Owner(pid)] {
			continue
		}
		for i := range prev.Levels() {
			if u := prev.Replica(pid, i); alive[u] {
				if next.Owner(pid) != u {
					t.Fatalf("partition %d: owner %v left, backup %d %v survives, new owner %v", pid, prev.Owner(pid), i, u, next.Owner(pid))
				}
				break
			}
		}
	}
}

// checkSources asserts that each move names the hottest replica still alive
// as its source.
func checkSources(t *testing.T, prev *ReplicaTable, moves []Move, alive map[UUID]bool) {
	t.Helper()
	for _, mv := range moves {
		want := UUID{}
		for i := range prev.Levels() {
			if u := prev.Replica(mv.Partition, i); alive[u] {
				want = u
				break
			}
		}
		if mv.Source != want {
			t.Fatalf("move %+v: source want %v", mv, want)
		}
	}
}

// promote calls Promote and checks its result: surviving replicas shifted
// up in order, nothing else moved, orphans owned, versions.
func promote(t *testing.T, prev *ReplicaTable, members []UUID) *ReplicaTable {
	t.Helper()
	next := Promote(prev, members)
	if !slices.Equal(next.Members(), members) {
		t.Fatal("Promote: members")
	}
	alive := map[UUID]bool{}
	for _, m := range members {
		alive[m] = true
	}
	for pid := int32(0); pid < int32(prev.Count()); pid++ {
		var want []UUID
		for i := range prev.Levels() {
			if u := prev.Replica(pid, i); alive[u] {
				want = append(want, u)
			}
		}
		var got []UUID
		for i := range MaxReplicaCount {
			if u := next.Replica(pid, i); !u.IsZero() {
				if len(got) != i {
					t.Fatalf("partition %d: replica %d after a gap", pid, i)
				}
				got = append(got, u)
			}
		}
		if len(want) == 0 && len(members) > 0 && len(got) == 1 {
			continue // orphan given an owner
		}
		if !slices.Equal(got, want) {
			t.Fatalf("partition %d: promoted row %v, want %v", pid, got, want)
		}
	}
	checkPromoted(t, prev, next)
	moves := prev.Diff(next)
	if len(moves) == 0 && next.Version() != prev.Version() || len(moves) > 0 && next.Version() != prev.Version()+1 {
		t.Fatalf("Promote: %d moves, version %d -> %d", len(moves), prev.Version(), next.Version())
	}
	if err := apply(prev, next, moves); err != nil {
		t.Fatal(err)
	}
	checkSources(t, prev, moves, alive)
	if len(members) > 0 && next.Table() == nil {
		t.Fatal("Promote: no owner table")
	}
	return next
}

func TestAssignProperties(t *testing.T) {
	counts := []int{1, 7, 271, 1000}
	steps := 60
	if testing.Short() {
		steps = 20
	}
	for _, count := range counts {
		for replicas := 1; replicas <= MaxReplicaCount; replicas++ {
			t.Run(fmt.Sprintf("count=%d/replicas=%d", count, replicas), func(t *testing.T) {
				t.Parallel()
				seed := uint64(count*10 + replicas)
				r := rand.New(rand.NewPCG(seed, 1))
				pool := uuids(seed, steps+1) // at most one join per step
				nextNew := 0
				join := func(ms []UUID) []UUID { nextNew++; return append(ms, pool[nextNew-1]) }
				var members []UUID
				members = join(members)
				tb := step(t, NewReplicaTable(count), members, replicas)
				var worstJoin, worstLeave float64
				var leaveOthers, leaveCopies, leaverReplicas, leaverOwned int
				for range steps {
					prev := tb
					before := len(members)
					members = slices.Clone(members)
					var kind string
					switch x := r.IntN(10); {
					case len(members) < 10 && (x < 5 || len(members) == 1):
						kind = "join"
						members = join(members)
					case x < 9:
						kind = "leave"
						i := r.IntN(len(members))
						members = slices.Delete(members, i, i+1)
					default: // several at once
						kind = "multi"
						for range 1 + r.IntN(2) {
							if len(members) > 1 {
								i := r.IntN(len(members))
								members = slices.Delete(members, i, i+1)
							}
						}
						if len(members) < 10 {
							members = join(members)
						}
					}
					tb = step(t, prev, members, replicas)
					mv := measure(prev, tb)
					if kind == "multi" {
						// After a crash: publish the promotion, then plan.
						tb = step(t, promote(t, prev, members), members, replicas)
					}
					after := len(members)
					switch kind {
					case "join":
						// Ideal: the newcomer takes its share of owners.
						ideal := count / after
						if mv.owners > (count+after-1)/after+count/after/10 {
							t.Errorf("join %d->%d: %d owners moved, ideal %d", before, after, mv.owners, ideal)
						}
						if ideal > 0 {
							worstJoin = max(worstJoin, float64(mv.owners)/float64(ideal))
						}
						if mv.others != mv.owners {
							t.Errorf("join: owner moves %+v", mv)
						}
					case "leave":
						lost := 0
						for _, op := range prev.ByOwner() {
							if !slices.Contains(members, op.Owner) {
								lost = len(op.Partitions)
							}
						}
						leaverOwned += lost
						leaveOthers += mv.others
						for _, m := range prev.Members() {
							if !slices.Contains(members, m) {
								for pid := int32(0); pid < int32(count); pid++ {
									for i := range prev.Levels() {
										if prev.Replica(pid, i) == m {
											leaverReplicas++
										}
									}
								}
							}
						}
						leaveCopies += mv.copies
						if lost > 0 {
							worstLeave = max(worstLeave, float64(mv.owners)/float64(lost))
						}
						if mv.others > 1+count/100 {
							t.Errorf("leave %d->%d: %d owners of remaining members moved (%+v)", before, after, mv.others, mv)
						}
					}
				}
				t.Logf("count %d replicas %d: owners moved: worst join %.3f x share, worst leave %.3f x leaver's; leaves moved %d other owners besides the leavers' %d; leaves made %d data copies for %d replicas lost",
					count, replicas, worstJoin, worstLeave, leaveOthers, leaverOwned, leaveCopies, leaverReplicas)
			})
		}
	}
}

// TestMovement measures the reference transitions with 271 partitions and
// one backup.
func TestMovement(t *testing.T) {
	ms := uuids(7, 4)
	build := func(k int) *ReplicaTable {
		var tb *ReplicaTable
		for i := 1; i <= k; i++ {
			tb = step(t, tb, ms[:i], 2)
		}
		return tb
	}
	for _, c := range []struct {
		from, to int
		leaver   int // index leaving, for shrinking
	}{
		{3, 4, -1}, {1, 2, -1},
		{4, 3, 3}, {4, 3, 0}, {4, 3, 1}, {2, 1, 1}, {2, 1, 0},
	} {
		prev := build(c.from)
		next := slices.Clone(ms[:c.to])
		leaverOwned := 0
		if c.leaver >= 0 {
			next = slices.Delete(slices.Clone(ms[:c.from]), c.leaver, c.leaver+1)
			for _, op := range prev.ByOwner() {
				if op.Owner == ms[c.leaver] {
					leaverOwned = len(op.Partitions)
				}
			}
		}
		tb := step(t, prev, next, 2)
		mv := measure(prev, tb)
		if c.leaver < 0 {
			t.Logf("join %d->%d: %d owners moved (share %d), %d replica slots changed, %d data copies",
				c.from, c.to, mv.owners, DefaultCount/c.to, mv.replicas, mv.copies)
		} else {
			t.Logf("leave %d->%d (member %d): %d owners moved (leaver owned %d; %d others), %d replica slots changed, %d data copies",
				c.from, c.to, c.leaver, mv.owners, leaverOwned, mv.others, mv.replicas, mv.copies)
		}
		if c.leaver < 0 {
			if ideal := DefaultCount / c.to; mv.owners > ideal+ideal/10 || mv.owners < ideal {
				t.Errorf("%d->%d: %d owners moved, ideal %d", c.from, c.to, mv.owners, ideal)
			}
			// Per replica level, at most the newcomer's share moves.
			if mv.replicas > 2*((DefaultCount+c.to-1)/c.to)+DefaultCount/c.to/10 && c.from > 1 {
				t.Errorf("%d->%d: %d replica slots changed", c.from, c.to, mv.replicas)
			}
		} else if mv.others != 0 || mv.owners != leaverOwned {
			t.Errorf("%d->%d: %d owners moved, leaver owned %d, %d others", c.from, c.to, mv.owners, leaverOwned, mv.others)
		}
	}
}

func TestAssignFromScratch(t *testing.T) {
	for _, count := range []int{1, 2, 7, 271, 1000} {
		for n := 0; n <= 12; n++ {
			for replicas := 1; replicas <= MaxReplicaCount; replicas++ {
				tb := step(t, NewReplicaTable(count), uuids(uint64(n), n), replicas)
				if n > 0 && tb.Version() != 1 {
					t.Errorf("first table version %d", tb.Version())
				}
			}
		}
	}
}

func TestPromotion(t *testing.T) {
	ms := uuids(3, 5)
	tb := step(t, nil, ms, 3)
	// Remove the oldest member: its owned partitions go to their first
	// backup and their second backup becomes the first.
	next := step(t, tb, ms[1:], 3)
	promoted := 0
	for pid := int32(0); pid < int32(tb.Count()); pid++ {
		if tb.Owner(pid) != ms[0] {
			continue
		}
		promoted++
		if next.Owner(pid) != tb.Replica(pid, 1) {
			t.Errorf("partition %d: owner %v, want former backup %v", pid, next.Owner(pid), tb.Replica(pid, 1))
		}
		if next.Replica(pid, 1) != tb.Replica(pid, 2) {
			// Allowed only when balance requires it; count them.
			t.Logf("partition %d: second backup did not shift up", pid)
		}
	}
	if promoted == 0 {
		t.Fatal("oldest member owned nothing")
	}
	// Crash of two members with replicas 3: every partition still has an
	// owner, taken from the survivors in order.
	next2 := step(t, tb, slices.Concat(ms[:1], ms[3:]), 3)
	for pid := int32(0); pid < int32(tb.Count()); pid++ {
		if o := tb.Owner(pid); o == ms[1] || o == ms[2] {
			for i := 1; i < 3; i++ {
				if u := tb.Replica(pid, i); u != ms[1] && u != ms[2] {
					if next2.Owner(pid) != u {
						t.Errorf("partition %d: owner %v, want surviving backup %v", pid, next2.Owner(pid), u)
					}
					break
				}
			}
		}
	}
	// replicas 1: a leaver's partitions are reassigned (no backup to promote).
	one := step(t, nil, ms[:3], 1)
	step(t, one, ms[1:3], 1)
}

func TestAssignVersions(t *testing.T) {
	ms := uuids(11, 3)
	tb := step(t, nil, ms[:1], 2)
	if tb.Version() != 1 || tb.Count() != DefaultCount {
		t.Fatalf("first: version %d count %d", tb.Version(), tb.Count())
	}
	// Same input: same pointer.
	if Assign(tb, ms[:1], 2) != tb {
		t.Fatal("unchanged assignment is a new table")
	}
	// More replicas than members: nothing to add, nothing changes.
	if Assign(tb, ms[:1], 7) != tb {
		t.Fatal("replicas beyond members changed the table")
	}
	t2 := step(t, tb, ms[:2], 2)
	if t2.Version() != 2 {
		t.Fatalf("version %d, want 2", t2.Version())
	}
	// Same members in another order: placement unchanged, same version,
	// members as given.
	swapped := []UUID{ms[1], ms[0]}
	t3 := Assign(t2, swapped, 2)
	if t3.Version() != 2 || !t3.Equal(t2) || !slices.Equal(t3.Members(), swapped) {
		t.Fatalf("reordered members: version %d equal %v members %v", t3.Version(), t3.Equal(t2), t3.Members())
	}
	checkTable(t, t3, swapped, 2)
	// Fewer replicas drops a level: version bump.
	if t4 := step(t, t2, ms[:2], 1); t4.Version() != 3 || t4.Levels() != 1 {
		t.Fatalf("fewer replicas: version %d levels %d", t4.Version(), t4.Levels())
	}
	// Everyone gone: no owners, version bump; back again: version bump.
	empty := step(t, t2, nil, 2)
	if empty.Version() != 3 || empty.Levels() != 0 || !empty.Owner(0).IsZero() || empty.Table() != nil {
		t.Fatalf("empty: version %d levels %d", empty.Version(), empty.Levels())
	}
	if back := step(t, empty, ms, 2); back.Version() != 4 {
		t.Fatalf("after empty: version %d", back.Version())
	}
	// nil prev without members: DefaultCount, version 0, no owners.
	if e := Assign(nil, nil, 1); e.Version() != 0 || e.Count() != DefaultCount || e.Levels() != 0 || e.ByOwner() != nil {
		t.Fatalf("Assign(nil, nil): %+v", e)
	}
	// Out-of-range replicas are clamped.
	if c := Assign(nil, uuids(1, 9), 99); c.Levels() != MaxReplicaCount {
		t.Fatalf("replicas 99: levels %d", c.Levels())
	}
	if c := Assign(nil, uuids(1, 3), 0); c.Levels() != 1 {
		t.Fatalf("replicas 0: levels %d", c.Levels())
	}
}

func TestFromTable(t *testing.T) {
	self := UUID{MSB: 42}
	single := NewSingleMember(DefaultCount, self)
	rt := FromTable(single)
	if rt.Version() != 1 || rt.Owner(5) != self || rt.Table() != single || rt.Levels() != 1 {
		t.Fatalf("FromTable: %+v", rt)
	}
	// One member, one replica: unchanged, same pointer.
	if Assign(rt, []UUID{self}, 2) != rt {
		t.Fatal("FromTable of a single member is not stable")
	}
	next := step(t, rt, []UUID{self, {MSB: 43}}, 2)
	if next.Version() != 2 {
		t.Fatalf("version after FromTable(v1): %d, want 2", next.Version())
	}
	// Owners already in place stay: only the joiner's share moves.
	if mv := measure(rt, next); mv.owners != DefaultCount/2 {
		t.Errorf("owners moved: %d", mv.owners)
	}
}

func TestDiff(t *testing.T) {
	a, b, c := UUID{MSB: 1}, UUID{MSB: 2}, UUID{MSB: 3}
	t1 := step(t, NewReplicaTable(7), []UUID{a, b, c}, 2)
	t2 := step(t, t1, []UUID{a, c}, 2)
	moves := t1.Diff(t2)
	if len(moves) == 0 {
		t.Fatal("no moves")
	}
	for i, mv := range moves {
		if i > 0 {
			p := moves[i-1]
			if p.Partition > mv.Partition || (p.Partition == mv.Partition && p.Replica >= mv.Replica) {
				t.Fatalf("moves out of order: %+v then %+v", p, mv)
			}
		}
		if mv.Old != b && mv.Old != t1.Replica(mv.Partition, mv.Replica) {
			t.Fatalf("bad old: %+v", mv)
		}
		if mv.Replica == 0 && mv.Old == b && mv.Source != mv.New {
			t.Errorf("promotion %+v: source should be the promoted backup", mv)
		}
	}
	// From nothing: every slot is a move with no old and no source.
	all := (*ReplicaTable)(nil).Diff(t1)
	if len(all) != 7*2 || !all[0].Old.IsZero() || !all[0].Source.IsZero() {
		t.Fatalf("Diff from nil: %d moves, first %+v", len(all), all[0])
	}
	// To nothing: every slot dropped.
	none := step(t, t1, nil, 2)
	if d := t1.Diff(none); len(d) != 14 || !d[0].New.IsZero() || !d[0].Source.IsZero() {
		t.Fatalf("Diff to empty: %d moves, first %+v", len(d), d[0])
	}
	if len(t1.Diff(t1)) != 0 {
		t.Fatal("Diff with itself is not empty")
	}
	defer func() {
		if recover() == nil {
			t.Error("Diff across partition counts did not panic")
		}
	}()
	t1.Diff(NewReplicaTable(8))
}

func TestAssignPanics(t *testing.T) {
	for name, ms := range map[string][]UUID{
		"duplicate": {{MSB: 1}, {MSB: 2}, {MSB: 1}},
		"zero":      {{MSB: 1}, {}},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			Assign(nil, ms, 2)
		}()
	}
	defer func() {
		if recover() == nil {
			t.Error("NewReplicaTable(0) did not panic")
		}
	}()
	NewReplicaTable(0)
}

// TestConcurrentReaders reads one table from many goroutines while new
// tables are derived from it (run with -race).
func TestConcurrentReaders(t *testing.T) {
	ms := uuids(5, 6)
	tb := Assign(nil, ms[:5], 3)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for pid := int32(0); pid < int32(tb.Count()); pid++ {
				_ = tb.Replica(pid, g%3)
				_ = tb.Owner(pid)
			}
			_ = tb.ByOwner()
			_ = tb.Table().Owner(3)
			next := Assign(tb, ms[g%2:g%2+5], 3)
			_ = tb.Diff(next)
		})
	}
	wg.Wait()
	checkTable(t, tb, ms[:5], 3)
}

func BenchmarkAssign(b *testing.B) {
	for _, c := range []struct {
		count, members, replicas int
	}{{DefaultCount, 10, 7}, {DefaultCount, 3, 2}, {1000, 10, 7}} {
		ms := uuids(9, c.members+1)
		base := Assign(nil, ms[:c.members], c.replicas)
		name := fmt.Sprintf("%dx%dx%d", c.count, c.replicas, c.members)
		if c.count != DefaultCount {
			base = Assign(NewReplicaTable(c.count), ms[:c.members], c.replicas)
		}
		b.Run(name+"/scratch", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Assign(NewReplicaTable(c.count), ms[:c.members], c.replicas)
			}
		})
		b.Run(name+"/join", func(b *testing.B) {
			from := Assign(NewReplicaTable(c.count), ms[1:c.members], c.replicas)
			b.ReportAllocs()
			for b.Loop() {
				Assign(from, ms[:c.members], c.replicas)
			}
		})
		b.Run(name+"/leave", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Assign(base, ms[1:c.members], c.replicas)
			}
		})
		b.Run(name+"/unchanged", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Assign(base, ms[:c.members], c.replicas)
			}
		})
	}
}

// TestAssignStress runs many short random histories: several members joining
// or leaving at once, crashes published with Promote first, and the replica
// count changing, over partition counts from 1 to 271 and up to 16 members.
func TestAssignStress(t *testing.T) {
	seeds := uint64(300)
	if testing.Short() {
		seeds = 30
	}
	for seed := range seeds {
		r := rand.New(rand.NewPCG(seed, 99))
		count := []int{1, 2, 3, 5, 7, 13, 64, 271}[r.IntN(8)]
		pool := uuids(seed+1000, 200)
		next := 0
		var members []UUID
		replicas := 1 + r.IntN(MaxReplicaCount)
		tb := NewReplicaTable(count)
		for range 40 {
			members = slices.Clone(members)
			switch x := r.IntN(12); {
			case x < 5 && len(members) < 16 || len(members) == 0:
				for range 1 + r.IntN(2) {
					members = append(members, pool[next])
					next++
				}
			case x < 10:
				for range 1 + r.IntN(2) {
					if len(members) > 0 {
						i := r.IntN(len(members))
						members = slices.Delete(members, i, i+1)
					}
				}
			default:
				replicas = 1 + r.IntN(MaxReplicaCount)
			}
			if r.IntN(4) == 0 {
				tb = promote(t, tb, members)
			}
			tb = step(t, tb, members, replicas)
		}
	}
}

// TestRelaxedPlacement covers the placement used should the balanced one
// have no solution (no input is known to need it): every level placed
// with extras allowed anywhere still keeps one replica per member and
// partition, and balance.
func TestRelaxedPlacement(t *testing.T) {
	for _, n := range []int{1, 3, 7, 10} {
		prev := NewReplicaTable(DefaultCount)
		levels := min(n, MaxReplicaCount)
		a := newAssigner(prev, nil, n, levels)
		for lv := range levels {
			a.level = lv
			if !a.placeLevel(true) {
				t.Fatal("relaxed placement failed")
			}
			for pid := range a.p {
				m := a.assign[pid]
				a.out[pid*levels+lv] = m
				a.hotBits[pid*a.words+int(m>>6)] |= 1 << (m & 63)
			}
		}
		tb := &ReplicaTable{count: DefaultCount, levels: levels, members: uuids(1, n), slots: a.out}
		for pid := int32(0); pid < DefaultCount; pid++ {
			seen := map[int]bool{}
			for i := range levels {
				m := tb.ReplicaIndex(pid, i)
				if m < 0 || seen[m] {
					t.Fatalf("n=%d partition %d: row broken at %d", n, pid, i)
				}
				seen[m] = true
			}
		}
	}
}
