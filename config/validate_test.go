package config

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// TestValidationErrors checks that every invalid value stops parsing with a
// message naming element, value and line. Body line n is file line n+1.
func TestValidationErrors(t *testing.T) {
	tests := []struct {
		name string
		body string
		want string // the whole error message
	}{
		{"backup-count 7", `<map name="m">
<backup-count>7</backup-count></map>`,
			`test.xml:3: <backup-count> "7": must be between 0 and 6 (map "m")`},
		{"async-backup-count 7", `<map name="m"><async-backup-count>7</async-backup-count></map>`,
			`test.xml:2: <async-backup-count> "7": must be between 0 and 6 (map "m")`},
		{"sync + async above 6", `<map name="m">
<backup-count>4</backup-count>
<async-backup-count>3</async-backup-count></map>`,
			`test.xml:4: <async-backup-count> "3": backup-count (4) + async-backup-count (3) must not exceed 6 (map "m")`},
		{"negative backup-count", `<map name="m"><backup-count>-1</backup-count></map>`,
			`test.xml:2: <backup-count> "-1": must be between 0 and 6 (map "m")`},
		{"negative ttl", `<map name="m"><time-to-live-seconds>-5</time-to-live-seconds></map>`,
			`test.xml:2: <time-to-live-seconds> "-5": must be between 0 and 2147483647 (map "m")`},
		{"negative max-idle", `<map name="m"><max-idle-seconds>-5</max-idle-seconds></map>`,
			`test.xml:2: <max-idle-seconds> "-5": must be between 0 and 2147483647 (map "m")`},
		{"negative eviction size", `<map name="m"><eviction size="-1"/></map>`,
			`test.xml:2: <eviction size> "-1": must be between 0 and 2147483647 (map "m")`},
		{"non-numeric backup-count", `<map name="m"><backup-count>two</backup-count></map>`,
			`test.xml:2: <backup-count> "two": must be an integer (map "m")`},
		{"overflowing ttl", `<map name="m"><time-to-live-seconds>99999999999</time-to-live-seconds></map>`,
			`test.xml:2: <time-to-live-seconds> "99999999999": must be between -2147483648 and 2147483647 (map "m")`},
		{"non-boolean read-backup-data", `<map name="m"><read-backup-data>yes</read-backup-data></map>`,
			`test.xml:2: <read-backup-data> "yes": must be true or false (map "m")`},
		{"unknown in-memory-format", `<map name="m">

<in-memory-format>COMPRESSED</in-memory-format></map>`,
			`test.xml:4: <in-memory-format> "COMPRESSED": must be one of BINARY, OBJECT, NATIVE (map "m")`},
		{"unknown eviction policy", `<map name="m"><eviction eviction-policy="MRU"/></map>`,
			`test.xml:2: <eviction eviction-policy> "MRU": must be one of NONE, LRU, LFU, RANDOM (map "m")`},
		{"unknown max-size policy", `<map name="m"><eviction max-size-policy="ENTRY_COUNT"/></map>`,
			`test.xml:2: <eviction max-size-policy> "ENTRY_COUNT": must be one of PER_NODE, PER_PARTITION, USED_HEAP_SIZE, USED_HEAP_PERCENTAGE, FREE_HEAP_SIZE, FREE_HEAP_PERCENTAGE, USED_NATIVE_MEMORY_SIZE, USED_NATIVE_MEMORY_PERCENTAGE, FREE_NATIVE_MEMORY_SIZE, FREE_NATIVE_MEMORY_PERCENTAGE (map "m")`},
		{"map without name", `<map><backup-count>1</backup-count></map>`,
			`test.xml:2: <map name> "": a map configuration needs a name`},
		{"non-numeric port", `<network>
<port>57O1</port></network>`,
			`test.xml:3: <port> "57O1": must be a port number between 0 and 65535`},
		{"port above 65535", `<network><port>65536</port></network>`,
			`test.xml:2: <port> "65536": must be a port number between 0 and 65535 (0 = any free port)`},
		{"negative port", `<network><port>-1</port></network>`,
			`test.xml:2: <port> "-1": must be a port number between 0 and 65535 (0 = any free port)`},
		{"empty port", `<network><port auto-increment="false"/></network>`,
			`test.xml:2: <port> "": must be a port number between 0 and 65535`},
		{"port-count 0", `<network><port port-count="0">5701</port></network>`,
			`test.xml:2: <port port-count> "0": must be at least 1`},
		{"non-numeric port-count", `<network><port port-count="many">5701</port></network>`,
			`test.xml:2: <port port-count> "many": must be an integer`},
		{"non-boolean auto-increment", `<network><port auto-increment="on">5701</port></network>`,
			`test.xml:2: <port auto-increment> "on": must be true or false`},
		{"empty cluster-name", `<cluster-name/>`,
			`test.xml:2: <cluster-name> "": must not be empty`},
		{"bad tcp-ip member", `<network><join><tcp-ip enabled="true">
<member>10.0.0.1:5703-5701</member></tcp-ip></join></network>`,
			`test.xml:3: <member> "10.0.0.1:5703-5701": port "5703-5701": range end is below its start (tcp-ip)`},
		{"member port out of range", `<network><join><tcp-ip enabled="true"><members>a,b:70000</members></tcp-ip></join></network>`,
			`test.xml:2: <member> "b:70000": port "70000": must be between 1 and 65535 (tcp-ip)`},
		{"empty member", `<network><join><tcp-ip enabled="true"><member> </member></tcp-ip></join></network>`,
			`test.xml:2: <member> "": must name at least one member (tcp-ip)`},
		{"negative connection timeout", `<network><join><tcp-ip connection-timeout-seconds="-1"/></join></network>`,
			`test.xml:2: <tcp-ip connection-timeout-seconds> "-1": must not be negative`},
		{"partition count 0", `<properties>
<property name="hazelcast.partition.count">0</property></properties>`,
			`test.xml:3: <property name="hazelcast.partition.count"> "0": must be at least 1`},
		{"non-numeric partition count", `<properties><property name="hazelcast.partition.count">many</property></properties>`,
			`test.xml:2: <property name="hazelcast.partition.count"> "many": must be an integer`},
		{"non-boolean known property", `<properties><property name="hazelcast.operation.fail.on.indeterminate.state">maybe</property></properties>`,
			`test.xml:2: <property name="hazelcast.operation.fail.on.indeterminate.state"> "maybe": must be true or false`},
		{"property without name", `<properties><property>1</property></properties>`,
			`test.xml:2: <property name> "": a property needs a name`},
		{"parallelism 0", `<persistence enabled="true">
<parallelism>0</parallelism></persistence>`,
			`test.xml:3: <parallelism> "0": must be at least 1 (<persistence>)`},
		{"hot-restart parallelism -2", `<hot-restart-persistence enabled="true"><parallelism>-2</parallelism></hot-restart-persistence>`,
			`test.xml:2: <parallelism> "-2": must be at least 1 (<hot-restart-persistence>)`},
		{"unknown recovery policy", `<persistence enabled="true">
<cluster-data-recovery-policy>BEST_EFFORT</cluster-data-recovery-policy></persistence>`,
			`test.xml:3: <cluster-data-recovery-policy> "BEST_EFFORT": must be one of FULL_RECOVERY_ONLY, PARTIAL_RECOVERY_MOST_RECENT, PARTIAL_RECOVERY_MOST_COMPLETE (<persistence>)`},
		{"negative validation timeout", `<persistence enabled="false"><validation-timeout-seconds>-1</validation-timeout-seconds></persistence>`,
			`test.xml:2: <validation-timeout-seconds> "-1": must not be negative (<persistence>)`},
		{"negative data load timeout", `<persistence enabled="true"><data-load-timeout-seconds>-1</data-load-timeout-seconds></persistence>`,
			`test.xml:2: <data-load-timeout-seconds> "-1": must not be negative (<persistence>)`},
		{"empty base dir", `<persistence enabled="true"><base-dir> </base-dir></persistence>`,
			`test.xml:2: <base-dir> "": must not be empty when persistence is enabled (<persistence>)`},
		{"non-boolean auto-remove-stale-data", `<persistence enabled="true"><auto-remove-stale-data>often</auto-remove-stale-data></persistence>`,
			`test.xml:2: <auto-remove-stale-data> "often": must be true or false (<persistence>)`},
		{"unknown REST group", `<network><rest-api enabled="true">
<endpoint-group name="EVERYTHING" enabled="true"/></rest-api></network>`,
			`test.xml:3: <endpoint-group name> "EVERYTHING": unknown REST endpoint group (known: CLUSTER_READ, CLUSTER_WRITE, HEALTH_CHECK, PERSISTENCE, HOT_RESTART, WAN, DATA, CP)`},
		{"REST group without enabled", `<network><rest-api enabled="true"><endpoint-group name="WAN"/></rest-api></network>`,
			`test.xml:2: <endpoint-group enabled> "WAN": is required`},
		{"undefined client realm", `<security enabled="true">
<client-authentication realm="missing"/></security>`,
			`test.xml:3: <client-authentication realm> "missing": no <realm> with this name is defined`},
		{"unsupported authentication", `<security enabled="true"><realms><realm name="r"><authentication>
<ldap><url>ldap://x</url></ldap></authentication></realm></realms>
<client-authentication realm="r"/></security>`,
			`test.xml:4: <client-authentication realm> "r": realm uses <ldap> authentication, which Filbert does not support (use <simple>)`},
		{"user without password", `<security enabled="true"><realms><realm name="r"><authentication><simple>
<user username="u"/></simple></authentication></realm></realms></security>`,
			`test.xml:3: <user password> "": is required (realm "r")`},
		{"authentication without realm", `<security enabled="true"><client-authentication/></security>`,
			`test.xml:2: <client-authentication realm> "": a realm name is required`},
		{"realm without name", `<security><realms><realm/></realms></security>`,
			`test.xml:2: <realm name> "": a realm needs a name`},
		{"identity without password", `<security><realms><realm name="r"><identity>
<username-password username="u"/></identity></realm></realms></security>`,
			`test.xml:3: <username-password password> "": is required (realm "r")`},
		{"two authentication types", `<security><realms><realm name="r"><authentication><simple/>
<ldap/></authentication></realm></realms></security>`,
			`test.xml:3: <ldap> "": a realm has a single authentication type (realm "r")`},
		{"REST group without name", `<network><rest-api enabled="true"><endpoint-group enabled="true"/></rest-api></network>`,
			`test.xml:2: <endpoint-group name> "": is required`},
		{"REST group with bad flag", `<network><rest-api enabled="true"><endpoint-group name="WAN" enabled="maybe"/></rest-api></network>`,
			`test.xml:2: <endpoint-group enabled> "maybe": must be true or false (rest-api)`},
		{"non-boolean security flag", `<security enabled="sure"/>`,
			`test.xml:2: <security enabled> "sure": must be true or false`},
		{"duplicate realm", `<security><realms><realm name="r"/>
<realm name="r"/></realms></security>`,
			`test.xml:3: <realm name> "r": duplicate realm (first at line 2)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ve := parseErr(t, hz(tt.body), ParseOptions{})
			if got := ve.Error(); got != tt.want {
				t.Errorf("error:\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

// TestAllProblemsReported checks that one error lists every problem, in
// line order.
func TestAllProblemsReported(t *testing.T) {
	src := hz(`<network><port>abc</port></network>
<map name="a"><backup-count>7</backup-count></map>
<map name="b"><in-memory-format>FOO</in-memory-format></map>
<properties><property name="hazelcast.partition.count">0</property></properties>
<persistence enabled="true"><parallelism>0</parallelism></persistence>`)
	ve := parseErr(t, src, ParseOptions{SystemProperties: map[string]string{PropClientMaxNoHeartbeatSeconds: "-3"}})
	var lines []int
	for _, p := range ve.Problems {
		lines = append(lines, p.Line)
	}
	if want := []int{2, 3, 4, 5, 6, 0}; !reflect.DeepEqual(lines, want) {
		t.Errorf("problem lines = %v, want %v\n%s", lines, want, ve.Error())
	}
	last := strings.Split(ve.Error(), "\n")[5]
	if want := `test.xml: <property name="hazelcast.client.max.no.heartbeat.seconds"> "-3": must be at least 1 (system property)`; last != want {
		t.Errorf("override problem = %q", last)
	}
}

// TestValidateGoConfig checks Validate on configurations built in Go.
func TestValidateGoConfig(t *testing.T) {
	c := Default()
	c.Maps["orders"] = MapConfig{Name: "orders", BackupCount: 5, AsyncBackupCount: 2, InMemoryFormat: InMemoryBinary,
		Eviction: EvictionConfig{Policy: EvictionLRU, MaxSizePolicy: MaxSizePerNode, Size: 10}}
	c.Maps[""] = DefaultMapConfig()
	c.Network.Port = 70000
	c.Persistence.Parallelism = 0
	c.Properties[PropPartitionCount] = "-1"
	c.REST.EndpointGroups["NOPE"] = true
	c.Security = SecurityConfig{Enabled: true, ClientAuthentication: "r"}
	err := c.Validate()
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("Validate = %v", err)
	}
	want := []string{
		`config: <port> "70000": must be a port number between 0 and 65535 (0 = any free port)`,
		`config: <property name="hazelcast.partition.count"> "-1": must be at least 1`,
		`config: <map name> "": a map configuration needs a name (map "")`,
		`config: <backup-count> "5": backup-count (5) + async-backup-count (2) must not exceed 6 (map "orders")`,
		`config: <parallelism> "0": must be at least 1`,
		`config: <endpoint-group name> "NOPE": unknown REST endpoint group (known: CLUSTER_READ, CLUSTER_WRITE, HEALTH_CHECK, PERSISTENCE, HOT_RESTART, WAN, DATA, CP)`,
		`config: <client-authentication realm> "r": no <realm> with this name is defined`,
	}
	if got := strings.Split(err.Error(), "\n"); !reflect.DeepEqual(got, want) {
		t.Errorf("Validate:\n%s\nwant:\n%s", err, strings.Join(want, "\n"))
	}
	// Invalid known properties fall back to their defaults.
	if c.PartitionCount() != DefaultPartitionCount {
		t.Errorf("PartitionCount = %d", c.PartitionCount())
	}

	// A parsed config changed in Go keeps its lines.
	parsed, _ := mustParse(t, hz(`<map name="m">
<backup-count>1</backup-count></map>`), ParseOptions{})
	mc := parsed.Maps["m"]
	mc.BackupCount = 9
	parsed.Maps["m"] = mc
	if err := parsed.Validate(); err == nil || err.Error() != `test.xml:3: <backup-count> "9": must be between 0 and 6 (map "m")` {
		t.Errorf("Validate after change = %v", err)
	}
}

func TestValidationErrorFormat(t *testing.T) {
	e := &ValidationError{Source: "h.xml", Problems: []Problem{
		{Element: "backup-count", Value: "7", Line: 12, Reason: "must be between 0 and 6"},
		{Line: 3, Reason: "malformed XML: boom"},
	}}
	want := "h.xml:12: <backup-count> \"7\": must be between 0 and 6\nh.xml:3: malformed XML: boom"
	if e.Error() != want {
		t.Errorf("Error() = %q", e.Error())
	}
	if (&ValidationError{}).Error() != "config: invalid configuration" {
		t.Errorf("empty Error() = %q", (&ValidationError{}).Error())
	}
	w := Warning{Source: "h.xml", Element: "jet", Line: 4, Message: "ignored"}
	if w.String() != "h.xml:4: <jet> ignored" {
		t.Errorf("Warning.String() = %q", w.String())
	}
}
