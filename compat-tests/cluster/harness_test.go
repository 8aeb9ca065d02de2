package cluster_test

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/filbert/filbert/compat-tests/cluster/harness"
)

// TestHarnessSingleMember checks the harness itself on a one-member
// cluster, which Filbert supports today: process start and log capture,
// the generated configuration, the raw partition-table probe, clients in
// both modes, the load and its verification, SIGSTOP/SIGCONT, a graceful
// SIGTERM, and SIGKILL.
func TestHarnessSingleMember(t *testing.T) {
	start := time.Now()
	c := harness.StartCluster(t, 1, harness.Options{BackupCount: 1, Properties: map[string]string{
		"hazelcast.client.max.no.heartbeat.seconds": "60",
	}})
	m := c.Member(0)
	t.Logf("member started in %s: %s, pid %d, cluster %s", time.Since(start).Round(time.Millisecond), m, m.Pid, c.Name)

	xml, err := os.ReadFile(c.ConfigPath)
	must(t, err, "reading the configuration")
	for _, want := range []string{"<cluster-name>" + c.Name + "</cluster-name>", `auto-increment="true"`,
		"<backup-count>1</backup-count>", `<property name="hazelcast.client.max.no.heartbeat.seconds">60</property>`} {
		if !strings.Contains(string(xml), want) {
			t.Errorf("hazelcast.xml lacks %q:\n%s", want, xml)
		}
	}
	if !strings.HasSuffix(m.Addr, ":"+strconv.Itoa(c.BasePort)) {
		t.Errorf("expected the first member on the base port %d, got %s", c.BasePort, m.Addr)
	}
	if _, err := m.WaitLog(harness.Message(harness.MsgMemberStarted), time.Second); err != nil {
		t.Errorf("WaitLog on a line already logged: %v", err)
	}
	if logged, err := os.ReadFile(m.LogPath); err != nil || !strings.Contains(string(logged), `"member started"`) {
		t.Errorf("member log file %s lacks the start line (err %v)", m.LogPath, err)
	}

	pt, err := c.WaitPartitionsSettled(10 * time.Second)
	must(t, err, "partition table")
	if n := pt.Counts()[m.UUID]; n != c.PartitionCount || len(pt.Members) != 1 || pt.Members[0].Address != m.Addr {
		t.Errorf("expected the only member to own all %d partitions and be listed at %s; table: %d owned, members %v",
			c.PartitionCount, m.Addr, n, pt.Members)
	}
	keys := harness.KeysForEveryPartition("p", c.PartitionCount)
	for pid, k := range keys {
		if harness.PartitionOf(k, c.PartitionCount) != int32(pid) {
			t.Fatalf("KeysForEveryPartition: %q is not in partition %d", k, pid)
		}
	}

	cfg := c.ClientConfig(harness.ClientOptions{})
	w := harness.WatchMembers(&cfg)
	smart := harness.StartClient(t, cfg)
	got, err := w.WaitSize(1, 10*time.Second)
	must(t, err, "membership listener")
	if got[0] != m.Addr {
		t.Errorf("client sees member %s, expected %s", got[0], m.Addr)
	}
	must(t, waitClientConnected(m, cfg.ClientName), "client connection in the member log")

	keyCount := 2000
	l := harness.StartLoad(t, smart, harness.LoadOptions{Map: "smoke", Keys: keyCount, Rounds: 2})
	st, err := l.Wait(loadTimeout)
	must(t, err, "load")
	t.Log(st)
	if st.Failed > 0 || st.ReadFailed > 0 || st.ReadMismatch > 0 || st.Acked != int64(2*keyCount) {
		t.Errorf("expected %d acknowledged writes and no failed or wrong operation on one member; %s", 2*keyCount, st)
	}
	uni := c.NewClient(t, harness.ClientOptions{Unisocket: true, Addresses: []string{m.Addr}})
	r := l.Verify(t, uni)
	if r.OK != keyCount || r.Acknowledged != keyCount {
		t.Errorf("expected all %d keys acknowledged and read back: %s", keyCount, r)
	}
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	if r, err := l.Check(ctx, smart, true); err != nil || r.OK != keyCount {
		t.Errorf("per-key read back: %v %s", err, r)
	}

	// SIGSTOP: the member answers nothing until SIGCONT.
	mp := getMap(t, smart, "smoke")
	must(t, m.Pause(), "pause")
	short, cancelShort := context.WithTimeout(context.Background(), 500*time.Millisecond)
	_, err = mp.Get(short, "k-000001")
	cancelShort()
	if err == nil {
		t.Errorf("a Get answered while the member was stopped with SIGSTOP")
	}
	must(t, m.Resume(), "resume")
	if v, err := mp.Get(ctx, "k-000001"); err != nil || v != "k-000001#2" {
		t.Errorf("after SIGCONT: Get = %v, %v; expected k-000001#2", v, err)
	}

	// SIGTERM: a clean exit that logs "member stopped".
	must(t, m.Terminate(), "terminate")
	if _, err := m.WaitLog(harness.Message(harness.MsgMemberStopped), 5*time.Second); err != nil {
		t.Errorf("after SIGTERM: %v", err)
	}
	if len(c.Live()) != 0 || c.Master() != nil {
		t.Errorf("after SIGTERM: %d members still live", len(c.Live()))
	}

	// SIGKILL: waiting for a line the member will never log ends at once.
	c2 := harness.StartCluster(t, 1, harness.Options{})
	k := c2.Member(0)
	must(t, k.Kill(), "kill")
	begin := time.Now()
	_, err = k.WaitLog(harness.Message("never logged"), 20*time.Second)
	if err == nil || !strings.Contains(err.Error(), "SIGKILL") || time.Since(begin) > 5*time.Second {
		t.Errorf("WaitLog on a killed member: expected a prompt error naming SIGKILL, got %v after %s", err, time.Since(begin))
	}
	if err := k.Kill(); err == nil {
		t.Errorf("a second Kill of a dead member reported no error")
	}
	if len(c2.Live()) != 0 {
		t.Errorf("after SIGKILL: %d members still live", len(c2.Live()))
	}
	t.Logf("harness smoke test took %s", time.Since(start).Round(time.Millisecond))
}
