package compattests

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	hazelcast "github.com/hazelcast/hazelcast-go-client"
	"github.com/hazelcast/hazelcast-go-client/logger"
	"github.com/hazelcast/hazelcast-go-client/types"
	"github.com/rs/zerolog"

	"github.com/filbert/filbert/config"
	"github.com/filbert/filbert/server"
)

// clusterName is the cluster name every member and client of the suite uses
// unless a test says otherwise.
const clusterName = "compat"

// opTimeout bounds any single test step that talks to the member.
const opTimeout = 30 * time.Second

// mode is a client routing mode.
type mode struct {
	name      string
	unisocket bool
}

// modes are the routing modes every client-driven test runs in.
var modes = []mode{
	{name: "smart", unisocket: false},
	{name: "unisocket", unisocket: true},
}

// verbose reports whether member and client logs should be shown.
func verbose() bool { return os.Getenv("FILBERT_COMPAT_LOG") != "" }

// memberLogger returns the member's logger: silent unless FILBERT_COMPAT_LOG
// is set. (A testing.T writer is avoided on purpose: the member's event loop
// may log after a test has returned, which testing.T does not allow.)
func memberLogger() zerolog.Logger {
	if !verbose() {
		return zerolog.Nop()
	}
	return zerolog.New(zerolog.ConsoleWriter{Out: os.Stderr, TimeFormat: "15:04:05.000"}).
		With().Timestamp().Logger().Level(zerolog.DebugLevel)
}

// startMember starts a member on 127.0.0.1 with an ephemeral port and the
// suite's cluster name; mutate (optional) adjusts the configuration first.
// The member is shut down when the test ends.
func startMember(t testing.TB, mutate func(*config.Config)) *server.Member {
	t.Helper()
	cfg := config.Default()
	cfg.ClusterName = clusterName
	cfg.Network.Port = 0
	cfg.Network.PortAutoIncrement = false
	cfg.Network.Join.Multicast.Enabled = false
	if mutate != nil {
		mutate(cfg)
	}
	return startMemberWith(t, cfg)
}

// startMemberWith starts a member with cfg as given (Port 0 is forced so
// tests never collide).
func startMemberWith(t testing.TB, cfg *config.Config) *server.Member {
	t.Helper()
	cfg.Network.Port = 0
	cfg.Network.PortAutoIncrement = false
	m, err := server.New(server.Options{Config: cfg, Logger: memberLogger(), BindHost: "127.0.0.1"})
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	if err := m.Start(); err != nil {
		t.Fatalf("member Start: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		if err := m.Shutdown(ctx); err != nil {
			t.Errorf("member Shutdown: %v", err)
		}
	})
	return m
}

// clientConfig is the suite's client configuration for m: cluster name,
// the member's address only, short connection timeouts so that a refused
// client fails fast, statistics off.
func clientConfig(m *server.Member, unisocket bool) hazelcast.Config {
	c := hazelcast.NewConfig()
	c.ClientName = "compat-" + fmt.Sprint(time.Now().UnixNano())
	c.Cluster.Name = clusterName
	c.Cluster.Network.SetAddresses(m.Addr())
	c.Cluster.Network.ConnectionTimeout = types.Duration(2 * time.Second)
	c.Cluster.Unisocket = unisocket
	c.Cluster.ConnectionStrategy.Timeout = types.Duration(5 * time.Second)
	c.Cluster.ConnectionStrategy.Retry.InitialBackoff = types.Duration(100 * time.Millisecond)
	c.Cluster.ConnectionStrategy.Retry.MaxBackoff = types.Duration(500 * time.Millisecond)
	c.Cluster.InvocationTimeout = types.Duration(20 * time.Second)
	c.Stats.Enabled = false
	if verbose() {
		c.Logger.Level = logger.InfoLevel
	} else {
		c.Logger.Level = logger.OffLevel
	}
	return c
}

// startClient starts a client with cfg and shuts it down when the test ends.
func startClient(t testing.TB, cfg hazelcast.Config) *hazelcast.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	c, err := hazelcast.StartNewClientWithConfig(ctx, cfg)
	if err != nil {
		t.Fatalf("start client (unisocket=%v): %v", cfg.Cluster.Unisocket, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		if err := c.Shutdown(ctx); err != nil {
			t.Errorf("client Shutdown: %v", err)
		}
	})
	return c
}

// newClient starts a client for m in mode md.
func newClient(t testing.TB, m *server.Member, md mode) *hazelcast.Client {
	t.Helper()
	return startClient(t, clientConfig(m, md.unisocket))
}

// forEachMode runs fn as a parallel subtest per routing mode, each with
// its own client of one shared member (fn must use names from mapName so
// that the modes do not share maps).
func forEachMode(t *testing.T, m *server.Member, fn func(t *testing.T, c *hazelcast.Client)) {
	t.Helper()
	for _, md := range modes {
		t.Run(md.name, func(t *testing.T) {
			t.Parallel()
			c := newClient(t, m, md)
			fn(t, c)
		})
	}
}

// testCtx is a context bounded by opTimeout and cancelled at test end.
func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	t.Cleanup(cancel)
	return ctx
}

// getMap returns the map called name (prefixed with the test name so that
// subtests sharing a member do not collide).
func getMap(t testing.TB, c *hazelcast.Client, name string) *hazelcast.Map {
	t.Helper()
	mp, err := c.GetMap(testCtx(t), name)
	if err != nil {
		t.Fatalf("GetMap(%q): %v", name, err)
	}
	return mp
}

// mapName builds a map name unique to the running (sub)test.
func mapName(t testing.TB, suffix string) string {
	return t.Name() + "/" + suffix
}

// eventually polls cond every 20ms until it returns true or timeout passes;
// use it only where the client offers no event to wait for. On timeout the
// test fails with cond's last description.
func eventually(t testing.TB, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	last := ""
	for {
		ok, desc := cond()
		if ok {
			return
		}
		last = desc
		if time.Now().After(deadline) {
			t.Fatalf("%s: not true within %v (last: %s)", what, timeout, last)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// must fails the test on err.
func must(t testing.TB, err error, what string, args ...any) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", fmt.Sprintf(what, args...), err)
	}
}
