package main

import "testing"

func TestNames(t *testing.T) {
	for _, tc := range []struct{ in, exported, local string }{
		{"threadId", "ThreadID", "threadID"},
		{"memberUuid", "MemberUUID", "memberUUID"},
		{"cpDirectToLeaderRouting", "CPDirectToLeaderRouting", "cpDirectToLeaderRouting"},
		{"CPMap", "CPMap", "cpMap"},
		{"XATransaction", "XATransaction", "xaTransaction"},
		{"Sql", "SQL", "sql"},
		{"execute_reserved", "ExecuteReserved", "executeReserved"},
		{"bTreeIndexConfig", "BTreeIndexConfig", "bTreeIndexConfig"},
		{"type", "Type", "typeArg"},
		{"partitionId", "PartitionID", "partitionIDArg"},
		{"cpToApUuids", "CPToApUUIDs", "cpToApUUIDs"},
		{"sha256", "Sha256", "sha256"},
	} {
		if got := exported(tc.in); got != tc.exported {
			t.Errorf("exported(%q) = %q, want %q", tc.in, got, tc.exported)
		}
		if got := local(tc.in); got != tc.local {
			t.Errorf("local(%q) = %q, want %q", tc.in, got, tc.local)
		}
	}
}

func TestVersionLess(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		less bool
	}{
		{"2.0", "2.0.1", true},
		{"2.9", "2.10", true},
		{"2.10", "2.9", false},
		{"2.7", "2.7", false},
	} {
		if got := versionLess(tc.a, tc.b); got != tc.less {
			t.Errorf("versionLess(%s, %s) = %v", tc.a, tc.b, got)
		}
	}
}
