package protocol

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// TestWriteSeedCorpus regenerates the committed fuzz seed corpus when
// FILBERT_WRITE_SEEDS=1; otherwise it checks the corpus is present.
func TestWriteSeedCorpus(t *testing.T) {
	seeds := map[string][]byte{
		"request":         buildRequest(t, 1),
		"two-requests":    append(buildRequest(t, 1), buildRequest(t, 2)...),
		"short-length":    {3, 0, 0, 0, 0, 0x20},
		"negative-length": {0xff, 0xff, 0xff, 0xff, 0, 0x20},
		"huge-length":     {0xff, 0xff, 0xff, 0x7f, 0, 0x20},
		"no-final":        {6, 0, 0, 0, 0, 0, 6, 0, 0, 0, 0, 0},
	}
	frags := fragment(buildRequest(t, 3), 9, 2)
	var fr []byte
	for _, f := range frags {
		fr = append(fr, f...)
	}
	seeds["fragments"] = fr
	for name, data := range seeds {
		for _, target := range []string{"FuzzScanner", "FuzzSplitStream"} {
			path := filepath.Join("testdata", "fuzz", target, name)
			content := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", data)
			if target == "FuzzSplitStream" {
				content += fmt.Sprintf("uint16(%d)\n", len(data)/2)
			}
			if os.Getenv("FILBERT_WRITE_SEEDS") == "1" {
				if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			if _, err := os.Stat(path); err != nil {
				t.Fatalf("seed corpus missing %s (run with FILBERT_WRITE_SEEDS=1): %v", path, err)
			}
		}
	}
}
