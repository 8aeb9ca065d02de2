package harness

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// binaryEnv names a prebuilt member binary to use instead of building one.
const binaryEnv = "FILBERT_BINARY"

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
	buildTook time.Duration
	buildDir  string // temporary directory holding the built binary
)

// Main runs a test binary's tests and then removes the member binary that
// [Binary] built. Call it from TestMain: os.Exit(harness.Main(m)).
func Main(m *testing.M) int {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	return code
}

// Binary returns the filbert member binary, building it on first use with
// `go build -o <tmp>/filbert ./cmd/filbert` in the module root (found with
// `go env GOMOD`). With FILBERT_BINARY set, that file is used as it is. A
// build failure fails the test with the compiler's output.
func Binary(t testing.TB) string {
	t.Helper()
	built := false
	buildOnce.Do(func() {
		built = true
		if p := os.Getenv(binaryEnv); p != "" {
			binPath = p
			if _, err := os.Stat(p); err != nil {
				buildErr = fmt.Errorf("%s=%s: %w", binaryEnv, p, err)
			}
			return
		}
		start := time.Now()
		binPath, buildErr = build()
		buildTook = time.Since(start)
	})
	if buildErr != nil {
		t.Fatalf("member binary: %v", buildErr)
	}
	if built && buildTook > 0 {
		t.Logf("built the member binary in %s", buildTook.Round(time.Millisecond))
	}
	return binPath
}

// build compiles cmd/filbert into a new temporary directory.
func build() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("go env GOMOD: not inside a module")
	}
	root := filepath.Dir(gomod)
	dir, err := os.MkdirTemp("", "filbert-cluster-test-")
	if err != nil {
		return "", err
	}
	buildDir = dir
	bin := filepath.Join(dir, "filbert")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/filbert")
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build ./cmd/filbert in %s: %v\n%s", root, err, stderr.String())
	}
	return bin, nil
}
