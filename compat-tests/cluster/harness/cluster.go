package harness

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// defaultHost is the bind address members get unless Options.Hosts says
// otherwise (filbert's own default).
const defaultHost = "127.0.0.1"

// logDirEnv names a directory that keeps member logs and configurations
// after the test.
const logDirEnv = "FILBERT_CLUSTER_LOGDIR"

// Options configure a cluster. The zero value is a cluster on 127.0.0.1
// whose maps have no backups.
type Options struct {
	// BackupCount, AsyncBackupCount and ReadBackupData configure the
	// "default" map (so every map without a more specific entry). Unlike
	// Hazelcast's default of one backup, the zero value means none.
	BackupCount      int
	AsyncBackupCount int
	ReadBackupData   bool
	// Maps are further <map> elements, written after "default".
	Maps []MapConfig
	// Properties become <properties>, e.g. hazelcast.partition.count.
	Properties map[string]string
	// Hosts are the bind addresses (--host); member i binds
	// Hosts[i%len(Hosts)]. Default: 127.0.0.1 for every member.
	Hosts []string
	// MaxMembers is how many members the port range and the tcp-ip member
	// list make room for per host (port-count). Default: n+3.
	MaxMembers int
	// LogLevel is the members' --log-level. Default: info.
	LogLevel string
	// StartTimeout bounds the wait for a member's "member started" line.
	// Default: 30s.
	StartTimeout time.Duration
	// JoinTimeout bounds [Cluster.WaitClusterSize] (and so each member's
	// join during StartCluster). Default: 30s.
	JoinTimeout time.Duration
	// StopTimeout bounds a graceful shutdown ([Member.Terminate]).
	// Default: 60s.
	StopTimeout time.Duration
	// ConcurrentStart starts every member at once and waits for all of
	// them (members restarting on persisted data wait for each other
	// before they announce "member started").
	ConcurrentStart bool
	// ClusterName overrides the generated cluster name (a restore from a
	// hot backup needs the backed-up cluster's name).
	ClusterName string
	// Persistence, when set, enables Hot Restart persistence for every
	// map: member i uses <PersistenceRoot>/member-i/base as base-dir and
	// <PersistenceRoot>/member-i/backups as backup-dir, through the
	// FILBERT_MEMBER environment variable the harness sets. REST is
	// enabled with the CLUSTER_WRITE and PERSISTENCE groups.
	Persistence *Persistence
}

// Persistence configures Hot Restart for a cluster.
type Persistence struct {
	// Root holds the members' directories (default: the cluster's Dir).
	Root string
	// Fsync makes every map write durable before it is acknowledged.
	Fsync bool
	// ValidationTimeoutSeconds is the restart validation timeout (default 30).
	ValidationTimeoutSeconds int
}

// BaseDir is member index's base-dir under root.
func (p *Persistence) BaseDir(index int) string {
	return filepath.Join(p.Root, fmt.Sprintf("member-%d", index), "base")
}

// BackupDir is member index's backup-dir under root.
func (p *Persistence) BackupDir(index int) string {
	return filepath.Join(p.Root, fmt.Sprintf("member-%d", index), "backups")
}

// maps returns the <map> elements: "default" from the options, then Maps.
func (o Options) maps() []MapConfig {
	return append([]MapConfig{{Name: "default", BackupCount: o.BackupCount,
		AsyncBackupCount: o.AsyncBackupCount, ReadBackupData: o.ReadBackupData}}, o.Maps...)
}

func (o *Options) fill(n int) {
	if len(o.Hosts) == 0 {
		o.Hosts = []string{defaultHost}
	}
	if o.MaxMembers < n+3 {
		o.MaxMembers = n + 3
	}
	if o.LogLevel == "" {
		o.LogLevel = "info"
	}
	if o.StartTimeout <= 0 {
		o.StartTimeout = 30 * time.Second
	}
	if o.JoinTimeout <= 0 {
		o.JoinTimeout = 30 * time.Second
	}
	if o.StopTimeout <= 0 {
		o.StopTimeout = 60 * time.Second
	}
}

// Cluster is a set of member processes started from one hazelcast.xml.
type Cluster struct {
	// Name is the cluster-name, unique to the test.
	Name string
	// Dir holds the configuration and the member logs.
	Dir string
	// ConfigPath is the hazelcast.xml every member reads.
	ConfigPath string
	// BasePort is the configured port; members auto-increment from it.
	BasePort int
	// PortCount is the configured port-count.
	PortCount int
	// PartitionCount is the partition count member 0 announced (271 by
	// default).
	PartitionCount int

	t    testing.TB
	opts Options
	bin  string

	mu      sync.Mutex
	members []*Member
	changed chan struct{} // closed and replaced whenever a member logs or exits
}

