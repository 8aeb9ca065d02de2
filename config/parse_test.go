package config

import (
	"reflect"
	"strings"
	"testing"
)

// TestParseElements checks each supported element on a minimal file.
func TestParseElements(t *testing.T) {
	tests := []struct {
		name  string
		body  string
		check func(*Config) bool
	}{
		{"cluster-name", `<cluster-name> prod </cluster-name>`,
			func(c *Config) bool { return c.ClusterName == "prod" }},
		{"3.x group name", `<group><name>old</name></group>`,
			func(c *Config) bool { return c.ClusterName == "old" }},
		{"port with attributes", `<network><port auto-increment="false" port-count="5">5900</port></network>`,
			func(c *Config) bool {
				return c.Network.Port == 5900 && !c.Network.PortAutoIncrement && c.Network.PortCount == 5
			}},
		{"port only", `<network><port>0</port></network>`,
			func(c *Config) bool {
				return c.Network.Port == 0 && c.Network.PortAutoIncrement && c.Network.PortCount == 100
			}},
		{"public-address", `<network><public-address>example.com:6000</public-address></network>`,
			func(c *Config) bool { return c.Network.PublicAddress == "example.com:6000" }},
		{"multicast flag", `<network><join><multicast enabled="false"/></join></network>`,
			func(c *Config) bool { return !c.Network.Join.Multicast.Enabled }},
		{"tcp-ip member forms", `<network><join><tcp-ip enabled="true">
			<member>a</member><member>b:5702</member><member>c:5701-5703</member>
			<members>d, e;f
			g</members><interface>h</interface>
			<member-list><member>i</member><member>j,k</member></member-list>
			</tcp-ip></join></network>`,
			func(c *Config) bool {
				return c.Network.Join.TCPIP.Enabled && reflect.DeepEqual(c.Network.Join.TCPIP.Members,
					[]string{"a", "b:5702", "c:5701-5703", "d", "e", "f", "g", "h", "i", "j", "k"})
			}},
		{"tcp-ip booleans are xs:boolean", `<network><join><tcp-ip enabled="TRUE"/><multicast enabled="0"/></join></network>`,
			func(c *Config) bool { return c.Network.Join.TCPIP.Enabled && !c.Network.Join.Multicast.Enabled }},
		{"properties", `<properties><property name="a.b">1</property><property name=" c ">x y</property></properties>`,
			func(c *Config) bool { return c.Properties["a.b"] == "1" && c.Properties["c"] == "x y" }},
		{"map defaults", `<map name="m"/>`,
			func(c *Config) bool { return c.Maps["m"] == withName(DefaultMapConfig(), "m") }},
		{"map all fields", `<map name="m">
			<backup-count>3</backup-count><async-backup-count>2</async-backup-count>
			<read-backup-data>true</read-backup-data><time-to-live-seconds>10</time-to-live-seconds>
			<max-idle-seconds>20</max-idle-seconds><in-memory-format>object</in-memory-format>
			<eviction eviction-policy="lru" max-size-policy="PER_PARTITION" size="10000"/>
			<hot-restart enabled="true" fsync="false"/></map>`,
			func(c *Config) bool {
				return c.Maps["m"] == MapConfig{Name: "m", BackupCount: 3, AsyncBackupCount: 2, ReadBackupData: true,
					TTLSeconds: 10, MaxIdleSeconds: 20, InMemoryFormat: InMemoryObject,
					Eviction:    EvictionConfig{Policy: EvictionLRU, MaxSizePolicy: MaxSizePerPartition, Size: 10000},
					Persistence: MapPersistenceConfig{Enabled: true}}
			}},
		{"map NATIVE format", `<map name="m"><in-memory-format>NATIVE</in-memory-format></map>`,
			func(c *Config) bool { return c.Maps["m"].InMemoryFormat == InMemoryNative }},
		{"eviction partial attributes keep map defaults", `<map name="m"><eviction eviction-policy="RANDOM"/></map>`,
			func(c *Config) bool {
				e := c.Maps["m"].Eviction
				return e.Policy == EvictionRandom && e.MaxSizePolicy == MaxSizePerNode && e.Size == DefaultMapConfig().Eviction.Size
			}},
		{"data-persistence 5.x", `<map name="m"><data-persistence enabled="true" fsync="true"/></map>`,
			func(c *Config) bool {
				return c.Maps["m"].Persistence == MapPersistenceConfig{Enabled: true, Fsync: true}
			}},
		{"data-persistence wins over hot-restart", `<map name="m"><hot-restart enabled="true" fsync="true"/>
			<data-persistence enabled="true"/></map>`,
			func(c *Config) bool { return c.Maps["m"].Persistence == MapPersistenceConfig{Enabled: true} }},
		{"enabled hot-restart wins over disabled data-persistence", `<map name="m"><data-persistence enabled="false"/>
			<hot-restart enabled="true"><fsync>true</fsync></hot-restart></map>`,
			func(c *Config) bool {
				return c.Maps["m"].Persistence == MapPersistenceConfig{Enabled: true, Fsync: true}
			}},
		{"rest-api", `<network><rest-api enabled="true"><endpoint-group name="CLUSTER_WRITE" enabled="true"/>
			<endpoint-group name="cluster_read" enabled="false"/></rest-api></network>`,
			func(c *Config) bool {
				return c.REST.Enabled && c.REST.GroupEnabled("CLUSTER_WRITE") && !c.REST.GroupEnabled("CLUSTER_READ") &&
					c.REST.GroupEnabled("HEALTH_CHECK") && !c.REST.GroupEnabled("WAN")
			}},
		{"rest-api disabled disables every group", `<network><rest-api enabled="false">
			<endpoint-group name="CLUSTER_WRITE" enabled="true"/></rest-api></network>`,
			func(c *Config) bool {
				return !c.REST.GroupEnabled("CLUSTER_WRITE") && !c.REST.GroupEnabled("CLUSTER_READ")
			}},
		{"no namespace", `<cluster-name>plain</cluster-name>`,
			func(c *Config) bool { return c.ClusterName == "plain" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := hz(tt.body)
			if tt.name == "no namespace" {
				src = "<hazelcast>" + tt.body + "</hazelcast>"
			}
			c, _ := mustParse(t, src, ParseOptions{})
			if !tt.check(c) {
				t.Errorf("unexpected config: %+v", c)
			}
		})
	}
}

