package partition

import (
	"fmt"
	"slices"
)

// MaxReplicaCount is the most replicas a partition can have: the owner
// (replica 0) and up to MaxBackupCount backups, as in Hazelcast.
const MaxReplicaCount = 7

// MaxBackupCount is the most backup replicas (1..6) a partition can have.
const MaxBackupCount = MaxReplicaCount - 1

// ReplicaTable is an immutable snapshot of replica placement: for each of
// Count partitions, the members holding replicas 0 (the owner) to Levels()-1
// (backups), plus the partition state version. No member holds two replicas
// of one partition. In a table made by [Assign] every partition has all
// Levels() replicas; one made by [Promote] may lack some. A ReplicaTable is
// safe for concurrent use; a new placement is a new ReplicaTable.
type ReplicaTable struct {
	version int32
	count   int
	levels  int     // replica indexes per partition: min(len(members), requested)
	members []UUID  // the members the table refers to, oldest first
	slots   []int32 // count*levels, partition-major: index into members, -1 = none
	owners  *Table  // replica 0 as a Table; nil when there are no members
}

// NewReplicaTable returns the table of count partitions held by nobody, at
// version 0: the starting point for [Assign] when the partition count is not
// [DefaultCount]. It panics if count < 1, which is a configuration error the
// caller must reject first.
func NewReplicaTable(count int) *ReplicaTable {
	if count < 1 {
		panic(fmt.Sprintf("partition: NewReplicaTable: count %d < 1", count))
	}
	return &ReplicaTable{count: count}
}

// FromTable returns a replica table with t's version, members and owners and
// no backups, so that a member that has published t (for example one from
// [NewSingleMember]) keeps its version sequence when it starts calling
// [Assign]: Assign(FromTable(t), ...) is at version t.Version()+1 if anything
// changes.
func FromTable(t *Table) *ReplicaTable {
	return &ReplicaTable{
		version: t.version,
		count:   len(t.owners),
		levels:  1,
		members: t.members,
		slots:   t.owners,
		owners:  t,
	}
}

// Version returns the partition state version.
func (t *ReplicaTable) Version() int32 { return t.version }

// Count returns the number of partitions.
func (t *ReplicaTable) Count() int { return t.count }

// Levels returns the number of replica indexes: 0 without members; for a
// table from Assign min(len(Members()), replicas) for the replicas it was
// given.
func (t *ReplicaTable) Levels() int { return t.levels }

// Members returns the members the table refers to, in the order Assign was
// given them; ReplicaIndex returns indexes into it. The slice is shared and
// must not be modified.
func (t *ReplicaTable) Members() []UUID { return t.members }

// ReplicaIndex returns the index in Members of the member holding replica i
// (0 = owner) of partition pid, or -1 if there is none or pid or i is out of
// range.
func (t *ReplicaTable) ReplicaIndex(pid int32, i int) int {
	if pid < 0 || int(pid) >= t.count || i < 0 || i >= t.levels {
		return -1
	}
	return int(t.slots[int(pid)*t.levels+i])
}

// Replica returns the member holding replica i (0 = owner) of partition pid,
// or the zero UUID if there is none or pid or i is out of range.
func (t *ReplicaTable) Replica(pid int32, i int) UUID {
	if m := t.ReplicaIndex(pid, i); m >= 0 {
		return t.members[m]
	}
	return UUID{}
}

// Owner returns the owner (replica 0) of partition pid, or the zero UUID.
func (t *ReplicaTable) Owner(pid int32) UUID { return t.Replica(pid, 0) }

// Table returns the ownership (replica 0) part of t as a [Table] with the
// same version and members, or nil when t has no members.
func (t *ReplicaTable) Table() *Table { return t.owners }

// ByOwner returns the partitions each owning member owns: the content of the
// client protocol's partitions view, as [Table.ByOwner] describes it. It is
// nil when t has no members. The result is shared and must not be modified.
func (t *ReplicaTable) ByOwner() []OwnerPartitions {
	if t.owners == nil {
		return nil
	}
	return t.owners.byOwner
}

// Equal reports whether t and u have the same version, partition count and
// replica placement (by member UUID; the order of Members does not matter).
func (t *ReplicaTable) Equal(u *ReplicaTable) bool {
	return t.version == u.version && t.samePlacement(u)
}

