package config

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// env returns a Lookup backed by m.
func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

// noEnv is a Lookup that finds nothing.
var noEnv = env(nil)

// mustParse parses src and fails the test on error.
func mustParse(t *testing.T, src string, opts ParseOptions) (*Config, []Warning) {
	t.Helper()
	if opts.Lookup == nil {
		opts.Lookup = noEnv
	}
	c, w, err := Parse([]byte(src), "test.xml", opts)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return c, w
}

// parseErr parses src, requires a *ValidationError and returns it.
func parseErr(t *testing.T, src string, opts ParseOptions) *ValidationError {
	t.Helper()
	if opts.Lookup == nil {
		opts.Lookup = noEnv
	}
	c, _, err := Parse([]byte(src), "test.xml", opts)
	if err == nil {
		t.Fatalf("Parse succeeded, want error; config %+v", c)
	}
	if c != nil {
		t.Errorf("Parse returned a config together with error %v", err)
	}
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("error %T %v is not a *ValidationError", err, err)
	}
	return ve
}

// hz wraps body in a namespaced <hazelcast> root that starts on line 1, so
// body line n is file line n+1.
func hz(body string) string {
	return `<hazelcast xmlns="http://www.hazelcast.com/schema/config">` + "\n" + body + "\n</hazelcast>\n"
}

func TestDefault(t *testing.T) {
	c := Default()
	if c.ClusterName != "dev" || c.Network.Port != 5701 || !c.Network.PortAutoIncrement || c.Network.PortCount != 100 {
		t.Errorf("network defaults: %+v, cluster %q", c.Network, c.ClusterName)
	}
	if !c.Network.Join.Multicast.Enabled || c.Network.Join.TCPIP.Enabled || c.Network.Join.TCPIP.ConnectionTimeoutSeconds != 5 {
		t.Errorf("join defaults: %+v", c.Network.Join)
	}
	if c.PartitionCount() != 271 {
		t.Errorf("PartitionCount = %d", c.PartitionCount())
	}
	if c.Persistence.Enabled || c.Security.Enabled || c.REST.Enabled {
		t.Errorf("persistence/security/rest enabled by default")
	}
	if err := c.Validate(); err != nil {
		t.Errorf("Default().Validate: %v", err)
	}
	if got := c.Map("anything"); !reflect.DeepEqual(got, withName(DefaultMapConfig(), "anything")) {
		t.Errorf("Map on Default = %+v", got)
	}

	// An empty file yields exactly Default (apart from Source).
	parsed, w := mustParse(t, `<hazelcast/>`, ParseOptions{})
	if len(w) != 0 {
		t.Errorf("warnings for empty file: %v", w)
	}
	parsed.Source = ""
	if !reflect.DeepEqual(parsed, Default()) {
		t.Errorf("empty file = %+v\nwant %+v", parsed, Default())
	}
}

func withName(mc MapConfig, name string) MapConfig {
	mc.Name = name
	return mc
}

func TestDefaultFile(t *testing.T) {
	c, w, err := LoadDefault(ParseOptions{Lookup: noEnv})
	if err != nil {
		t.Fatalf("LoadDefault: %v", err)
	}
	if len(w) != 0 {
		t.Errorf("default file has warnings: %v", w)
	}
	if c.Source != DefaultSource {
		t.Errorf("Source = %q", c.Source)
	}
	want := Default()
	want.Source = DefaultSource
	want.Network.Join.Multicast.Enabled = false
	want.Network.Join.TCPIP.Enabled = true
	want.Network.Join.TCPIP.Members = []string{"127.0.0.1"}
	want.Maps[DefaultMapName] = DefaultMapConfig()
	want.lines = c.lines
	if !reflect.DeepEqual(c, want) {
		t.Errorf("default file:\n got %+v\nwant %+v", c, want)
	}
	if got := c.Ports(); len(got) != 100 || got[0] != 5701 || got[99] != 5800 {
		t.Errorf("Ports = %v", got)
	}
	if addrs, err := c.Network.Join.TCPIP.Addresses(c.Network.Port); err != nil || !reflect.DeepEqual(addrs, []string{"127.0.0.1:5701"}) {
		t.Errorf("Addresses = %v, %v", addrs, err)
	}
	// Overrides apply to the default file too.
	c, _, err = LoadDefault(ParseOptions{SystemProperties: map[string]string{PropPartitionCount: "7"}})
	if err != nil || c.PartitionCount() != 7 {
		t.Errorf("LoadDefault with override: %v, %v", c, err)
	}
}

