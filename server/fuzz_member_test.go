package server

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/filbert/filbert/cluster"
	"github.com/filbert/filbert/config"
	"github.com/filbert/filbert/imap"
	"github.com/filbert/filbert/protocol"
)

var (
	fuzzMemberOnce sync.Once
	fuzzMember     *Member
)

// memberForFuzz is one member, not listening, whose member-message
// handlers the fuzz target feeds.
func memberForFuzz(t testing.TB) *Member {
	fuzzMemberOnce.Do(func() {
		cfg := config.Default()
		cfg.Network.Port = 0
		m, err := New(Options{Config: cfg, Logger: zerolog.Nop()})
		if err != nil {
			t.Fatal(err)
		}
		fuzzMember = m
	})
	return fuzzMember
}

// memberSeeds are valid member messages of several kinds, each prefixed by
// its kind byte.
func memberSeeds() [][]byte {
	var out [][]byte
	add := func(kind byte, e cluster.Enc) { out = append(out, append([]byte{kind}, e.B...)) }
	var e cluster.Enc
	e.Varint(3)
	e.UUID(protocol.UUID{MSB: 1, LSB: 2})
	e.Uvarint(1)
	e.Uvarint(1)
	e.Bool(false)
	e.Uvarint(1)
	e.B = append(e.B, bkRecord)
	e.B = imap.AppendRecord(e.B, "m", &imap.Record{Key: []byte("k"), Present: true, Value: []byte("v")})
	add(kindBackup, e)
	e = cluster.Enc{}
	e.Varint(3)
	e.Bool(true)
	e.Bool(true)
	e.B = imap.AppendRecord(e.B, "m", &imap.Record{Key: []byte("k"), Present: true, Value: []byte("v")})
	add(kindMigrateData, e)
	e = cluster.Enc{}
	e.Varint(5)
	e.Uvarint(1)
	e.Uvarint(7)
	e.Bool(true)
	e.Uvarint(99)
	add(kindCheck, e)
	e = cluster.Enc{}
	e.Uvarint(1)
	e.UUID(protocol.UUID{MSB: 3})
	e.Uvarint(4)
	e.B = append(e.B, authRequest("dev")...)
	add(kindForward, e)
	e = cluster.Enc{}
	e.B = append(e.B, statePrepare)
	e.UUID(protocol.UUID{MSB: 9})
	e.Varint(2)
	add(kindState, e)
	e = cluster.Enc{}
	e.String("hz:impl:mapService")
	e.String("m")
	e.Bool(true)
	add(kindProxy, e)
	return out
}

// FuzzMemberMessage feeds arbitrary payloads to every member-message
// handler: a malformed message from another member is refused, never a
// crash. The first byte picks the kind.
func FuzzMemberMessage(f *testing.F) {
	for _, s := range memberSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) == 0 {
			return
		}
		m := memberForFuzz(t)
		kind := cluster.FirstServiceKind + b[0]%(kindTouch-cluster.FirstServiceKind+1)
		payload := append([]byte(nil), b[1:]...)
		done := make(chan struct{}, 1)
		m.handleMemberMessage(protocol.UUID{MSB: 42}, kind, payload, func([]byte, error) {
			select {
			case done <- struct{}{}:
			default:
			}
		})
		// Let queued worker tasks run before the next input.
		onWorker(m, 0, func(*imap.Partition) {})
		onWorker(m, 1, func(*imap.Partition) {})
		select {
		case <-done:
		case <-time.After(time.Millisecond):
		}
	})
}

// TestWriteMemberFuzzSeeds keeps the committed seed corpus in step with
// memberSeeds (FILBERT_WRITE_SEEDS=1 rewrites it).
func TestWriteMemberFuzzSeeds(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzMemberMessage")
	seeds := memberSeeds()
	if os.Getenv("FILBERT_WRITE_SEEDS") == "1" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for i, s := range seeds {
			body := "go test fuzz v1\n[]byte(" + quoteBytes(s) + ")\n"
			if err := os.WriteFile(filepath.Join(dir, "seed-"+string(rune('a'+i))), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) < len(seeds) {
		t.Fatalf("seed corpus %s has %d files, want %d (run with FILBERT_WRITE_SEEDS=1): %v", dir, len(entries), len(seeds), err)
	}
}

func quoteBytes(b []byte) string {
	const hex = "0123456789abcdef"
	out := []byte{'"'}
	for _, c := range b {
		out = append(out, '\\', 'x', hex[c>>4], hex[c&15])
	}
	return string(append(out, '"'))
}