func (t *ReplicaTable) samePlacement(u *ReplicaTable) bool {
	if t.count != u.count {
		return false
	}
	for pid := int32(0); pid < int32(t.count); pid++ {
		for i := range max(t.levels, u.levels) {
			if t.Replica(pid, i) != u.Replica(pid, i) {
				return false
			}
		}
	}
	return true
}

// Move is one replica that changes hands between two tables: replica Replica
// (0 = owner) of partition Partition goes from Old to New. A zero Old means
// the replica did not exist (more replicas than before), a zero New that it is
// dropped (fewer members than replicas). Source is where its data can be
// copied from: the member holding the hottest replica of the partition in the
// old table that is still a member of the new one, or zero if no such member
// exists (the partition's data is lost, or it never had any). New may
// already hold a copy at another replica index (a promoted backup, a backup
// shifting up, or two backups swapping indexes); then only its role changes.
type Move struct {
	Partition int32
	Replica   int
	Old, New  UUID
	Source    UUID
}

// Diff lists the replicas that differ between t and next, ordered by
// partition and then replica index: the migrations that take the cluster
// from t to next. A nil t stands for a table without members. Both tables
// must have the same partition count; Diff panics otherwise.
func (t *ReplicaTable) Diff(next *ReplicaTable) []Move {
	if t == nil {
		t = &ReplicaTable{count: next.count}
	}
	if t.count != next.count {
		panic(fmt.Sprintf("partition: Diff: partition counts %d and %d differ", t.count, next.count))
	}
	alive := make([]bool, len(t.members)) // t's members still in next
	{
		in := make(map[UUID]struct{}, len(next.members))
		for _, m := range next.members {
			in[m] = struct{}{}
		}
		for i, m := range t.members {
			_, alive[i] = in[m]
		}
	}
	levels := max(t.levels, next.levels)
	var moves []Move
	for pid := int32(0); pid < int32(t.count); pid++ {
		source := UUID{}
		for i := range t.levels {
			if m := t.slots[int(pid)*t.levels+i]; m >= 0 && alive[m] {
				source = t.members[m]
				break
			}
		}
		for i := range levels {
			o, n := t.Replica(pid, i), next.Replica(pid, i)
			if o != n {
				moves = append(moves, Move{Partition: pid, Replica: i, Old: o, New: n, Source: source})
			}
		}
	}
	return moves
}

// Assign returns the replica placement for members, given the previous one.
//
// prev is the table currently in force; nil stands for NewReplicaTable
// (DefaultCount), and its partition count is kept. members must be distinct
// and non-zero (Assign panics otherwise), ordered by join age, oldest first.
// replicas is 1 + the number of backups wanted; values outside 1..7 are
// clamped.
//
// The result has Levels() = min(len(members), replicas) and:
//   - every partition has an owner and all Levels() replicas, each on a
//     different member;
//   - for each replica index, every member holds floor or ceil of
//     Count()/len(members) partitions, and the replicas a member holds in
//     total differ by at most one from member to member;
//   - replicas held by members that left are dropped and the colder
//     replicas of the partition shift up in order to fill the gap, so a
//     departed owner's first surviving backup becomes the owner; balance is
//     restored by moving other partitions, and only where that cannot be done
//     (several members leaving at once) is a promoted owner moved on (see
//     [Promote] for the table to publish first after a crash);
//   - it keeps replicas where they were as far as balance allows: a joining
//     member takes its share (Count()/len(members) per replica index) and no
//     other owner changes; after one member leaves only its partitions
//     change owner, as a rule (rounding, or uneven backups after many
//     changes, can move a few more, to members holding a backup of them). A
//     replica that must move goes to a member that already holds a copy if
//     possible, then to one that spreads each owner's backups evenly over
//     the other members (which keeps later promotions balanced); backups may
//     also swap replica indexes for that purpose, which moves no data;
//   - it depends only on its arguments (no randomness, no map order).
//
// When the placement differs from prev's (by member UUID), the version is
// prev.Version()+1. Otherwise Assign returns prev itself, or, if only the
// member list differs, a table with prev's version and placement and the new
// member list.
func Assign(prev *ReplicaTable, members []UUID, replicas int) *ReplicaTable {
	if prev == nil {
		prev = NewReplicaTable(DefaultCount)
	}
	replicas = min(max(replicas, 1), MaxReplicaCount)
	n := len(members)
	prevToNew := mapMembers("Assign", prev, members)
	next := &ReplicaTable{
		version: prev.version,
		count:   prev.count,
		levels:  min(n, replicas),
		members: slices.Clone(members),
	}
	if n > 0 {
		a := newAssigner(prev, prevToNew, n, next.levels)
		a.run()
		next.slots = a.out
	}
	return finish(prev, next)
}

