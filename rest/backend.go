package rest

import (
	"context"
	"errors"

	"github.com/filbert/filbert/config"
)

// Backend is what the router needs from the member. Methods documented as
// not blocking may be called on any goroutine and must return at once
// (read a snapshot); the others may take time and are only called from
// Router.Handle, never on an event loop.
type Backend interface {
	// Authenticate checks the first two fields of a POST body. Use
	// CheckCredentials for Hazelcast's rule. Does not block.
	Authenticate(name, password string) bool
	// InstanceName is the member's instance name. Does not block.
	InstanceName() string
	// ClusterState returns the cluster state: ACTIVE, NO_MIGRATION,
	// FROZEN, PASSIVE or IN_TRANSITION. Does not block.
	ClusterState() string
	// ChangeClusterState changes the cluster state cluster-wide and
	// returns once every member has applied it. state is ACTIVE,
	// NO_MIGRATION, FROZEN or PASSIVE, and differs from ClusterState().
	ChangeClusterState(ctx context.Context, state string) error
	// Cluster returns the member list and connection counts. Does not
	// block.
	Cluster() ClusterInfo
	// Health returns the member's health. Does not block.
	Health() HealthInfo
	// HotBackup starts a cluster-wide hot backup with sequence seq, or a
	// sequence the member picks when seq is negative, and returns the
	// sequence used once every member has started it (metadata copied).
	HotBackup(ctx context.Context, seq int64) (int64, error)
	// InterruptBackup interrupts the running backup on every member; it
	// succeeds when none is running.
	InterruptBackup(ctx context.Context) error
	// BackupStatus returns the backup task status of every member.
	BackupStatus(ctx context.Context) ([]BackupStatus, error)
}

// Errors a Backend may wrap to choose the HTTP status; any other error is
// answered with 500. The body is always {"status":"fail","message":err}.
var (
	// ErrBadRequest: the request cannot be carried out as asked (400), for
	// example a backup directory backup-<seq> that already exists.
	ErrBadRequest = errors.New("bad request")
	// ErrConflict: another operation is in the way (409), for example a
	// backup already running or a cluster state change in transition.
	ErrConflict = errors.New("conflict")
)

// Cluster states, as Hazelcast names them.
const (
	StateActive       = "ACTIVE"
	StateNoMigration  = "NO_MIGRATION"
	StateFrozen       = "FROZEN"
	StatePassive      = "PASSIVE"
	StateInTransition = "IN_TRANSITION"
)

// Node states, as Hazelcast names them.
const (
	NodeActive   = "ACTIVE"
	NodePassive  = "PASSIVE"
	NodeShutDown = "SHUT_DOWN"
)

// Backup task states, as Hazelcast's BackupTaskState names them.
const (
	BackupNoTask     = "NO_TASK" // no backup since the member started
	BackupNotStarted = "NOT_STARTED"
	BackupInProgress = "IN_PROGRESS"
	BackupFailure    = "FAILURE"
	BackupSuccess    = "SUCCESS"
)

// MemberInfo describes one member for GET /hazelcast/rest/cluster.
type MemberInfo struct {
	// Host and Port are the member's address.
	Host string
	Port int
	// UUID is the member's identity.
	UUID string
	// Version is the member's version, for example "5.3.6".
	Version string
	// Lite marks a lite member (Filbert has none).
	Lite bool
	// Local marks the member answering the request.
	Local bool
}

// ClusterInfo is the member list and connection counts.
type ClusterInfo struct {
	// Members lists the cluster's members, local one included.
	Members []MemberInfo
	// ClientConnections counts the local member's client connections.
	ClientConnections int
	// AllConnections counts all the local member's connections.
	AllConnections int
}

// HealthInfo is the local member's health.
type HealthInfo struct {
	// NodeState is ACTIVE, PASSIVE or SHUT_DOWN.
	NodeState string
	// Ready reports that the member has started (data loaded, joined)
	// and is running: GET /hazelcast/health/ready answers 200, else 503.
	Ready bool
	// ClusterSafe reports that every partition has its backups in sync and
	// no migration is running.
	ClusterSafe bool
	// MigrationQueueSize counts the migrations waiting on this member.
	MigrationQueueSize int64
}

// BackupStatus is one member's hot backup task status, as
// GET /hazelcast/rest/management/cluster/backupStatus returns it.
type BackupStatus struct {
	// Member is the member's address, host:port.
	Member string `json:"member"`
	// State is NO_TASK, NOT_STARTED, IN_PROGRESS, FAILURE or SUCCESS.
	State string `json:"state"`
	// Completed and Total count the member's stores copied so far and in
	// all.
	Completed int `json:"completed"`
	Total     int `json:"total"`
	// Sequence is the backup's sequence: its directory is
	// backup-<Sequence>. Zero with NO_TASK.
	Sequence int64 `json:"sequence"`
	// Error is the reason of a FAILURE.
	Error string `json:"error,omitempty"`
}

// CheckCredentials applies Hazelcast's REST authentication rule to the
// first two fields of a POST body. With security disabled, name must equal
// the cluster name and the password is ignored; with security enabled,
// name and password are a user's credentials, checked as a client's are
// (config.SecurityConfig.CheckClient).
func CheckCredentials(cfg *config.Config, name, password string) bool {
	if !cfg.Security.Enabled {
		return name == cfg.ClusterName
	}
	return cfg.Security.CheckClient(name, password)
}
