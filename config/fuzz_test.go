package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse checks that Parse never panics and that its result is
// consistent: an accepted configuration passes Validate and its tcp-ip
// members expand; a rejected one carries at least one problem. The seed
// corpus (testdata/fuzz/FuzzParse) holds real configuration files.
func FuzzParse(f *testing.F) {
	f.Add(DefaultXML)
	for _, name := range []string{"hazelcast-5.xml", "hazelcast-4.xml"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`<hazelcast><map name="${X}"><backup-count>${Y}</backup-count></map></hazelcast>`))
	lookup := func(name string) (string, bool) {
		if strings.HasPrefix(name, "X") {
			return "1", true
		}
		return "", false
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, _, err := Parse(data, "fuzz.xml", ParseOptions{Lookup: lookup})
		if err != nil {
			var ve *ValidationError
			if !errors.As(err, &ve) || len(ve.Problems) == 0 || c != nil {
				t.Fatalf("Parse error %T %v with config %v", err, err, c)
			}
			for _, p := range ve.Problems {
				if p.Line < 0 || p.Reason == "" {
					t.Fatalf("bad problem %+v", p)
				}
			}
			_ = ve.Error()
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("parsed config fails Validate: %v", err)
		}
		if len(c.Ports()) == 0 {
			t.Fatalf("no ports")
		}
		if c.Network.Join.TCPIP.Enabled {
			if _, err := c.Network.Join.TCPIP.Addresses(c.Network.Port); err != nil {
				t.Fatalf("validated members do not expand: %v", err)
			}
		}
		for name := range c.Maps {
			if mc := c.Map(name); mc.Name != BaseName(name) {
				t.Fatalf("Map(%q).Name = %q", name, mc.Name)
			}
		}
		_ = c.PartitionCount()
		_ = c.Security.CheckClient("u", "p")
	})
}
