package cluster

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/filbert/filbert/protocol"
)

// frameSeeds returns member streams for FuzzParseFrame: real frames, two
// frames back to back, and headers with bad lengths.
func frameSeeds() map[string][]byte {
	frame := func(kind, flags byte, corr uint64, payload []byte) []byte {
		return append(AppendHeader(nil, kind, flags, corr, len(payload)), payload...)
	}
	var hello Enc
	hello.String("dev")
	hello.member(MemberInfo{UUID: protocol.UUID{MSB: 1, LSB: 2}, Host: "127.0.0.1", Port: 5701})
	var members Enc
	members.View(sampleView())
	call := frame(kindHello, 0, 1, hello.B)
	return map[string][]byte{
		"hello":         call,
		"members":       frame(kindMembers, 0, 0, members.B),
		"hello-and-ack": append(append([]byte(nil), call...), frame(0, FlagResponse, 1, nil)...),
		"error-reply":   frame(0, FlagResponse|FlagError, 7, []byte("cluster name mismatch")),
		"cut":           call[:len(call)-1],
		"too-large":     {0x10, 0, 0, 1, kindPing, 0, 0, 0, 0, 0, 0, 0, 0, 1},
		"too-small":     {0, 0, 0, 9, kindPing, 0, 0, 0, 0, 0, 0, 0, 0, 1},
	}
}

// viewSeeds returns encoded views for FuzzDecView.
func viewSeeds() map[string][]byte {
	enc := func(f func(*Enc)) []byte {
		var e Enc
		f(&e)
		return e.B
	}
	full := enc(func(e *Enc) { e.View(sampleView()) })
	return map[string][]byte{
		"empty":         enc(func(e *Enc) { e.View(View{}) }),
		"three-members": full,
		"cut":           full[:len(full)/2],
		"huge-count": enc(func(e *Enc) {
			e.Varint(1)
			e.UUID(protocol.UUID{MSB: 1})
			e.Uvarint(1 << 40)
		}),
		// Version 1 and a member count of 0, both as overlong varints: they
		// decode, and re-encode shorter.
		"overlong-varints": append(append([]byte{0x82, 0x80, 0x00}, make([]byte, 16)...), 0x80, 0x00),
	}
}

// TestWriteSeedCorpus regenerates the committed fuzz seed corpus when
// FILBERT_WRITE_SEEDS=1; otherwise it checks the corpus is present and
// current.
func TestWriteSeedCorpus(t *testing.T) {
	for target, seeds := range map[string]map[string][]byte{
		"FuzzParseFrame": frameSeeds(),
		"FuzzDecView":    viewSeeds(),
	} {
		dir := filepath.Join("testdata", "fuzz", target)
		for name, data := range seeds {
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
}
