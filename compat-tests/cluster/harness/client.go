package harness

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	hazelcast "github.com/hazelcast/hazelcast-go-client"
	"github.com/hazelcast/hazelcast-go-client/cluster"
	"github.com/hazelcast/hazelcast-go-client/logger"
	"github.com/hazelcast/hazelcast-go-client/types"
)

// clientLogEnv turns the clients' info logging on.
const clientLogEnv = "FILBERT_CLUSTER_CLIENT_LOG"

// ClientOptions configure a client of a [Cluster].
type ClientOptions struct {
	// Unisocket selects unisocket routing: the client talks to one member,
	// which forwards what it does not own. Default: smart routing.
	Unisocket bool
	// Addresses are the member addresses the client knows. Default: every
	// live member.
	Addresses []string
	// InvocationTimeout bounds each operation, the client's own retries
	// included. Default: 60s.
	InvocationTimeout time.Duration
	// Configure, if set, adjusts the configuration last.
	Configure func(*hazelcast.Config)
}

var clientSeq atomic.Int64

// ClientConfig returns a client configuration for the cluster: its name,
// the addresses, quick reconnection, statistics off, and client logging at
// error level (info with FILBERT_CLUSTER_CLIENT_LOG=1).
func (c *Cluster) ClientConfig(o ClientOptions) hazelcast.Config {
	cfg := hazelcast.NewConfig()
	mode := "smart"
	if o.Unisocket {
		mode = "uni"
	}
	cfg.ClientName = fmt.Sprintf("harness-%s-%d", mode, clientSeq.Add(1))
	cfg.Cluster.Name = c.Name
	addrs := o.Addresses
	if len(addrs) == 0 {
		addrs = c.Addresses()
	}
	cfg.Cluster.Network.SetAddresses(addrs...)
	cfg.Cluster.Network.ConnectionTimeout = types.Duration(3 * time.Second)
	cfg.Cluster.Unisocket = o.Unisocket
	cfg.Cluster.ConnectionStrategy.Retry.InitialBackoff = types.Duration(100 * time.Millisecond)
	cfg.Cluster.ConnectionStrategy.Retry.MaxBackoff = types.Duration(time.Second)
	it := o.InvocationTimeout
	if it <= 0 {
		it = 60 * time.Second
	}
	cfg.Cluster.InvocationTimeout = types.Duration(it)
	cfg.Stats.Enabled = false
	cfg.Logger.Level = logger.ErrorLevel
	if os.Getenv(clientLogEnv) != "" {
		cfg.Logger.Level = logger.InfoLevel
	}
	if o.Configure != nil {
		o.Configure(&cfg)
	}
	return cfg
}

// NewClient starts a client with [Cluster.ClientConfig] and shuts it down
// when the test ends. It fails the test if the client cannot connect.
func (c *Cluster) NewClient(t testing.TB, o ClientOptions) *hazelcast.Client {
	t.Helper()
	return StartClient(t, c.ClientConfig(o))
}

// StartClient starts a client with cfg (30s to connect) and shuts it down
// when the test ends.
func StartClient(t testing.TB, cfg hazelcast.Config) *hazelcast.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cl, err := hazelcast.StartNewClientWithConfig(ctx, cfg)
	if err != nil {
		t.Fatalf("client %s (unisocket=%v) connecting to %v: %v", cfg.ClientName, cfg.Cluster.Unisocket,
			cfg.Cluster.Network.Addresses, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		_ = cl.Shutdown(ctx)
	})
	return cl
}

// MemberWatcher follows the member list a client sees through its
// membership listener.
type MemberWatcher struct {
	mu      sync.Mutex
	members map[string]string // uuid -> address
	removed []string          // uuids removed, in order
	changed chan struct{}
}

// WatchMembers registers a membership listener on cfg (before the client
// starts, so the initial member list arrives as "added" events).
func WatchMembers(cfg *hazelcast.Config) *MemberWatcher {
	w := &MemberWatcher{members: map[string]string{}, changed: make(chan struct{})}
	cfg.AddMembershipListener(func(e cluster.MembershipStateChanged) {
		w.mu.Lock()
		id := e.Member.UUID.String()
		if e.State == cluster.MembershipStateAdded {
			w.members[id] = e.Member.Address.String()
		} else {
			delete(w.members, id)
			w.removed = append(w.removed, id)
		}
		close(w.changed)
		w.changed = make(chan struct{})
		w.mu.Unlock()
	})
	return w
}

// Members returns the member addresses the client currently knows, sorted.
func (w *MemberWatcher) Members() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for _, a := range w.members {
		out = append(out, a)
	}
	slices.Sort(out)
	return out
}

// Has reports whether the client knows a member with uuid.
func (w *MemberWatcher) Has(uuid string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	_, ok := w.members[uuid]
	return ok
}

// WaitSize waits until the client knows exactly n members and returns their
// addresses.
func (w *MemberWatcher) WaitSize(n int, timeout time.Duration) ([]string, error) {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		w.mu.Lock()
		size, ch := len(w.members), w.changed
		w.mu.Unlock()
		if size == n {
			return w.Members(), nil
		}
		select {
		case <-ch:
		case <-timer.C:
			return nil, fmt.Errorf("expected the client's membership listener to report %d members within %s; it reports %d: %s",
				n, timeout, size, strings.Join(w.Members(), ", "))
		}
	}
}
