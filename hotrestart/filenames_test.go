package hotrestart

import "testing"

func TestChunkFileNames(t *testing.T) {
	for _, tc := range []struct {
		name string
		id   uint32
		ok   bool
	}{
		{"0000000001.chunk", 1, true},
		{"4294967295.chunk", 4294967295, true},
		{"0000000000.chunk", 0, false},
		{"4294967296.chunk", 0, false},
		{"000000001.chunk", 0, false},
		{"0000000001.chunk.tmp", 0, false},
		{"00000000x1.chunk", 0, false},
		{"0000000001.CHUNK", 0, false},
		{"lock", 0, false},
	} {
		id, ok := parseChunkFileName(tc.name)
		if id != tc.id || ok != tc.ok {
			t.Errorf("parseChunkFileName(%q) = %d, %v; want %d, %v", tc.name, id, ok, tc.id, tc.ok)
		}
		if tc.ok && chunkFileName(tc.id) != tc.name {
			t.Errorf("chunkFileName(%d) = %q, want %q", tc.id, chunkFileName(tc.id), tc.name)
		}
	}
}

func TestStripeDirNames(t *testing.T) {
	for _, tc := range []struct {
		name string
		i    int
		ok   bool
	}{
		{"stripe-00", 0, true},
		{"stripe-07", 7, true},
		{"stripe-123", 123, true},
		{"stripe-7", 0, false},
		{"stripe-007", 0, false},
		{"stripe--1", 0, false},
		{"stripe-", 0, false},
		{"Stripe-01", 0, false},
	} {
		i, ok := parseStripeDirName(tc.name)
		if i != tc.i || ok != tc.ok {
			t.Errorf("parseStripeDirName(%q) = %d, %v; want %d, %v", tc.name, i, ok, tc.i, tc.ok)
		}
		if tc.ok && stripeDirName(tc.i) != tc.name {
			t.Errorf("stripeDirName(%d) = %q, want %q", tc.i, stripeDirName(tc.i), tc.name)
		}
	}
}