// StartCluster starts n members from one generated hazelcast.xml, one
// after the other, and with n > 1 waits after each start until every
// member lists it ([Cluster.WaitClusterSize]), so member 0 is the oldest.
// It fails the test if a member does not start or join. Every process is
// killed when the test ends, and the tail of each member's log is written
// to the test log if the test failed.
func StartCluster(t testing.TB, n int, opts Options) *Cluster {
	t.Helper()
	if n < 1 {
		t.Fatalf("StartCluster: n = %d", n)
	}
	opts.fill(n)
	c := &Cluster{t: t, opts: opts, bin: Binary(t), changed: make(chan struct{}), PartitionCount: 271}
	c.Name = "filbert-" + shortName(t.Name()) + "-" + fmt.Sprint(time.Now().UnixNano()%1e9)
	if opts.ClusterName != "" {
		c.Name = opts.ClusterName
	}
	c.Dir = logDir(t)
	if opts.Persistence != nil && opts.Persistence.Root == "" {
		p := *opts.Persistence
		p.Root = c.Dir
		opts.Persistence = &p
		c.opts.Persistence = &p
	}
	base, err := freeBase(uniqueHosts(opts.Hosts), opts.MaxMembers)
	if err != nil {
		t.Fatalf("StartCluster: %v", err)
	}
	c.BasePort, c.PortCount = base, opts.MaxMembers
	c.ConfigPath = filepath.Join(c.Dir, "hazelcast.xml")
	if err := os.WriteFile(c.ConfigPath, renderXML(c.Name, opts.Hosts, base, opts.MaxMembers, opts), 0o644); err != nil {
		t.Fatalf("StartCluster: %v", err)
	}
	t.Cleanup(c.cleanup)
	if opts.ConcurrentStart {
		c.members = make([]*Member, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			m, err := startProcess(c, i, opts.Hosts[i%len(opts.Hosts)])
			if err != nil {
				t.Fatalf("StartCluster: starting member %d: %v", i, err)
			}
			c.members[i] = m
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = m.awaitStart(opts.StartTimeout)
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("StartCluster: member %d: %v", i, err)
			}
		}
		if err := c.WaitClusterSize(n); err != nil {
			t.Fatalf("StartCluster: %v", err)
		}
		return c
	}
	for i := range n {
		m, err := c.AddMember()
		if err != nil {
			t.Fatalf("StartCluster: starting member %d of %d: %v", i, n, err)
		}
		if i == 0 {
			if pc, ok := m.startLine().Int("partitions"); ok && pc > 0 {
				c.PartitionCount = pc
			}
		}
		if n > 1 && i > 0 {
			if err := c.WaitClusterSize(i + 1); err != nil {
				t.Fatalf("StartCluster: %s did not join (expected a cluster of %d): %v", m, i+1, err)
			}
		}
	}
	return c
}

// shortName turns a test name into something fit for a cluster name.
func shortName(name string) string {
	s := regexp.MustCompile(`[^A-Za-z0-9]+`).ReplaceAllString(name, "-")
	if len(s) > 40 {
		s = s[len(s)-40:]
	}
	return strings.Trim(s, "-")
}

// logDir is the test's temporary directory, or a directory under
// FILBERT_CLUSTER_LOGDIR that outlives the test.
func logDir(t testing.TB) string {
	root := os.Getenv(logDirEnv)
	if root == "" {
		return t.TempDir()
	}
	dir := filepath.Join(root, shortName(t.Name())+"-"+time.Now().Format("150405.000"))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("%s: %v", logDirEnv, err)
	}
	return dir
}

// cleanup kills every process and, if the test failed, logs each member's
// last lines.
func (c *Cluster) cleanup() {
	members := c.Members()
	var wg sync.WaitGroup
	for _, m := range members {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m.forceStop()
		}()
	}
	wg.Wait()
	if !c.t.Failed() {
		return
	}
	keep := "set " + logDirEnv + "=<dir> to keep the full logs"
	if os.Getenv(logDirEnv) != "" {
		keep = "full logs in " + c.Dir
	}
	for _, m := range members {
		c.t.Logf("%s, pid %d, %s; last lines (%s):\n%s", m, m.Pid, m.exitDescription(), keep, m.Tail(40))
	}
}

// Restart starts member index again (after it stopped), with the same
// configuration and environment (so the same base-dir), and waits for its
// "member started" line. The returned Member replaces the old one.
func (c *Cluster) Restart(index int) (*Member, error) {
	c.mu.Lock()
	old := c.members[index]
	c.mu.Unlock()
	select {
	case <-old.done:
	default:
		return nil, fmt.Errorf("member %d is still running", index)
	}
	host := c.opts.Hosts[index%len(c.opts.Hosts)]
	m, err := startProcess(c, index, host)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.members[index] = m
	c.mu.Unlock()
	if err := m.awaitStart(c.opts.StartTimeout); err != nil {
		_ = m.Kill()
		return nil, err
	}
	return m, nil
}