func TestVariables(t *testing.T) {
	src := hz(`<cluster-name>${CLUSTER}-${SUFFIX}</cluster-name>
<network><port port-count="${COUNT}">${PORT}</port>
<public-address>$ENV{HOST}</public-address></network>
<properties><property name="hazelcast.partition.count">${PARTITIONS}</property></properties>
<map name="${MAP}"><backup-count>${B}</backup-count></map>
<security enabled="true"><realms><realm name="r"><authentication><simple>
<user username="${USER}" password="${PASS}"/></simple></authentication></realm></realms>
<client-authentication realm="r"/></security>`)
	opts := ParseOptions{
		Lookup: env(map[string]string{"CLUSTER": "prod", "SUFFIX": "eu", "COUNT": "3", "PORT": "6000",
			"HOST": "h.example", "MAP": "orders", "B": "2", "USER": "u", "PASS": "p$", "PARTITIONS": "from-env"}),
		// System properties take precedence for ${NAME}, not for $ENV{NAME}.
		SystemProperties: map[string]string{"PARTITIONS": "31", "HOST": "ignored"},
	}
	c, _ := mustParse(t, src, opts)
	if c.ClusterName != "prod-eu" || c.Network.Port != 6000 || c.Network.PortCount != 3 ||
		c.Network.PublicAddress != "h.example" || c.PartitionCount() != 31 || c.Map("orders").BackupCount != 2 ||
		!c.Security.CheckClient("u", "p$") {
		t.Errorf("config = %+v", c)
	}

	// Literal dollars and unterminated placeholders are kept.
	c, _ = mustParse(t, hz(`<cluster-name>a$b${c</cluster-name>`), ParseOptions{})
	if c.ClusterName != "a$b${c" {
		t.Errorf("ClusterName = %q", c.ClusterName)
	}

	// The default Lookup is the environment.
	t.Setenv("FILBERT_TEST_CLUSTER", "from-env")
	c, _, err := Parse([]byte(hz(`<cluster-name>${FILBERT_TEST_CLUSTER}</cluster-name>`)), "x", ParseOptions{})
	if err != nil || c.ClusterName != "from-env" {
		t.Errorf("env lookup: %v, %v", c, err)
	}
}

