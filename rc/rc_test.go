package rc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/apache/thrift/lib/go/thrift"
	hazelcast "github.com/hazelcast/hazelcast-go-client"
	"github.com/hazelcast/hazelcast-go-client/logger"
	"github.com/rs/zerolog"

	"github.com/filbert/filbert/rc/rcthrift"
)

// filbertBinary is the member binary built by TestMain.
var filbertBinary string

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "filbert-rc-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	if bin := os.Getenv("FILBERT_RC_TEST_BINARY"); bin != "" {
		// A member binary built elsewhere (e.g. while the tree does not build).
		filbertBinary = bin
		return m.Run()
	}
	filbertBinary = filepath.Join(dir, "filbert")
	build := exec.Command("go", "build", "-o", filbertBinary, "github.com/filbert/filbert/cmd/filbert")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintf(os.Stderr, "building the member binary: %v\n", err)
		return 1
	}
	return m.Run()
}

// testLogger shows the controller's log with FILBERT_RC_LOG set.
func testLogger() zerolog.Logger {
	if os.Getenv("FILBERT_RC_LOG") == "" {
		return zerolog.Nop()
	}
	return zerolog.New(zerolog.ConsoleWriter{Out: os.Stderr, TimeFormat: "15:04:05.000"}).With().Timestamp().Logger()
}

// startController serves a Controller on an ephemeral port; it and every
// member it started are stopped when the test ends.
func startController(t *testing.T, mutate func(*Options)) (*Controller, string) {
	t.Helper()
	opts := Options{MemberBinary: filbertBinary, Logger: testLogger(), StopTimeout: 10 * time.Second, StartTimeout: 30 * time.Second}
	if mutate != nil {
		mutate(&opts)
	}
	c, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- c.Serve(ln) }()
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return c, ln.Addr().String()
}

// dial connects a generated Thrift client the way the official suites do:
// buffered unframed transport (Go) or framed transport (Node.js).
func dial(t *testing.T, addr string, framed bool) (*rcthrift.RemoteControllerClient, func()) {
	t.Helper()
	sock, err := thrift.NewTSocketConf(addr, &thrift.TConfiguration{SocketTimeout: 60 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	var trans thrift.TTransport = thrift.NewTBufferedTransport(sock, 4096)
	if framed {
		trans = thrift.NewTFramedTransportConf(sock, nil)
	}
	prot := thrift.NewTBinaryProtocolConf(trans, nil)
	if err := sock.Open(); err != nil {
		t.Fatal(err)
	}
	closeOnce := func() { sock.Close() }
	t.Cleanup(closeOnce)
	return rcthrift.NewRemoteControllerClient(thrift.NewTStandardClient(prot, prot)), closeOnce
}

// freePorts returns a port p such that p and p+1 .. p+n-1 are free now.
func freePorts(t *testing.T, n int) int {
	t.Helper()
	for range 50 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		base := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		ok := base+n < 65536
		for p := base + 1; ok && p < base+n; p++ {
			l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
			if err != nil {
				ok = false
				break
			}
			l.Close()
		}
		if ok {
			return base
		}
	}
	t.Fatal("no free port range")
	return 0
}

// clusterXML is a member configuration like the Go suite's: a cluster
// name, a port, and elements Filbert does not implement.
func clusterXML(name string, port int) string {
	return fmt.Sprintf(`<hazelcast xmlns="http://www.hazelcast.com/schema/config">
    <cluster-name>%s</cluster-name>
    <network><port>%d</port></network>
    <map name="test-map">
        <map-store enabled="true"><class-name>com.hazelcast.client.test.SampleMapStore</class-name></map-store>
    </map>
    <serialization>
        <data-serializable-factories>
            <data-serializable-factory factory-id="66">com.hazelcast.client.test.IdentifiedFactory</data-serializable-factory>
        </data-serializable-factories>
    </serialization>
    <ringbuffer name="test*"><capacity>10</capacity></ringbuffer>
</hazelcast>`, name, port)
}

var canonicalUUID = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// connectClient checks with the official client that a member at addr
// accepts clusterName, and puts and gets one entry.
func connectClient(t *testing.T, addr, clusterName string) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cfg := hazelcast.Config{}
	cfg.Cluster.Name = clusterName
	cfg.Cluster.Network.SetAddresses(addr)
	cfg.Cluster.Unisocket = true
	cfg.Logger.Level = logger.OffLevel
	client, err := hazelcast.StartNewClientWithConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer client.Shutdown(context.Background())
	m, err := client.GetMap(ctx, "rc-test")
	if err != nil {
		return err
	}
	if err := m.Set(ctx, "k", "v"); err != nil {
		return err
	}
	v, err := m.Get(ctx, "k")
	if err != nil {
		return err
	}
	if v != "v" {
		return fmt.Errorf("get: %v, want v", v)
	}
	return nil
}

