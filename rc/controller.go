package rc

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/filbert/filbert/config"
	"github.com/filbert/filbert/rc/rcthrift"
)

// Defaults for Options.
const (
	// DefaultAddr is where the official suites look for the controller.
	DefaultAddr = "127.0.0.1:9701"
	// DefaultStartTimeout bounds how long startMember waits for a member's
	// "member started" log line.
	DefaultStartTimeout = 60 * time.Second
	// DefaultStopTimeout bounds how long shutdownMember waits after SIGTERM
	// before it kills the member. A member gives its own shutdown 30s.
	DefaultStopTimeout = 35 * time.Second
)

// ScriptsNotSupported is the message of executeOnController's answer.
const ScriptsNotSupported = "scripts are not supported by Filbert"

// Options configures a Controller.
type Options struct {
	// MemberBinary is the filbert executable started for each member, run
	// as `MemberBinary --config FILE`. Empty means os.Executable().
	MemberBinary string
	// WorkDir receives the clusters' configuration files. Empty means a new
	// temporary directory, removed by Close.
	WorkDir string
	// MemberLogDir, when set, receives each member's output in a file named
	// after its cluster and start order. Otherwise the output is read and
	// dropped (its last lines still appear in startMember errors).
	MemberLogDir string
	// StartTimeout and StopTimeout default to DefaultStartTimeout and
	// DefaultStopTimeout.
	StartTimeout time.Duration
	StopTimeout  time.Duration
	// Logger receives the controller's log.
	Logger zerolog.Logger
}

// Controller implements the RemoteController service
// (rcthrift.RemoteController) over Filbert member processes. Its methods are
// safe for concurrent use; cluster operations are serialised, as with the
// Java controller's simple server.
type Controller struct {
	opts    Options
	log     zerolog.Logger
	ownWork bool

	mu       sync.Mutex // serialises every cluster operation
	clusters map[string]*cluster
	seq      int // numbers configuration and log files
	closed   bool

	netMu     sync.Mutex
	closing   bool // set by Close: accept nothing more
	listeners map[io.Closer]struct{}
	conns     map[io.Closer]struct{}
	wg        sync.WaitGroup // connection goroutines
}

// cluster is one createCluster result.
type cluster struct {
	id      string
	xml     string // as the caller gave it, to compare on createClusterKeepClusterName
	path    string // configuration file the members read
	members map[string]*memberProcess
	started int // members started so far, for log file names
}

var _ rcthrift.RemoteController = (*Controller)(nil)

// New returns a Controller. It fails only when the member binary or the work
// directory cannot be determined.
func New(opts Options) (*Controller, error) {
	if opts.StartTimeout <= 0 {
		opts.StartTimeout = DefaultStartTimeout
	}
	if opts.StopTimeout <= 0 {
		opts.StopTimeout = DefaultStopTimeout
	}
	if opts.MemberBinary == "" {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("rc: member binary: %w", err)
		}
		opts.MemberBinary = exe
	}
	c := &Controller{
		opts:      opts,
		log:       opts.Logger.With().Str("component", "rc").Logger(),
		clusters:  map[string]*cluster{},
		listeners: map[io.Closer]struct{}{},
		conns:     map[io.Closer]struct{}{},
	}
	if opts.WorkDir == "" {
		dir, err := os.MkdirTemp("", "filbert-rc-")
		if err != nil {
			return nil, fmt.Errorf("rc: work directory: %w", err)
		}
		c.opts.WorkDir, c.ownWork = dir, true
	}
	if opts.MemberLogDir != "" {
		if err := os.MkdirAll(opts.MemberLogDir, 0o755); err != nil {
			return nil, fmt.Errorf("rc: member log directory: %w", err)
		}
	}
	return c, nil
}

// Close stops serving, stops every member the controller started and
// removes its temporary files. It is safe to call more than once.
func (c *Controller) Close() error {
	c.netMu.Lock()
	c.closing = true
	for l := range c.listeners {
		l.Close()
	}
	for conn := range c.conns {
		conn.Close()
	}
	c.netMu.Unlock()
	c.wg.Wait()

	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	c.closed = true
	c.cleanLocked("controller closing")
	if c.ownWork {
		return os.RemoveAll(c.opts.WorkDir)
	}
	return nil
}

