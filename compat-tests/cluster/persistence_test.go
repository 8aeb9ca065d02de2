package cluster_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/filbert/filbert/compat-tests/cluster/harness"
)

// rest posts form fields (joined by &, as Hazelcast's REST API wants) to a
// member's REST path and returns the body.
func restPost(t *testing.T, m *harness.Member, path string, fields ...string) (int, string) {
	t.Helper()
	body := make([]string, len(fields))
	for i, f := range fields {
		body[i] = url.QueryEscape(f)
	}
	resp, err := http.Post("http://"+m.Addr+path, "application/x-www-form-urlencoded", strings.NewReader(strings.Join(body, "&")))
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func restGet(t *testing.T, m *harness.Member, path string) (int, string) {
	t.Helper()
	resp, err := http.Get("http://" + m.Addr + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

const mgmt = "/hazelcast/rest/management/cluster"

func changeState(t *testing.T, c *harness.Cluster, state string) {
	t.Helper()
	code, body := restPost(t, c.Member(0), mgmt+"/changeState", c.Name, "", state)
	if code != 200 || !strings.Contains(body, `"success"`) {
		t.Fatalf("change cluster state to %s: %d %s", state, code, body)
	}
}

// stopAll stops every member at once, with SIGTERM or SIGKILL.
func stopAll(t *testing.T, c *harness.Cluster, kill bool) {
	t.Helper()
	var wg sync.WaitGroup
	for _, m := range c.Live() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			if kill {
				err = m.Kill()
			} else {
				err = m.Terminate()
			}
			if err != nil {
				t.Errorf("stopping %s: %v", m, err)
			}
		}()
	}
	wg.Wait()
}

// restartAll starts every member again on its base-dir.
func restartAll(t *testing.T, c *harness.Cluster, n int) {
	t.Helper()
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.Restart(i); err != nil {
				t.Errorf("restarting member %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	must(t, c.WaitClusterSize(n), "member list after the restart")
}

func uuidsOf(c *harness.Cluster) []string {
	var out []string
	for _, m := range c.Members() {
		out = append(out, m.UUID)
	}
	return out
}

// TestPersistenceFullRestart: three members with persistence; write, set
// PASSIVE (as Hazelcast's cluster shutdown does), SIGTERM every member,
// start them again: same uuids, same partition table, all data back.
func TestPersistenceFullRestart(t *testing.T) {
	multiMember(t)
	keys := sized(10000, 100000)
	c := harness.StartCluster(t, 3, harness.Options{BackupCount: 1, Persistence: &harness.Persistence{}})
	before, err := c.WaitPartitionsSettled(settleTimeout)
	must(t, err, "initial partition table")
	uuids := uuidsOf(c)
	cl := c.NewClient(t, harness.ClientOptions{})
	l := harness.StartLoad(t, cl, harness.LoadOptions{Map: "persisted", Keys: keys, Rounds: 1})
	st, err := l.Wait(loadTimeout)
	must(t, err, "writes")
	t.Log(st)
	changeState(t, c, "PASSIVE")
	stopAll(t, c, false)
	start := time.Now()
	restartAll(t, c, 3)
	after, err := c.WaitPartitionsSettled(settleTimeout)
	must(t, err, "partition table after the restart")
	t.Logf("restart to settled table: %s", time.Since(start).Round(time.Millisecond))
	if got := uuidsOf(c); !slices.Equal(got, uuids) {
		t.Errorf("member uuids after restart %v, before %v", got, uuids)
	}
	if !slices.Equal(after.Owners, before.Owners) {
		diff := 0
		for i := range after.Owners {
			if after.Owners[i] != before.Owners[i] {
				diff++
			}
		}
		t.Errorf("partition table after restart differs for %d of %d partitions", diff, len(after.Owners))
	}
	cl2 := c.NewClient(t, harness.ClientOptions{})
	l.Verify(t, cl2)
}

// TestPersistenceKillAllWithFsync: fsync on, SIGKILL every member during
// a write load; after a restart every acknowledged write is back.
func TestPersistenceKillAllWithFsync(t *testing.T) {
	multiMember(t)
	keys := sized(5000, 50000)
	c := harness.StartCluster(t, 3, harness.Options{BackupCount: 1, Persistence: &harness.Persistence{Fsync: true}})
	_, err := c.WaitPartitionsSettled(settleTimeout)
	must(t, err, "initial partition table")
	cl := c.NewClient(t, harness.ClientOptions{})
	l := harness.StartLoad(t, cl, harness.LoadOptions{Map: "durable", Keys: keys, Rounds: 1,
		OpTimeout: 10 * time.Second, StallTimeout: 40 * time.Second})
	must(t, l.WaitAcked(int64(keys/2), loadTimeout), "first half of the writes")
	stopAll(t, c, true)
	st := l.Stop()
	t.Logf("killed every member with %d writes acknowledged; %s", l.Acked(), st)
	restartAll(t, c, 3)
	_, err = c.WaitPartitionsSettled(settleTimeout)
	must(t, err, "partition table after the restart")
	cl2 := c.NewClient(t, harness.ClientOptions{})
	l.Verify(t, cl2)
}

type backupStatus struct {
	Status  string `json:"status"`
	Members []struct {
		Member    string `json:"member"`
		State     string `json:"state"`
		Completed int    `json:"completed"`
		Total     int    `json:"total"`
		Sequence  int64  `json:"sequence"`
	} `json:"members"`
}

func waitBackup(t *testing.T, c *harness.Cluster, seq int64) backupStatus {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		_, body := restGet(t, c.Member(0), mgmt+"/backupStatus")
		var st backupStatus
		if err := json.Unmarshal([]byte(body), &st); err != nil {
			t.Fatalf("backup status %q: %v", body, err)
		}
		done := len(st.Members) == len(c.Live())
		for _, m := range st.Members {
			if m.Sequence != seq || m.State != "SUCCESS" {
				done = false
			}
			if m.State == "FAILURE" {
				t.Fatalf("backup failed: %s", body)
			}
		}
		if done {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("backup %d not complete: %s", seq, body)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// copyTree copies a directory (a restore must not change the backup).
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.Walk(src, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if fi.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
	if err != nil {
		t.Fatalf("copy %s: %v", src, err)
	}
}

// TestHotBackupAndRestore: keys written before a hot backup, more writes
// during and after it; a fresh cluster restored from the backup holds the
// first keys with their values and nothing written after the backup
// returned. A second backup with the same sequence is refused everywhere.
// Chunks are hard-linked, not copied.
func TestHotBackupAndRestore(t *testing.T) {
	multiMember(t)
	keys := sized(5000, 50000)
	opts := harness.Options{BackupCount: 1, Persistence: &harness.Persistence{}}
	c := harness.StartCluster(t, 3, opts)
	_, err := c.WaitPartitionsSettled(settleTimeout)
	must(t, err, "initial partition table")
	cl := c.NewClient(t, harness.ClientOptions{})
	ctx := context.Background()
	mp, err := cl.GetMap(ctx, "snap")
	must(t, err, "map")
	for i := 0; i < keys; i++ {
		must(t, mp.Set(ctx, fmt.Sprintf("before-%d", i), i), "write before the backup")
	}
	// A concurrent load on other keys during the backup.
	l := harness.StartLoad(t, cl, harness.LoadOptions{Map: "snap-load", Keys: keys, Rounds: 0})
	const seq = 42
	code, body := restPost(t, c.Member(1), mgmt+"/backup", c.Name, "", fmt.Sprint(seq))
	if code != 200 {
		t.Fatalf("hot backup: %d %s", code, body)
	}
	returned := time.Now()
	for i := 0; i < 100; i++ {
		must(t, mp.Set(ctx, fmt.Sprintf("after-%d", i), i), "write after the backup")
	}
	st := waitBackup(t, c, seq)
	t.Logf("backup %d complete %s after the call returned: %+v", seq, time.Since(returned).Round(time.Millisecond), st.Members)
	l.Stop()

	code, body = restPost(t, c.Member(2), mgmt+"/backup", c.Name, "", fmt.Sprint(seq))
	if code == 200 {
		t.Errorf("a second backup with sequence %d was accepted: %s", seq, body)
	} else {
		t.Logf("second backup with the same sequence refused: %d %s", code, body)
	}

	// Hard links: every chunk in the backup shares its inode with the live
	// store's (while GC has not rewritten it).
	linked, total := 0, 0
	for i := range 3 {
		dir := filepath.Join(c.Persistence().BackupDir(i), fmt.Sprintf("backup-%d", seq))
		_ = filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
			if err == nil && strings.HasSuffix(p, ".chunk") {
				total++
				if linkCount(fi) > 1 {
					linked++
				}
			}
			return nil
		})
	}
	t.Logf("%d of %d chunk files in the backup are hard links", linked, total)
	if total == 0 || linked == 0 {
		t.Errorf("expected hard-linked chunks in the backup, got %d of %d", linked, total)
	}

	// Restore: a new cluster of the same name whose base-dirs are copies
	// of backup-<seq>.
	r := restoreFromBackup(t, c, seq)
	rc := r.NewClient(t, harness.ClientOptions{})
	rm, err := rc.GetMap(ctx, "snap")
	must(t, err, "map")
	missing, wrong := 0, 0
	for i := 0; i < keys; i++ {
		v, err := rm.Get(ctx, fmt.Sprintf("before-%d", i))
		must(t, err, "read restored key")
		switch {
		case v == nil:
			missing++
		case v != int64(i):
			wrong++
		}
	}
	after := 0
	for i := 0; i < 100; i++ {
		if v, _ := rm.Get(ctx, fmt.Sprintf("after-%d", i)); v != nil {
			after++
		}
	}
	if missing > 0 || wrong > 0 {
		t.Errorf("restored cluster: %d of %d keys written before the backup missing, %d with another value", missing, keys, wrong)
	}
	if after > 0 {
		t.Errorf("restored cluster holds %d keys written after the backup call returned", after)
	}
}

// runCLI runs the filbert binary's admin subcommands against a member.
func runCLI(t *testing.T, c *harness.Cluster, args ...string) string {
	t.Helper()
	out, err := exec.Command(harness.Binary(t), args...).CombinedOutput()
	if err != nil {
		t.Fatalf("filbert %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestHotBackupWhilePassiveIsExact: with the cluster PASSIVE during the
// backup (set through the CLI), the restored cluster holds exactly the map.
func TestHotBackupWhilePassiveIsExact(t *testing.T) {
	multiMember(t)
	keys := sized(3000, 30000)
	opts := harness.Options{BackupCount: 1, Persistence: &harness.Persistence{}}
	c := harness.StartCluster(t, 3, opts)
	_, err := c.WaitPartitionsSettled(settleTimeout)
	must(t, err, "initial partition table")
	cl := c.NewClient(t, harness.ClientOptions{})
	ctx := context.Background()
	mp, err := cl.GetMap(ctx, "exact")
	must(t, err, "map")
	for i := 0; i < keys; i++ {
		must(t, mp.Set(ctx, fmt.Sprintf("k-%d", i), i), "write")
	}
	for i := 0; i < keys; i += 3 {
		_, err := mp.Remove(ctx, fmt.Sprintf("k-%d", i))
		must(t, err, "remove")
	}
	want, err := mp.Size(ctx)
	must(t, err, "size")
	addr := c.Member(0).Addr
	out := runCLI(t, c, "cluster-state", "--address", addr, "--cluster-name", c.Name, "set", "PASSIVE")
	t.Logf("cluster-state set PASSIVE: %s", strings.TrimSpace(out))
	if err := mp.Set(ctx, "refused", 1); err == nil {
		t.Errorf("a write succeeded while the cluster was PASSIVE")
	}
	const seq = 7
	out = runCLI(t, c, "backup", "--address", addr, "--cluster-name", c.Name, "start", "--seq", fmt.Sprint(seq), "--watch")
	t.Logf("backup start --watch: %s", strings.TrimSpace(out))
	st := waitBackup(t, c, seq)
	for _, m := range st.Members {
		if m.Completed != m.Total {
			t.Errorf("member %s: backup SUCCESS with %d of %d chunks", m.Member, m.Completed, m.Total)
		}
	}
	runCLI(t, c, "cluster-state", "--address", addr, "--cluster-name", c.Name, "set", "ACTIVE")

	r := restoreFromBackup(t, c, seq)
	rc := r.NewClient(t, harness.ClientOptions{})
	rm, err := rc.GetMap(ctx, "exact")
	must(t, err, "map")
	got, err := rm.Size(ctx)
	must(t, err, "size")
	if got != want {
		t.Errorf("restored map has %d entries, the map had %d", got, want)
	}
	for i := 0; i < keys; i++ {
		v, err := rm.Get(ctx, fmt.Sprintf("k-%d", i))
		must(t, err, "get")
		if (i%3 == 0) != (v == nil) || (v != nil && v != int64(i)) {
			t.Fatalf("restored k-%d = %v", i, v)
		}
	}
}

// restoreFromBackup stops c and starts a cluster of the same name whose
// members' base-dirs are copies of their backup-<seq> directories.
func restoreFromBackup(t *testing.T, c *harness.Cluster, seq int) *harness.Cluster {
	t.Helper()
	n := len(c.Members())
	restored := &harness.Persistence{Root: t.TempDir()}
	for i := range n {
		copyTree(t, filepath.Join(c.Persistence().BackupDir(i), fmt.Sprintf("backup-%d", seq)), restored.BaseDir(i))
	}
	stopAll(t, c, true)
	r := harness.StartCluster(t, n, harness.Options{BackupCount: 1, ClusterName: c.Name, ConcurrentStart: true, Persistence: restored})
	_, err := r.WaitPartitionsSettled(settleTimeout)
	must(t, err, "restored partition table")
	return r
}
