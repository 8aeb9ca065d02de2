package config

import (
	"strings"
	"testing"
)

func TestMapMatching(t *testing.T) {
	c := Default()
	for i, name := range []string{
		"orders", "orders-*", "orders-eu-*", "*-cache", "*", "a*z", "ab*yz", "ab*bc", "x*", "*y", DefaultMapName, "p*q*",
	} {
		mc := DefaultMapConfig()
		mc.Name = name
		mc.TTLSeconds = i + 1 // identifies the configuration
		c.Maps[name] = mc
	}
	tests := []struct {
		name    string
		want    string // matched key; "" for an ambiguous name
		comment string
	}{
		{"orders", "orders", "exact name first"},
		{"orders@customer-7", "orders", "partition key suffix is dropped"},
		{"orders@", "orders", "empty partition key"},
		{"orders-us", "orders-*", "prefix pattern"},
		{"orders-", "orders-*", "the wildcard may match nothing"},
		{"orders-eu-1", "orders-eu-*", "longest literal part wins"},
		{"orders-eu-1@k", "orders-eu-*", "suffix dropped, then patterns"},
		{"users-cache", "*-cache", "suffix pattern"},
		{"orders-cache", "orders-*", `"orders-" (7) beats "-cache" (6)`},
		{"orders-eu-cache", "orders-eu-*", "10 beats 7 and 6"},
		{"abcz", "a*z", `"ab*yz" needs the "yz" suffix`},
		{"abyz", "ab*yz", `4 literal characters beat "a*z" (2)`},
		{"abc", "ab*bc", "prefix and suffix may overlap, as in Hazelcast"},
		{"aby", "*y", "suffix pattern"},
		{"xyz", "x*", `"*y" does not match`},
		{"pq*", "p*q*", `only the first '*' is a wildcard: needs a literal "q*" suffix`},
		{"p-q-", "*", `no literal "q*" suffix`},
		{"ORDERS-us", "*", "matching is case sensitive"},
		{"unknown", "*", `the "*" pattern beats "default"`},
		{"", "*", "even for the empty name"},
		{"@orders", "*", "the base name is empty"},
		{"*-cache", "*-cache", "exact lookup also for names containing '*'"},
		{DefaultMapName, DefaultMapName, "exact"},
		{"default@k", DefaultMapName, "exact after dropping the suffix"},
		{"xy", "", `"x*" and "*y" tie`},
		{"xzy", "", `"x*" and "*y" tie`},
	}
	for _, tt := range tests {
		got, key, err := c.LookupMap(tt.name)
		if tt.want == "" {
			// Ambiguous: an error, but Map still picks deterministically.
			if err == nil || key == "" || got.TTLSeconds != c.Maps[key].TTLSeconds {
				t.Errorf("LookupMap(%q) = %q, %v; want an ambiguity error (%s)", tt.name, key, err, tt.comment)
			}
			continue
		}
		if err != nil || key != tt.want {
			t.Errorf("LookupMap(%q) matched %q, %v; want %q (%s)", tt.name, key, err, tt.want, tt.comment)
		}
		if m := c.Map(tt.name); m.TTLSeconds != c.Maps[tt.want].TTLSeconds || m.Name != BaseName(tt.name) {
			t.Errorf("Map(%q) = %+v", tt.name, m)
		}
	}
}

func TestMapAmbiguity(t *testing.T) {
	c := Default()
	c.Maps["x*"] = MapConfig{Name: "x*", BackupCount: 2, InMemoryFormat: InMemoryBinary}
	c.Maps["*y"] = MapConfig{Name: "*y", BackupCount: 3, InMemoryFormat: InMemoryBinary}
	for i := 0; i < 20; i++ { // map iteration order must not matter
		mc, key, err := c.LookupMap("xy")
		if err == nil || !strings.Contains(err.Error(), `"*y" and "x*"`) {
			t.Fatalf("LookupMap error = %v", err)
		}
		if key != "*y" || mc.BackupCount != 3 || mc.Name != "xy" {
			t.Fatalf("LookupMap = %+v, %q", mc, key)
		}
	}
}

func TestMapFallbacks(t *testing.T) {
	c := Default()
	if mc, key, err := c.LookupMap("m"); err != nil || key != "" || mc != withName(DefaultMapConfig(), "m") {
		t.Errorf("built-in fallback = %+v, %q, %v", mc, key, err)
	}
	d := DefaultMapConfig()
	d.BackupCount = 0
	c.Maps[DefaultMapName] = d
	if mc, key, _ := c.LookupMap("m"); key != DefaultMapName || mc.BackupCount != 0 || mc.Name != "m" {
		t.Errorf("default fallback = %+v, %q", mc, key)
	}
	// A named map does not inherit from "default".
	c2, _ := mustParse(t, hz(`<map name="default"><backup-count>3</backup-count></map>
<map name="m"><read-backup-data>true</read-backup-data></map>`), ParseOptions{})
	if mc := c2.Map("m"); mc.BackupCount != 1 || !mc.ReadBackupData {
		t.Errorf("named map = %+v", mc)
	}
	// Map returns a copy.
	mc := c2.Map("m")
	mc.BackupCount = 5
	if c2.Maps["m"].BackupCount != 1 {
		t.Errorf("Map returned a shared value")
	}
}

func TestBaseName(t *testing.T) {
	for in, want := range map[string]string{"a": "a", "a@b": "a", "a@b@c": "a", "@b": "", "": ""} {
		if got := BaseName(in); got != want {
			t.Errorf("BaseName(%q) = %q, want %q", in, got, want)
		}
	}
}