// Ping answers true.
func (c *Controller) Ping(context.Context) (bool, error) { return true, nil }

// Clean shuts every cluster down and forgets it.
func (c *Controller) Clean(context.Context) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cleanLocked("clean")
	return true, nil
}

// Exit does what the Java controller does: it cleans. The controller keeps
// serving (suites call exit between test classes).
func (c *Controller) Exit(ctx context.Context) (bool, error) {
	return c.Clean(ctx)
}

// cleanLocked shuts every member of every cluster down, in parallel.
func (c *Controller) cleanLocked(reason string) {
	if len(c.clusters) == 0 {
		return
	}
	var members []*memberProcess
	for _, cl := range c.clusters {
		for _, m := range cl.members {
			members = append(members, m)
		}
	}
	c.log.Info().Str("reason", reason).Int("clusters", len(c.clusters)).Int("members", len(members)).
		Msg("shutting all clusters down")
	c.stopAll(members, false)
	for _, cl := range c.clusters {
		os.Remove(cl.path)
	}
	c.clusters = map[string]*cluster{}
}

// stopAll shuts members down (or kills them) in parallel and waits.
func (c *Controller) stopAll(members []*memberProcess, kill bool) {
	var wg sync.WaitGroup
	for _, m := range members {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if kill {
				m.kill()
			} else {
				m.shutdown(c.opts.StopTimeout)
			}
		}()
	}
	wg.Wait()
}

// CreateCluster registers a cluster whose id and cluster name are a new
// random UUID, whatever cluster-name the XML gives.
func (c *Controller) CreateCluster(_ context.Context, hzVersion, xmlconfig string) (*rcthrift.Cluster, error) {
	return c.createCluster(hzVersion, xmlconfig, false)
}

// CreateClusterKeepClusterName registers a cluster whose id is the XML's
// cluster name. The same XML returns the existing cluster; a different XML
// for an existing name is a ServerException.
func (c *Controller) CreateClusterKeepClusterName(_ context.Context, hzVersion, xmlconfig string) (*rcthrift.Cluster, error) {
	return c.createCluster(hzVersion, xmlconfig, true)
}

func (c *Controller) createCluster(hzVersion, xmlconfig string, keepName bool) (*rcthrift.Cluster, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, serverError("the remote controller is closing")
	}
	doc := []byte(xmlconfig)
	if strings.TrimSpace(xmlconfig) == "" {
		doc = []byte(emptyConfigXML)
	}
	cfg, warnings, err := config.Parse(doc, "rc.xml", config.ParseOptions{})
	if err != nil {
		c.log.Warn().Err(err).Msg("createCluster: invalid configuration")
		return nil, serverError("invalid configuration: " + err.Error())
	}
	id := cfg.ClusterName
	if keepName {
		if existing, ok := c.clusters[id]; ok {
			if existing.xml != xmlconfig {
				return nil, serverError(fmt.Sprintf("a cluster with the same cluster-name %s but with a different config already exists", id))
			}
			return &rcthrift.Cluster{ID: id}, nil
		}
	} else {
		id = randomUUID()
		if doc, err = withClusterName(doc, id); err != nil {
			return nil, serverError(err.Error())
		}
	}
	c.seq++
	path := filepath.Join(c.opts.WorkDir, fmt.Sprintf("cluster-%d.xml", c.seq))
	if err := os.WriteFile(path, doc, 0o644); err != nil {
		return nil, serverError("write configuration: " + err.Error())
	}
	log := c.log.With().Str("cluster", id).Logger()
	for _, w := range warnings {
		log.Warn().Msg("config: " + w.String())
	}
	log.Info().Str("hzVersion", hzVersion).Str("config", path).Ints("ports", firstPorts(cfg.Ports(), 3)).
		Msg("cluster created")
	c.clusters[id] = &cluster{id: id, xml: xmlconfig, path: path, members: map[string]*memberProcess{}}
	return &rcthrift.Cluster{ID: id}, nil
}