// Promote returns the table to publish at once when members have left
// without handing their replicas over (a crash): replicas held by members
// not in members are dropped and each partition's surviving replicas shift
// up in order, so its first surviving backup becomes its owner and keeps
// serving the data it already holds. Nothing else moves and no replica is
// added, except that a partition left without any replica (its data is
// lost) gets as owner the member owning fewest partitions (the oldest among
// equals). The result is generally neither balanced nor fully replicated;
// [Assign] on it gives the target the migrations then work towards, each with
// a live Source. members are as for Assign; members absent from prev hold
// nothing. The version follows the same rule as Assign's.
//
// Assign alone also promotes first backups, except where balance forbids it
// (when several members leave at once); Promote never rebalances.
func Promote(prev *ReplicaTable, members []UUID) *ReplicaTable {
	if prev == nil {
		prev = NewReplicaTable(DefaultCount)
	}
	n := len(members)
	prevToNew := mapMembers("Promote", prev, members)
	levels := min(prev.levels, n)
	if n > 0 && levels == 0 {
		levels = 1
	}
	next := &ReplicaTable{
		version: prev.version,
		count:   prev.count,
		levels:  levels,
		members: slices.Clone(members),
	}
	if n > 0 {
		next.slots = make([]int32, next.count*levels)
		owned := make([]int32, n)
		var orphans []int
		for pid := range next.count {
			row := next.slots[pid*levels : (pid+1)*levels]
			k := 0
			for i := range prev.levels {
				if m := prev.slots[pid*prev.levels+i]; m >= 0 && prevToNew[m] >= 0 {
					row[k] = prevToNew[m]
					k++
				}
			}
			for i := k; i < levels; i++ {
				row[i] = -1
			}
			if k == 0 {
				orphans = append(orphans, pid)
			} else {
				owned[row[0]]++
			}
		}
		for _, pid := range orphans {
			m := int32(0)
			for j := range int32(n) {
				if owned[j] < owned[m] {
					m = j
				}
			}
			next.slots[pid*levels] = m
			owned[m]++
		}
	}
	return finish(prev, next)
}

// mapMembers checks members and maps prev's member indexes to indexes in
// members (-1 for members that left).
func mapMembers(op string, prev *ReplicaTable, members []UUID) []int32 {
	index := make(map[UUID]int32, len(members))
	for i, m := range members {
		if m.IsZero() {
			panic(fmt.Sprintf("partition: %s: zero member UUID", op))
		}
		if _, dup := index[m]; dup {
			panic(fmt.Sprintf("partition: %s: member %016x%016x listed twice", op, m.MSB, m.LSB))
		}
		index[m] = int32(i)
	}
	prevToNew := make([]int32, len(prev.members))
	for i, m := range prev.members {
		if j, ok := index[m]; ok {
			prevToNew[i] = j
		} else {
			prevToNew[i] = -1
		}
	}
	return prevToNew
}

// finish sets next's version and owner table, or returns prev if nothing
// changed.
func finish(prev, next *ReplicaTable) *ReplicaTable {
	n := len(next.members)
	members := next.members
	if next.samePlacement(prev) {
		if slices.Equal(prev.members, members) {
			return prev
		}
	} else {
		next.version++
	}
	if n > 0 {
		owners := make([]int32, next.count)
		for pid := range owners {
			owners[pid] = next.slots[pid*next.levels]
		}
		t, err := New(next.version, next.members, owners)
		if err != nil {
			panic(fmt.Sprintf("partition: Assign: %v", err)) // unreachable
		}
		next.owners = t
	}
	return next
}

