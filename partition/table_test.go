package partition

import (
	"slices"
	"testing"
)

func TestNewSingleMember(t *testing.T) {
	owner := UUID{MSB: 0x0102030405060708, LSB: 0x1112131415161718}
	for _, count := range []int{1, 7, DefaultCount, 1000} {
		tb := NewSingleMember(count, owner)
		if tb.Count() != count {
			t.Errorf("Count = %d, want %d", tb.Count(), count)
		}
		if tb.Version() != 1 {
			t.Errorf("Version = %d, want 1", tb.Version())
		}
		for pid := int32(0); pid < int32(count); pid++ {
			if tb.Owner(pid) != owner || tb.OwnerIndex(pid) != 0 {
				t.Fatalf("partition %d: owner %v (index %d), want %v", pid, tb.Owner(pid), tb.OwnerIndex(pid), owner)
			}
		}
		for _, pid := range []int32{-1, int32(count)} {
			if !tb.Owner(pid).IsZero() || tb.OwnerIndex(pid) != -1 {
				t.Errorf("out-of-range partition %d: owner %v index %d", pid, tb.Owner(pid), tb.OwnerIndex(pid))
			}
		}
		bo := tb.ByOwner()
		if len(bo) != 1 || bo[0].Owner != owner || len(bo[0].Partitions) != count {
			t.Fatalf("ByOwner = %d entries, want 1 with %d partitions", len(bo), count)
		}
		for i, pid := range bo[0].Partitions {
			if pid != int32(i) {
				t.Fatalf("ByOwner partitions[%d] = %d", i, pid)
			}
		}
	}
}

func TestNewSingleMemberPanicsOnBadCount(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("NewSingleMember(0, ...) did not panic")
		}
	}()
	NewSingleMember(0, UUID{MSB: 1})
}

func TestNewTable(t *testing.T) {
	a, b, c := UUID{MSB: 1}, UUID{MSB: 2}, UUID{LSB: 3}
	owners := []int32{1, 0, 1, 1, 0, 1, 0}
	tb, err := New(42, []UUID{a, b, c}, owners)
	if err != nil {
		t.Fatal(err)
	}
	owners[0] = 0 // the table must keep its own copy
	if tb.Version() != 42 || tb.Count() != 7 || tb.Owner(0) != b || tb.Owner(1) != a {
		t.Fatalf("table: version %d count %d owner(0) %v owner(1) %v", tb.Version(), tb.Count(), tb.Owner(0), tb.Owner(1))
	}
	bo := tb.ByOwner()
	// c owns nothing and is left out; order follows Members.
	if len(bo) != 2 || bo[0].Owner != a || bo[1].Owner != b {
		t.Fatalf("ByOwner owners = %+v", bo)
	}
	if !slices.Equal(bo[0].Partitions, []int32{1, 4, 6}) || !slices.Equal(bo[1].Partitions, []int32{0, 2, 3, 5}) {
		t.Errorf("ByOwner partitions = %v, %v", bo[0].Partitions, bo[1].Partitions)
	}
	// Appending to one list must not overwrite the next one.
	_ = append(bo[0].Partitions, 99)
	if bo[1].Partitions[0] != 0 {
		t.Error("ByOwner lists share capacity")
	}
	if len(tb.Members()) != 3 {
		t.Errorf("Members = %v", tb.Members())
	}

	for _, bad := range []struct {
		name    string
		members []UUID
		owners  []int32
	}{
		{"no partitions", []UUID{a}, nil},
		{"duplicate member", []UUID{a, a}, []int32{0}},
		{"index out of range", []UUID{a}, []int32{0, 1}},
		{"negative index", []UUID{a}, []int32{-1}},
	} {
		if _, err := New(1, bad.members, bad.owners); err == nil {
			t.Errorf("%s: no error", bad.name)
		}
	}
}
