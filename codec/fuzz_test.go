package codec

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/filbert/filbert/protocol"
)

var writeFuzzSeeds = flag.Bool("write-fuzz-seeds", false, "rewrite the committed seed corpus of FuzzDecodeRequest")

// seedRequests are the requests whose encodings make up the committed seed
// corpus (testdata/fuzz/FuzzDecodeRequest); the fuzz target also adds
// every request's sample encoding at run time.
var seedRequests = []string{
	"Map.put request",
	"Client.authentication request",
	"Client.addClusterViewListener request",
	"Map.putAll request",
	"Map.entriesWithPredicate request",
	"DynamicConfig.addMapConfig request",
	"Sql.execute request",
	"Client.sendSchema request",
}

// FuzzDecodeRequest runs the request decoder of a message type on arbitrary
// bytes. Decoders must not panic, must fail only with ErrMalformed, and
// what they accept must re-encode to a message that decodes and encodes to
// the same bytes. Types without a request decoder select one by index.
func FuzzDecodeRequest(f *testing.F) {
	for _, tc := range messageCases {
		if tc.kind == requestKind {
			_, b := tc.encode(protocol.NewWriter(nil), &sampler{})
			f.Add(tc.msgType, bytes.Clone(b))
		}
	}
	types := make([]int32, 0, len(requestReencoders))
	for typ := range requestReencoders {
		types = append(types, typ)
	}
	slices.Sort(types)

	f.Fuzz(func(t *testing.T, msgType int32, data []byte) {
		reencode, ok := requestReencoders[msgType]
		if !ok {
			reencode = requestReencoders[types[uint32(msgType)%uint32(len(types))]]
		}
		first, err := reencode(protocol.NewWriter(nil), protocol.Message(data))
		if err != nil {
			if !errors.Is(err, protocol.ErrMalformed) {
				t.Fatalf("error %v is not ErrMalformed", err)
			}
			return
		}
		second, err := reencode(protocol.NewWriter(nil), protocol.Message(first))
		if err != nil {
			t.Fatalf("decoding a re-encoded request: %v\n% x", err, first)
		}
		if !bytes.Equal(first, second) {
			t.Fatalf("re-encoding is not stable:\n% x\n% x", first, second)
		}
	})
}

// TestWriteFuzzSeeds rewrites the committed seed corpus when run with
// -write-fuzz-seeds.
func TestWriteFuzzSeeds(t *testing.T) {
	if !*writeFuzzSeeds {
		t.Skip("run with -write-fuzz-seeds to rewrite testdata/fuzz/FuzzDecodeRequest")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzDecodeRequest")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	byName := map[string]messageCase{}
	for _, tc := range messageCases {
		byName[tc.name] = tc
	}
	for i, name := range seedRequests {
		tc, ok := byName[name]
		if !ok {
			t.Fatalf("no message case %q", name)
		}
		_, b := tc.encode(protocol.NewWriter(nil), &sampler{})
		body := fmt.Sprintf("go test fuzz v1\nint32(%d)\n[]byte(%s)\n", tc.msgType, strconv.Quote(string(b)))
		file := filepath.Join(dir, fmt.Sprintf("seed-%02d-%06x", i, tc.msgType))
		if err := os.WriteFile(file, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
