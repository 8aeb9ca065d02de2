package server

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/panjf2000/gnet/v2"
	"github.com/rs/zerolog"

	"github.com/filbert/filbert/cluster"
	"github.com/filbert/filbert/config"
	"github.com/filbert/filbert/imap"
	"github.com/filbert/filbert/partition"
	"github.com/filbert/filbert/protocol"
	"github.com/filbert/filbert/rest"
	"github.com/filbert/filbert/worker"
)

// Version is the Hazelcast version the member advertises to clients: a plain
// 5.x release, as the official clients expect (they parse major.minor).
const Version = "5.3.6"

// Options configure a Member. Zero fields take defaults.
type Options struct {
	// Config is the parsed hazelcast.xml (required).
	Config *config.Config
	// Logger receives the member's logs.
	Logger zerolog.Logger
	// BindHost is the interface to listen on (default 127.0.0.1).
	BindHost string
	// Workers is the number of partition workers (default GOMAXPROCS).
	Workers int
	// Limits bound frame and message sizes.
	Limits protocol.Limits
	// EventLoops is the number of gnet event loops (default 1: on the
	// small machines Filbert targets, workers need the other cores).
	EventLoops int
}

// Member is one Filbert member serving the client protocol.
type Member struct {
	opts      Options
	cfg       *config.Config
	log       zerolog.Logger
	uuid      protocol.UUID
	clusterID protocol.UUID
	host      string
	port      int
	pcount    int32

	pool       *worker.Pool
	partitions []*imap.Partition
	// wakeLists holds, per worker, the connections its current batch
	// queued output for; the worker wakes them after the batch.
	wakeLists [][]*Conn

	listeners *listenerRegistry
	objects   *objectRegistry
	clients   *clientRegistry
	schemas   *schemaRegistry

	engine   gnet.Engine
	booted   chan error
	stopped  chan struct{}
	stopOnce sync.Once
	nextConn uint64
	connMu   sync.Mutex
	conns    map[*Conn]struct{}

	heartbeatTimeout time.Duration
	mux              map[int32]handler

	// Clustering.
	node          *cluster.Node
	table         atomic.Pointer[partition.ReplicaTable]
	tableReady    chan struct{}
	tableOnce     sync.Once
	pstate        []pstate
	rebalanceKick chan struct{}
	stopping      chan struct{}
	stopFlag      atomic.Bool
	leaveMu       sync.Mutex
	leavers       map[protocol.UUID]bool
	leaving       atomic.Bool
	leftCh        chan struct{}
	leftOnce      sync.Once
	removed       atomic.Bool
	memberCount   atomic.Int32
	persist       *persistence
	bkListeners   backupListeners
	removedCh     chan struct{}
	removedOnce   sync.Once
	doneCh        chan struct{}
	doneOnce      sync.Once
	dyn           dynConfigs
	short         sync.Once
	router        *rest.Router
	started       time.Time
	state         atomic.Int32 // ClusterState
	txn           stateTxn
	migrating     atomic.Bool
	remotes       remoteConns
	regs          remoteRegs
	viewLs        viewListeners
	connIDs       map[uint64]*Conn
	stats         memberStats
	backupTimeout time.Duration
	// bkCache caches mapBackups per map name.
	bkCache sync.Map
	// dynMaps holds map backup settings added at runtime (dynamic config).
	dynMaps             sync.Map
	failOnIndeterminate bool
}

// memberStats are counters for logs and tests.
type memberStats struct {
	forwarded, migratedIn, migratedOut, promotions                atomic.Int64
	backupsSent, backupsAcked, backupsTimedOut, backupsDropped    atomic.Int64
	syncRequests, syncsServed, syncsApplied, backupReads, repairs atomic.Int64
	retryables, clientAcks                                        atomic.Int64
}

func (m *Member) isStopping() bool { return m.stopFlag.Load() }

