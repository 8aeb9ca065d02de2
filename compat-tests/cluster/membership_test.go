package cluster_test

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	hazelcast "github.com/hazelcast/hazelcast-go-client"

	"github.com/filbert/filbert/compat-tests/cluster/harness"
)

// Issue 3: members join, own partitions, migrate them, and smart clients
// route by owner.

// TestThreeMembersFromOneFile: three members started from one
// hazelcast.xml take consecutive ports and form one cluster; smart and
// unisocket clients see the three members; every member owns 80-100 of the
// 271 partitions; keys written through a client of one member are all
// read back through clients connected only to each other member.
func TestThreeMembersFromOneFile(t *testing.T) {
	multiMember(t)
	c := harness.StartCluster(t, 3, harness.Options{})
	for i, m := range c.Members() {
		if want := ":" + strconv.Itoa(c.BasePort+i); !strings.HasSuffix(m.Addr, want) {
			t.Errorf("expected %s to take port %d by auto-increment, it announced %s", m, c.BasePort+i, m.Addr)
		}
	}
	want := slices.Sorted(slices.Values(c.Addresses()))

	for _, mode := range []struct {
		name      string
		unisocket bool
	}{{"smart", false}, {"unisocket", true}} {
		t.Run(mode.name+" client sees three members", func(t *testing.T) {
			opts := harness.ClientOptions{Unisocket: mode.unisocket}
			if mode.unisocket {
				opts.Addresses = []string{c.Member(1).Addr}
			}
			cfg := c.ClientConfig(opts)
			w := harness.WatchMembers(&cfg)
			harness.StartClient(t, cfg)
			got, err := w.WaitSize(3, 20*time.Second)
			must(t, err, "membership")
			if !slices.Equal(got, want) {
				t.Errorf("client sees members %v, expected %v", got, want)
			}
			if mode.unisocket {
				must(t, waitClientConnected(c.Member(1), cfg.ClientName), "unisocket client on member 1")
				return
			}
			for _, m := range c.Members() {
				if err := waitClientConnected(m, cfg.ClientName); err != nil {
					t.Errorf("expected the smart client to connect to every member listed in MembersView: %v", err)
				}
			}
		})
	}

	t.Run("every member owns 80 to 100 partitions", func(t *testing.T) {
		pt, err := c.WaitPartitionsSettled(settleTimeout)
		must(t, err, "partition table")
		t.Logf("table version %d: %s", pt.Version, c.DescribeCounts(pt))
		checkBalanced(t, c, pt, 80, 100)
		checkTableLogged(t, c, pt)
	})

	t.Run("keys written through one member are read through each other member", func(t *testing.T) {
		keys := 20000
		writer := c.NewClient(t, harness.ClientOptions{Unisocket: true, Addresses: []string{c.Member(0).Addr}})
		l := harness.StartLoad(t, writer, harness.LoadOptions{Map: "three", Keys: keys, Rounds: 1, ReadEvery: -1})
		st, err := l.Wait(loadTimeout)
		must(t, err, "writing")
		t.Log(st)
		if st.Failed > 0 {
			t.Errorf("expected all %d writes through member 0 to succeed; %s", keys, st)
		}
		for _, m := range c.Members()[1:] {
			reader := c.NewClient(t, harness.ClientOptions{Unisocket: true, Addresses: []string{m.Addr}})
			ctx, cancel := context.WithTimeout(context.Background(), loadTimeout)
			r, err := l.Check(ctx, reader, true)
			cancel()
			must(t, err, "reading through "+m.String())
			if r.OK != keys || r.ReadErrors > 0 {
				t.Errorf("expected all %d keys written through member 0 to be read back through a unisocket client of %s: %s",
					keys, m, r)
			}
		}
	})
}

