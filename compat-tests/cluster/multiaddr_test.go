package cluster_test

import (
	"context"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/filbert/filbert/compat-tests/cluster/harness"
)

// TestDistinctAddresses runs three members on three loopback addresses
// (127.0.0.2-4, --host), as on three hosts: each announces its own host,
// MembersView carries those addresses, a smart client given only the first
// member finds and connects to the others, partitions spread over all
// three, and data written through one member reads back through another.
func TestDistinctAddresses(t *testing.T) {
	multiMember(t)
	hosts := []string{"127.0.0.2", "127.0.0.3", "127.0.0.4"}
	if err := harness.CheckHosts(hosts...); err != nil {
		t.Skipf("distinct-address variant skipped: %v (it needs 127.0.0.2-4 on the loopback interface, as Linux has by default)", err)
	}
	c := harness.StartCluster(t, 3, harness.Options{Hosts: hosts, BackupCount: 1})
	for i, m := range c.Members() {
		if host, _, _ := net.SplitHostPort(m.Addr); host != hosts[i] {
			t.Errorf("expected %s to announce host %s", m, hosts[i])
		}
	}
	want := slices.Sorted(slices.Values(c.Addresses()))

	cfg := c.ClientConfig(harness.ClientOptions{Addresses: []string{c.Member(0).Addr}})
	w := harness.WatchMembers(&cfg)
	smart := harness.StartClient(t, cfg)
	got, err := w.WaitSize(3, 20*time.Second)
	must(t, err, "membership")
	if !slices.Equal(got, want) {
		t.Errorf("client sees members %v, expected %v", got, want)
	}
	for _, m := range c.Members() {
		if err := waitClientConnected(m, cfg.ClientName); err != nil {
			t.Errorf("expected the smart client to reach every member at its announced address: %v", err)
		}
	}

	pt, err := c.WaitPartitionsSettled(settleTimeout)
	must(t, err, "partition table")
	var listed []string
	for _, tm := range pt.Members {
		listed = append(listed, tm.Address)
	}
	if slices.Sort(listed); !slices.Equal(listed, want) {
		t.Errorf("MembersView lists %v, expected the members' own addresses %v", listed, want)
	}
	checkBalanced(t, c, pt, 80, 100)

	keys := sized(5000, 20000)
	l := harness.StartLoad(t, smart, harness.LoadOptions{Map: "hosts", Keys: keys, Rounds: 1, ReadEvery: -1})
	st, err := l.Wait(loadTimeout)
	must(t, err, "writing")
	if st.Failed > 0 {
		t.Errorf("expected every write to succeed; %s", st)
	}
	reader := c.NewClient(t, harness.ClientOptions{Unisocket: true, Addresses: []string{c.Member(2).Addr}})
	ctx, cancel := context.WithTimeout(context.Background(), loadTimeout)
	defer cancel()
	r, err := l.Check(ctx, reader, true)
	must(t, err, "reading through "+c.Member(2).String())
	if r.OK != keys || r.ReadErrors > 0 {
		t.Errorf("expected all %d keys to read back through a unisocket client of %s: %s", keys, c.Member(2), r)
	}
}