// New builds a member from opts without listening yet.
func New(opts Options) (*Member, error) {
	if opts.Config == nil {
		return nil, errors.New("server: Options.Config is required")
	}
	if err := opts.Config.Validate(); err != nil {
		return nil, fmt.Errorf("server: invalid config: %w", err)
	}
	if opts.BindHost == "" {
		opts.BindHost = "127.0.0.1"
	}
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	if opts.EventLoops <= 0 {
		opts.EventLoops = 1
	}
	opts.Limits = opts.Limits.WithDefaults()
	pc := opts.Config.PartitionCount()
	hb, err := opts.Config.IntProperty("hazelcast.client.max.no.heartbeat.seconds", 60)
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	m := &Member{
		opts:             opts,
		cfg:              opts.Config,
		log:              opts.Logger.With().Str("component", "member").Logger(),
		uuid:             newUUID(),
		clusterID:        newUUID(),
		pcount:           int32(pc),
		booted:           make(chan error, 1),
		stopped:          make(chan struct{}),
		conns:            make(map[*Conn]struct{}),
		connIDs:          make(map[uint64]*Conn),
		tableReady:       make(chan struct{}),
		rebalanceKick:    make(chan struct{}, 1),
		stopping:         make(chan struct{}),
		leavers:          make(map[protocol.UUID]bool),
		leftCh:           make(chan struct{}),
		removedCh:        make(chan struct{}),
		doneCh:           make(chan struct{}),
		heartbeatTimeout: time.Duration(hb) * time.Second,
	}
	if err := m.openPersistence(); err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	m.listeners = newListenerRegistry()
	m.objects = newObjectRegistry()
	m.clients = newClientRegistry()
	m.schemas = newSchemaRegistry()
	m.listeners.member = m.uuid
	m.listeners.wakeList = func(pid int32) *[]*Conn { return &m.wakeLists[m.pool.WorkerOf(pid)] }
	m.wakeLists = make([][]*Conn, opts.Workers)
	m.pool = worker.NewWithHook(opts.Workers, 0, m.afterBatch)
	m.partitions = make([]*imap.Partition, pc)
	m.pstate = make([]pstate, pc)
	mapCfg := func(name string) imap.MapConfig {
		c := m.mapConfig(name)
		return imap.MapConfig{TTLSeconds: c.TTLSeconds, MaxIdleSeconds: c.MaxIdleSeconds}
	}
	for i := range m.partitions {
		p := imap.NewPartition(int32(i), mapCfg, m.listeners, m.pool, nil)
		p.ExpiryHook = func(name string, key []byte) { m.replicateExpiry(p, name, key) }
		m.partitions[i] = p
	}
	bt, err := opts.Config.IntProperty("hazelcast.operation.backup.timeout.millis", 5000)
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	m.backupTimeout = time.Duration(bt) * time.Millisecond
	fi, err := opts.Config.BoolProperty("hazelcast.operation.fail.on.indeterminate.state", false)
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	m.failOnIndeterminate = fi
	m.mux = m.routes()
	m.router = rest.NewRouter(m.cfg.REST, restBackend{m})
	m.host = m.advertisedHost()
	if err := m.newNode(); err != nil {
		m.closePersistence()
		return nil, fmt.Errorf("server: %w", err)
	}
	if err := m.loadPersisted(); err != nil {
		m.pool.Stop()
		m.closePersistence()
		return nil, fmt.Errorf("server: %w", err)
	}
	return m, nil
}

// UUID returns the member's identity.
func (m *Member) UUID() protocol.UUID { return m.uuid }

// Addr returns host:port the member listens on (valid after Start).
func (m *Member) Addr() string { return net.JoinHostPort(m.host, strconv.Itoa(m.port)) }

// Port returns the bound port (valid after Start).
func (m *Member) Port() int { return m.port }

// PartitionCount returns the number of partitions.
func (m *Member) PartitionCount() int32 { return m.pcount }

