package cluster_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	hazelcast "github.com/hazelcast/hazelcast-go-client"

	"github.com/filbert/filbert/compat-tests/cluster/harness"
)

func TestMain(m *testing.M) {
	os.Exit(harness.Main(m))
}

// longEnv enables the issue-sized variants and every crash case.
const longEnv = "FILBERT_LONG"

// long reports whether FILBERT_LONG=1.
func long() bool { return os.Getenv(longEnv) == "1" }

// sized returns def, or full with FILBERT_LONG=1.
func sized(def, full int) int {
	if long() {
		return full
	}
	return def
}

// needLong skips a variant that only runs with FILBERT_LONG=1.
func needLong(t *testing.T) {
	t.Helper()
	if !long() {
		t.Skipf("slow variant: set %s=1 to run it", longEnv)
	}
}

// multiMember skips multi-member tests with -short.
func multiMember(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("multi-member test: skipped with -short")
	}
}

// must fails the test with what when err is not nil.
func must(t testing.TB, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// Timeouts of the steps the tests wait for.
const (
	settleTimeout = 60 * time.Second // partition table agreed after a change
	loadTimeout   = 3 * time.Minute  // a load's rounds
	opTimeout     = 30 * time.Second // a single step through a client
)

// getMap returns the client's map, failing the test otherwise.
func getMap(t testing.TB, cl *hazelcast.Client, name string) *hazelcast.Map {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	m, err := cl.GetMap(ctx, name)
	must(t, err, "GetMap "+name)
	return m
}

// checkBalanced fails the test unless every live member owns between lo
// and hi partitions of pt.
func checkBalanced(t testing.TB, c *harness.Cluster, pt *harness.PartitionTable, lo, hi int) {
	t.Helper()
	counts := pt.Counts()
	var bad []string
	for _, m := range c.Live() {
		if n := counts[m.UUID]; n < lo || n > hi {
			bad = append(bad, fmt.Sprintf("%s owns %d", m, n))
		}
	}
	if len(bad) > 0 {
		t.Errorf("expected every member to own between %d and %d of the %d partitions (table version %d): %s; all: %s",
			lo, hi, c.PartitionCount, pt.Version, strings.Join(bad, ", "), c.DescribeCounts(pt))
	}
}

// checkTableLogged checks that every live member logged a "partition
// table" line for pt's version whose "owned" agrees with pt (the member's
// own view and the view clients get are the same table).
func checkTableLogged(t testing.TB, c *harness.Cluster, pt *harness.PartitionTable) {
	t.Helper()
	counts := pt.Counts()
	for _, m := range c.Live() {
		match := harness.Message(harness.MsgPartitionTable).And(harness.FieldInt("version", int(pt.Version)))
		l, err := m.WaitLog(match, 10*time.Second)
		if err != nil {
			t.Errorf("expected %s to log its partition table version %d: %v", m, pt.Version, err)
			continue
		}
		if owned, ok := l.Int("owned"); !ok || owned != counts[m.UUID] {
			t.Errorf("%s logged owned=%v for table version %d, but the table it publishes to clients gives it %d partitions: %s",
				m, l.Fields["owned"], pt.Version, counts[m.UUID], l.Raw)
		}
	}
}

// waitClientConnected waits until m logs that the client named name
// connected.
func waitClientConnected(m *harness.Member, name string) error {
	_, err := m.WaitLog(harness.Message("client connected").And(harness.FieldStr("name", name)), 20*time.Second)
	return err
}