// TestJoinUnderLoad: a fourth member joins while 16 goroutines write and
// read continuously; the table rebalances to the four members, the master
// logs the migrations, no operation returns an error to the application,
// and every acknowledged write is readable afterwards with its last value.
func TestJoinUnderLoad(t *testing.T) {
	multiMember(t)
	keys := sized(5000, 20000)
	c := harness.StartCluster(t, 3, harness.Options{})
	before, err := c.WaitPartitionsSettled(settleTimeout)
	must(t, err, "initial partition table")
	cl := c.NewClient(t, harness.ClientOptions{})
	l := harness.StartLoad(t, cl, harness.LoadOptions{Map: "join", Keys: keys, ReadEvery: 2})
	must(t, l.WaitAcked(int64(keys), loadTimeout), "load before the join")

	master := c.Master()
	mark := master.Mark()
	joinAt := time.Now()
	m4, err := c.AddMember()
	must(t, err, "starting the fourth member")
	must(t, c.WaitClusterSize(4), "fourth member joining")
	pt, err := c.WaitPartitionsSettled(settleTimeout)
	must(t, err, "partition table after the join")
	t.Logf("join to settled table: %s; table version %d -> %d: %s", time.Since(joinAt).Round(time.Millisecond),
		before.Version, pt.Version, c.DescribeCounts(pt))
	if pt.Version <= before.Version {
		t.Errorf("expected the table version to grow after the join: %d -> %d", before.Version, pt.Version)
	}
	checkBalanced(t, c, pt, 58, 78)
	if line, err := master.WaitLogAfter(mark, harness.Message(harness.MsgMigrationsFinished), settleTimeout); err != nil {
		t.Errorf("expected the master to log the rebalance after %s joined: %v", m4, err)
	} else if n, _ := line.Int("migrations"); n <= 0 {
		t.Errorf("expected the master to count migrations > 0 after a join: %s", line.Raw)
	}

	// Keep the load going on the new table, then stop and check.
	must(t, l.WaitAcked(l.Acked()+int64(keys/2), loadTimeout), "load after the join")
	st := l.Stop()
	t.Log(st)
	if st.Failed > 0 || st.ReadFailed > 0 {
		t.Errorf("expected no operation to return an error to the application while a member joined; %s", st)
	}
	if st.ReadMismatch > 0 {
		t.Errorf("expected every read during the join to return the last acknowledged value; %s", st)
	}
	l.Verify(t, cl)
}

// TestGracefulShutdownUnderLoad: with backup-count 0, a member shut down
// with SIGTERM under load hands its partitions over before it exits:
// nothing acknowledged is lost and no operation fails.
func TestGracefulShutdownUnderLoad(t *testing.T) {
	multiMember(t)
	for _, tc := range []struct {
		name   string
		victim int
		slow   bool
	}{
		{"member 1", 1, false},
		{"master", 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.slow {
				needLong(t)
			}
			keys := sized(5000, 20000)
			c := harness.StartCluster(t, 3, harness.Options{BackupCount: 0})
			before, err := c.WaitPartitionsSettled(settleTimeout)
			must(t, err, "initial partition table")
			cl := c.NewClient(t, harness.ClientOptions{})
			l := harness.StartLoad(t, cl, harness.LoadOptions{Map: "leave", Keys: keys, ReadEvery: 2})
			must(t, l.WaitAcked(int64(keys), loadTimeout), "load before the shutdown")

			victim := c.Member(tc.victim)
			stopAt := time.Now()
			must(t, victim.Terminate(), "graceful shutdown")
			t.Logf("%s shut down in %s", victim, time.Since(stopAt).Round(time.Millisecond))
			if _, err := victim.WaitLog(harness.Message(harness.MsgMemberStopped), time.Second); err != nil {
				t.Errorf("expected a clean shutdown: %v", err)
			}
			must(t, c.WaitClusterSize(2), "member list after the shutdown")
			pt, err := c.WaitPartitionsSettled(settleTimeout)
			must(t, err, "partition table after the shutdown")
			t.Logf("table version %d -> %d: %s", before.Version, pt.Version, c.DescribeCounts(pt))

			must(t, l.WaitAcked(l.Acked()+int64(keys/2), loadTimeout), "load after the shutdown")
			st := l.Stop()
			t.Log(st)
			if st.Failed > 0 || st.ReadFailed > 0 {
				t.Errorf("expected no operation to return an error to the application during a graceful shutdown; %s", st)
			}
			if st.ReadMismatch > 0 {
				t.Errorf("expected every read to return the last acknowledged value (backup-count 0: the partitions must "+
					"migrate with their data before the member exits); %s", st)
			}
			l.Verify(t, cl)
		})
	}
}