// assigner computes one placement. Partitions are placed one replica index
// (level) at a time, hottest first. Each level is a bipartite b-matching of
// partitions to members: a partition may go to any member not holding a
// hotter replica of it, a member takes floor(P/n) partitions plus one extra
// if it is among the P mod n members given one at this level. Extras rotate:
// they go to the members that have had fewest so far, which keeps every
// member's total balanced and makes the last levels (where a partition has
// few candidate members left) solvable. The matching starts from the
// previous placement (after dropping departed members and shifting colder
// replicas up), trims members above their quota, then places each freed
// partition along a shortest augmenting path (BFS), which moves as few
// already-placed replicas as possible.
type assigner struct {
	p, n, levels int

	held     []int32  // p*MaxReplicaCount: previous holders still present, hottest first; -1 pads
	words    int      // words per member bit set
	heldBits []uint64 // p*words: the members in held
	hotBits  []uint64 // p*words: the members placed at levels before the current one
	prevSame []int32  // p*MaxReplicaCount: previous holder at that index if present, else -1
	out      []int32  // p*levels: the result

	// per level
	level  int
	assign []int32 // partition -> member at this level, -1 = unplaced
	load   []int32 // member -> partitions at this level
	base   []int32 // member -> quota without an extra
	elig   []bool  // member may take an extra at this level
	budget int32   // extras that may still be handed out at this level, in total
	used   int32   // extras handed out
	extras []int32 // member -> levels at which it had an extra
	pairs  []int32 // n*n: holder at level-1 x holder at level -> partitions

	// BFS
	stamp  []uint32
	gen    uint32
	parent []int32
	queue  []int32
}

func newAssigner(prev *ReplicaTable, prevToNew []int32, n, levels int) *assigner {
	p := prev.count
	words := (n + 63) / 64
	a := &assigner{
		p: p, n: n, levels: levels, words: words,
		heldBits: make([]uint64, p*words),
		hotBits:  make([]uint64, p*words),
		held:     make([]int32, p*MaxReplicaCount),
		prevSame: make([]int32, p*MaxReplicaCount),
		out:      make([]int32, p*levels),
		assign:   make([]int32, p),
		load:     make([]int32, n),
		base:     make([]int32, n),
		elig:     make([]bool, n),
		extras:   make([]int32, n),
		pairs:    make([]int32, n*n),
		stamp:    make([]uint32, p+n+1),
		parent:   make([]int32, p+n+1),
	}
	for i := range a.held {
		a.held[i] = -1
		a.prevSame[i] = -1
	}
	for pid := range p {
		k := 0
		for i := range prev.levels {
			m := prev.slots[pid*prev.levels+i]
			if m < 0 {
				continue
			}
			if m = prevToNew[m]; m < 0 {
				continue
			}
			a.prevSame[pid*MaxReplicaCount+i] = m
			a.held[pid*MaxReplicaCount+k] = m
			a.heldBits[pid*words+int(m>>6)] |= 1 << (m & 63)
			k++
		}
	}
	return a
}

func (a *assigner) run() {
	for lv := range a.levels {
		a.level = lv
		if !a.placeLevel(false) {
			a.placeLevel(true)
		}
		floor := int32(a.p / a.n)
		for m := range a.n {
			if a.load[m] > floor {
				a.extras[m]++
			}
		}
		for pid := range a.p {
			m := a.assign[pid]
			a.out[pid*a.levels+lv] = m
			a.hotBits[pid*a.words+int(m>>6)] |= 1 << (m & 63)
		}
	}
	a.balancePairs()
}