func TestUndefinedVariables(t *testing.T) {
	src := hz(`<cluster-name>${A}</cluster-name>
<network><port port-count="${B}">5701</port></network>
<map name="m"><backup-count>
  ${C}
</backup-count></map>
<network-x attr="$ENV{D}"/>`)
	ve := parseErr(t, src, ParseOptions{})
	want := []string{
		`test.xml:2: <cluster-name> "${A}": undefined variable A`,
		`test.xml:3: <port port-count> "${B}": undefined variable B`,
		`test.xml:5: <backup-count> "${C}": undefined variable C`,
		`test.xml:7: <network-x attr> "$ENV{D}": undefined variable D`,
	}
	if got := strings.Split(ve.Error(), "\n"); !reflect.DeepEqual(got, want) {
		t.Errorf("errors:\n%s\nwant:\n%s", ve.Error(), strings.Join(want, "\n"))
	}
}

func TestMalformedXML(t *testing.T) {
	tests := []struct {
		name, src string
		line      int
		reason    string
	}{
		{"unclosed element", "<hazelcast>\n<network>\n<port>5701</port>\n</hazelcast>\n", 4, "malformed XML"},
		{"unexpected EOF", "<hazelcast>\n<network>\n", 3, "malformed XML"},
		{"bad attribute", "<hazelcast>\n\n<map name=orders/>\n</hazelcast>", 3, "malformed XML"},
		{"unknown entity", "<hazelcast>\n<cluster-name>&nope;</cluster-name>\n</hazelcast>", 2, "malformed XML"},
		{"empty input", "", 1, "malformed XML"},
		{"two roots", "<hazelcast/>\n<hazelcast/>", 2, "second root element"},
		{"text after root", "<hazelcast/>\ntrailing", 2, "text outside the root element"},
		{"unsupported encoding", "<?xml version=\"1.0\" encoding=\"EBCDIC\"?>\n<hazelcast/>", 1, "unsupported encoding"},
		{"wrong root", "<beans>\n</beans>", 1, "root element must be <hazelcast>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ve := parseErr(t, tt.src, ParseOptions{})
			if len(ve.Problems) != 1 {
				t.Fatalf("problems = %v", ve.Problems)
			}
			p := ve.Problems[0]
			if p.Line != tt.line || !strings.Contains(p.Reason, tt.reason) {
				t.Errorf("problem = %+v (line %d, want %d; reason want %q)", p, p.Line, tt.line, tt.reason)
			}
			if !strings.HasPrefix(ve.Error(), "test.xml:") {
				t.Errorf("Error() = %q", ve.Error())
			}
		})
	}
}

func TestLatin1(t *testing.T) {
	src := []byte("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<hazelcast>\n<cluster-name>caf\xe9</cluster-name>\n</hazelcast>")
	c, _, err := Parse(src, "latin1.xml", ParseOptions{})
	if err != nil || c.ClusterName != "café" {
		t.Errorf("latin1: %v, %v", c, err)
	}
}