// firstPorts returns up to n leading ports, for logging.
func firstPorts(ports []int, n int) []int {
	if len(ports) > n {
		return ports[:n]
	}
	return ports
}

// StartMember starts a member process on the cluster's configuration and
// answers its uuid, host and port once it serves clients.
func (c *Controller) StartMember(_ context.Context, clusterID string) (*rcthrift.Member, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cl, ok := c.clusters[clusterID]
	if !ok {
		return nil, serverError("Cannot find Cluster with id:" + clusterID)
	}
	cl.started++
	var logFile *os.File
	if c.opts.MemberLogDir != "" {
		name := fmt.Sprintf("%s-member-%d.log", fileSafe(cl.id), cl.started)
		f, err := os.Create(filepath.Join(c.opts.MemberLogDir, name))
		if err != nil {
			return nil, serverError("member log: " + err.Error())
		}
		logFile = f // closed by the member's log reader
	}
	log := c.log.With().Str("cluster", cl.id).Logger()
	m, err := startMember(c.opts.MemberBinary, cl.path, c.opts.WorkDir, logFile, c.opts.StartTimeout, log)
	if err != nil {
		log.Warn().Err(err).Msg("member not started")
		return nil, serverError(err.Error())
	}
	cl.members[m.uuid] = m
	m.log.Info().Str("address", m.host+":"+fmt.Sprint(m.port)).Msg("member started")
	return &rcthrift.Member{UUID: m.uuid, Host: m.host, Port: int32(m.port)}, nil
}

// member finds a member; ok is false (and logged) when the cluster or the
// member is unknown, which the bool methods answer with false.
func (c *Controller) member(op, clusterID, memberID string) (*cluster, *memberProcess, bool) {
	cl, ok := c.clusters[clusterID]
	if !ok {
		c.log.Info().Str("op", op).Str("cluster", clusterID).Msg("cluster does not exist")
		return nil, nil, false
	}
	m, ok := cl.members[memberID]
	if !ok {
		c.log.Info().Str("op", op).Str("cluster", clusterID).Str("member", memberID).Msg("member does not exist")
		return nil, nil, false
	}
	return cl, m, true
}

// ShutdownMember stops a member gracefully (SIGTERM) and forgets it.
func (c *Controller) ShutdownMember(_ context.Context, clusterID, memberID string) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cl, m, ok := c.member("shutdownMember", clusterID, memberID)
	if !ok {
		return false, nil
	}
	m.shutdown(c.opts.StopTimeout)
	delete(cl.members, memberID)
	return true, nil
}

// TerminateMember kills a member (SIGKILL) and forgets it.
func (c *Controller) TerminateMember(_ context.Context, clusterID, memberID string) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cl, m, ok := c.member("terminateMember", clusterID, memberID)
	if !ok {
		return false, nil
	}
	m.kill()
	delete(cl.members, memberID)
	return true, nil
}

// SuspendMember stops a member's process (SIGSTOP): it keeps its sockets
// but answers nothing until resumed.
func (c *Controller) SuspendMember(_ context.Context, clusterID, memberID string) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, m, ok := c.member("suspendMember", clusterID, memberID)
	if !ok {
		return false, nil
	}
	if err := m.suspend(); err != nil {
		m.log.Info().Err(err).Msg("suspend failed")
		return false, nil
	}
	m.log.Info().Msg("member suspended")
	return true, nil
}

// ResumeMember continues a suspended member (SIGCONT).
func (c *Controller) ResumeMember(_ context.Context, clusterID, memberID string) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, m, ok := c.member("resumeMember", clusterID, memberID)
	if !ok {
		return false, nil
	}
	if err := m.resume(); err != nil {
		m.log.Info().Err(err).Msg("resume failed")
		return false, nil
	}
	m.log.Info().Msg("member resumed")
	return true, nil
}

// ShutdownCluster stops every member of the cluster gracefully and forgets
// the cluster.
func (c *Controller) ShutdownCluster(_ context.Context, clusterID string) (bool, error) {
	return c.stopCluster(clusterID, false)
}