// balancePairs evens out, for each owner, which members hold its first
// backups, so that the promotions after a member leaves are spread evenly
// and need no other owner to move. It only swaps replica 1 with a colder
// replica j within partitions, in cycles of two or three partitions whose
// holders make per-level loads stay the same (replica 1 x->y, y->x, or
// x->y, y->z, z->x): no data moves and no owner changes. Each cycle
// strictly lowers the sum of squares of the owner x replica-1 counts, so it
// ends, and it finds nothing to do on its own output.
func (a *assigner) balancePairs() {
	if a.levels < 3 {
		return
	}
	n, lv := a.n, a.levels
	c := make([]int32, n*n) // owner x replica-1 holder -> partitions
	for pid := range a.p {
		c[int(a.out[pid*lv])*n+int(a.out[pid*lv+1])]++
	}
	// gain of moving a partition owned by o from replica-1 holder x to y:
	// how far the swap evens out o's row (positive is better).
	gain := func(o, x, y int32) int32 { return c[int(o)*n+int(x)] - c[int(o)*n+int(y)] - 1 }
	// A cycle gains only if some owner's counts differ by two or more.
	even := func() bool {
		for o := range n {
			lo, hi := int32(a.p), int32(-1)
			for x := range n {
				if x != o {
					lo, hi = min(lo, c[o*n+x]), max(hi, c[o*n+x])
				}
			}
			if hi-lo > 1 {
				return false
			}
		}
		return true
	}
	best := make([]int32, n*n*lv)
	touched := make([]bool, a.p)
	// rep returns the representative partition with replica 1 on x and
	// replica j on y, its owner and its gain, or -1 if there is none or it
	// has been changed since best was filled.
	rep := func(x, y int32, j int) (int32, int32, int32) {
		p := best[(int(x)*n+int(y))*lv+j]
		if p < 0 || touched[p] {
			return -1, -1, 0
		}
		o := a.out[int(p)*lv]
		return p, o, gain(o, x, y)
	}
	for {
		if even() {
			return
		}
		// Best partition per (x, y, j): replica 1 on x, replica j on y, and
		// the owner that gains most by swapping them.
		for i := range best {
			best[i] = -1
		}
		clear(touched)
		for pid := range a.p {
			o, x := a.out[pid*lv], a.out[pid*lv+1]
			for j := 2; j < lv; j++ {
				y := a.out[pid*lv+j]
				k := (int(x)*n+int(y))*lv + j
				if b := best[k]; b < 0 || gain(o, x, y) > gain(a.out[int(b)*lv], x, y) {
					best[k] = int32(pid)
				}
			}
		}
		applied := false
		for {
			// The best two-cycle, else the best three-cycle.
			var cyc [3]int32
			k, bj := 0, 0
			var bg int32
			for x := range int32(n) {
				for y := x + 1; y < int32(n); y++ {
					for j := 2; j < lv; j++ {
						p, op, gp := rep(x, y, j)
						q, oq, gq := rep(y, x, j)
						if p >= 0 && q >= 0 && oq != op && gp+gq > bg {
							cyc, k, bj, bg = [3]int32{p, q}, 2, j, gp+gq
						}
					}
				}
			}
			// Three-cycles x->y->z->x are enumerated once, with z the largest.
			for x := int32(0); x < int32(n) && k == 0; x++ {
				for y := range int32(n) {
					for j := 2; j < lv && y != x; j++ {
						p, op, gp := rep(x, y, j)
						if p < 0 {
							continue
						}
						for z := max(x, y) + 1; z < int32(n); z++ {
							q, oq, gq := rep(y, z, j)
							r, or, gr := rep(z, x, j)
							if q >= 0 && r >= 0 && op != oq && oq != or && op != or && gp+gq+gr > bg {
								cyc, bj, bg = [3]int32{p, q, r}, j, gp+gq+gr
							}
						}
					}
				}
			}
			if k == 0 && bg > 0 {
				k = 3
			}
			if k == 0 {
				break
			}
			for _, pid := range cyc[:k] {
				row := a.out[int(pid)*lv:]
				c[int(row[0])*n+int(row[1])]--
				row[1], row[bj] = row[bj], row[1]
				c[int(row[0])*n+int(row[1])]++
				touched[pid] = true
			}
			applied = true
		}
		if !applied {
			return
		}
	}
}

// hotter reports whether member m holds a hotter replica of pid than the
// current level.
func (a *assigner) hotter(pid int, m int32) bool {
	return a.hotBits[pid*a.words+int(m>>6)]&(1<<(m&63)) != 0
}

// hadCopy reports whether member m held a replica of pid before.
func (a *assigner) hadCopy(pid int, m int32) bool {
	return a.heldBits[pid*a.words+int(m>>6)]&(1<<(m&63)) != 0
}

func (a *assigner) above(pid int) int32 {
	if a.level == 0 {
		return -1
	}
	return a.out[pid*a.levels+a.level-1]
}

func (a *assigner) pair(pid int, m int32) *int32 {
	return &a.pairs[int(a.above(pid))*a.n+int(m)]
}

