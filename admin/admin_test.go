package admin

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/filbert/filbert/codec"
	"github.com/filbert/filbert/config"
	"github.com/filbert/filbert/rest"
)

func dialFake(t *testing.T, m *fakeMember) *Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := Dial(ctx, m.addr(), m.cluster, m.user, m.password)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestConnOperations(t *testing.T) {
	for _, noise := range []bool{false, true} {
		name := "plain"
		if noise {
			name = "events, stray responses and fragments"
		}
		t.Run(name, func(t *testing.T) {
			m := startFakeMember(t)
			m.noise = noise
			c := dialFake(t, m)
			ctx := testCtx(t)
			if c.Member.UUID != fakeMemberUUID || c.Member.ClusterID != fakeClusterID || c.Member.Version != "5.3.6" ||
				c.Member.Address != "127.0.0.1:5701" || c.Member.PartitionCount != 271 {
				t.Errorf("member %+v", c.Member)
			}
			md, err := c.ClusterMetadata(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if md.State != "ACTIVE" || md.MemberVersion != "5.3.6" || md.ClusterTime.UnixMilli() != 1700000000123 ||
				md.ClusterID != fakeClusterID {
				t.Errorf("metadata %+v", md)
			}
			if err := c.ChangeClusterState(ctx, "passive"); err != nil {
				t.Fatal(err)
			}
			if st, err := c.ClusterState(ctx); err != nil || st != "PASSIVE" {
				t.Errorf("ClusterState = %q, %v", st, err)
			}
			if err := c.ChangeClusterState(ctx, "No_Migration"); err != nil {
				t.Fatal(err)
			}
			if st, _ := c.ClusterState(ctx); st != "NO_MIGRATION" {
				t.Errorf("ClusterState = %q", st)
			}
			if err := c.TriggerBackup(ctx); err != nil {
				t.Fatal(err)
			}
			if err := c.InterruptBackup(ctx); err != nil {
				t.Fatal(err)
			}
			m.mu.Lock()
			defer m.mu.Unlock()
			if m.triggers != 1 || m.interrupts != 1 {
				t.Errorf("triggers %d interrupts %d", m.triggers, m.interrupts)
			}
			want := []int32{codec.ClientAuthenticationRequestType, codec.MCGetClusterMetadataRequestType,
				codec.MCChangeClusterStateRequestType, codec.MCGetClusterMetadataRequestType,
				codec.MCChangeClusterStateRequestType, codec.MCGetClusterMetadataRequestType,
				codec.MCTriggerHotRestartBackupRequestType, codec.MCInterruptHotRestartBackupRequestType}
			if len(m.types) != len(want) {
				t.Fatalf("requests %#x, want %#x", m.types, want)
			}
			for i := range want {
				if m.types[i] != want[i] {
					t.Errorf("request %d: %#x, want %#x", i, m.types[i], want[i])
				}
			}
		})
	}
}

func TestDialAuthentication(t *testing.T) {
	m := startFakeMember(t)
	ctx := testCtx(t)
	_, err := Dial(ctx, m.addr(), "prod", "", "")
	if !errors.Is(err, ErrAuthentication) || !strings.Contains(err.Error(), `wrong cluster name "prod"`) {
		t.Errorf("wrong cluster: %v", err)
	}
	m.user, m.password = "admin", "s3cret"
	if _, err := Dial(ctx, m.addr(), "dev", "admin", "nope"); !errors.Is(err, ErrAuthentication) {
		t.Errorf("wrong password: %v", err)
	}
	c, err := Dial(ctx, m.addr(), "dev", "admin", "s3cret")
	if err != nil {
		t.Fatalf("right credentials: %v", err)
	}
	c.Close()
}

func TestDialRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	if _, err := Dial(testCtx(t), addr, "dev", "", ""); err == nil || !strings.Contains(err.Error(), "connecting to "+addr) {
		t.Errorf("Dial = %v", err)
	}
}

