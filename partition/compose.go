package partition

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Compose builds a table from explicit rows: rows[pid][i] holds replica i
// of partition pid (a zero UUID for none; rows may be shorter than levels).
// Every non-zero UUID must be in members, no row may name a member twice,
// and every partition must have an owner. It is how a master publishes the
// placement actually reached when only some migrations towards an
// [Assign] target completed.
func Compose(version int32, members []UUID, levels int, rows [][]UUID) (*ReplicaTable, error) {
	if len(rows) == 0 {
		return nil, errors.New("partition: compose: no partitions")
	}
	if levels < 1 || levels > MaxReplicaCount {
		return nil, fmt.Errorf("partition: compose: %d replica levels", levels)
	}
	index := make(map[UUID]int32, len(members))
	for i, m := range members {
		if m.IsZero() {
			return nil, errors.New("partition: compose: zero member UUID")
		}
		if _, dup := index[m]; dup {
			return nil, fmt.Errorf("partition: compose: member %016x%016x listed twice", m.MSB, m.LSB)
		}
		index[m] = int32(i)
	}
	t := &ReplicaTable{
		version: version,
		count:   len(rows),
		levels:  levels,
		members: append([]UUID(nil), members...),
		slots:   make([]int32, len(rows)*levels),
	}
	owners := make([]int32, len(rows))
	for pid, row := range rows {
		if len(row) > levels {
			return nil, fmt.Errorf("partition: compose: partition %d has %d replicas, more than %d levels", pid, len(row), levels)
		}
		seen := map[int32]bool{}
		for i := 0; i < levels; i++ {
			slot := int32(-1)
			if i < len(row) && !row[i].IsZero() {
				j, ok := index[row[i]]
				if !ok {
					return nil, fmt.Errorf("partition: compose: partition %d replica %d: unknown member", pid, i)
				}
				if seen[j] {
					return nil, fmt.Errorf("partition: compose: partition %d: member holds two replicas", pid)
				}
				seen[j] = true
				slot = j
			}
			t.slots[pid*levels+i] = slot
		}
		if t.slots[pid*levels] < 0 {
			return nil, fmt.Errorf("partition: compose: partition %d has no owner", pid)
		}
		owners[pid] = t.slots[pid*levels]
	}
	ot, err := New(version, t.members, owners)
	if err != nil {
		return nil, fmt.Errorf("partition: compose: %w", err)
	}
	t.owners = ot
	return t, nil
}

// Row returns the replicas of partition pid, hottest first (zero UUIDs for
// missing ones), as a new slice.
func (t *ReplicaTable) Row(pid int32) []UUID {
	out := make([]UUID, t.levels)
	for i := range out {
		out[i] = t.Replica(pid, i)
	}
	return out
}

// AppendBinary appends t's wire form: version, count, levels, members, slots.
func (t *ReplicaTable) AppendBinary(dst []byte) []byte {
	dst = binary.AppendVarint(dst, int64(t.version))
	dst = binary.AppendUvarint(dst, uint64(t.count))
	dst = binary.AppendUvarint(dst, uint64(t.levels))
	dst = binary.AppendUvarint(dst, uint64(len(t.members)))
	for _, m := range t.members {
		dst = binary.BigEndian.AppendUint64(dst, m.MSB)
		dst = binary.BigEndian.AppendUint64(dst, m.LSB)
	}
	for _, s := range t.slots {
		dst = binary.AppendVarint(dst, int64(s))
	}
	return dst
}

var errTableShort = errors.New("partition: truncated table")

// DecodeReplicaTable reads what AppendBinary wrote and validates it.
func DecodeReplicaTable(b []byte) (*ReplicaTable, error) {
	next := func() (int64, bool) {
		v, n := binary.Varint(b)
		if n <= 0 {
			return 0, false
		}
		b = b[n:]
		return v, true
	}
	nextU := func() (uint64, bool) {
		v, n := binary.Uvarint(b)
		if n <= 0 {
			return 0, false
		}
		b = b[n:]
		return v, true
	}
	version, ok1 := next()
	count, ok2 := nextU()
	levels, ok3 := nextU()
	nm, ok4 := nextU()
	if !ok1 || !ok2 || !ok3 || !ok4 || nm > uint64(len(b)/16) || count == 0 || count > 1<<20 || levels < 1 || levels > MaxReplicaCount {
		return nil, errTableShort
	}
	// Each slot takes at least one byte.
	if count*levels > uint64(len(b))-nm*16 {
		return nil, errTableShort
	}
	members := make([]UUID, nm)
	for i := range members {
		members[i] = UUID{MSB: binary.BigEndian.Uint64(b), LSB: binary.BigEndian.Uint64(b[8:])}
		b = b[16:]
	}
	rows := make([][]UUID, count)
	for pid := range rows {
		row := make([]UUID, levels)
		for i := range row {
			s, ok := next()
			if !ok || s >= int64(nm) {
				return nil, errTableShort
			}
			if s >= 0 {
				row[i] = members[s]
			}
		}
		rows[pid] = row
	}
	return Compose(int32(version), members, int(levels), rows)
}
