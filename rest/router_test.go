package rest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/filbert/filbert/config"
)

// fakeBackend records calls and answers from its fields.
type fakeBackend struct {
	mu        sync.Mutex
	state     string
	health    HealthInfo
	cluster   ClusterInfo
	statuses  []BackupStatus
	err       error // returned by the blocking calls when set
	calls     []string
	nextSeq   int64
	sawCtxDDL bool
	// backupHook, when set, runs at the start of HotBackup.
	backupHook func(ctx context.Context, seq int64) error
}

func newFakeBackend() *fakeBackend {
	return &fakeBackend{
		state:  StateActive,
		health: HealthInfo{NodeState: NodeActive, Ready: true, ClusterSafe: true},
		cluster: ClusterInfo{Members: []MemberInfo{
			{Host: "127.0.0.1", Port: 5701, UUID: "u1", Version: "5.3.6", Local: true},
			{Host: "127.0.0.1", Port: 5702, UUID: "u2", Version: "5.3.6"},
		}, ClientConnections: 1, AllConnections: 3},
		nextSeq: 1000,
	}
}

func (f *fakeBackend) record(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, fmt.Sprintf(format, args...))
}

func (f *fakeBackend) Authenticate(name, password string) bool {
	return CheckCredentials(&config.Config{ClusterName: "dev"}, name, password)
}
func (f *fakeBackend) InstanceName() string { return "filbert-1" }
func (f *fakeBackend) ClusterState() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.state
}
func (f *fakeBackend) ChangeClusterState(ctx context.Context, state string) error {
	f.record("ChangeClusterState %s", state)
	if f.err != nil {
		return f.err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	_, f.sawCtxDDL = ctx.Deadline()
	f.state = state
	return nil
}
func (f *fakeBackend) Cluster() ClusterInfo { return f.cluster }
func (f *fakeBackend) Health() HealthInfo   { return f.health }
func (f *fakeBackend) HotBackup(ctx context.Context, seq int64) (int64, error) {
	f.record("HotBackup %d", seq)
	if f.backupHook != nil {
		if err := f.backupHook(ctx, seq); err != nil {
			return 0, err
		}
	}
	if f.err != nil {
		return 0, f.err
	}
	if seq < 0 {
		seq = f.nextSeq
	}
	return seq, nil
}
func (f *fakeBackend) InterruptBackup(ctx context.Context) error {
	f.record("InterruptBackup")
	return f.err
}
func (f *fakeBackend) BackupStatus(ctx context.Context) ([]BackupStatus, error) {
	f.record("BackupStatus")
	return f.statuses, f.err
}

// allGroups enables every group the router serves.
func allGroups() config.RESTConfig {
	return config.RESTConfig{Enabled: true, EndpointGroups: map[string]bool{
		config.RESTClusterRead: true, config.RESTClusterWrite: true, config.RESTPersistence: true, config.RESTHealthCheck: true,
	}}
}

// do sends one request through Handle.
func do(t *testing.T, r *Router, method, target, body string) Response {
	t.Helper()
	raw := method + " " + target + " HTTP/1.1\r\nHost: x\r\n"
	if body != "" {
		raw += fmt.Sprintf("Content-Length: %d\r\n", len(body))
	}
	raw += "\r\n" + body
	req, n, err := Parse([]byte(raw))
	if err != nil || n != len(raw) {
		t.Fatalf("Parse(%q) = %v, %d, %v", raw, req, n, err)
	}
	return r.Handle(context.Background(), req)
}

type exchange struct {
	method, target, body string
	status               int
	respBody             string // exact body, or a substring when it starts with "~"
	calls                []string
}

func check(t *testing.T, r *Router, f *fakeBackend, ex exchange) {
	t.Helper()
	f.mu.Lock()
	f.calls = nil
	f.mu.Unlock()
	resp := do(t, r, ex.method, ex.target, ex.body)
	got := string(resp.Body)
	if resp.Status != ex.status {
		t.Errorf("%s %s %q: status %d, want %d (body %s)", ex.method, ex.target, ex.body, resp.Status, ex.status, got)
	}
	if sub, ok := strings.CutPrefix(ex.respBody, "~"); ok {
		if !strings.Contains(got, sub) {
			t.Errorf("%s %s %q: body %q does not contain %q", ex.method, ex.target, ex.body, got, sub)
		}
	} else if got != ex.respBody {
		t.Errorf("%s %s %q: body %q, want %q", ex.method, ex.target, ex.body, got, ex.respBody)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if strings.Join(f.calls, "; ") != strings.Join(ex.calls, "; ") {
		t.Errorf("%s %s %q: backend calls %q, want %q", ex.method, ex.target, ex.body, f.calls, ex.calls)
	}
}

func TestRouterClusterRead(t *testing.T) {
	f := newFakeBackend()
	r := NewRouter(allGroups(), f)
	for _, ex := range []exchange{
		{method: "GET", target: PathClusterState, status: 200, respBody: `{"status":"success","state":"active"}`},
		{method: "GET", target: PathClusterState + "/", status: 200, respBody: `{"status":"success","state":"active"}`},
		{method: "POST", target: PathClusterState, body: "dev&", status: 200, respBody: `{"status":"success","state":"active"}`},
		{method: "POST", target: PathClusterState, body: "dev", status: 400,
			respBody: `{"status":"fail","message":"This endpoint expects at least 2 parameters"}`},
		{method: "POST", target: PathClusterState, body: "prod&", status: 403, respBody: `{"status":"forbidden","message":"unauthenticated"}`},
		{method: "GET", target: PathCluster, status: 200, respBody: `{"members":[` +
			`{"address":"[127.0.0.1]:5701","liteMember":false,"localMember":true,"uuid":"u1","memberVersion":"5.3.6"},` +
			`{"address":"[127.0.0.1]:5702","liteMember":false,"localMember":false,"uuid":"u2","memberVersion":"5.3.6"}],` +
			`"connectionCount":1,"allConnectionCount":3}`},
		{method: "GET", target: PathInstance, status: 200, respBody: `{"name":"filbert-1"}`},
		{method: "DELETE", target: PathInstance, status: 405, respBody: "~DELETE is not allowed on /hazelcast/rest/instance (allowed: GET, HEAD)"},
	} {
		check(t, r, f, ex)
	}
}

func TestRouterChangeState(t *testing.T) {
	f := newFakeBackend()
	r := NewRouter(allGroups(), f)
	for _, ex := range []exchange{
		{method: "POST", target: PathChangeClusterState, body: "dev&&frozen", status: 200,
			respBody: `{"status":"success","state":"frozen"}`, calls: []string{"ChangeClusterState FROZEN"}},
		// Already FROZEN: Hazelcast answers fail with the state.
		{method: "POST", target: PathChangeClusterState, body: "dev&&FROZEN", status: 200,
			respBody: `{"status":"fail","state":"frozen"}`},
		{method: "POST", target: PathChangeClusterState, body: "dev&pw&No_Migration\r\n", status: 200,
			respBody: `{"status":"success","state":"no_migration"}`, calls: []string{"ChangeClusterState NO_MIGRATION"}},
		{method: "POST", target: PathChangeClusterState, body: "d%65v&&%50ASSIVE", status: 200,
			respBody: `{"status":"success","state":"passive"}`, calls: []string{"ChangeClusterState PASSIVE"}},
		{method: "POST", target: PathChangeClusterState, body: "dev&&sleepy", status: 400,
			respBody: `{"status":"fail","message":"unknown cluster state \"sleepy\" (ACTIVE, NO_MIGRATION, FROZEN or PASSIVE)"}`},
		{method: "POST", target: PathChangeClusterState, body: "dev&&in_transition", status: 400,
			respBody: "~cannot be requested"},
		{method: "POST", target: PathChangeClusterState, body: "dev&&", status: 400, respBody: "~unknown cluster state"},
		{method: "POST", target: PathChangeClusterState, body: "dev&", status: 400,
			respBody: `{"status":"fail","message":"This endpoint expects at least 3 parameters"}`},
		{method: "POST", target: PathChangeClusterState, status: 400, respBody: "~expects at least 3 parameters"},
		{method: "POST", target: PathChangeClusterState, body: "dev&&%zz", status: 400, respBody: "~parameter 3"},
		{method: "POST", target: PathChangeClusterState, body: "qa&&active", status: 403,
			respBody: `{"status":"forbidden","message":"unauthenticated"}`},
		{method: "GET", target: PathChangeClusterState, status: 405, respBody: "~allowed: POST"},
	} {
		check(t, r, f, ex)
	}
	if !f.sawCtxDDL {
		t.Error("ChangeClusterState got a context without deadline")
	}

	f.err = fmt.Errorf("member 127.0.0.1:5702 refused: %w", ErrConflict)
	check(t, r, f, exchange{method: "POST", target: PathChangeClusterState, body: "dev&&active", status: 409,
		respBody: `{"status":"fail","message":"changing cluster state to ACTIVE: member 127.0.0.1:5702 refused: conflict"}`,
		calls:    []string{"ChangeClusterState ACTIVE"}})
	f.err = errors.New("timed out")
	check(t, r, f, exchange{method: "POST", target: PathChangeClusterState, body: "dev&&active", status: 500,
		respBody: "~timed out", calls: []string{"ChangeClusterState ACTIVE"}})
}

func TestRouterBackup(t *testing.T) {
	f := newFakeBackend()
	r := NewRouter(allGroups(), f)
	for _, ex := range []exchange{
		{method: "POST", target: PathBackup, body: "dev&", status: 200, respBody: `{"status":"success","sequence":1000}`,
			calls: []string{"HotBackup -1"}},
		{method: "POST", target: PathBackup, body: "dev&&42", status: 200, respBody: `{"status":"success","sequence":42}`,
			calls: []string{"HotBackup 42"}},
		{method: "POST", target: PathBackup + "?seq=43", body: "dev&", status: 200, respBody: `{"status":"success","sequence":43}`,
			calls: []string{"HotBackup 43"}},
		{method: "POST", target: PathBackup + "?seq=44", body: "dev&&44", status: 200, respBody: `{"status":"success","sequence":44}`,
			calls: []string{"HotBackup 44"}},
		{method: "POST", target: PathBackup + "?seq=44", body: "dev&&45", status: 400, respBody: `{"status":"fail","message":"conflicting backup sequences: 45 in the body, 44 in ?seq="}`},
		{method: "POST", target: PathBackup, body: "dev&&-1", status: 400,
			respBody: `{"status":"fail","message":"backup sequence \"-1\" must be a non-negative integer"}`},
		{method: "POST", target: PathBackup + "?seq=x", body: "dev&", status: 400, respBody: "~must be a non-negative integer"},
		{method: "POST", target: PathBackup, body: "dev", status: 400, respBody: "~expects at least 2 parameters"},
		{method: "POST", target: PathBackup, body: "nope&", status: 403, respBody: `{"status":"forbidden","message":"unauthenticated"}`},
		{method: "POST", target: PathHotBackup, body: "dev&", status: 200, respBody: `{"status":"success","sequence":1000}`,
			calls: []string{"HotBackup -1"}},
		{method: "POST", target: PathBackupInterrupt, body: "dev&", status: 200, respBody: `{"status":"success"}`,
			calls: []string{"InterruptBackup"}},
		{method: "POST", target: PathHotBackupInterrupt, body: "dev&", status: 200, respBody: `{"status":"success"}`,
			calls: []string{"InterruptBackup"}},
		{method: "POST", target: PathBackupInterrupt, body: "x&", status: 403, respBody: "~forbidden"},
		{method: "GET", target: PathBackup, status: 405, respBody: "~allowed: POST"},
		{method: "GET", target: PathBackupStatus, status: 200, respBody: `{"status":"success","members":[]}`,
			calls: []string{"BackupStatus"}},
	} {
		check(t, r, f, ex)
	}

	f.statuses = []BackupStatus{
		{Member: "127.0.0.1:5701", State: BackupInProgress, Completed: 1, Total: 4, Sequence: 7},
		{Member: "127.0.0.1:5702", State: BackupFailure, Completed: 0, Total: 4, Sequence: 7, Error: "disk full"},
	}
	want := `{"status":"success","members":[` +
		`{"member":"127.0.0.1:5701","state":"IN_PROGRESS","completed":1,"total":4,"sequence":7},` +
		`{"member":"127.0.0.1:5702","state":"FAILURE","completed":0,"total":4,"sequence":7,"error":"disk full"}]}`
	check(t, r, f, exchange{method: "GET", target: PathBackupStatus, status: 200, respBody: want, calls: []string{"BackupStatus"}})
	check(t, r, f, exchange{method: "POST", target: PathBackupStatus, body: "dev&", status: 200, respBody: want,
		calls: []string{"BackupStatus"}})
	check(t, r, f, exchange{method: "POST", target: PathBackupStatus, body: "x&", status: 403, respBody: "~forbidden"})
	var decoded BackupStatusResponse
	if err := json.Unmarshal([]byte(want), &decoded); err != nil || decoded.Members[1].Error != "disk full" {
		t.Errorf("BackupStatusResponse does not round-trip: %v %+v", err, decoded)
	}

	f.err = fmt.Errorf("backup-7 exists on 127.0.0.1:5702: %w", ErrBadRequest)
	check(t, r, f, exchange{method: "POST", target: PathBackup, body: "dev&&7", status: 400,
		respBody: `{"status":"fail","message":"starting hot backup: backup-7 exists on 127.0.0.1:5702: bad request"}`,
		calls:    []string{"HotBackup 7"}})
	f.err = errors.New("no backup-dir configured")
	check(t, r, f, exchange{method: "POST", target: PathBackupInterrupt, body: "dev&", status: 500,
		respBody: `{"status":"fail","message":"interrupting hot backup: no backup-dir configured"}`, calls: []string{"InterruptBackup"}})
	check(t, r, f, exchange{method: "GET", target: PathBackupStatus, status: 500,
		respBody: `{"status":"fail","message":"reading backup status: no backup-dir configured"}`, calls: []string{"BackupStatus"}})
}

func TestRouterDeprecatedPathsWarn(t *testing.T) {
	f := newFakeBackend()
	r := NewRouter(allGroups(), f)
	for _, p := range []string{PathHotBackup, PathHotBackupInterrupt} {
		resp := do(t, r, "POST", p, "dev&")
		if len(resp.Header) != 2 || resp.Header[0] != (Header{"Deprecation", "true"}) ||
			!strings.Contains(resp.Header[1].Value, "Please use /hazelcast/rest/management/cluster/backup") {
			t.Errorf("%s: headers %v", p, resp.Header)
		}
	}
	for _, p := range []string{PathBackup, PathBackupInterrupt} {
		if resp := do(t, r, "POST", p, "dev&"); len(resp.Header) != 0 {
			t.Errorf("%s: headers %v", p, resp.Header)
		}
	}
}

func TestRouterHealth(t *testing.T) {
	f := newFakeBackend()
	r := NewRouter(allGroups(), f)
	for _, ex := range []exchange{
		{method: "GET", target: PathHealth, status: 200,
			respBody: `{"nodeState":"ACTIVE","clusterState":"ACTIVE","clusterSafe":true,"migrationQueueSize":0,"clusterSize":2}`},
		{method: "GET", target: PathHealth + "/", status: 200, respBody: "~\"clusterSize\":2"},
		{method: "GET", target: PathHealth + "/ready", status: 200},
		{method: "GET", target: PathHealth + "/node-state", status: 200, respBody: `"ACTIVE"`},
		{method: "GET", target: PathHealth + "/cluster-state", status: 200, respBody: `"ACTIVE"`},
		{method: "GET", target: PathHealth + "/cluster-safe", status: 200},
		{method: "GET", target: PathHealth + "/migration-queue-size", status: 200, respBody: `0`},
		{method: "GET", target: PathHealth + "/cluster-size", status: 200, respBody: `2`},
		{method: "GET", target: PathHealth + "/bogus", status: 400, respBody: "~unknown health check"},
		{method: "POST", target: PathHealth, status: 405, respBody: "~allowed: GET, HEAD"},
	} {
		check(t, r, f, ex)
	}
	f.health = HealthInfo{NodeState: NodeShutDown, MigrationQueueSize: 3}
	f.state = StatePassive
	for _, ex := range []exchange{
		{method: "GET", target: PathHealth, status: 200,
			respBody: `{"nodeState":"SHUT_DOWN","clusterState":"PASSIVE","clusterSafe":false,"migrationQueueSize":3,"clusterSize":2}`},
		{method: "GET", target: PathHealth + "/ready", status: 503},
		{method: "GET", target: PathHealth + "/node-state", status: 503},
		{method: "GET", target: PathHealth + "/cluster-state", status: 200, respBody: `"PASSIVE"`},
		{method: "GET", target: PathHealth + "/cluster-safe", status: 503},
		{method: "GET", target: PathHealth + "/migration-queue-size", status: 200, respBody: `3`},
	} {
		check(t, r, f, ex)
	}
	f.health.NodeState = NodePassive
	check(t, r, f, exchange{method: "GET", target: PathHealth + "/node-state", status: 200, respBody: `"PASSIVE"`})
}

func TestRouterHead(t *testing.T) {
	f := newFakeBackend()
	r := NewRouter(allGroups(), f)
	resp := do(t, r, "HEAD", PathInstance, "")
	if resp.Status != 200 || !resp.OmitBody || len(resp.Body) == 0 {
		t.Fatalf("HEAD: %+v", resp)
	}
	raw := string(resp.AppendTo(nil))
	if !strings.HasSuffix(raw, "Content-Length: 20\r\n\r\n") {
		t.Errorf("HEAD bytes %q", raw)
	}
}

func TestRouterUnknownPaths(t *testing.T) {
	f := newFakeBackend()
	r := NewRouter(allGroups(), f)
	for _, p := range []string{"/", "/hazelcast", "/hazelcast/rest/maps/m/k", PathClusterState + "x",
		"/hazelcast/rest/management/cluster/forceStart", "/hazelcast/rest/management/cluster/clusterShutdown"} {
		check(t, r, f, exchange{method: "GET", target: p, status: 404, respBody: "~no REST endpoint at"})
		check(t, r, f, exchange{method: "POST", target: p, body: "dev&", status: 404, respBody: "~no REST endpoint at"})
	}
}

// TestRouterGroups checks every path against every group: served when its
// group is enabled, 403 naming the group otherwise, before credentials or
// method are looked at.
func TestRouterGroups(t *testing.T) {
	paths := map[string]string{
		PathClusterState:       config.RESTClusterRead,
		PathCluster:            config.RESTClusterRead,
		PathInstance:           config.RESTClusterRead,
		PathChangeClusterState: config.RESTClusterWrite,
		PathBackup:             config.RESTPersistence,
		PathHotBackup:          config.RESTPersistence,
		PathBackupInterrupt:    config.RESTPersistence,
		PathHotBackupInterrupt: config.RESTPersistence,
		PathBackupStatus:       config.RESTPersistence,
		PathHealth:             config.RESTHealthCheck,
		PathHealth + "/ready":  config.RESTHealthCheck,
		PathHealth + "/bogus":  config.RESTHealthCheck,
	}
	groups := []string{config.RESTClusterRead, config.RESTClusterWrite, config.RESTPersistence, config.RESTHealthCheck}
	for _, enabled := range groups {
		cfg := config.RESTConfig{Enabled: true, EndpointGroups: map[string]bool{}}
		for _, g := range groups {
			cfg.EndpointGroups[g] = g == enabled
		}
		f := newFakeBackend()
		r := NewRouter(cfg, f)
		for p, g := range paths {
			for _, method := range []string{"GET", "POST"} {
				resp := do(t, r, method, p, "wrong&")
				body := string(resp.Body)
				if g == enabled {
					if resp.Status == 403 && strings.Contains(body, "endpoint group") {
						t.Errorf("%s enabled: %s %s refused: %s", enabled, method, p, body)
					}
					continue
				}
				if resp.Status != 403 || !strings.Contains(body, "REST endpoint group is not enabled - "+g) ||
					!strings.Contains(body, `<endpoint-group name="`+g+`" enabled="true"/>`) {
					t.Errorf("%s enabled: %s %s: %d %s", enabled, method, p, resp.Status, body)
				}
			}
		}
		for _, c := range f.calls {
			if c != "BackupStatus" { // GET backupStatus needs no credentials
				t.Errorf("%s enabled: backend called with wrong credentials: %s", enabled, c)
			}
		}
	}

	// Defaults: CLUSTER_READ and HEALTH_CHECK on, the rest off.
	f := newFakeBackend()
	r := NewRouter(config.RESTConfig{Enabled: true}, f)
	check(t, r, f, exchange{method: "GET", target: PathInstance, status: 200, respBody: `{"name":"filbert-1"}`})
	check(t, r, f, exchange{method: "GET", target: PathHealth + "/cluster-size", status: 200, respBody: "2"})
	check(t, r, f, exchange{method: "POST", target: PathChangeClusterState, body: "dev&&frozen", status: 403,
		respBody: "~REST endpoint group is not enabled - CLUSTER_WRITE"})
	check(t, r, f, exchange{method: "POST", target: PathBackup, body: "dev&", status: 403,
		respBody: "~REST endpoint group is not enabled - PERSISTENCE"})

	// HOT_RESTART is the 4.x name of PERSISTENCE.
	xml := `<hazelcast><network><rest-api enabled="true">` +
		`<endpoint-group name="HOT_RESTART" enabled="true"/></rest-api></network></hazelcast>`
	parsed, _, err := config.Parse([]byte(xml), "test.xml", config.ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r = NewRouter(parsed.REST, f)
	check(t, r, f, exchange{method: "POST", target: PathHotBackup, body: "dev&", status: 200,
		respBody: `{"status":"success","sequence":1000}`, calls: []string{"HotBackup -1"}})

	// REST disabled altogether.
	r = NewRouter(config.RESTConfig{}, f)
	check(t, r, f, exchange{method: "GET", target: PathHealth, status: 403, respBody: "~REST API is not enabled"})
	check(t, r, f, exchange{method: "GET", target: "/nowhere", status: 404, respBody: "~no REST endpoint"})
}

func TestRouterConnectionHeaders(t *testing.T) {
	f := newFakeBackend()
	r := NewRouter(allGroups(), f)
	for _, tc := range []struct {
		raw              string
		close, keepAlive bool
	}{
		{"GET /hazelcast/health HTTP/1.1\r\n\r\n", false, false},
		{"GET /hazelcast/health HTTP/1.1\r\nConnection: close\r\n\r\n", true, false},
		{"GET /hazelcast/health HTTP/1.0\r\n\r\n", true, false},
		{"GET /hazelcast/health HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", false, true},
	} {
		req, _, err := Parse([]byte(tc.raw))
		if err != nil {
			t.Fatal(err)
		}
		resp := r.Handle(context.Background(), req)
		if resp.Close != tc.close || resp.KeepAlive != tc.keepAlive {
			t.Errorf("%q: close %v keep-alive %v", tc.raw, resp.Close, resp.KeepAlive)
		}
	}
}

func TestRouterServe(t *testing.T) {
	f := newFakeBackend()
	r := NewRouter(allGroups(), f)
	req, _, err := Parse([]byte("POST " + PathBackup + " HTTP/1.1\r\nContent-Length: 7\r\n\r\ndev&&99"))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan Response)
	r.Serve(context.Background(), req, func(resp Response) { done <- resp })
	if resp := <-done; resp.Status != 200 || string(resp.Body) != `{"status":"success","sequence":99}` {
		t.Errorf("Serve: %d %s", resp.Status, resp.Body)
	}
}

func TestParseClusterState(t *testing.T) {
	for in, want := range map[string]string{"active": "ACTIVE", " Frozen ": "FROZEN", "no_migration": "NO_MIGRATION",
		"PASSIVE": "PASSIVE"} {
		if got, err := ParseClusterState(in); err != nil || got != want {
			t.Errorf("ParseClusterState(%q) = %q, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "in_transition", "no-migration", "activ"} {
		if got, err := ParseClusterState(in); err == nil {
			t.Errorf("ParseClusterState(%q) = %q, want an error", in, got)
		}
	}
}

func TestCheckCredentials(t *testing.T) {
	open := &config.Config{ClusterName: "dev"}
	if !CheckCredentials(open, "dev", "anything") || CheckCredentials(open, "Dev", "") || CheckCredentials(open, "", "") {
		t.Error("security disabled: only the cluster name counts")
	}
	secured := &config.Config{ClusterName: "dev", Security: config.SecurityConfig{
		Enabled:              true,
		ClientAuthentication: "clients",
		Realms: map[string]config.RealmConfig{"clients": {Name: "clients", Authentication: config.AuthenticationSimple,
			Users: []config.SimpleUser{{Username: "admin", Password: "s3cret"}}}},
	}}
	if !CheckCredentials(secured, "admin", "s3cret") || CheckCredentials(secured, "admin", "wrong") ||
		CheckCredentials(secured, "dev", "") {
		t.Error("security enabled: user name and password must match a user")
	}
}
