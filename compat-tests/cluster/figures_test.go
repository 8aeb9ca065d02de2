package cluster_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	hz "github.com/hazelcast/hazelcast-go-client"
	"github.com/hazelcast/hazelcast-go-client/types"

	"github.com/filbert/filbert/compat-tests/cluster/harness"
)

// The benchmarks here measure the figures the cluster, backup and
// persistence work is judged by, with real member processes:
//
//	go test ./compat-tests/cluster -run '^$' -bench . -benchtime 1x
//
// FILBERT_FIGURES_ENTRIES sets the entry count (default 1,000,000).

func figureEntries() int {
	n := 1000000
	if v := envInt("FILBERT_FIGURES_ENTRIES"); v > 0 {
		n = v
	}
	return n
}

// fill writes n entries with 100-byte values through PutAll batches.
func fill(b *testing.B, cl *hz.Client, name string, n int) {
	b.Helper()
	ctx := context.Background()
	mp, err := cl.GetMap(ctx, name)
	if err != nil {
		b.Fatal(err)
	}
	val := make([]byte, 100)
	const batch = 1000
	for i := 0; i < n; i += batch {
		entries := make([]types.Entry, 0, batch)
		for j := i; j < i+batch && j < n; j++ {
			entries = append(entries, types.NewEntry(fmt.Sprintf("key-%08d", j), val))
		}
		if err := mp.PutAll(ctx, entries...); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRebalanceOnJoin: a third member joins two holding the entries
// (backup-count 1): time from its "member started" to the master's
// "migrations finished", and the bytes of partition data moved.
func BenchmarkRebalanceOnJoin(b *testing.B) {
	n := figureEntries()
	c := harness.StartCluster(b, 2, harness.Options{BackupCount: 1})
	cl := c.NewClient(b, harness.ClientOptions{})
	fill(b, cl, "figures", n)
	master := c.Member(0)
	mark := master.Mark()
	m, err := c.AddMember()
	if err != nil {
		b.Fatal(err)
	}
	started := m.StartedAt
	line, err := master.WaitLogAfter(mark, harness.Message(harness.MsgMigrationsFinished), 5*time.Minute)
	if err != nil {
		b.Fatal(err)
	}
	took := time.Since(started)
	if _, err := c.WaitPartitionsSettled(time.Minute); err != nil {
		b.Fatal(err)
	}
	settled := time.Since(started)
	bytes, _ := line.Int("bytes")
	b.ReportMetric(float64(n), "entries")
	b.ReportMetric(took.Seconds()*1000, "ms-to-migrated")
	b.ReportMetric(settled.Seconds()*1000, "ms-to-settled-table")
	b.ReportMetric(float64(bytes)/(1<<20), "MB-moved")
	b.ReportMetric(float64(bytes)/(1<<20)/took.Seconds(), "MB/s")
}

// BenchmarkKillToTable: SIGKILL of a member (not the master) to the
// master logging the republished table, and to the first successful write
// to a key the dead member owned (backup-count 1).
func BenchmarkKillToTable(b *testing.B) {
	c := harness.StartCluster(b, 3, harness.Options{BackupCount: 1})
	pt, err := c.WaitPartitionsSettled(time.Minute)
	if err != nil {
		b.Fatal(err)
	}
	victim := c.Member(2)
	keys := harness.KeysOwnedBy(pt, victim.UUID, "victim", 1)
	cl := c.NewClient(b, harness.ClientOptions{})
	ctx := context.Background()
	mp, err := cl.GetMap(ctx, "figures-kill")
	if err != nil {
		b.Fatal(err)
	}
	if err := mp.Set(ctx, keys[0], "before"); err != nil {
		b.Fatal(err)
	}
	master := c.Member(0)
	mark := master.Mark()
	if err := victim.Kill(); err != nil {
		b.Fatal(err)
	}
	killed := victim.KilledAt()
	done := make(chan time.Duration, 1)
	go func() {
		for {
			wctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			err := mp.Set(wctx, keys[0], "after")
			cancel()
			if err == nil {
				done <- time.Since(killed)
				return
			}
		}
	}()
	if _, err := master.WaitLogAfter(mark, harness.Message("partition table republished after members left without handing over"), time.Minute); err != nil {
		b.Fatal(err)
	}
	toTable := time.Since(killed)
	var toWrite time.Duration
	select {
	case toWrite = <-done:
	case <-time.After(2 * time.Minute):
		b.Fatal("no successful write to the dead member's key within 2 minutes")
	}
	b.ReportMetric(toTable.Seconds()*1000, "ms-kill-to-table")
	b.ReportMetric(toWrite.Seconds()*1000, "ms-kill-to-write")
}

func envInt(name string) int {
	n, _ := strconv.Atoi(os.Getenv(name))
	return n
}