// TestKillMaster: SIGKILL of the master (backup-count 0): the other members
// log a new member list of size 2, the next oldest takes over, the table
// is republished with every partition on a live member, and smart and
// unisocket clients keep working on keys of every partition. Data the
// master owned may be lost (that is the backups' job).
func TestKillMaster(t *testing.T) {
	multiMember(t)
	c := harness.StartCluster(t, 3, harness.Options{BackupCount: 0})
	before, err := c.WaitPartitionsSettled(settleTimeout)
	must(t, err, "initial partition table")
	master, next := c.Member(0), c.Member(1)
	oldVersion := make(map[*harness.Member]int)
	for _, m := range c.Members() {
		l, _ := m.Last(harness.MessagePrefix(harness.MembersPrefix))
		_, oldVersion[m], _ = l.MemberList()
	}

	cfg := c.ClientConfig(harness.ClientOptions{})
	w := harness.WatchMembers(&cfg)
	smart := harness.StartClient(t, cfg)
	// The unisocket client knows every address, the master's first, so it
	// connects to the master and must reconnect elsewhere.
	uni := c.NewClient(t, harness.ClientOptions{Unisocket: true,
		Addresses: []string{master.Addr, next.Addr, c.Member(2).Addr}})
	keys := harness.KeysForEveryPartition("km", c.PartitionCount)
	sm := getMap(t, smart, "killmaster")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for _, k := range keys {
		must(t, sm.Set(ctx, k, "before"), "write before the kill")
	}

	must(t, master.Kill(), "SIGKILL of the master")
	killedAt := master.KilledAt()
	must(t, c.WaitClusterSize(2), "member list after the master died")
	listed := time.Since(killedAt)
	for _, m := range c.Live() {
		l, _ := m.Last(harness.MessagePrefix(harness.MembersPrefix))
		if _, v, _ := l.MemberList(); v >= 0 && v <= oldVersion[m] {
			t.Errorf("expected %s's new member list to have a higher version than %d: %s", m, oldVersion[m], l.Message)
		}
		// The next oldest member is the new master: the line's "master"
		// field, or else the first listed (Hazelcast lists the master first).
		if master := l.Str("master"); master != "" {
			if master != next.Addr {
				t.Errorf("expected %s (the oldest survivor) to be the new master, %s names %s: %s", next, m, master, l.Raw)
			}
		} else if i, j := strings.Index(l.Message, portOf(next)), strings.Index(l.Message, portOf(c.Member(2))); i >= 0 && j >= 0 && i > j {
			t.Errorf("expected %s (the oldest survivor) to be listed first, as the new master, by %s:\n%s", next, m, l.Message)
		}
	}
	pt, err := c.WaitPartitionsSettled(settleTimeout)
	must(t, err, "partition table after the master died")
	t.Logf("SIGKILL to member list of 2: %s; to settled table: %s; table version %d -> %d: %s",
		listed.Round(time.Millisecond), time.Since(killedAt).Round(time.Millisecond), before.Version, pt.Version, c.DescribeCounts(pt))
	if pt.Version <= before.Version {
		t.Errorf("expected a republished table with a higher version than %d, got %d", before.Version, pt.Version)
	}
	if _, err := w.WaitSize(2, 20*time.Second); err != nil {
		t.Errorf("expected the smart client to learn that the master left: %v", err)
	} else if w.Has(master.UUID) {
		t.Errorf("the smart client still lists the dead master %s", master)
	}

	survived := 0
	for _, k := range keys {
		if v, err := sm.Get(ctx, k); err == nil && v == "before" {
			survived++
		}
	}
	t.Logf("%d of %d keys (one per partition) survived with backup-count 0; the master owned %d partitions",
		survived, len(keys), before.Counts()[master.UUID])

	for _, cl := range []struct {
		name string
		c    *hazelcast.Client
	}{{"smart", smart}, {"unisocket", uni}} {
		m := getMap(t, cl.c, "killmaster")
		var failed []string
		for _, k := range keys {
			v := "after-" + cl.name
			if err := m.Set(ctx, k, v); err != nil {
				failed = append(failed, fmt.Sprintf("Set %s: %v", k, err))
			} else if got, err := m.Get(ctx, k); err != nil || got != v {
				failed = append(failed, fmt.Sprintf("Get %s = %v, %v; expected %s", k, got, err, v))
			}
		}
		if len(failed) > 0 {
			t.Errorf("expected the %s client to keep working on every partition after the master died; %d of %d keys failed, e.g. %s",
				cl.name, len(failed), len(keys), failed[0])
		}
	}
}

// portOf returns ":PORT" of a member's address.
func portOf(m *harness.Member) string {
	return m.Addr[strings.LastIndexByte(m.Addr, ':'):]
}

