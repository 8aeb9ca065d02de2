package harness

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"net"
	"path/filepath"
	"slices"
	"strconv"
)

// MapConfig is one <map> element of the generated hazelcast.xml.
type MapConfig struct {
	// Name is the map name or pattern ("default", "orders-*").
	Name string
	// BackupCount is <backup-count>: synchronous backups, 0..6.
	BackupCount int
	// AsyncBackupCount is <async-backup-count>, 0..6.
	AsyncBackupCount int
	// ReadBackupData is <read-backup-data>.
	ReadBackupData bool
}

// renderXML writes the member configuration shared by every member of a
// cluster: every host in hosts listens on base with auto-increment over
// portCount ports, and the tcp-ip member list names that whole range on
// every host.
func renderXML(name string, hosts []string, base, portCount int, opts Options) []byte {
	var b bytes.Buffer
	esc := func(s string) string {
		var e bytes.Buffer
		_ = xml.EscapeText(&e, []byte(s))
		return e.String()
	}
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<!-- Written by compat-tests/cluster/harness for one test. -->
<hazelcast xmlns="http://www.hazelcast.com/schema/config">
`)
	fmt.Fprintf(&b, "    <cluster-name>%s</cluster-name>\n", esc(name))
	b.WriteString("    <network>\n")
	fmt.Fprintf(&b, "        <port auto-increment=\"true\" port-count=\"%d\">%d</port>\n", portCount, base)
	b.WriteString("        <join>\n            <multicast enabled=\"false\"/>\n            <tcp-ip enabled=\"true\">\n")
	for _, h := range uniqueHosts(hosts) {
		host := h
		if ip := net.ParseIP(h); ip != nil && ip.To4() == nil {
			host = "[" + h + "]"
		}
		fmt.Fprintf(&b, "                <member>%s:%d-%d</member>\n", esc(host), base, base+portCount-1)
	}
	b.WriteString("            </tcp-ip>\n        </join>\n")
	if opts.Persistence != nil {
		b.WriteString("        <rest-api enabled=\"true\">\n            <endpoint-group name=\"CLUSTER_WRITE\" enabled=\"true\"/>\n            <endpoint-group name=\"PERSISTENCE\" enabled=\"true\"/>\n        </rest-api>\n")
	}
	b.WriteString("    </network>\n")
	if p := opts.Persistence; p != nil {
		vt := p.ValidationTimeoutSeconds
		if vt <= 0 {
			vt = 30
		}
		b.WriteString("    <persistence enabled=\"true\">\n")
		fmt.Fprintf(&b, "        <base-dir>%s</base-dir>\n", esc(filepath.Join(p.Root, "member-${FILBERT_MEMBER}", "base")))
		fmt.Fprintf(&b, "        <backup-dir>%s</backup-dir>\n", esc(filepath.Join(p.Root, "member-${FILBERT_MEMBER}", "backups")))
		fmt.Fprintf(&b, "        <validation-timeout-seconds>%d</validation-timeout-seconds>\n", vt)
		b.WriteString("    </persistence>\n")
	}
	for _, m := range opts.maps() {
		fmt.Fprintf(&b, "    <map name=\"%s\">\n", esc(m.Name))
		fmt.Fprintf(&b, "        <backup-count>%d</backup-count>\n", m.BackupCount)
		fmt.Fprintf(&b, "        <async-backup-count>%d</async-backup-count>\n", m.AsyncBackupCount)
		fmt.Fprintf(&b, "        <read-backup-data>%s</read-backup-data>\n", strconv.FormatBool(m.ReadBackupData))
		if p := opts.Persistence; p != nil {
			fmt.Fprintf(&b, "        <data-persistence enabled=\"true\" fsync=\"%s\"/>\n", strconv.FormatBool(p.Fsync))
		}
		b.WriteString("    </map>\n")
	}
	if len(opts.Properties) > 0 {
		names := make([]string, 0, len(opts.Properties))
		for k := range opts.Properties {
			names = append(names, k)
		}
		slices.Sort(names)
		b.WriteString("    <properties>\n")
		for _, k := range names {
			fmt.Fprintf(&b, "        <property name=\"%s\">%s</property>\n", esc(k), esc(opts.Properties[k]))
		}
		b.WriteString("    </properties>\n")
	}
	b.WriteString("</hazelcast>\n")
	return b.Bytes()
}

// uniqueHosts returns hosts without repeats, in order.
func uniqueHosts(hosts []string) []string {
	var out []string
	for _, h := range hosts {
		if !slices.Contains(out, h) {
			out = append(out, h)
		}
	}
	return out
}