func TestServerError(t *testing.T) {
	m := startFakeMember(t)
	c := dialFake(t, m)
	ctx := testCtx(t)
	msg := "Cluster state cannot be changed: a migration is running"
	m.mu.Lock()
	m.fail = &codec.ErrorHolder{ErrorCode: 22, ClassName: "java.lang.IllegalStateException", Message: &msg}
	m.mu.Unlock()
	err := c.ChangeClusterState(ctx, "frozen")
	var se *ServerError
	if !errors.As(err, &se) || se.Code != 22 || se.ClassName != "java.lang.IllegalStateException" || se.Message != msg {
		t.Fatalf("error %v", err)
	}
	want := "admin: changing cluster state to FROZEN: member error java.lang.IllegalStateException: " + msg
	if err.Error() != want {
		t.Errorf("error text %q, want %q", err, want)
	}
	for _, op := range []func(context.Context) error{c.TriggerBackup, c.InterruptBackup,
		func(ctx context.Context) error { _, err := c.ClusterState(ctx); return err }} {
		if err := op(ctx); !errors.As(err, &se) {
			t.Errorf("error %v", err)
		}
	}
	// An error response leaves the connection usable.
	m.mu.Lock()
	m.fail = nil
	m.mu.Unlock()
	if err := c.TriggerBackup(ctx); err != nil {
		t.Errorf("after an error response: %v", err)
	}
}

func TestChangeClusterStateRefusesBadStates(t *testing.T) {
	m := startFakeMember(t)
	c := dialFake(t, m)
	for _, s := range []string{"sleepy", "IN_TRANSITION", ""} {
		if err := c.ChangeClusterState(testCtx(t), s); err == nil {
			t.Errorf("ChangeClusterState(%q) succeeded", s)
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.types) != 1 {
		t.Errorf("requests sent for bad states: %#x", m.types)
	}
}

func TestCallCancelled(t *testing.T) {
	m := startFakeMember(t)
	c := dialFake(t, m)
	m.mu.Lock()
	m.hang = true
	m.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := c.TriggerBackup(ctx)
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
		t.Fatalf("TriggerBackup = %v after %v", err, time.Since(start))
	}
	ctx2, cancel2 := context.WithCancel(context.Background())
	cancel2()
	if err := c.InterruptBackup(ctx2); !errors.Is(err, ErrBroken) {
		t.Errorf("after a cancelled call: %v", err)
	}

	// Cancellation (not a deadline) interrupts a waiting call too.
	c2 := dialFake(t, m)
	ctx3, cancel3 := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel3)
	if err := c2.TriggerBackup(ctx3); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled call: %v", err)
	}
}

func TestMemberClosesConnection(t *testing.T) {
	m := startFakeMember(t)
	c := dialFake(t, m)
	m.mu.Lock()
	m.closeOnMC = true
	m.mu.Unlock()
	if err := c.TriggerBackup(testCtx(t)); err == nil || !strings.Contains(err.Error(), "reading response") {
		t.Errorf("TriggerBackup = %v", err)
	}
	if _, err := c.ClusterState(testCtx(t)); !errors.Is(err, ErrBroken) {
		t.Errorf("after the member closed: %v", err)
	}
}

func TestStateCodes(t *testing.T) {
	for code, name := range []string{"ACTIVE", "NO_MIGRATION", "FROZEN", "PASSIVE"} {
		if got := StateName(byte(code)); got != name {
			t.Errorf("StateName(%d) = %s", code, got)
		}
		if got, err := StateCode(strings.ToLower(name)); err != nil || got != int32(code) {
			t.Errorf("StateCode(%s) = %d, %v", name, got, err)
		}
	}
	if StateName(4) != "IN_TRANSITION" || StateName(9) != "UNKNOWN(9)" {
		t.Errorf("StateName(4), (9) = %s, %s", StateName(4), StateName(9))
	}
	if _, err := StateCode("in_transition"); err == nil {
		t.Error("IN_TRANSITION has a code to request")
	}
}