// procState is the state letter of /proc/PID/stat ("T" when stopped), or
// "" when the process does not exist.
func procState(t *testing.T, pid int) string {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	if i < 0 || i+2 >= len(s) {
		t.Fatalf("unexpected /proc/%d/stat: %q", pid, s)
	}
	return s[i+2 : i+3]
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// memberProc returns the controller's process for a member.
func memberProc(t *testing.T, c *Controller, clusterID, uuid string) *memberProcess {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	cl, ok := c.clusters[clusterID]
	if !ok {
		t.Fatalf("no cluster %s", clusterID)
	}
	m, ok := cl.members[uuid]
	if !ok {
		t.Fatalf("no member %s in cluster %s", uuid, clusterID)
	}
	return m
}

func dialable(addr string) bool {
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	conn.Close()
	return true
}

func TestTransports(t *testing.T) {
	_, addr := startController(t, nil)
	for _, framed := range []bool{false, true} {
		t.Run(fmt.Sprintf("framed=%v", framed), func(t *testing.T) {
			client, _ := dial(t, addr, framed)
			for i := range 3 { // several calls on one connection
				ok, err := client.Ping(context.Background())
				if err != nil || !ok {
					t.Fatalf("ping %d: %v, %v", i, ok, err)
				}
			}
			resp, err := client.ExecuteOnController(context.Background(), "", "result = 1", rcthrift.Lang_JAVASCRIPT)
			if err != nil {
				t.Fatal(err)
			}
			if resp.Success || resp.Message != ScriptsNotSupported {
				t.Fatalf("executeOnController: %+v", resp)
			}
		})
	}
}

func TestCreateClusterKeepClusterName(t *testing.T) {
	c, addr := startController(t, nil)
	client, _ := dial(t, addr, false)
	ctx := context.Background()
	port := freePorts(t, 2)
	xml := clusterXML("rc-keep", port)

	cl, err := client.CreateClusterKeepClusterName(ctx, "5.3.6", xml)
	if err != nil {
		t.Fatal(err)
	}
	if cl.ID != "rc-keep" {
		t.Fatalf("cluster id %q, want the XML's cluster-name rc-keep", cl.ID)
	}
	again, err := client.CreateClusterKeepClusterName(ctx, "5.3.6", xml)
	if err != nil || again.ID != cl.ID {
		t.Fatalf("same XML again: %v, %v; want the same cluster", again, err)
	}
	_, err = client.CreateClusterKeepClusterName(ctx, "5.3.6", clusterXML("rc-keep", port+5))
	var se *rcthrift.ServerException
	if !errors.As(err, &se) || !strings.Contains(se.Message, "different config") {
		t.Fatalf("different XML, same name: %v; want ServerException", err)
	}
	if ids := c.clusterIDs(); len(ids) != 1 {
		t.Fatalf("clusters %v, want one", ids)
	}

	// Members bind the XML's port with auto-increment and serve the XML's
	// cluster name.
	for i := range 2 {
		m, err := client.StartMember(ctx, cl.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !canonicalUUID.MatchString(m.UUID) {
			t.Errorf("member uuid %q is not a canonical UUID", m.UUID)
		}
		if m.Host != "127.0.0.1" || int(m.Port) != port+i {
			t.Errorf("member %d at %s:%d, want 127.0.0.1:%d", i, m.Host, m.Port, port+i)
		}
		if err := connectClient(t, net.JoinHostPort(m.Host, strconv.Itoa(int(m.Port))), "rc-keep"); err != nil {
			t.Errorf("client on member %d: %v", i, err)
		}
	}
}

func TestCreateClusterOverridesClusterName(t *testing.T) {
	c, addr := startController(t, nil)
	client, _ := dial(t, addr, true)
	ctx := context.Background()
	xml := clusterXML("from-xml", 0) // port 0: ephemeral, as in the Node.js suite

	cl, err := client.CreateCluster(ctx, "5.3.6", xml)
	if err != nil {
		t.Fatal(err)
	}
	if !canonicalUUID.MatchString(cl.ID) {
		t.Fatalf("cluster id %q, want a random UUID", cl.ID)
	}
	other, err := client.CreateCluster(ctx, "5.3.6", xml)
	if err != nil || other.ID == cl.ID {
		t.Fatalf("second createCluster with the same XML: %v, %v; want a new cluster", other, err)
	}
	m, err := client.StartMember(ctx, cl.ID)
	if err != nil {
		t.Fatal(err)
	}
	if m.Port == 0 {
		t.Fatalf("member port 0: want the bound ephemeral port")
	}
	if err := connectClient(t, net.JoinHostPort(m.Host, strconv.Itoa(int(m.Port))), cl.ID); err != nil {
		t.Fatalf("client with the cluster id as cluster name: %v", err)
	}
	// The file the member read carries the id as cluster name.
	c.mu.Lock()
	path := c.clusters[cl.ID].path
	c.mu.Unlock()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "<cluster-name>"+cl.ID+"</cluster-name>") || strings.Contains(string(data), "from-xml") {
		t.Fatalf("member configuration does not carry the cluster id as cluster-name:\n%s", data)
	}
}

func TestCreateClusterErrors(t *testing.T) {
	_, addr := startController(t, nil)
	client, _ := dial(t, addr, false)
	ctx := context.Background()
	var se *rcthrift.ServerException
	if _, err := client.CreateCluster(ctx, "5.3.6", "<hazelcast><network><port>70000</port></network></hazelcast>"); !errors.As(err, &se) {
		t.Errorf("invalid port: %v, want ServerException", err)
	}
	if _, err := client.CreateCluster(ctx, "5.3.6", "<hazelcast>"); !errors.As(err, &se) {
		t.Errorf("malformed XML: %v, want ServerException", err)
	}
	if _, err := client.StartMember(ctx, "no-such-cluster"); !errors.As(err, &se) {
		t.Errorf("startMember on an unknown cluster: %v, want ServerException", err)
	}
	for name, call := range map[string]func() (bool, error){
		"shutdownMember":   func() (bool, error) { return client.ShutdownMember(ctx, "no-such-cluster", "x") },
		"terminateMember":  func() (bool, error) { return client.TerminateMember(ctx, "no-such-cluster", "x") },
		"suspendMember":    func() (bool, error) { return client.SuspendMember(ctx, "no-such-cluster", "x") },
		"resumeMember":     func() (bool, error) { return client.ResumeMember(ctx, "no-such-cluster", "x") },
		"shutdownCluster":  func() (bool, error) { return client.ShutdownCluster(ctx, "no-such-cluster") },
		"terminateCluster": func() (bool, error) { return client.TerminateCluster(ctx, "no-such-cluster") },
	} {
		if ok, err := call(); ok || err != nil {
			t.Errorf("%s on an unknown cluster: %v, %v; want false, nil", name, ok, err)
		}
	}
	var ce *rcthrift.CloudException
	if _, err := client.CreateCloudCluster(ctx, "5.3.6", false); !errors.As(err, &ce) {
		t.Errorf("createCloudCluster: %v, want CloudException", err)
	}
	if err := client.LoginToCloudUsingEnvironment(ctx); !errors.As(err, &ce) {
		t.Errorf("loginToCloudUsingEnvironment: %v, want CloudException", err)
	}
	var ae thrift.TApplicationException
	if _, err := client.SplitMemberFromCluster(ctx, "x"); !errors.As(err, &ae) || !strings.Contains(err.Error(), "not supported") {
		t.Errorf("splitMemberFromCluster: %v, want an application error saying not supported", err)
	}
	// The connection survives the error.
	if ok, err := client.Ping(ctx); !ok || err != nil {
		t.Errorf("ping after errors: %v, %v", ok, err)
	}
}

func TestStartMemberFailureIsReported(t *testing.T) {
	_, addr := startController(t, nil)
	client, _ := dial(t, addr, false)
	ctx := context.Background()
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	port := busy.Addr().(*net.TCPAddr).Port
	xml := fmt.Sprintf(`<hazelcast><cluster-name>busy</cluster-name><network><port auto-increment="false">%d</port></network></hazelcast>`, port)
	cl, err := client.CreateClusterKeepClusterName(ctx, "5.3.6", xml)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = client.StartMember(ctx, cl.ID)
	var se *rcthrift.ServerException
	if !errors.As(err, &se) || !strings.Contains(se.Message, strconv.Itoa(port)) {
		t.Fatalf("startMember on a busy port: %v; want a ServerException naming the port", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("failure took %s", d)
	}
}

func TestMemberLifecycle(t *testing.T) {
	c, addr := startController(t, nil)
	client, _ := dial(t, addr, false)
	ctx := context.Background()
	cl, err := client.CreateClusterKeepClusterName(ctx, "5.3.6", clusterXML("rc-life", 0))
	if err != nil {
		t.Fatal(err)
	}
	start := func() (*rcthrift.Member, *memberProcess, string) {
		t.Helper()
		m, err := client.StartMember(ctx, cl.ID)
		if err != nil {
			t.Fatal(err)
		}
		return m, memberProc(t, c, cl.ID, m.UUID), net.JoinHostPort(m.Host, strconv.Itoa(int(m.Port)))
	}

	t.Run("suspend and resume", func(t *testing.T) {
		m, p, maddr := start()
		pid := p.cmd.Process.Pid
		if ok, err := client.SuspendMember(ctx, cl.ID, m.UUID); !ok || err != nil {
			t.Fatalf("suspendMember: %v, %v", ok, err)
		}
		waitFor(t, "the member to stop", 5*time.Second, func() bool { return procState(t, pid) == "T" })
		if ok, err := client.ResumeMember(ctx, cl.ID, m.UUID); !ok || err != nil {
			t.Fatalf("resumeMember: %v, %v", ok, err)
		}
		waitFor(t, "the member to continue", 5*time.Second, func() bool { return procState(t, pid) != "T" })
		if err := connectClient(t, maddr, cl.ID); err != nil {
			t.Fatalf("client after resume: %v", err)
		}
	})

	t.Run("shutdown", func(t *testing.T) {
		m, p, maddr := start()
		if ok, err := client.ShutdownMember(ctx, cl.ID, m.UUID); !ok || err != nil {
			t.Fatalf("shutdownMember: %v, %v", ok, err)
		}
		if !p.exited() {
			t.Fatal("shutdownMember returned before the member exited")
		}
		if code := p.cmd.ProcessState.ExitCode(); code != 0 {
			t.Errorf("member exit code %d, want 0 (graceful)", code)
		}
		if dialable(maddr) {
			t.Errorf("%s still accepts connections", maddr)
		}
		if ok, _ := client.ShutdownMember(ctx, cl.ID, m.UUID); ok {
			t.Errorf("second shutdownMember answered true")
		}
	})

	t.Run("shutdown a suspended member", func(t *testing.T) {
		m, p, _ := start()
		if ok, err := client.SuspendMember(ctx, cl.ID, m.UUID); !ok || err != nil {
			t.Fatalf("suspendMember: %v, %v", ok, err)
		}
		if ok, err := client.ShutdownMember(ctx, cl.ID, m.UUID); !ok || err != nil {
			t.Fatalf("shutdownMember: %v, %v", ok, err)
		}
		if code := p.cmd.ProcessState.ExitCode(); code != 0 {
			t.Errorf("member exit code %d, want 0 (graceful)", code)
		}
	})

	t.Run("terminate", func(t *testing.T) {
		m, p, maddr := start()
		if ok, err := client.TerminateMember(ctx, cl.ID, m.UUID); !ok || err != nil {
			t.Fatalf("terminateMember: %v, %v", ok, err)
		}
		ws, _ := p.cmd.ProcessState.Sys().(syscall.WaitStatus)
		if !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
			t.Errorf("member ended with %v, want SIGKILL", p.cmd.ProcessState)
		}
		if dialable(maddr) {
			t.Errorf("%s still accepts connections", maddr)
		}
	})

	t.Run("shutdown and terminate cluster", func(t *testing.T) {
		_, p1, _ := start()
		_, p2, _ := start()
		if ok, err := client.TerminateCluster(ctx, cl.ID); !ok || err != nil {
			t.Fatalf("terminateCluster: %v, %v", ok, err)
		}
		if !p1.exited() || !p2.exited() {
			t.Fatal("terminateCluster returned before its members exited")
		}
		if ok, _ := client.ShutdownCluster(ctx, cl.ID); ok {
			t.Error("shutdownCluster of a terminated cluster answered true")
		}
		cl2, err := client.CreateCluster(ctx, "5.3.6", "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := client.StartMember(ctx, cl2.ID); err != nil {
			t.Fatal(err)
		}
		c.mu.Lock()
		var p3 *memberProcess
		for _, m := range c.clusters[cl2.ID].members {
			p3 = m
		}
		c.mu.Unlock()
		if ok, err := client.ShutdownCluster(ctx, cl2.ID); !ok || err != nil {
			t.Fatalf("shutdownCluster: %v, %v", ok, err)
		}
		if code := p3.cmd.ProcessState.ExitCode(); code != 0 {
			t.Errorf("member exit code %d, want 0 (graceful)", code)
		}
	})
}

func TestDisconnectCleans(t *testing.T) {
	c, addr := startController(t, nil)
	ctx := context.Background()
	client, disconnect := dial(t, addr, false)
	cl, err := client.CreateClusterKeepClusterName(ctx, "5.3.6", clusterXML("rc-disconnect", 0))
	if err != nil {
		t.Fatal(err)
	}
	m, err := client.StartMember(ctx, cl.ID)
	if err != nil {
		t.Fatal(err)
	}
	p := memberProc(t, c, cl.ID, m.UUID)
	disconnect()
	waitFor(t, "the member to stop after the client disconnected", 20*time.Second, p.exited)
	waitFor(t, "the cluster to be forgotten", 5*time.Second, func() bool { return len(c.clusterIDs()) == 0 })

	// Clean and exit do the same on demand.
	client2, _ := dial(t, addr, true)
	cl, err = client2.CreateCluster(ctx, "5.3.6", clusterXML("x", 0))
	if err != nil {
		t.Fatal(err)
	}
	m, err = client2.StartMember(ctx, cl.ID)
	if err != nil {
		t.Fatal(err)
	}
	p = memberProc(t, c, cl.ID, m.UUID)
	if ok, err := client2.Exit(ctx); !ok || err != nil {
		t.Fatalf("exit: %v, %v", ok, err)
	}
	if !p.exited() || len(c.clusterIDs()) != 0 {
		t.Fatal("exit left a member or a cluster behind")
	}
	if ok, err := client2.Ping(ctx); !ok || err != nil {
		t.Fatalf("ping after exit: %v, %v (the controller keeps serving)", ok, err)
	}
}

func TestCloseStopsMembers(t *testing.T) {
	c, addr := startController(t, nil)
	client, _ := dial(t, addr, false)
	ctx := context.Background()
	cl, err := client.CreateCluster(ctx, "5.3.6", clusterXML("x", 0))
	if err != nil {
		t.Fatal(err)
	}
	m, err := client.StartMember(ctx, cl.ID)
	if err != nil {
		t.Fatal(err)
	}
	p := memberProc(t, c, cl.ID, m.UUID)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if !p.exited() {
		t.Fatal("Close returned before the member exited")
	}
	if _, err := os.Stat(c.opts.WorkDir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("work directory %s left behind: %v", c.opts.WorkDir, err)
	}
}

func TestMemberLogs(t *testing.T) {
	dir := t.TempDir()
	_, addr := startController(t, func(o *Options) { o.MemberLogDir = dir })
	client, _ := dial(t, addr, false)
	ctx := context.Background()
	cl, err := client.CreateClusterKeepClusterName(ctx, "5.3.6", clusterXML("rc-logs", 0))
	if err != nil {
		t.Fatal(err)
	}
	m, err := client.StartMember(ctx, cl.ID)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := client.ShutdownMember(ctx, cl.ID, m.UUID); !ok || err != nil {
		t.Fatalf("shutdownMember: %v, %v", ok, err)
	}
	path := filepath.Join(dir, "rc-logs-member-1.log")
	waitFor(t, "the member log", 5*time.Second, func() bool {
		data, _ := os.ReadFile(path)
		return strings.Contains(string(data), "member stopped")
	})
}

func TestMainFlags(t *testing.T) {
	var out strings.Builder
	if code := Main([]string{"-no-such-flag"}, &out, &out); code != 2 {
		t.Errorf("bad flag: exit %d, want 2", code)
	}
	if code := Main([]string{"-h"}, &out, &out); code != 0 {
		t.Errorf("-h: exit %d, want 0", code)
	}
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	if code := Main([]string{"-addr", busy.Addr().String(), "-member-binary", filbertBinary}, &out, &out); code != 1 {
		t.Errorf("busy address: exit %d, want 1", code)
	}
}
