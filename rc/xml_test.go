package rc

import (
	"testing"

	"github.com/filbert/filbert/config"
)

func TestWithClusterName(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{
			name: "replaces the content",
			in:   `<hazelcast><cluster-name>dev</cluster-name><network><port>5701</port></network></hazelcast>`,
			want: `<hazelcast><cluster-name>ID</cluster-name><network><port>5701</port></network></hazelcast>`,
		},
		{
			name: "inserts when absent",
			in:   "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<hazelcast xmlns=\"http://www.hazelcast.com/schema/config\">\n  <network/>\n</hazelcast>",
			want: "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<hazelcast xmlns=\"http://www.hazelcast.com/schema/config\"><cluster-name>ID</cluster-name>\n  <network/>\n</hazelcast>",
		},
		{
			name: "empty root element",
			in:   `<hazelcast xmlns="http://www.hazelcast.com/schema/config" />`,
			want: `<hazelcast xmlns="http://www.hazelcast.com/schema/config" ><cluster-name>ID</cluster-name></hazelcast>`,
		},
		{
			name: "empty cluster-name element",
			in:   `<hazelcast><cluster-name/></hazelcast>`,
			want: `<hazelcast><cluster-name>ID</cluster-name></hazelcast>`,
		},
		{
			name: "only the root's cluster-name",
			in:   `<hazelcast><map name="m"><cluster-name>x</cluster-name></map></hazelcast>`,
			want: `<hazelcast><cluster-name>ID</cluster-name><map name="m"><cluster-name>x</cluster-name></map></hazelcast>`,
		},
		{
			name: "prefixed elements",
			in:   `<hz:hazelcast xmlns:hz="http://www.hazelcast.com/schema/config"><hz:cluster-name>a</hz:cluster-name></hz:hazelcast>`,
			want: `<hz:hazelcast xmlns:hz="http://www.hazelcast.com/schema/config"><hz:cluster-name>ID</hz:cluster-name></hz:hazelcast>`,
		},
		{
			name: "3.x group",
			in:   `<hazelcast><group><name>g</name></group></hazelcast>`,
			want: `<hazelcast><cluster-name>ID</cluster-name><group><name>g</name></group></hazelcast>`,
		},
		{
			name: "comments and CDATA kept",
			in:   `<hazelcast><!-- <cluster-name>c</cluster-name> --><cluster-name><![CDATA[a]]></cluster-name></hazelcast>`,
			want: `<hazelcast><!-- <cluster-name>c</cluster-name> --><cluster-name>ID</cluster-name></hazelcast>`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := withClusterName([]byte(tc.in), "ID")
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Fatalf("got\n%s\nwant\n%s", got, tc.want)
			}
			cfg, _, err := config.Parse(got, "test.xml", config.ParseOptions{})
			if err != nil {
				t.Fatalf("rewritten XML does not parse: %v", err)
			}
			if cfg.ClusterName != "ID" {
				t.Fatalf("cluster name %q after rewrite", cfg.ClusterName)
			}
		})
	}
}

func TestWithClusterNameEscapes(t *testing.T) {
	got, err := withClusterName([]byte(`<hazelcast/>`), "a<b&c")
	if err != nil {
		t.Fatal(err)
	}
	cfg, _, err := config.Parse(got, "test.xml", config.ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ClusterName != "a<b&c" {
		t.Fatalf("cluster name %q", cfg.ClusterName)
	}
}

func TestEmptyXMLIsHazelcastDefaults(t *testing.T) {
	cfg, _, err := config.Parse([]byte(emptyConfigXML), "rc.xml", config.ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ClusterName != config.DefaultClusterName || cfg.Network.Port != config.DefaultPort || !cfg.Network.PortAutoIncrement {
		t.Fatalf("empty XML: cluster %q port %d auto-increment %v", cfg.ClusterName, cfg.Network.Port, cfg.Network.PortAutoIncrement)
	}
}
