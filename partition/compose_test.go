package partition

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

func TestComposeErrors(t *testing.T) {
	a, b, c := UUID{MSB: 1}, UUID{MSB: 2}, UUID{MSB: 3}
	stranger := UUID{MSB: 99}
	members := []UUID{a, b, c}
	tests := []struct {
		name    string
		members []UUID
		levels  int
		rows    [][]UUID
		want    string
	}{
		{"no partitions", members, 2, nil, "no partitions"},
		{"zero levels", members, 0, [][]UUID{{a}}, "0 replica levels"},
		{"too many levels", members, MaxReplicaCount + 1, [][]UUID{{a}}, "8 replica levels"},
		{"zero member", []UUID{a, {}}, 1, [][]UUID{{a}}, "zero member UUID"},
		{"member listed twice", []UUID{a, b, a}, 1, [][]UUID{{a}}, "listed twice"},
		{"row longer than levels", members, 2, [][]UUID{{a}, {a, b, c}}, "partition 1 has 3 replicas, more than 2 levels"},
		{"unknown member", members, 2, [][]UUID{{a, b}, {b, stranger}}, "partition 1 replica 1: unknown member"},
		{"unknown owner", members, 1, [][]UUID{{stranger}}, "partition 0 replica 0: unknown member"},
		{"duplicate member in a row", members, 3, [][]UUID{{a, b, c}, {c, b, c}}, "partition 1: member holds two replicas"},
		{"no owner", members, 2, [][]UUID{{a, b}, {{}, b}}, "partition 1 has no owner"},
		{"empty row", members, 2, [][]UUID{{a}, {}}, "partition 1 has no owner"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tb, err := Compose(5, tt.members, tt.levels, tt.rows)
			if err == nil {
				t.Fatalf("Compose accepted it: %v", tb)
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "partition: compose: ") {
				t.Fatalf("error %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestCompose(t *testing.T) {
	a, b, c, d := UUID{MSB: 1}, UUID{MSB: 2}, UUID{MSB: 3}, UUID{MSB: 4}
	members := []UUID{a, b, c, d}
	rows := [][]UUID{
		{a, b, c},
		{b},                   // shorter than levels
		{c, {}, a},            // a gap in the middle
		{b, a, UUID{}},        // a trailing zero
		{a, c, b},             // d holds nothing
		[]UUID{c, b, a}[:2:3], // capacity beyond length is not read
	}
	tb, err := Compose(9, members, 3, rows)
	if err != nil {
		t.Fatal(err)
	}
	if tb.Version() != 9 || tb.Count() != len(rows) || tb.Levels() != 3 || !slices.Equal(tb.Members(), members) {
		t.Fatalf("version %d, count %d, levels %d, members %v", tb.Version(), tb.Count(), tb.Levels(), tb.Members())
	}
	for pid, row := range rows {
		want := make([]UUID, 3)
		copy(want, row)
		got := tb.Row(int32(pid))
		if !slices.Equal(got, want) {
			t.Errorf("Row(%d) = %v, want %v", pid, got, want)
		}
		if tb.Owner(int32(pid)) != row[0] || tb.Table().Owner(int32(pid)) != row[0] {
			t.Errorf("partition %d: owner %v, owner table %v, want %v", pid, tb.Owner(int32(pid)), tb.Table().Owner(int32(pid)), row[0])
		}
		for i, u := range want {
			if u.IsZero() != (tb.ReplicaIndex(int32(pid), i) == -1) {
				t.Errorf("partition %d replica %d: ReplicaIndex %d for %v", pid, i, tb.ReplicaIndex(int32(pid), i), u)
			}
		}
	}
	if tb.Table().Version() != 9 {
		t.Errorf("owner table version %d", tb.Table().Version())
	}
	for _, op := range tb.ByOwner() {
		if op.Owner == d {
			t.Errorf("ByOwner lists d, which owns nothing: %v", tb.ByOwner())
		}
	}
	// The table keeps its own copies.
	members[0] = UUID{MSB: 77}
	rows[0][0] = UUID{MSB: 77}
	if tb.Members()[0] != a || tb.Owner(0) != a {
		t.Fatal("Compose shares its arguments")
	}
	row := tb.Row(0)
	row[0] = UUID{MSB: 77}
	if tb.Owner(0) != a {
		t.Fatal("Row shares the table's memory")
	}
	if got := tb.Row(int32(len(rows))); !slices.Equal(got, make([]UUID, 3)) {
		t.Fatalf("Row out of range = %v", got)
	}
}

// roundTrip encodes tb after a prefix, decodes it and checks the result is
// the same table.
func roundTrip(t *testing.T, name string, tb *ReplicaTable) {
	t.Helper()
	prefix := []byte("prefix")
	b := tb.AppendBinary(slices.Clone(prefix))
	if !slices.Equal(b[:len(prefix)], prefix) {
		t.Fatalf("%s: AppendBinary overwrote its dst", name)
	}
	got, err := DecodeReplicaTable(b[len(prefix):])
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if !got.Equal(tb) || !tb.Equal(got) {
		t.Fatalf("%s: decoded table differs", name)
	}
	if got.Levels() != tb.Levels() || !slices.Equal(got.Members(), tb.Members()) || got.Count() != tb.Count() {
		t.Fatalf("%s: decoded levels %d members %v count %d, want %d %v %d", name,
			got.Levels(), got.Members(), got.Count(), tb.Levels(), tb.Members(), tb.Count())
	}
	if !slices.EqualFunc(got.ByOwner(), tb.ByOwner(), func(x, y OwnerPartitions) bool {
		return x.Owner == y.Owner && slices.Equal(x.Partitions, y.Partitions)
	}) {
		t.Fatalf("%s: ByOwner differs", name)
	}
	if again := got.AppendBinary(nil); !slices.Equal(again, b[len(prefix):]) {
		t.Fatalf("%s: re-encoding differs", name)
	}
}

func TestReplicaTableBinaryRoundTrip(t *testing.T) {
	for n := 1; n <= MaxReplicaCount; n++ {
		for replicas := 1; replicas <= MaxReplicaCount; replicas++ {
			ms := uuids(uint64(100*n+replicas), n+1)
			members, joiner := ms[:n], ms[n]
			tb := Assign(nil, members, replicas)
			name := fmt.Sprintf("%d members, %d replicas", n, replicas)
			roundTrip(t, name, tb)
			// After a crash: Promote leaves replicas missing.
			if n > 1 {
				crashed := Promote(tb, members[1:])
				roundTrip(t, name+", promoted", crashed)
			}
			// A later version, with a member joined.
			roundTrip(t, name+", joined", Assign(tb, append(slices.Clone(members), joiner), replicas))
		}
	}
	roundTrip(t, "single member", FromTable(NewSingleMember(DefaultCount, UUID{MSB: 1})))
	roundTrip(t, "one partition", Assign(NewReplicaTable(1), uuids(1, 3), 2))
}

func TestDecodeReplicaTableTruncated(t *testing.T) {
	for _, tb := range []*ReplicaTable{
		Assign(NewReplicaTable(13), uuids(2, 3), 2),
		Promote(Assign(NewReplicaTable(13), uuids(3, 4), 3), uuids(3, 4)[1:]),
	} {
		b := tb.AppendBinary(nil)
		for cut := 0; cut < len(b); cut++ {
			if got, err := DecodeReplicaTable(b[:cut]); err == nil {
				t.Fatalf("prefix %d/%d decoded: %d partitions", cut, len(b), got.Count())
			}
		}
	}
}

// tableHeader encodes a table's header: version, count, levels and members.
func tableHeader(version int64, count, levels uint64, members []UUID) []byte {
	b := binary.AppendVarint(nil, version)
	b = binary.AppendUvarint(b, count)
	b = binary.AppendUvarint(b, levels)
	b = binary.AppendUvarint(b, uint64(len(members)))
	for _, m := range members {
		b = binary.BigEndian.AppendUint64(b, m.MSB)
		b = binary.BigEndian.AppendUint64(b, m.LSB)
	}
	return b
}

func tableSlots(b []byte, s ...int64) []byte {
	for _, x := range s {
		b = binary.AppendVarint(b, x)
	}
	return b
}

func TestDecodeReplicaTableInvalid(t *testing.T) {
	a, b := UUID{MSB: 1}, UUID{MSB: 2}
	two := []UUID{a, b}
	tests := []struct {
		name string
		in   []byte
	}{
		{"empty", nil},
		{"zero partitions", tableHeader(1, 0, 1, two)},
		{"zero levels", tableHeader(1, 1, 0, two)},
		{"too many levels", tableSlots(tableHeader(1, 1, 8, two), 0, 1, -1, -1, -1, -1, -1, -1)},
		{"too many partitions", tableHeader(1, 1<<20+1, 1, two)},
		{"member count beyond the input", tableHeader(1, 1, 1, two)[:4+16]},
		{"slot out of range", tableSlots(tableHeader(1, 2, 1, two), 0, 2)},
		{"no owner", tableSlots(tableHeader(1, 2, 2, two), 0, 1, -1, 1)},
		{"member twice in a row", tableSlots(tableHeader(1, 1, 2, two), 1, 1)},
		{"member listed twice", tableSlots(tableHeader(1, 1, 1, []UUID{a, a}), 0)},
		{"zero member", tableSlots(tableHeader(1, 1, 1, []UUID{a, {}}), 0)},
		{"no members", tableSlots(tableHeader(1, 1, 1, nil), -1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, err := DecodeReplicaTable(tt.in); err == nil {
				t.Fatalf("decoded %d partitions", got.Count())
			}
		})
	}
	// The same header with valid slots decodes.
	tb, err := DecodeReplicaTable(tableSlots(tableHeader(-3, 2, 2, two), 0, 1, 1, -1))
	if err != nil {
		t.Fatal(err)
	}
	if tb.Version() != -3 || !slices.Equal(tb.Row(0), two) || !slices.Equal(tb.Row(1), []UUID{b, {}}) {
		t.Fatalf("decoded version %d rows %v %v", tb.Version(), tb.Row(0), tb.Row(1))
	}
}

// TestDecodeReplicaTableHugeCountDoesNotAllocate: a few bytes claiming a
// million partitions must fail before the decoder allocates for them, as
// cluster.Dec.Count guards member lists.
func TestDecodeReplicaTableHugeCountDoesNotAllocate(t *testing.T) {
	in := tableHeader(1, 1<<20, MaxReplicaCount, nil)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	const runs = 10
	for range runs {
		if _, err := DecodeReplicaTable(in); err == nil {
			t.Fatal("decoded a table of 2^20 partitions from a header")
		}
	}
	runtime.ReadMemStats(&after)
	if per := (after.TotalAlloc - before.TotalAlloc) / runs; per > 64<<10 {
		t.Fatalf("decoding %d bytes that claim 2^20 partitions allocated %d bytes", len(in), per)
	}
}

// FuzzDecodeReplicaTable decodes arbitrary bytes: it never panics, and a
// table it accepts is valid and survives a round trip unchanged.
func FuzzDecodeReplicaTable(f *testing.F) {
	for _, s := range tableSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		tb, err := DecodeReplicaTable(data)
		if err != nil {
			return
		}
		if tb.Count() < 1 || tb.Levels() < 1 || tb.Levels() > MaxReplicaCount {
			t.Fatalf("count %d levels %d", tb.Count(), tb.Levels())
		}
		for pid := int32(0); pid < int32(tb.Count()); pid++ {
			row := tb.Row(pid)
			if row[0].IsZero() || tb.Table().Owner(pid) != row[0] {
				t.Fatalf("partition %d: row %v, owner table %v", pid, row, tb.Table().Owner(pid))
			}
			seen := map[UUID]bool{}
			for _, u := range row {
				if !u.IsZero() && seen[u] {
					t.Fatalf("partition %d: %v twice in %v", pid, u, row)
				}
				seen[u] = true
			}
		}
		b := tb.AppendBinary(nil)
		again, err := DecodeReplicaTable(b)
		if err != nil {
			t.Fatalf("re-encoded table does not decode: %v", err)
		}
		if !again.Equal(tb) || again.Levels() != tb.Levels() || !slices.Equal(again.Members(), tb.Members()) {
			t.Fatal("round trip changed the table")
		}
		if !slices.Equal(again.AppendBinary(nil), b) {
			t.Fatal("encoding is not stable")
		}
	})
}

// tableSeeds returns the seed corpus of FuzzDecodeReplicaTable: small valid
// tables and near misses.
func tableSeeds() map[string][]byte {
	full := Assign(NewReplicaTable(7), uuids(11, 3), 2)
	promoted := Promote(Assign(NewReplicaTable(7), uuids(12, 4), 3), uuids(12, 4)[1:])
	fb := full.AppendBinary(nil)
	two := []UUID{{MSB: 1}, {MSB: 2}}
	return map[string][]byte{
		"assign-3-members-2-replicas": fb,
		"promoted-missing-replicas":   promoted.AppendBinary(nil),
		"single-member":               FromTable(NewSingleMember(3, UUID{MSB: 1})).AppendBinary(nil),
		"truncated":                   fb[:len(fb)-1],
		"huge-count":                  tableHeader(1, 1<<20, MaxReplicaCount, nil),
		"slot-out-of-range":           tableSlots(tableHeader(1, 2, 1, two), 0, 2),
		"member-twice-in-row":         tableSlots(tableHeader(1, 1, 2, two), 1, 1),
	}
}

// TestWriteFuzzSeeds regenerates the committed seed corpus of
// FuzzDecodeReplicaTable when FILBERT_WRITE_SEEDS=1; otherwise it checks the
// corpus is present and current.
func TestWriteFuzzSeeds(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzDecodeReplicaTable")
	for name, data := range tableSeeds() {
		path := filepath.Join(dir, name)
		content := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", data)
		if os.Getenv("FILBERT_WRITE_SEEDS") == "1" {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("seed corpus missing %s (run with FILBERT_WRITE_SEEDS=1): %v", path, err)
		}
		if string(got) != content {
			t.Fatalf("seed %s is stale (run with FILBERT_WRITE_SEEDS=1)", path)
		}
	}
}