// AddMember starts one more member from the cluster's configuration (on
// the next host of Options.Hosts) and waits for its "member started" line.
// It does not wait for the member to join: see [Cluster.WaitClusterSize].
func (c *Cluster) AddMember() (*Member, error) {
	c.mu.Lock()
	index := len(c.members)
	c.mu.Unlock()
	host := c.opts.Hosts[index%len(c.opts.Hosts)]
	m, err := startProcess(c, index, host)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.members = append(c.members, m)
	c.mu.Unlock()
	if err := m.awaitStart(c.opts.StartTimeout); err != nil {
		_ = m.Kill()
		return nil, err
	}
	return m, nil
}

// startLine is the member's "member started" line.
func (m *Member) startLine() Line {
	l, _ := m.find(0, Message(MsgMemberStarted))
	return l
}

// Members returns every member started, live or not, in start order.
func (c *Cluster) Members() []*Member {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*Member(nil), c.members...)
}

// Member returns member i (start order).
func (c *Cluster) Member(i int) *Member {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.members[i]
}

// Live returns the members whose process has not exited, in start order
// (paused members included).
func (c *Cluster) Live() []*Member {
	var out []*Member
	for _, m := range c.Members() {
		if !m.Exited() {
			out = append(out, m)
		}
	}
	return out
}

// responsive returns the live members that are not paused.
func (c *Cluster) responsive() []*Member {
	var out []*Member
	for _, m := range c.Live() {
		if !m.Paused() {
			out = append(out, m)
		}
	}
	return out
}

// Master returns the oldest live member, which Hazelcast's rules make the
// master (members are started one at a time, so start order is age).
func (c *Cluster) Master() *Member {
	live := c.Live()
	if len(live) == 0 {
		return nil
	}
	return live[0]
}

// Addresses returns the addresses of the live members.
func (c *Cluster) Addresses() []string {
	var out []string
	for _, m := range c.Live() {
		out = append(out, m.Addr)
	}
	return out
}

// notify wakes every waiter.
func (c *Cluster) notify() {
	c.mu.Lock()
	close(c.changed)
	c.changed = make(chan struct{})
	c.mu.Unlock()
}

func (c *Cluster) changedCh() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.changed
}

// errTimeout is returned by waitFor when the deadline passes.
var errTimeout = errors.New("timed out")

// waitFor evaluates cond now and after every log line or exit of any
// member until it reports done or an error, or timeout passes.
func (c *Cluster) waitFor(timeout time.Duration, cond func() (bool, error)) error {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		ch := c.changedCh() // before evaluating, so no change is missed
		done, err := cond()
		if err != nil {
			return err
		}
		if done {
			return nil
		}
		select {
		case <-ch:
		case <-timer.C:
			return errTimeout
		}
	}
}

// WaitClusterSize waits (up to Options.JoinTimeout) until the latest
// member-list line of every live, unpaused member says size n.
func (c *Cluster) WaitClusterSize(n int) error {
	return c.WaitClusterSizeWithin(n, c.opts.JoinTimeout)
}

// WaitClusterSizeWithin is [Cluster.WaitClusterSize] with its own timeout.
func (c *Cluster) WaitClusterSizeWithin(n int, timeout time.Duration) error {
	err := c.waitFor(timeout, func() (bool, error) {
		members := c.responsive()
		if len(members) == 0 {
			return false, fmt.Errorf("no live member left (waiting for a member list of size %d)", n)
		}
		for _, m := range members {
			l, ok := m.Last(MessagePrefix(MembersPrefix))
			if !ok {
				return false, nil
			}
			if size, _, _ := l.MemberList(); size != n {
				return false, nil
			}
		}
		return true, nil
	})
	if errors.Is(err, errTimeout) {
		return fmt.Errorf("expected every live member to log a member list of size %d (%q) within %s; latest member lists:\n%s",
			n, fmt.Sprintf("Members {size:%d, ver:...} [", n), timeout, c.memberLists())
	}
	return err
}

// memberLists describes each live member's latest member-list line.
func (c *Cluster) memberLists() string {
	var b strings.Builder
	for _, m := range c.Live() {
		state := ""
		if m.Paused() {
			state = " (paused)"
		}
		if l, ok := m.Last(MessagePrefix(MembersPrefix)); ok {
			size, ver, _ := l.MemberList()
			fmt.Fprintf(&b, "    %s%s: size %d, version %d, logged %s ago\n", m, state, size, ver,
				time.Since(l.At).Round(time.Millisecond))
		} else {
			fmt.Fprintf(&b, "    %s%s: no member list logged\n", m, state)
		}
	}
	return b.String()
}

// Persistence returns the cluster's persistence settings (nil without).
func (c *Cluster) Persistence() *Persistence { return c.opts.Persistence }
