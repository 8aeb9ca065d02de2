package cluster

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/filbert/filbert/protocol"
)

func TestViewMasterAndLookup(t *testing.T) {
	var empty View
	if m := empty.Master(); m != (MemberInfo{}) {
		t.Fatalf("Master of an empty view = %+v", m)
	}
	if empty.Index(protocol.UUID{MSB: 1}) != -1 || empty.Contains(protocol.UUID{}) {
		t.Fatal("empty view finds a member")
	}
	v := sampleView()
	if got := v.Master(); got != v.Members[0] {
		t.Fatalf("Master = %+v, want the oldest %+v", got, v.Members[0])
	}
	for i, m := range v.Members {
		if v.Index(m.UUID) != i || !v.Contains(m.UUID) {
			t.Fatalf("Index(%v) = %d, want %d", m.UUID, v.Index(m.UUID), i)
		}
		if got, ok := v.Lookup(m.UUID); !ok || got != m {
			t.Fatalf("Lookup(%v) = %+v, %v", m.UUID, got, ok)
		}
	}
	if _, ok := v.Lookup(protocol.UUID{MSB: 99}); ok || v.Index(protocol.UUID{MSB: 99}) != -1 {
		t.Fatal("found a stranger")
	}
	want := []protocol.UUID{v.Members[0].UUID, v.Members[1].UUID, v.Members[2].UUID}
	if got := v.UUIDs(); !slices.Equal(got, want) {
		t.Fatalf("UUIDs = %v, want %v", got, want)
	}
}

func TestViewWithout(t *testing.T) {
	v := sampleView()
	orig := sampleView()
	a, b, c := v.Members[0], v.Members[1], v.Members[2]

	w := v.Without(map[protocol.UUID]bool{b.UUID: true})
	if w.Version != v.Version+1 || w.ClusterID != v.ClusterID {
		t.Fatalf("Without: version %d, cluster id %v; want %d, %v", w.Version, w.ClusterID, v.Version+1, v.ClusterID)
	}
	if !reflect.DeepEqual(w.Members, []MemberInfo{a, c}) {
		t.Fatalf("Without(b) = %+v, want a, c in order", w.Members)
	}
	if !reflect.DeepEqual(v, orig) {
		t.Fatal("Without modified its receiver")
	}
	// Removing the master makes the next oldest the master.
	if m := v.Without(map[protocol.UUID]bool{a.UUID: true}).Master(); m != b {
		t.Fatalf("master after removing a = %+v, want b", m)
	}
	// Nothing to remove still makes a new version; strangers are ignored.
	same := v.Without(map[protocol.UUID]bool{{MSB: 99}: true})
	if same.Version != v.Version+1 || !reflect.DeepEqual(same.Members, v.Members) {
		t.Fatalf("Without(stranger) = %+v", same)
	}
	if none := v.Without(map[protocol.UUID]bool{a.UUID: true, b.UUID: true, c.UUID: true}); len(none.Members) != 0 || none.ClusterID != v.ClusterID {
		t.Fatalf("Without(all) = %+v", none)
	}
	// Appending to the result must not write into v's members.
	w2 := v.Without(nil)
	w2.Members = append(w2.Members, MemberInfo{Host: "x"})
	w2.Members[0].Port = 1
	if !reflect.DeepEqual(v, orig) {
		t.Fatal("the result of Without shares v's member array")
	}
}

func TestViewFormat(t *testing.T) {
	v := View{Version: 3, Members: []MemberInfo{
		{UUID: protocol.UUID{MSB: 1}, Host: "127.0.0.1", Port: 5701},
		{UUID: protocol.UUID{MSB: 2}, Host: "127.0.0.1", Port: 5702},
		{UUID: protocol.UUID{MSB: 3}, Host: "::1", Port: 5703},
	}}
	s := v.Format(v.Members[1].UUID)
	if !strings.HasPrefix(s, "Members {size:3, ver:3} [\n") || !strings.HasSuffix(s, "\n]") {
		t.Fatalf("Format:\n%s", s)
	}
	lines := strings.Split(s, "\n")
	if len(lines) != 5 {
		t.Fatalf("Format has %d lines, want a header, 3 members and ]:\n%s", len(lines), s)
	}
	for i, m := range v.Members {
		line := lines[1+i]
		want := "\tMember " + m.Addr() + " - " + m.UUID.String()
		if i == 1 {
			want += " this"
		}
		if line != want {
			t.Errorf("line %d = %q, want %q", 1+i, line, want)
		}
	}
	if !strings.Contains(s, "Member [::1]:5703") {
		t.Errorf("IPv6 address not bracketed:\n%s", s)
	}
	if got := (View{Version: 1}).Format(protocol.UUID{}); got != "Members {size:0, ver:1} [\n]" {
		t.Errorf("empty view: %q", got)
	}
}

func TestViewSortedAddrs(t *testing.T) {
	v := View{Members: []MemberInfo{
		{Host: "127.0.0.1", Port: 5702},
		{Host: "127.0.0.1", Port: 5701},
		{Host: "10.0.0.1", Port: 5701},
	}}
	want := []string{"10.0.0.1:5701", "127.0.0.1:5701", "127.0.0.1:5702"}
	if got := v.SortedAddrs(); !slices.Equal(got, want) {
		t.Fatalf("SortedAddrs = %v, want %v", got, want)
	}
	if v.Members[0].Port != 5702 {
		t.Fatal("SortedAddrs reordered the view")
	}
}

func ExampleView_Format() {
	v := View{Version: 2, Members: []MemberInfo{
		{UUID: protocol.UUID{MSB: 1}, Host: "127.0.0.1", Port: 5701},
		{UUID: protocol.UUID{MSB: 2}, Host: "127.0.0.1", Port: 5702},
	}}
	fmt.Println(v.Format(protocol.UUID{MSB: 2}))
	// Output:
	// Members {size:2, ver:2} [
	// 	Member 127.0.0.1:5701 - 00000000-0000-0001-0000-000000000000
	// 	Member 127.0.0.1:5702 - 00000000-0000-0002-0000-000000000000 this
	// ]
}