func (a *assigner) setQuotas(relaxed bool) {
	floor := int32(a.p / a.n)
	r := int32(a.p % a.n)
	for m := range a.n {
		a.base[m] = floor
		a.elig[m] = r > 0
	}
	a.budget = r
	if relaxed || r == 0 {
		return
	}
	// The r members with the fewest extras so far get one now: those below
	// the r-th smallest count are forced to, those at it compete for the rest.
	sorted := slices.Clone(a.extras)
	slices.Sort(sorted)
	t := sorted[r-1]
	for m := range a.n {
		switch {
		case a.extras[m] < t:
			a.base[m] = floor + 1
			a.elig[m] = false
			a.budget--
		case a.extras[m] > t:
			a.elig[m] = false
		}
	}
}

// placeLevel places the current level. Unless relaxed it uses the rotating
// extras and reports false if that has no solution; relaxed, it lets any
// member take an extra and, should even that fail, gives a partition to the
// least loaded member it may go to.
func (a *assigner) placeLevel(relaxed bool) bool {
	lv := a.level
	a.setQuotas(relaxed)
	clear(a.load)
	if lv > 0 {
		clear(a.pairs)
	}
	for pid := range a.p {
		m := a.held[pid*MaxReplicaCount+lv]
		if m >= 0 && a.hotter(pid, m) {
			m = -1
		}
		a.assign[pid] = m
		if m >= 0 {
			a.load[m]++
			if lv > 0 {
				*a.pair(pid, m)++
			}
		}
	}
	a.trim()
	for pid := range a.p {
		if a.assign[pid] >= 0 {
			continue
		}
		if a.augment(pid) {
			continue
		}
		if !relaxed {
			return false
		}
		// No balanced placement exists: keep the hard invariants.
		best := int32(-1)
		for m := range int32(a.n) {
			if !a.hotter(pid, m) && (best < 0 || a.load[m] < a.load[best]) {
				best = m
			}
		}
		a.base[best] = a.load[best] + 1
		a.move(pid, best)
	}
	return true
}

func (a *assigner) capOf(m int32) int32 {
	if a.elig[m] {
		return a.base[m] + 1
	}
	return a.base[m]
}

// trim frees partitions of members above their quota, and frees one
// partition each from members holding an extra beyond the budget.
func (a *assigner) trim() {
	// Members below quota: a freed partition one of them may take costs one
	// move, others need an augmenting path.
	var short []int32
	for m := range int32(a.n) {
		if a.load[m] < a.base[m] {
			short = append(short, m)
		}
	}
	// The partitions of each member, by counting sort.
	start := make([]int32, a.n+1)
	for _, m := range a.assign {
		if m >= 0 {
			start[m+1]++
		}
	}
	for m := range a.n {
		start[m+1] += start[m]
	}
	pids := make([]int32, start[a.n])
	fill := slices.Clone(start[:a.n])
	for pid, m := range a.assign {
		if m >= 0 {
			pids[fill[m]] = int32(pid)
			fill[m]++
		}
	}
	rs := make([]*releaser, a.n)
	releaserOf := func(m int32) *releaser {
		if rs[m] == nil {
			rs[m] = a.newReleaser(m, pids[start[m]:start[m+1]], short)
		}
		return rs[m]
	}
	// Over-quota members free one partition each in turn, so that the
	// spread over groups is shared fairly among them.
	rel := make([]int32, a.n+1) // freed partitions per group, all members
	var over []*releaser
	for m := range int32(a.n) {
		if k := a.load[m] - a.capOf(m); k > 0 {
			r := releaserOf(m)
			r.left = k
			over = append(over, r)
		}
	}
	for len(over) > 0 {
		k := 0
		for _, r := range over {
			r.pop(a, rel)
			if r.left--; r.left > 0 {
				over[k] = r
				k++
			}
		}
		over = over[:k]
	}
	a.used = 0
	type holder struct{ m, tier int32 }
	var extra []holder
	for m := range int32(a.n) {
		if a.load[m] > a.base[m] {
			a.used++
			extra = append(extra, holder{m, releaserOf(m).minTier()})
		}
	}
	if a.used > a.budget {
		slices.SortFunc(extra, func(x, y holder) int {
			if x.tier != y.tier {
				return int(x.tier - y.tier)
			}
			return int(y.m - x.m) // younger members first
		})
		for _, h := range extra[:a.used-a.budget] {
			releaserOf(h.m).pop(a, rel)
		}
		a.used = a.budget
	}
}