func TestRESTClient(t *testing.T) {
	m := startFakeMember(t)
	ctx := testCtx(t)
	rc := &RESTClient{Addr: m.addr(), Name: "dev"}
	if seq, err := rc.StartBackup(ctx, -1); err != nil || seq != 500 {
		t.Errorf("StartBackup(-1) = %d, %v", seq, err)
	}
	if seq, err := rc.StartBackup(ctx, 42); err != nil || seq != 42 {
		t.Errorf("StartBackup(42) = %d, %v", seq, err)
	}
	if st, err := rc.BackupStatus(ctx); err != nil || len(st) != 0 {
		t.Errorf("BackupStatus = %v, %v", st, err)
	}
	want := []rest.BackupStatus{{Member: "127.0.0.1:5701", State: rest.BackupInProgress, Completed: 1, Total: 2, Sequence: 42}}
	m.mu.Lock()
	m.statuses = [][]rest.BackupStatus{want}
	m.mu.Unlock()
	st, err := BackupStatus(ctx, m.addr())
	if err != nil || len(st) != 1 || st[0] != want[0] {
		t.Errorf("BackupStatus = %+v, %v", st, err)
	}

	// Wrong credentials.
	bad := &RESTClient{Addr: m.addr(), Name: "prod"}
	_, err = bad.StartBackup(ctx, -1)
	var re *RESTError
	if !errors.As(err, &re) || re.Status != 403 || re.Message != "unauthenticated" {
		t.Errorf("wrong credentials: %v", err)
	}
	// Group disabled.
	m.mu.Lock()
	m.rest = config.RESTConfig{Enabled: true}
	m.mu.Unlock()
	rc.HTTP = &http.Client{Transport: &http.Transport{}} // a new connection sees the new configuration
	_, err = rc.BackupStatus(ctx)
	if !errors.As(err, &re) || re.Status != 403 || !strings.Contains(re.Message, "PERSISTENCE") {
		t.Errorf("group disabled: %v", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.restSeqs) != 2 || m.restSeqs[0] != 500 || m.restSeqs[1] != 42 {
		t.Errorf("backups started %v", m.restSeqs)
	}
}

func TestRESTClientNotHTTP(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			nc.Close() // what a member without REST does
		}
	}()
	_, err = BackupStatus(testCtx(t), ln.Addr().String())
	if err == nil || !strings.Contains(err.Error(), `<rest-api enabled="true">`) {
		t.Errorf("BackupStatus = %v", err)
	}
}

func TestRenderProgress(t *testing.T) {
	st := []rest.BackupStatus{
		{Member: "127.0.0.1:5701", State: rest.BackupInProgress, Completed: 1, Total: 4, Sequence: 42},
		{Member: "10.0.0.12:5702", State: rest.BackupSuccess, Completed: 4, Total: 4, Sequence: 42},
		{Member: "h:5703", State: rest.BackupFailure, Completed: 2, Total: 4, Sequence: 42, Error: "disk full\nat x"},
		{Member: "h:5704", State: rest.BackupNoTask},
	}
	var b bytes.Buffer
	if err := RenderProgress(&b, st, false); err != nil {
		t.Fatal(err)
	}
	want := "127.0.0.1:5701 backup-42 IN_PROGRESS 1/4\n" +
		"10.0.0.12:5702 backup-42 SUCCESS 4/4\n" +
		"h:5703 backup-42 FAILURE 2/4: disk full at x\n" +
		"h:5704 - NO_TASK 0/0\n"
	if b.String() != want {
		t.Errorf("plain:\n%s\nwant:\n%s", b.String(), want)
	}
	b.Reset()
	if err := RenderProgress(&b, st, true); err != nil {
		t.Fatal(err)
	}
	want = "127.0.0.1:5701  backup-42  [#######.......................]  25%  1/4  IN_PROGRESS\x1b[K\n" +
		"10.0.0.12:5702  backup-42  [##############################] 100%  4/4  SUCCESS\x1b[K\n" +
		"h:5703          backup-42  [###############...............]  50%  2/4  FAILURE: disk full at x\x1b[K\n" +
		"h:5704          -          [..............................]   0%  0/0  NO_TASK\x1b[K\n"
	if b.String() != want {
		t.Errorf("terminal:\n%q\nwant:\n%q", b.String(), want)
	}
	b.Reset()
	RenderProgress(&b, nil, false)
	if b.String() != "no member reported a backup status\n" || ProgressLines(nil) != 1 || ProgressLines(st) != 4 {
		t.Errorf("empty: %q", b.String())
	}
	if BackupDone(st[:1]) || !BackupDone(st[1:]) || !BackupFailed(st) || BackupFailed(st[:2]) {
		t.Error("BackupDone/BackupFailed")
	}
}

// TestRESTClientDefaultsToCheckCredentials: the name defaults in
// restClient follow Hazelcast's rule (user name with security).
func TestRESTClientName(t *testing.T) {
	o := &options{cluster: "dev"}
	if rc := o.restClient(); rc.Name != "dev" {
		t.Errorf("name %q", rc.Name)
	}
	o.user, o.password = "admin", "pw"
	if rc := o.restClient(); rc.Name != "admin" || rc.Password != "pw" ||
		rc.credentials() != "admin&pw" {
		t.Errorf("client %+v", rc)
	}
	o.user = "a&b c"
	if got := o.restClient().credentials(); got != "a%26b+c&pw" {
		t.Errorf("credentials %q", got)
	}
	if !rest.CheckCredentials(&config.Config{ClusterName: "a&b c"}, "a&b c", "") {
		t.Error("CheckCredentials")
	}
}