// Start binds the first free port of the configured range and serves
// clients in the background. It returns once the member accepts
// connections.
func (m *Member) Start() error {
	ports := m.cfg.Ports()
	var lastErr error
	for _, port := range ports {
		addr := "tcp://" + net.JoinHostPort(m.opts.BindHost, strconv.Itoa(port))
		done := make(chan error, 1)
		go func() {
			done <- gnet.Run(&eventHandler{m: m}, addr,
				gnet.WithMulticore(m.opts.EventLoops > 1),
				gnet.WithNumEventLoop(m.opts.EventLoops),
				gnet.WithTCPNoDelay(gnet.TCPNoDelay),
				gnet.WithTicker(true),
				gnet.WithReuseAddr(true),
				gnet.WithLogger(gnetLogger{m.log}),
			)
		}()
		select {
		case err := <-m.booted:
			if err != nil {
				return err
			}
			go func() {
				if err := <-done; err != nil {
					m.log.Error().Err(err).Msg("event loop stopped")
				}
				close(m.stopped)
			}()
			go m.rebalancer()
			if err := m.startCluster(); err != nil {
				_ = m.Shutdown(context.Background())
				return err
			}
			go m.replicaChecker()
			m.log.Info().Str("address", m.Addr()).Str("uuid", m.uuid.String()).
				Str("cluster", m.cfg.ClusterName).Int32("partitions", m.pcount).
				Msg("member started")
			return nil
		case err := <-done:
			lastErr = err
			m.log.Debug().Err(err).Int("port", port).Msg("port unavailable, trying next")
		}
	}
	m.pool.Stop()
	m.closePersistence()
	return fmt.Errorf("server: could not bind any of ports %v: %w", portRange(ports), lastErr)
}

func portRange(ports []int) string {
	if len(ports) == 1 {
		return strconv.Itoa(ports[0])
	}
	return fmt.Sprintf("%d-%d", ports[0], ports[len(ports)-1])
}

// advertisedHost is the address clients are told to dial.
func (m *Member) advertisedHost() string {
	if pa := m.cfg.Network.PublicAddress; pa != "" {
		if h, _, err := net.SplitHostPort(pa); err == nil {
			return h
		}
		return pa
	}
	if ip := net.ParseIP(m.opts.BindHost); ip != nil && ip.IsUnspecified() {
		return "127.0.0.1"
	}
	return m.opts.BindHost
}

// boundPort reads the listening port from the engine's listener.
func boundPort(eng gnet.Engine) (int, error) {
	fd, err := eng.Dup()
	if err != nil {
		return 0, fmt.Errorf("dup listener: %w", err)
	}
	defer syscall.Close(fd)
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		return 0, fmt.Errorf("getsockname: %w", err)
	}
	switch a := sa.(type) {
	case *syscall.SockaddrInet4:
		return a.Port, nil
	case *syscall.SockaddrInet6:
		return a.Port, nil
	}
	return 0, fmt.Errorf("unexpected listener address %T", sa)
}

// Shutdown closes client connections, stops the event loop and drains the
// workers.
func (m *Member) Shutdown(ctx context.Context) error {
	var err error
	m.stopOnce.Do(func() {
		m.log.Info().Msg("member shutting down")
		if !m.removed.Load() {
			if lerr := m.leaveCluster(ctx); lerr != nil {
				m.log.Warn().Err(lerr).Msg("could not hand partitions over before stopping")
			}
		}
		m.stopFlag.Store(true)
		close(m.stopping)
		m.node.Stop()
		// Engine.Stop polls for completion every 500 ms; gnet.Run
		// returning (m.stopped) is the prompt signal, so wait for that.
		stopErr := make(chan error, 1)
		go func() { stopErr <- m.engine.Stop(ctx) }()
		select {
		case <-m.stopped:
		case err = <-stopErr:
			if err == nil {
				<-m.stopped
			}
		case <-ctx.Done():
			err = ctx.Err()
		}
		m.pool.Stop()
		m.closePersistence()
		m.log.Info().Msg("member stopped")
	})
	return err
}

func newUUID() protocol.UUID {
	var b [16]byte
	for {
		if _, err := rand.Read(b[:]); err != nil {
			panic(fmt.Sprintf("crypto/rand: %v", err))
		}
		b[6] = b[6]&0x0f | 0x40 // version 4
		b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
		u := protocol.UUID{MSB: binary.BigEndian.Uint64(b[:8]), LSB: binary.BigEndian.Uint64(b[8:])}
		if !u.IsZero() {
			return u
		}
	}
}

// afterBatch runs on worker w after each batch: it writes the output the
// batch queued, one writev per connection.
func (m *Member) afterBatch(w int) {
	list := m.wakeLists[w]
	for i, c := range list {
		c.flushDirect()
		list[i] = nil
	}
	m.wakeLists[w] = list[:0]
}
