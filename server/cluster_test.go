package server

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	hz "github.com/hazelcast/hazelcast-go-client"
	"github.com/hazelcast/hazelcast-go-client/logger"
	"github.com/rs/zerolog"

	"github.com/filbert/filbert/config"
	"github.com/filbert/filbert/imap"
	"github.com/filbert/filbert/worker"
)

// freePorts finds n consecutive free ports on 127.0.0.1.
func freePorts(t *testing.T, n int) int {
	t.Helper()
	for attempt := 0; attempt < 50; attempt++ {
		base := 20000 + rand.IntN(30000)
		ok := true
		var ls []net.Listener
		for i := 0; i < n; i++ {
			l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(base+i))
			if err != nil {
				ok = false
				break
			}
			ls = append(ls, l)
		}
		for _, l := range ls {
			_ = l.Close()
		}
		if ok {
			return base
		}
	}
	t.Fatal("no free port range")
	return 0
}

type testCluster struct {
	t       *testing.T
	name    string
	base    int
	size    int
	mutate  func(*config.Config)
	members []*Member
}

// newTestCluster starts n in-process members joined over tcp-ip on real
// 127.0.0.1 ports.
func newTestCluster(t *testing.T, n int, mutate func(*config.Config)) *testCluster {
	t.Helper()
	tc := &testCluster{t: t, name: fmt.Sprintf("t%d", rand.Uint32()), base: freePorts(t, n+3), size: n + 3, mutate: mutate}
	var wg sync.WaitGroup
	ms := make([]*Member, n)
	errs := make([]error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			ms[i], errs[i] = tc.start()
		}(i)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	tc.members = ms
	tc.waitSize(n)
	return tc
}

func (tc *testCluster) config() *config.Config {
	cfg := config.Default()
	cfg.ClusterName = tc.name
	cfg.Network.Port = tc.base
	cfg.Network.PortAutoIncrement = true
	cfg.Network.PortCount = tc.size
	cfg.Network.Join.Multicast.Enabled = false
	cfg.Network.Join.TCPIP.Enabled = true
	cfg.Network.Join.TCPIP.Members = []string{fmt.Sprintf("127.0.0.1:%d-%d", tc.base, tc.base+tc.size-1)}
	cfg.Properties = map[string]string{"filbert.join.wait": "300ms"}
	if tc.mutate != nil {
		tc.mutate(cfg)
	}
	return cfg
}

func (tc *testCluster) start() (*Member, error) {
	m, err := New(Options{Config: tc.config(), Logger: zerolog.New(zerolog.NewTestWriter(tc.t)).Level(zerolog.WarnLevel)})
	if err != nil {
		return nil, err
	}
	if err := m.Start(); err != nil {
		return nil, err
	}
	tc.t.Cleanup(func() { m.crash() })
	return m, nil
}

// add starts one more member.
func (tc *testCluster) add() *Member {
	m, err := tc.start()
	if err != nil {
		tc.t.Fatal(err)
	}
	tc.members = append(tc.members, m)
	tc.waitSize(len(tc.members))
	return m
}

// live returns the members not stopped.
func (tc *testCluster) live() []*Member {
	var out []*Member
	for _, m := range tc.members {
		if !m.isStopping() {
			out = append(out, m)
		}
	}
	return out
}