// TestEntryListenerAcrossMembers: an entry listener registered through one
// member receives the events of keys owned by every member.
func TestEntryListenerAcrossMembers(t *testing.T) {
	multiMember(t)
	c := harness.StartCluster(t, 3, harness.Options{})
	pt, err := c.WaitPartitionsSettled(settleTimeout)
	must(t, err, "partition table")
	keys := harness.KeysForEveryPartition("ev", c.PartitionCount)
	if owners := pt.Counts(); len(owners) != 3 {
		t.Fatalf("premise: expected one key per partition to span 3 owners, got %s", c.DescribeCounts(pt))
	}
	writer := c.NewClient(t, harness.ClientOptions{})

	for _, mode := range []struct {
		name      string
		unisocket bool
	}{{"unisocket listener on member 0", true}, {"smart listener", false}} {
		t.Run(mode.name, func(t *testing.T) {
			opts := harness.ClientOptions{Unisocket: mode.unisocket}
			if mode.unisocket {
				opts.Addresses = []string{c.Member(0).Addr}
			}
			listener := c.NewClient(t, opts)
			name := "events-" + strings.ReplaceAll(mode.name, " ", "-")
			lm := getMap(t, listener, name)
			var mu sync.Mutex
			got := map[string]any{}
			changed := make(chan struct{}, 1)
			cfg := hazelcast.MapEntryListenerConfig{IncludeValue: true}
			cfg.NotifyEntryAdded(true)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			_, err := lm.AddEntryListener(ctx, cfg, func(e *hazelcast.EntryNotified) {
				mu.Lock()
				if k, ok := e.Key.(string); ok {
					got[k] = e.Value
				}
				mu.Unlock()
				select {
				case changed <- struct{}{}:
				default:
				}
			})
			must(t, err, "adding the entry listener")

			wm := getMap(t, writer, name)
			for _, k := range keys {
				must(t, wm.Set(ctx, k, "v-"+k), "write")
			}
			deadline := time.After(30 * time.Second)
			for done := false; !done; {
				mu.Lock()
				n := len(got)
				mu.Unlock()
				if n >= len(keys) {
					break
				}
				select {
				case <-changed:
				case <-deadline:
					done = true
				}
			}
			mu.Lock()
			defer mu.Unlock()
			missing := map[string]int{}
			wrong := 0
			for pid, k := range keys {
				v, ok := got[k]
				if !ok {
					missing[describeOwner(c, pt.Owner(int32(pid)))]++
				} else if v != "v-"+k {
					wrong++
				}
			}
			if len(missing) > 0 || wrong > 0 {
				t.Errorf("expected an added event for each of the %d keys (one per partition, owners %s); missing by owner: %v; %d with a wrong value",
					len(keys), c.DescribeCounts(pt), missing, wrong)
			}
		})
	}
}

// describeOwner names the member with uuid.
func describeOwner(c *harness.Cluster, uuid string) string {
	if m := c.MemberByUUID(uuid); m != nil {
		return m.String()
	}
	return "unknown member " + uuid
}

// TestRemovedMemberRejoinsAsNew: a member hung (SIGSTOP) longer than
// hazelcast.max.no.heartbeat.seconds is removed; when it resumes it learns
// it is out and rejoins as a new member (a new uuid).
func TestRemovedMemberRejoinsAsNew(t *testing.T) {
	multiMember(t)
	c := harness.StartCluster(t, 3, harness.Options{Properties: map[string]string{"hazelcast.max.no.heartbeat.seconds": "2"}})
	victim := c.Member(2)
	oldUUID := victim.UUID
	mark := c.Member(0).Mark()
	must(t, victim.Pause(), "SIGSTOP")
	_, err := c.Member(0).WaitLogAfter(mark, harness.MemberListSize(2), 20*time.Second)
	must(t, err, "member list without the hung member")
	vmark := victim.Mark()
	must(t, victim.Resume(), "SIGCONT")
	_, err = victim.WaitLogAfter(vmark, harness.Message("removed from the cluster; rejoining as a new member"), 20*time.Second)
	must(t, err, "the resumed member notices it was removed")
	line, err := victim.WaitLogAfter(vmark, harness.Message(harness.MsgMemberStarted), 30*time.Second)
	must(t, err, "the member starts again")
	newUUID := line.Str("uuid")
	if newUUID == "" || newUUID == oldUUID {
		t.Fatalf("rejoined with uuid %q, before %q: want a new identity", newUUID, oldUUID)
	}
	_, err = c.Member(0).WaitLogAfter(mark, harness.MemberListSize(3), 20*time.Second)
	must(t, err, "member list with the rejoined member")
}