// tier ranks the partitions of an over-quota member m for freeing, lowest
// first: owners that were promoted are kept if at all possible (their data
// is only there), and partitions a short member may take go before those
// that need an augmenting path.
func (a *assigner) tier(pid int, m int32, short []int32) int32 {
	var t int32
	if a.level == 0 && a.prevSame[pid*MaxReplicaCount] != m {
		t = 2
	}
	for _, s := range short {
		if !a.hotter(pid, s) {
			return t
		}
	}
	return t + 1
}

// group is the member whose pairing with the current level's holder of pid
// is balanced when freeing: at level 0 the next holder (the future backup),
// at other levels the holder one level hotter; a.n if none.
func (a *assigner) group(pid int) int32 {
	var g int32
	if a.level == 0 {
		g = a.held[pid*MaxReplicaCount+1]
	} else {
		g = a.above(pid)
	}
	if g < 0 {
		return int32(a.n)
	}
	return g
}

// releaser frees partitions of one over-quota member, lowest tier first
// and, within a tier, spreading the freed partitions evenly over groups
// (rel counts the partitions freed so far per group, by all members), so that
// the members taking them end up paired evenly with the others. Within a
// group, higher partition ids go first.
type releaser struct {
	left  int32   // partitions still to free
	items []int64 // tier<<60 | group<<32 | ^pid (low 32 bits), ascending
	bs    []releaseBucket
}

// releaseBucket is a run of items with equal tier and group; next is the
// next item to free from it.
type releaseBucket struct{ tier, group, next, end int32 }

// newReleaser returns the releaser of member m, which holds pids.
func (a *assigner) newReleaser(m int32, pids []int32, short []int32) *releaser {
	r := &releaser{items: make([]int64, len(pids))}
	for i, pid := range pids {
		r.items[i] = int64(a.tier(int(pid), m, short))<<60 | int64(a.group(int(pid)))<<32 | int64(^uint32(pid))
	}
	slices.Sort(r.items)
	for i, it := range r.items {
		tier, group := int32(it>>60), int32(it>>32)&(1<<28-1)
		if n := len(r.bs); n == 0 || r.bs[n-1].tier != tier || r.bs[n-1].group != group {
			r.bs = append(r.bs, releaseBucket{tier, group, int32(i), int32(i)})
		}
		r.bs[len(r.bs)-1].end = int32(i + 1)
	}
	return r
}

// minTier returns the lowest tier among the partitions not yet freed.
func (r *releaser) minTier() int32 {
	for _, b := range r.bs {
		if b.next < b.end {
			return b.tier
		}
	}
	return 3
}

// pop frees one partition.
func (r *releaser) pop(a *assigner, rel []int32) {
	best := -1
	for i, b := range r.bs {
		if b.next == b.end {
			continue
		}
		if best < 0 || a.freeFirst(b.tier, b.group, b.end-b.next, r.bs[best].tier, r.bs[best].group, r.bs[best].end-r.bs[best].next, rel) {
			best = i
		}
	}
	b := &r.bs[best]
	a.release(int(^uint32(r.items[b.next])))
	rel[b.group]++
	b.next++
}

// freeFirst reports whether a bucket (tier t1, group g1, n1 items left)
// should be freed from before one with t2, g2, n2.
func (a *assigner) freeFirst(t1, g1, n1, t2, g2, n2 int32, rel []int32) bool {
	if t1 != t2 {
		return t1 < t2
	}
	if rel[g1] != rel[g2] {
		return rel[g1] < rel[g2]
	}
	return n1 > n2
}

func (a *assigner) release(pid int) {
	m := a.assign[pid]
	a.load[m]--
	if a.level > 0 {
		*a.pair(pid, m)--
	}
	a.assign[pid] = -1
}

func (a *assigner) move(pid int, m int32) {
	if a.assign[pid] >= 0 {
		a.release(pid)
	}
	a.assign[pid] = m
	a.load[m]++
	if a.level > 0 {
		*a.pair(pid, m)++
	}
}

// terminal reports whether member m can take one more partition at this level.
func (a *assigner) terminal(m int32) bool {
	l := a.load[m]
	return l < a.base[m] || (a.elig[m] && l == a.base[m] && a.used < a.budget)
}