// TerminateCluster kills every member of the cluster and forgets the
// cluster.
func (c *Controller) TerminateCluster(_ context.Context, clusterID string) (bool, error) {
	return c.stopCluster(clusterID, true)
}

func (c *Controller) stopCluster(clusterID string, kill bool) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cl, ok := c.clusters[clusterID]
	if !ok {
		c.log.Info().Str("cluster", clusterID).Msg("cluster does not exist")
		return false, nil
	}
	members := make([]*memberProcess, 0, len(cl.members))
	for _, m := range cl.members {
		members = append(members, m)
	}
	c.log.Info().Str("cluster", clusterID).Bool("kill", kill).Int("members", len(members)).Msg("stopping cluster")
	c.stopAll(members, kill)
	os.Remove(cl.path)
	delete(c.clusters, clusterID)
	return true, nil
}

// errSplitMerge is the answer to splitMemberFromCluster and
// mergeMemberToCluster. The IDL declares no exception for them, so it
// reaches the client as a Thrift application error carrying this message.
var errSplitMerge = errors.New("not supported by Filbert: every member is a single-member cluster (no clustering yet)")

// SplitMemberFromCluster is not supported.
func (c *Controller) SplitMemberFromCluster(_ context.Context, memberID string) (*rcthrift.Cluster, error) {
	c.log.Info().Str("member", memberID).Msg("splitMemberFromCluster: not supported")
	return nil, errSplitMerge
}

// MergeMemberToCluster is not supported.
func (c *Controller) MergeMemberToCluster(_ context.Context, clusterID, memberID string) (*rcthrift.Cluster, error) {
	c.log.Info().Str("cluster", clusterID).Str("member", memberID).Msg("mergeMemberToCluster: not supported")
	return nil, errSplitMerge
}

// ExecuteOnController runs no script: it answers success=false.
func (c *Controller) ExecuteOnController(_ context.Context, clusterID, script string, lang rcthrift.Lang) (*rcthrift.Response, error) {
	c.log.Info().Str("cluster", clusterID).Str("lang", lang.String()).Str("script", abbreviate(script, 200)).
		Msg("executeOnController: scripts are not supported")
	return &rcthrift.Response{Success: false, Message: ScriptsNotSupported}, nil
}

// errCloud is the answer to every cloud method.
func errCloud() error {
	return &rcthrift.CloudException{Message: "Hazelcast Cloud is not supported by Filbert's remote controller"}
}

// LoginToCloudUsingEnvironment answers CloudException.
func (c *Controller) LoginToCloudUsingEnvironment(context.Context) error { return errCloud() }

// LoginToCloud answers CloudException.
func (c *Controller) LoginToCloud(context.Context, string, string, string) error { return errCloud() }

// CreateCloudCluster answers CloudException.
func (c *Controller) CreateCloudCluster(context.Context, string, bool) (*rcthrift.CloudCluster, error) {
	return nil, errCloud()
}

// GetCloudCluster answers CloudException.
func (c *Controller) GetCloudCluster(context.Context, string) (*rcthrift.CloudCluster, error) {
	return nil, errCloud()
}

// StopCloudCluster answers CloudException.
func (c *Controller) StopCloudCluster(context.Context, string) (*rcthrift.CloudCluster, error) {
	return nil, errCloud()
}

// ResumeCloudCluster answers CloudException.
func (c *Controller) ResumeCloudCluster(context.Context, string) (*rcthrift.CloudCluster, error) {
	return nil, errCloud()
}

// DeleteCloudCluster answers CloudException.
func (c *Controller) DeleteCloudCluster(context.Context, string) error { return errCloud() }

// clusterIDs lists the known clusters, sorted (for tests and logs).
func (c *Controller) clusterIDs() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	ids := make([]string, 0, len(c.clusters))
	for id := range c.clusters {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

func serverError(msg string) error { return &rcthrift.ServerException{Message: msg} }

// randomUUID returns a canonical random (version 4) UUID string.
func randomUUID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// fileSafe maps a cluster id to a file name part.
func fileSafe(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			return r
		}
		return '_'
	}, s)
}

// abbreviate shortens s to at most n bytes for logging.
func abbreviate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