// waitSize waits until every live member sees n members and the same
// partition table, with no migration pending.
func (tc *testCluster) waitSize(n int) {
	tc.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		ok := true
		var ver int32 = -1
		for _, m := range tc.live() {
			t := m.table.Load()
			if len(m.node.View().Members) != n || t == nil || len(t.Members()) != n {
				ok = false
				break
			}
			if ver >= 0 && t.Version() != ver {
				ok = false
				break
			}
			ver = t.Version()
		}
		if ok {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, m := range tc.live() {
		t := m.table.Load()
		tc.t.Logf("member %s: view %v table %v", m.Addr(), m.node.View().SortedAddrs(), t.Version())
	}
	tc.t.Fatalf("cluster did not settle at %d members", n)
}

// crash stops a member abruptly: no hand-over, connections just close.
func (m *Member) crash() {
	m.removed.Store(true)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = m.Shutdown(ctx)
}

func (tc *testCluster) client(addr string, unisocket bool) *hz.Client {
	tc.t.Helper()
	cfg := hz.NewConfig()
	cfg.Cluster.Name = tc.name
	cfg.Cluster.Network.SetAddresses(addr)
	cfg.Cluster.Unisocket = unisocket
	cfg.Logger.Level = logger.ErrorLevel
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := hz.StartNewClientWithConfig(ctx, cfg)
	if err != nil {
		tc.t.Fatal(err)
	}
	tc.t.Cleanup(func() { _ = c.Shutdown(context.Background()) })
	return c
}

// onWorker runs fn on partition pid's worker of m and waits.
func onWorker(m *Member, pid int32, fn func(p *imap.Partition)) {
	done := make(chan struct{})
	if err := m.pool.Submit(pid, worker.Func(func() { fn(m.partitions[pid]); close(done) })); err != nil {
		panic(err)
	}
	<-done
}

func TestClusterFormsAndBalances(t *testing.T) {
	tc := newTestCluster(t, 3, nil)
	for _, m := range tc.members {
		owned := 0
		tb := m.table.Load()
		for pid := int32(0); pid < m.pcount; pid++ {
			if tb.Owner(pid) == toPart(m.uuid) {
				owned++
			}
		}
		if owned < 80 || owned > 100 {
			t.Errorf("member %s owns %d partitions, want 80..100", m.Addr(), owned)
		}
		if id := m.clusterIDNow(); id != tc.members[0].clusterIDNow() {
			t.Errorf("member %s has cluster id %s, member 0 %s", m.Addr(), id, tc.members[0].clusterIDNow())
		}
	}
}

func TestRefusesOtherClusterName(t *testing.T) {
	tc := newTestCluster(t, 1, nil)
	other := &testCluster{t: t, name: "other", base: tc.base, size: tc.size}
	m, err := other.start()
	if err != nil {
		t.Fatal(err)
	}
	if n := len(m.node.View().Members); n != 1 {
		t.Fatalf("member of another cluster joined: view of %d members", n)
	}
	if n := len(tc.members[0].node.View().Members); n != 1 {
		t.Fatalf("cluster admitted a member with another cluster name: %d members", n)
	}
}

// TestBackupsHoldEveryAcknowledgedWrite writes through a unisocket client
// (so most requests are forwarded) and checks every key on its owner and
// on its first backup.
func TestBackupsHoldEveryAcknowledgedWrite(t *testing.T) {
	tc := newTestCluster(t, 3, nil) // default map: backup-count 1
	c := tc.client(tc.members[0].Addr(), true)
	ctx := context.Background()
	mp, err := c.GetMap(ctx, "bk")
	if err != nil {
		t.Fatal(err)
	}
	const n = 2000
	for i := 0; i < n; i++ {
		if err := mp.Set(ctx, "k"+strconv.Itoa(i), int64(i)); err != nil {
			t.Fatal(err)
		}
	}
	byUUID := map[string]*Member{}
	for _, m := range tc.members {
		byUUID[m.uuid.String()] = m
	}
	counts := make(map[string][2]int)
	for _, m := range tc.members {
		tb := m.table.Load()
		for pid := int32(0); pid < m.pcount; pid++ {
			idx := replicaIndex(tb, pid, m.uuid)
			if idx < 0 || idx > 1 {
				continue
			}
			var got int
			onWorker(m, pid, func(p *imap.Partition) { got = p.EntryCount() })
			c := counts[m.Addr()]
			c[idx] += got
			counts[m.Addr()] = c
		}
	}
	owners, backups := 0, 0
	for _, c := range counts {
		owners += c[0]
		backups += c[1]
	}
	if owners != n || backups != n {
		t.Fatalf("owners hold %d entries, first backups %d; want %d each (per member: %v)", owners, backups, n, counts)
	}
	if sz, err := mp.Size(ctx); err != nil || sz != n {
		t.Fatalf("size = %d, %v; want %d", sz, err, n)
	}
}

// TestCrashLosesNoAcknowledgedWrite kills a member after writes with
// backup-count 1: every key is still readable from the others.
func TestCrashLosesNoAcknowledgedWrite(t *testing.T) {
	tc := newTestCluster(t, 3, nil)
	c := tc.client(tc.members[0].Addr(), false)
	ctx := context.Background()
	mp, _ := c.GetMap(ctx, "crash")
	const n = 3000
	for i := 0; i < n; i++ {
		if err := mp.Set(ctx, "k"+strconv.Itoa(i), int64(i)); err != nil {
			t.Fatal(err)
		}
	}
	tc.members[2].crash()
	tc.waitSize(2)
	for i := 0; i < n; i++ {
		v, err := mp.Get(ctx, "k"+strconv.Itoa(i))
		if err != nil || v != int64(i) {
			t.Fatalf("key k%d after crash: %v, %v", i, v, err)
		}
	}
	// The lost backups are rebuilt: each partition again has an owner
	// and a synced backup.
	deadline := time.Now().Add(10 * time.Second)
	for {
		missing := 0
		for _, m := range tc.live() {
			tb := m.table.Load()
			for pid := int32(0); pid < m.pcount; pid++ {
				if replicaIndex(tb, pid, m.uuid) == 1 {
					var synced bool
					onWorker(m, pid, func(*imap.Partition) { synced = m.pstate[pid].bk.synced })
					if !synced {
						missing++
					}
				}
			}
		}
		if missing == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d backups not rebuilt after the crash", missing)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestAntiEntropyRepairsDivergedBackup damages a backup copy behind the
// owner's back; the periodic check notices and repairs it.
func TestAntiEntropyRepairsDivergedBackup(t *testing.T) {
	tc := newTestCluster(t, 2, nil)
	c := tc.client(tc.members[0].Addr(), false)
	ctx := context.Background()
	mp, _ := c.GetMap(ctx, "ae")
	for i := 0; i < 200; i++ {
		if err := mp.Set(ctx, "k"+strconv.Itoa(i), int64(i)); err != nil {
			t.Fatal(err)
		}
	}
	// Find a partition with data, its owner and backup.
	var owner, backup *Member
	var pid int32 = -1
	for p := int32(0); p < 271 && pid < 0; p++ {
		for _, m := range tc.members {
			tb := m.table.Load()
			if replicaIndex(tb, p, m.uuid) == 0 {
				var n int
				onWorker(m, p, func(pp *imap.Partition) { n = pp.EntryCount() })
				if n > 0 {
					owner, pid = m, p
				}
			}
		}
	}
	for _, m := range tc.members {
		if m != owner {
			backup = m
		}
	}
	var key []byte
	onWorker(owner, pid, func(p *imap.Partition) {
		p.ExportAll(func(name string, r *imap.Record) bool { key = append([]byte(nil), r.Key...); return false })
	})
	onWorker(backup, pid, func(p *imap.Partition) { p.ApplyRemove("ae", key) })
	before := backup.stats.repairs.Load()
	onWorker(owner, pid, func(*imap.Partition) { owner.checkReplicas(pid) })
	deadline := time.Now().Add(5 * time.Second)
	for {
		var ok bool
		onWorker(backup, pid, func(p *imap.Partition) { _, ok = p.ExportKey("ae", key) })
		if ok && backup.stats.repairs.Load() > before {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("backup not repaired (repairs %d -> %d, key present %v)", before, backup.stats.repairs.Load(), ok)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestJoinMigratesData adds a member to a loaded cluster: it takes its
// share of partitions with their entries.
func TestJoinMigratesData(t *testing.T) {
	tc := newTestCluster(t, 2, func(c *config.Config) {
		mc := config.DefaultMapConfig()
		mc.BackupCount = 0
		c.Maps = map[string]config.MapConfig{"default": mc}
	})
	c := tc.client(tc.members[0].Addr(), false)
	ctx := context.Background()
	mp, _ := c.GetMap(ctx, "mig")
	const n = 3000
	for i := 0; i < n; i++ {
		if err := mp.Set(ctx, "k"+strconv.Itoa(i), int64(i)); err != nil {
			t.Fatal(err)
		}
	}
	m3 := tc.add()
	var held int
	tb := m3.table.Load()
	for pid := int32(0); pid < m3.pcount; pid++ {
		if replicaIndex(tb, pid, m3.uuid) == 0 {
			onWorker(m3, pid, func(p *imap.Partition) { held += p.EntryCount() })
		}
	}
	if held < n/5 {
		t.Fatalf("new member holds %d of %d entries after rebalancing", held, n)
	}
	for i := 0; i < n; i++ {
		v, err := mp.Get(ctx, "k"+strconv.Itoa(i))
		if err != nil || v != int64(i) {
			t.Fatalf("key k%d after join: %v, %v", i, v, err)
		}
	}
}