func TestRootHazelcastXMLIsDefault(t *testing.T) {
	root, err := os.ReadFile(filepath.Join("..", "hazelcast.xml"))
	if err != nil {
		t.Fatalf("read root hazelcast.xml: %v", err)
	}
	if !bytes.Equal(root, DefaultXML) {
		t.Errorf("../hazelcast.xml differs from config/default.xml; keep them byte-identical")
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "hazelcast.xml")
	if err := os.WriteFile(path, []byte(hz("<cluster-name>prod</cluster-name>")), 0o600); err != nil {
		t.Fatal(err)
	}
	c, _, err := Load(path, ParseOptions{})
	if err != nil || c.ClusterName != "prod" || c.Source != path {
		t.Fatalf("Load = %+v, %v", c, err)
	}

	if err := os.WriteFile(path, []byte(hz("<map name=\"m\"><backup-count>9</backup-count></map>")), 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err = Load(path, ParseOptions{})
	if err == nil || !strings.HasPrefix(err.Error(), path+":2: <backup-count> \"9\"") {
		t.Errorf("Load invalid file: %v", err)
	}

	_, _, err = Load(filepath.Join(dir, "missing.xml"), ParseOptions{})
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "missing.xml") {
		t.Errorf("Load missing file: %v", err)
	}
}

// TestHazelcast5File parses a complete, realistic Hazelcast 5 file.
func TestHazelcast5File(t *testing.T) {
	opts := ParseOptions{Lookup: env(map[string]string{
		"CLUSTER": "prod", "PUBLIC_HOST": "203.0.113.7", "APP_PASSWORD": "app-pw",
	})}
	c, w, err := Load(filepath.Join("testdata", "hazelcast-5.xml"), opts)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if c.ClusterName != "prod" {
		t.Errorf("ClusterName = %q", c.ClusterName)
	}
	n := c.Network
	if n.Port != 5701 || n.PortAutoIncrement || n.PortCount != 20 || n.PublicAddress != "203.0.113.7:5701" {
		t.Errorf("Network = %+v", n)
	}
	if got := c.Ports(); !reflect.DeepEqual(got, []int{5701}) {
		t.Errorf("Ports = %v", got)
	}
	tcp := n.Join.TCPIP
	wantMembers := []string{"10.0.0.1", "10.0.0.2:5702", "10.0.0.3:5701-5703", "10.0.0.4", "10.0.0.5", "10.0.0.6", "10.0.0.7", "10.0.0.8"}
	if !tcp.Enabled || !reflect.DeepEqual(tcp.Members, wantMembers) || tcp.RequiredMember != "10.0.0.1" || tcp.ConnectionTimeoutSeconds != 10 {
		t.Errorf("TCPIP = %+v", tcp)
	}
	if n.Join.Multicast.Enabled {
		t.Errorf("multicast enabled")
	}
	addrs, err := tcp.Addresses(5701)
	wantAddrs := []string{"10.0.0.1:5701", "10.0.0.2:5702", "10.0.0.3:5701", "10.0.0.3:5702", "10.0.0.3:5703",
		"10.0.0.4:5701", "10.0.0.5:5701", "10.0.0.6:5701", "10.0.0.7:5701", "10.0.0.8:5701"}
	if err != nil || !reflect.DeepEqual(addrs, wantAddrs) {
		t.Errorf("Addresses = %v, %v", addrs, err)
	}
	if c.PartitionCount() != 1013 || c.HeartbeatInterval() != 2*time.Second || c.Properties["hazelcast.logging.type"] != "slf4j" {
		t.Errorf("properties: %v", c.Properties)
	}
	if !c.REST.Enabled || !c.REST.GroupEnabled(RESTClusterWrite) || c.REST.GroupEnabled(RESTHealthCheck) ||
		!c.REST.GroupEnabled(RESTClusterRead) || !c.REST.GroupEnabled("PERSISTENCE") || c.REST.GroupEnabled(RESTData) {
		t.Errorf("REST = %+v", c.REST)
	}
	wantPersistence := PersistenceConfig{
		Element: "persistence", Enabled: true, BaseDir: "/var/lib/hazelcast/persistence",
		BackupDir: "/var/lib/hazelcast/backup", Parallelism: 4, ValidationTimeoutSeconds: 300,
		DataLoadTimeoutSeconds: 1200, ClusterDataRecoveryPolicy: RecoveryPartialMostComplete,
		AutoRemoveStaleData: false, RebalanceDelaySeconds: 30,
	}
	if c.Persistence != wantPersistence {
		t.Errorf("Persistence = %+v", c.Persistence)
	}
	if !c.Security.Enabled || !c.Security.CheckClient("app", "app-pw") || !c.Security.CheckClient("admin", "s3cret") ||
		c.Security.CheckClient("app", "wrong") || c.Security.CheckClient("nobody", "") {
		t.Errorf("Security = %+v", c.Security)
	}
	if roles := c.Security.Realms["clientRealm"].Users[0].Roles; !reflect.DeepEqual(roles, []string{"reader", "writer"}) {
		t.Errorf("roles = %v", roles)
	}

	orders := c.Map("orders")
	wantOrders := MapConfig{Name: "orders", BackupCount: 2, AsyncBackupCount: 1, ReadBackupData: true,
		TTLSeconds: 3600, MaxIdleSeconds: 600, InMemoryFormat: InMemoryObject,
		Eviction:    EvictionConfig{Policy: EvictionLRU, MaxSizePolicy: MaxSizePerNode, Size: 10000},
		Persistence: MapPersistenceConfig{Enabled: true, Fsync: true}}
	if orders != wantOrders {
		t.Errorf("Map(orders) = %+v", orders)
	}
	if got := c.Map("cache-users"); got.BackupCount != 0 || got.Eviction.Policy != EvictionLFU ||
		got.Eviction.MaxSizePolicy != MaxSizeUsedHeapPercentage || got.Eviction.Size != 25 || got.Name != "cache-users" {
		t.Errorf("Map(cache-users) = %+v", got)
	}
	if got := c.Map("other"); got.BackupCount != 1 || got.Eviction.Size != 0 || got.Eviction.Policy != EvictionNone {
		t.Errorf("Map(other) = %+v", got)
	}

	// One warning per unsupported element, with its line.
	wantWarn := map[string]int{
		"instance-name": 9, "management-center": 17, "outbound-ports": 22, "auto-detection": 26,
		"multicast-group": 28, "interfaces": 43, "client-permissions": 81, "serialization": 86,
		"map-store": 104, "indexes": 107, "near-cache": 120, "queue": 125, "ringbuffer": 128,
		"cp-subsystem": 132, "sql": 136, "jet": 140,
	}
	got := map[string]int{}
	for _, x := range w {
		if _, dup := got[x.Element]; dup {
			t.Errorf("two warnings for <%s>", x.Element)
		}
		got[x.Element] = x.Line
		if x.Source != filepath.Join("testdata", "hazelcast-5.xml") {
			t.Errorf("warning source %q", x.Source)
		}
	}
	if !reflect.DeepEqual(got, wantWarn) {
		t.Errorf("warnings (element: line) = %v\nwant %v\nall: %v", got, wantWarn, w)
	}
}

