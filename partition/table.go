package partition

import (
	"errors"
	"fmt"
)

// UUID identifies a member. It has the protocol's layout (the most and least
// significant 64 bits), so it converts to and from any struct type with the
// same two fields, such as protocol.UUID. The zero UUID means "no owner".
type UUID struct {
	MSB uint64
	LSB uint64
}

// IsZero reports whether u is the zero (null) UUID.
func (u UUID) IsZero() bool { return u.MSB == 0 && u.LSB == 0 }

// OwnerPartitions lists the partitions one member owns, in ascending order.
// It is one entry of the partitions view clients receive.
type OwnerPartitions struct {
	Owner      UUID
	Partitions []int32
}

// Table is an immutable snapshot of partition ownership: for each of Count
// partitions, the index of its owner in Members, plus the partition state
// version the protocol sends with it. A Table is safe for concurrent use;
// a new ownership state is a new Table.
type Table struct {
	version int32
	members []UUID
	owners  []int32 // per partition: index into members
	byOwner []OwnerPartitions
}

// NewSingleMember returns the table of a one-member cluster: owner owns all
// count partitions, at version 1. It panics if count < 1, which is a
// configuration error the caller must reject first.
func NewSingleMember(count int, owner UUID) *Table {
	if count < 1 {
		panic(fmt.Sprintf("partition: NewSingleMember: count %d < 1", count))
	}
	owners := make([]int32, count) // all zero: members[0]
	t, err := New(1, []UUID{owner}, owners)
	if err != nil {
		panic(fmt.Sprintf("partition: NewSingleMember: %v", err))
	}
	return t
}

// New returns a table at the given version in which partition i is owned by
// members[owners[i]]. The table keeps its own copies of both slices. It
// returns an error if there are no partitions, a member appears twice, or an
// owner index is out of range.
func New(version int32, members []UUID, owners []int32) (*Table, error) {
	if len(owners) == 0 {
		return nil, errors.New("partition: new table: no partitions")
	}
	seen := make(map[UUID]struct{}, len(members))
	for _, m := range members {
		if _, dup := seen[m]; dup {
			return nil, fmt.Errorf("partition: new table: member %016x%016x listed twice", m.MSB, m.LSB)
		}
		seen[m] = struct{}{}
	}
	counts := make([]int, len(members))
	for pid, o := range owners {
		if o < 0 || int(o) >= len(members) {
			return nil, fmt.Errorf("partition: new table: partition %d: owner index %d out of range [0,%d)", pid, o, len(members))
		}
		counts[o]++
	}
	t := &Table{
		version: version,
		members: append([]UUID(nil), members...),
		owners:  append([]int32(nil), owners...),
	}
	// One backing array for all partition lists; members owning nothing are
	// left out, as Hazelcast does.
	all := make([]int32, 0, len(owners))
	for mi, m := range t.members {
		if counts[mi] == 0 {
			continue
		}
		start := len(all)
		for pid, o := range t.owners {
			if int(o) == mi {
				all = append(all, int32(pid))
			}
		}
		t.byOwner = append(t.byOwner, OwnerPartitions{Owner: m, Partitions: all[start:len(all):len(all)]})
	}
	return t, nil
}

// Count returns the number of partitions.
func (t *Table) Count() int { return len(t.owners) }

// Version returns the partition state version.
func (t *Table) Version() int32 { return t.version }

// Members returns the members the table refers to, indexed by owner index.
// The slice is shared and must not be modified.
func (t *Table) Members() []UUID { return t.members }

// OwnerIndex returns the index in Members of the owner of partition pid, or
// -1 if pid is out of range.
func (t *Table) OwnerIndex(pid int32) int {
	if pid < 0 || int(pid) >= len(t.owners) {
		return -1
	}
	return int(t.owners[pid])
}

// Owner returns the owner of partition pid, or the zero UUID if pid is out of
// range.
func (t *Table) Owner(pid int32) UUID {
	i := t.OwnerIndex(pid)
	if i < 0 {
		return UUID{}
	}
	return t.members[i]
}

// ByOwner returns, for each member that owns at least one partition (in
// Members order), its partition ids in ascending order: the content of the
// client protocol's partitions view. The result is shared and must not be
// modified.
func (t *Table) ByOwner() []OwnerPartitions { return t.byOwner }