// direct returns the best member that can take the unplaced partition pid
// without moving anything else, or -1: first one holding a copy already,
// then one holding the current level fewest times with the holder of the
// next hotter replica, then one furthest below quota, then the first in a
// rotation by partition id and level.
func (a *assigner) direct(pid int) int32 {
	n := int32(a.n)
	rot := int32((pid + a.level) % a.n)
	hot := a.hotBits[pid*a.words : (pid+1)*a.words]
	held := a.heldBits[pid*a.words : (pid+1)*a.words]
	var pairs []int32
	if a.level > 0 {
		o := int(a.above(pid))
		pairs = a.pairs[o*a.n : (o+1)*a.n]
	}
	extraOK := a.used < a.budget
	// The key of a candidate, compared in this order, lowest first.
	type key struct {
		noCopy      bool
		pair, slack int32
		rot         int32
	}
	less := func(x, y key) bool {
		switch {
		case x.noCopy != y.noCopy:
			return !x.noCopy
		case x.pair != y.pair:
			return x.pair < y.pair
		case x.slack != y.slack:
			return x.slack < y.slack
		}
		return x.rot < y.rot
	}
	best, bestKey := int32(-1), key{}
	for m := range n {
		l, b := a.load[m], a.base[m]
		if l > b || l == b && !(extraOK && a.elig[m]) {
			continue // a.terminal(m) is false
		}
		w, bit := m>>6, uint64(1)<<(m&63)
		if hot[w]&bit != 0 {
			continue
		}
		k := key{noCopy: held[w]&bit == 0, slack: l - b, rot: m - rot}
		if k.rot < 0 {
			k.rot += n
		}
		if pairs != nil {
			k.pair = pairs[m]
		}
		if best < 0 || less(k, bestKey) {
			best, bestKey = m, k
		}
	}
	return best
}

// augment places the unplaced partition p0: directly on the best member
// with room if there is one (see direct), otherwise along a shortest
// augmenting path: p0 goes to a member; if that member is full, one of its
// partitions moves on, and so on until a member with room is reached. A
// member at its base quota that may take an extra while all extras are
// handed out takes one from a member holding an extra, which then gives up
// a partition. It reports false if no path exists.
func (a *assigner) augment(p0 int) bool {
	if m := a.direct(p0); m >= 0 {
		if a.load[m] >= a.base[m] {
			a.used++
		}
		a.move(p0, m)
		return true
	}
	p, n := int32(a.p), int32(a.n)
	x := p + n // node ids: partitions 0..p-1, members p.., the extras pool x
	a.gen++
	if a.gen == 0 {
		clear(a.stamp)
		a.gen = 1
	}
	a.queue = append(a.queue[:0], int32(p0))
	a.stamp[p0] = a.gen
	a.parent[p0] = -1
	visit := func(node, from int32) bool {
		if a.stamp[node] == a.gen {
			return false
		}
		a.stamp[node] = a.gen
		a.parent[node] = from
		a.queue = append(a.queue, node)
		return true
	}
	for h := 0; h < len(a.queue); h++ {
		node := a.queue[h]
		switch {
		case node < p: // a partition looking for a member
			for m := range n {
				if m == a.assign[node] || a.hotter(int(node), m) {
					continue
				}
				if visit(p+m, node) && a.terminal(m) {
					a.flip(p + m)
					return true
				}
			}
		case node < x: // a full member: take the extra pool or give a partition away
			m := node - p
			if a.elig[m] && a.load[m] == a.base[m] {
				visit(x, node)
			}
			for pid := range p {
				if a.assign[pid] == m {
					visit(pid, node)
				}
			}
		default: // the extra pool: a member holding an extra gives a partition away
			for pid := range p {
				if m := a.assign[pid]; m >= 0 && a.elig[m] && a.load[m] > a.base[m] {
					visit(pid, node)
				}
			}
		}
	}
	return false
}

// flip applies the path found by augment, ending at member node end.
func (a *assigner) flip(end int32) {
	p, x := int32(a.p), int32(a.p+a.n)
	if m := end - p; a.load[m] >= a.base[m] {
		a.used++ // the end member takes an extra
	}
	node := end
	for {
		pid := a.parent[node]
		a.move(int(pid), node-p)
		node = a.parent[pid]
		if node < 0 {
			return
		}
		if node == x {
			node = a.parent[x]
		}
	}
}