// TestHazelcast4File parses Hazelcast 4 spellings: hot-restart-persistence,
// per-map hot-restart with an <fsync> element, identity-based security.
func TestHazelcast4File(t *testing.T) {
	c, w, err := Load(filepath.Join("testdata", "hazelcast-4.xml"), ParseOptions{Lookup: noEnv})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if len(w) != 0 {
		t.Errorf("warnings: %v", w)
	}
	if c.ClusterName != "legacy" || c.Network.Port != 5801 || !c.Network.PortAutoIncrement || !c.Network.Join.Multicast.Enabled {
		t.Errorf("config = %+v", c)
	}
	want := PersistenceConfig{Element: "hot-restart-persistence", Enabled: true, BaseDir: "/data/hot-restart",
		Parallelism: 2, ValidationTimeoutSeconds: 60, DataLoadTimeoutSeconds: 600,
		ClusterDataRecoveryPolicy: RecoveryPartialMostRecent, AutoRemoveStaleData: true}
	if c.Persistence != want {
		t.Errorf("Persistence = %+v", c.Persistence)
	}
	if got := c.Map("sessions@user-17"); got.Persistence != (MapPersistenceConfig{Enabled: true, Fsync: true}) ||
		got.AsyncBackupCount != 1 || got.BackupCount != 0 || got.Name != "sessions" {
		t.Errorf("Map(sessions@user-17) = %+v", got)
	}
	s := c.Security
	if !s.CheckClient("member", "member-pw") || s.CheckClient("member", "x") {
		t.Errorf("identity check failed: %+v", s)
	}
}

func TestPorts(t *testing.T) {
	tests := []struct {
		port, count int
		auto        bool
		want        []int
	}{
		{5701, 3, true, []int{5701, 5702, 5703}},
		{5701, 3, false, []int{5701}},
		{0, 100, true, []int{0}},
		{65534, 100, true, []int{65534, 65535}},
		{5701, 1, true, []int{5701}},
	}
	for _, tt := range tests {
		c := Default()
		c.Network.Port, c.Network.PortCount, c.Network.PortAutoIncrement = tt.port, tt.count, tt.auto
		if got := c.Ports(); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Ports(%d, %d, %v) = %v, want %v", tt.port, tt.count, tt.auto, got, tt.want)
		}
	}
}

func TestDefaultMapConfig(t *testing.T) {
	mc := DefaultMapConfig()
	if mc.BackupCount != 1 || mc.AsyncBackupCount != 0 || mc.ReadBackupData || mc.TTLSeconds != 0 ||
		mc.MaxIdleSeconds != 0 || mc.InMemoryFormat != InMemoryBinary || mc.Eviction.Policy != EvictionNone ||
		mc.Eviction.MaxSizePolicy != MaxSizePerNode || mc.Eviction.Size != math.MaxInt32 || mc.Persistence.Enabled {
		t.Errorf("DefaultMapConfig = %+v", mc)
	}
}
