package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// startRedis runs redis-server on a free loopback port, without persistence,
// and stops it when the test ends. It skips the test if redis-server is not
// installed.
func startRedis(t *testing.T) (addr string, pid int) {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server not installed (apt-get install redis-server to run this test)")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	addr = fmt.Sprintf("127.0.0.1:%d", port)
	cmd := exec.Command(bin, "--bind", "127.0.0.1", "--port", fmt.Sprint(port),
		"--save", "", "--appendonly", "no", "--dir", t.TempDir(), "--protected-mode", "yes")
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("start redis-server: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			_, _ = c.Write([]byte("PING\r\n"))
			_ = c.SetReadDeadline(time.Now().Add(time.Second))
			line, _ := bufio.NewReader(c).ReadString('\n')
			c.Close()
			if strings.HasPrefix(line, "+PONG") {
				return addr, cmd.Process.Pid
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis-server did not come up on %s: %s", addr, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestRunRedis(t *testing.T) {
	if testing.Short() {
		t.Skip("starts redis-server; skipped with -short")
	}
	addr, pid := startRedis(t)
	o := DefaultOptions()
	o.Target, o.RedisAddr, o.RedisPID = TargetRedis, addr, pid
	o.Concurrency, o.Keys, o.ValueSize = 8, 1000, 100
	o.Warmup, o.Duration, o.JSON = 200*time.Millisecond, time.Second, true
	var out, log bytes.Buffer
	o.Log = &log
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := Run(ctx, o, &out); err != nil {
		t.Fatalf("Run: %v\nlog: %s", err, log.String())
	}
	var r Result
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("output %q: %v", out.String(), err)
	}
	t.Logf("%s", r)
	if r.Target != TargetRedis || r.Round != 1 || r.Concurrency != 8 {
		t.Errorf("result header %+v", r)
	}
	if r.Ops < 100 || r.Errors != 0 || r.FirstError != "" {
		t.Errorf("ops %d errors %d (%s)", r.Ops, r.Errors, r.FirstError)
	}
	if r.P50 <= 0 || r.P99 < r.P50 || r.P999 < r.P99 {
		t.Errorf("latencies p50 %v p99 %v p99.9 %v", r.P50, r.P99, r.P999)
	}
	if !r.HasCPU || r.CPUPerOp <= 0 {
		t.Errorf("cpu per op %v (has %v): redis-server did work, so it should be positive", r.CPUPerOp, r.HasCPU)
	}
}
