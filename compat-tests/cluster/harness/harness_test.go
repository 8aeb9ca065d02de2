package harness

import (
	"strings"
	"testing"
	"time"
)

func TestMemberListLine(t *testing.T) {
	for _, tc := range []struct {
		raw           string
		size, version int
		ok            bool
	}{
		{`{"level":"info","size":3,"version":5,"message":"Members {size:3, ver:5} [\n\tMember [127.0.0.1]:5701 - a this\n]"}`, 3, 5, true},
		{`{"level":"info","message":"Members {size:2, ver:7} [\n]"}`, 2, 7, true},
		{`{"level":"info","size":4,"message":"Members {size:4 ..."}`, 4, -1, true},
		{`{"level":"info","message":"member started"}`, 0, 0, false},
		{`Members {size:3, ver:3} [`, 0, 0, false}, // not JSON: no message
	} {
		l := parseLine(0, tc.raw, time.Now())
		size, version, ok := l.MemberList()
		if size != tc.size || version != tc.version || ok != tc.ok {
			t.Errorf("%s: got (%d, %d, %v), want (%d, %d, %v)", tc.raw, size, version, ok, tc.size, tc.version, tc.ok)
		}
	}
	l := parseLine(0, `{"message":"partition table","version":4,"owned":90,"backups":"91"}`, time.Now())
	if !Message(MsgPartitionTable).And(FieldInt("owned", 90)).And(FieldInt("backups", 91)).Fn(l) {
		t.Errorf("partition table line not matched: %+v", l)
	}
}

func TestClassify(t *testing.T) {
	st := keyState{issued: 5, acked: 3, unknown: []int32{2, 4, 5}}
	for _, tc := range []struct {
		v    any
		want verdict
	}{
		{"k#3", vOK},
		{"k#4", vOK}, // a later write in flight
		{"k#5", vOK},
		{"k#2", vStale}, // an older failed write resurfacing
		{"k#1", vStale},
		{"k#6", vForeign},
		{"j#3", vForeign},
		{42, vForeign},
		{nil, vMissing},
	} {
		if got, why := st.classify("k", tc.v); got != tc.want {
			t.Errorf("classify(%v) = %d (%s), want %d", tc.v, got, why, tc.want)
		}
	}
	never := keyState{issued: 1, unknown: []int32{1}}
	if got, _ := never.classify("k", nil); got != vAbsentUnacked {
		t.Errorf("absent key without acknowledged write: %d", got)
	}
	if got, _ := never.classify("k", "k#1"); got != vOK {
		t.Errorf("in-flight first write present: %d", got)
	}
}

func TestRenderXML(t *testing.T) {
	opts := Options{BackupCount: 2, AsyncBackupCount: 1, ReadBackupData: true,
		Maps:       []MapConfig{{Name: "fast-*", BackupCount: 0}},
		Properties: map[string]string{"b": "2", "a": "<1>"}}
	got := string(renderXML("c&1", []string{"127.0.0.2", "127.0.0.3", "127.0.0.2"}, 21000, 6, opts))
	for _, want := range []string{
		"<cluster-name>c&amp;1</cluster-name>",
		`<port auto-increment="true" port-count="6">21000</port>`,
		`<multicast enabled="false"/>`,
		"<member>127.0.0.2:21000-21005</member>\n                <member>127.0.0.3:21000-21005</member>\n            </tcp-ip>",
		"<map name=\"default\">\n        <backup-count>2</backup-count>\n        <async-backup-count>1</async-backup-count>\n        <read-backup-data>true</read-backup-data>",
		"<map name=\"fast-*\">\n        <backup-count>0</backup-count>",
		"<property name=\"a\">&lt;1&gt;</property>\n        <property name=\"b\">2</property>",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("generated XML lacks\n%s\nin\n%s", want, got)
		}
	}
}

func TestKeys(t *testing.T) {
	// Bytes the official Go client produces for the string "key-1"
	// (ClientInternal.EncodeData).
	want := "\x00\x00\x00\x00\xff\xff\xff\xf5\x00\x00\x00\x05key-1"
	if got := string(KeyData("key-1")); got != want {
		t.Errorf("KeyData = % x, want % x", got, want)
	}
	pt := &PartitionTable{Owners: make([]string, 7)}
	for i := range pt.Owners {
		pt.Owners[i] = []string{"a", "b"}[i%2]
	}
	for _, k := range KeysOwnedBy(pt, "b", "x", 20) {
		if pid := PartitionOf(k, 7); pid%2 != 1 {
			t.Errorf("KeysOwnedBy(b) gave %s in partition %d", k, pid)
		}
	}
	if KeysOwnedBy(pt, "c", "x", 5) != nil {
		t.Errorf("KeysOwnedBy for a member owning nothing should be nil")
	}
}