func TestUnsupportedElementWarnings(t *testing.T) {
	src := hz(`<serialization><portable-version>0</portable-version></serialization>
<queue name="q"/>
<map name="m">
  <near-cache><eviction size="1"/></near-cache>
  <map-store enabled="false"/>
  <statistics-enabled>true</statistics-enabled>
</map>
<network><ssl enabled="false"/><join><kubernetes enabled="true"/></join></network>
<import resource="other.xml"/>`)
	_, w := mustParse(t, src, ParseOptions{})
	want := []string{
		"test.xml:2: <serialization> ignored: not supported by Filbert",
		"test.xml:3: <queue> ignored: not supported by Filbert",
		`test.xml:5: <near-cache> ignored: not supported by Filbert (map "m")`,
		`test.xml:6: <map-store> ignored (disabled): not supported by Filbert (map "m")`,
		`test.xml:7: <statistics-enabled> ignored: not supported by Filbert (map "m")`,
		"test.xml:9: <ssl> ignored (disabled): not supported by Filbert (network)",
		"test.xml:9: <kubernetes> ignored: not supported by Filbert (join)",
		"test.xml:10: <import> ignored: not supported by Filbert",
	}
	var got []string
	for _, x := range w {
		got = append(got, x.String())
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestInformationalWarnings(t *testing.T) {
	src := hz(`<group><name>g</name><password>x</password></group>
<map name="m"/>
<map name="m"/>
<map name="a*b*"/>
<properties><property name="p">1</property><property name="p">2</property></properties>
<persistence enabled="true"/>
<hot-restart-persistence enabled="true"/>`)
	c, w := mustParse(t, src, ParseOptions{})
	if c.ClusterName != "g" || c.Properties["p"] != "2" || c.Persistence.Element != "persistence" {
		t.Errorf("config = %+v", c)
	}
	wantSub := []string{
		"test.xml:2: <group> is Hazelcast 3.x syntax",
		"test.xml:2: <password> ignored",
		`test.xml:4: <map> "m" replaces the configuration at line 3`,
		`test.xml:5: <map> "a*b*": only the first '*' is a wildcard`,
		`test.xml:6: <property> "p" overrides the value set at line 6`,
		"test.xml:8: <hot-restart-persistence> ignored: <persistence> is enabled too",
	}
	if len(w) != len(wantSub) {
		t.Fatalf("warnings = %v", w)
	}
	for i, x := range w {
		// Order: document order, except the persistence choice made at the end.
		if !strings.HasPrefix(x.String(), wantSub[i]) {
			t.Errorf("warning %d = %q, want prefix %q", i, x.String(), wantSub[i])
		}
	}

	// <cluster-name> wins over <group><name>.
	c, w = mustParse(t, hz(`<cluster-name>a</cluster-name><group><name>b</name></group>`), ParseOptions{})
	if c.ClusterName != "a" || len(w) != 1 || !strings.Contains(w[0].Message, "<cluster-name> is also set") {
		t.Errorf("cluster-name vs group: %q, %v", c.ClusterName, w)
	}
}

func TestDuplicateElements(t *testing.T) {
	src := hz(`<network><port>5701</port></network>
<network><port>5702</port></network>
<map name="m"><backup-count>1</backup-count>
<backup-count>2</backup-count></map>`)
	ve := parseErr(t, src, ParseOptions{})
	want := []string{
		`test.xml:3: <network> "": duplicate element (first at line 2)`,
		`test.xml:5: <backup-count> "2": duplicate element (first at line 4) (map "m")`,
	}
	if got := strings.Split(ve.Error(), "\n"); !reflect.DeepEqual(got, want) {
		t.Errorf("errors:\n%s\nwant:\n%s", ve.Error(), strings.Join(want, "\n"))
	}
}

func TestPersistenceSpellings(t *testing.T) {
	tests := []struct {
		name        string
		body        string
		wantElement string
		wantEnabled bool
		wantBaseDir string
	}{
		{"5.x", `<persistence enabled="true"><base-dir>p</base-dir></persistence>`, "persistence", true, "p"},
		{"4.x", `<hot-restart-persistence enabled="true"/>`, "hot-restart-persistence", true, DefaultHotRestartBaseDir},
		{"5.x default base dir", `<persistence enabled="true"/>`, "persistence", true, DefaultPersistenceBaseDir},
		{"both enabled: persistence wins", `<hot-restart-persistence enabled="true"><base-dir>h</base-dir></hot-restart-persistence>
			<persistence enabled="true"><base-dir>p</base-dir></persistence>`, "persistence", true, "p"},
		{"only hot-restart enabled", `<persistence enabled="false"><base-dir>p</base-dir></persistence>
			<hot-restart-persistence enabled="true"><base-dir>h</base-dir></hot-restart-persistence>`, "hot-restart-persistence", true, "h"},
		{"both disabled: persistence", `<persistence enabled="false"/><hot-restart-persistence enabled="false"/>`, "persistence", false, DefaultPersistenceBaseDir},
		{"absent", ``, "", false, DefaultPersistenceBaseDir},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := mustParse(t, hz(tt.body), ParseOptions{})
			p := c.Persistence
			if p.Element != tt.wantElement || p.Enabled != tt.wantEnabled || p.BaseDir != tt.wantBaseDir {
				t.Errorf("Persistence = %+v", p)
			}
		})
	}

	// Values of the element not chosen are still parsed (and reported), but
	// not validated; the chosen one's lines are used.
	ve := parseErr(t, hz(`<hot-restart-persistence enabled="false"><parallelism>x</parallelism></hot-restart-persistence>
<persistence enabled="true"><parallelism>0</parallelism></persistence>`), ParseOptions{})
	want := []string{
		`test.xml:2: <parallelism> "x": must be an integer (<hot-restart-persistence>)`,
		`test.xml:3: <parallelism> "0": must be at least 1 (<persistence>)`,
	}
	if got := strings.Split(ve.Error(), "\n"); !reflect.DeepEqual(got, want) {
		t.Errorf("errors:\n%s\nwant:\n%s", ve.Error(), strings.Join(want, "\n"))
	}
}

func TestForeignNamespace(t *testing.T) {
	_, w := mustParse(t, `<hazelcast xmlns="http://www.hazelcast.com/schema/spring"/>`, ParseOptions{})
	if len(w) != 1 || !strings.Contains(w[0].Message, "namespace") {
		t.Errorf("warnings = %v", w)
	}
}
