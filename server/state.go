package server

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/filbert/filbert/cluster"
	"github.com/filbert/filbert/codec"
	"github.com/filbert/filbert/protocol"
)

// ClusterState is Hazelcast's cluster state. The values are the protocol's
// (MC.changeClusterState).
type ClusterState int32

// Cluster states.
const (
	// StateActive: everything allowed.
	StateActive ClusterState = iota
	// StateNoMigration: no rebalancing; crashed members' partitions are
	// still promoted.
	StateNoMigration
	// StateFrozen: the partition table does not change at all; writes and
	// reads go on.
	StateFrozen
	// StatePassive: the table is fixed and writes are refused; reads go
	// on.
	StatePassive
	// StateInTransition: a change is being applied.
	StateInTransition
)

var stateNames = [...]string{"ACTIVE", "NO_MIGRATION", "FROZEN", "PASSIVE", "IN_TRANSITION"}

func (s ClusterState) String() string {
	if s >= 0 && int(s) < len(stateNames) {
		return stateNames[s]
	}
	return fmt.Sprintf("ClusterState(%d)", int32(s))
}

// ParseClusterState reads a state name (any case).
func ParseClusterState(name string) (ClusterState, error) {
	for i, n := range stateNames[:4] {
		if strings.EqualFold(name, n) {
			return ClusterState(i), nil
		}
	}
	return 0, fmt.Errorf("unknown cluster state %q: want ACTIVE, NO_MIGRATION, FROZEN or PASSIVE", name)
}

// stateTxn is a two-phase cluster state change: every member locks the
// change (prepare), then applies it (commit) or forgets it (rollback).
type stateTxn struct {
	mu     sync.Mutex
	id     protocol.UUID // the prepared transaction, zero if none
	target ClusterState
	expiry time.Time
}

// Phases of kindState.
const (
	statePrepare byte = iota
	stateCommit
	stateRollback
	stateAnnounce // a member joining learns the state
)

// ClusterState returns the current cluster state.
func (m *Member) ClusterState() ClusterState {
	m.txn.mu.Lock()
	defer m.txn.mu.Unlock()
	if !m.txn.id.IsZero() && time.Now().Before(m.txn.expiry) {
		return StateInTransition
	}
	return ClusterState(m.state.Load())
}

// ErrStateBusy is returned when another state change is in progress.
var ErrStateBusy = errors.New("another cluster state change is in progress")

// ChangeClusterState changes the state on every member, all or nothing.
func (m *Member) ChangeClusterState(ctx context.Context, to ClusterState) error {
	if to < StateActive || to > StatePassive {
		return fmt.Errorf("cannot change the cluster state to %v", to)
	}
	id := newUUID()
	send := func(phase byte) error {
		var e cluster.Enc
		e.B = append(e.B, phase)
		e.UUID(id)
		e.Varint(int64(to))
		_, err := m.callAll(ctx, kindState, e.B)
		return err
	}
	if err := send(statePrepare); err != nil {
		_ = send(stateRollback)
		return fmt.Errorf("cluster state change to %v refused: %w", to, err)
	}
	if err := send(stateCommit); err != nil {
		// A member that missed the commit keeps its old state (its
		// prepare expires); the caller hears which one.
		return fmt.Errorf("cluster state change to %v not confirmed everywhere: %w", to, err)
	}
	return nil
}

// serveState handles a phase of a state change.
func (m *Member) serveState(from protocol.UUID, payload []byte, reply cluster.Reply) error {
	if len(payload) < 1 {
		return errors.New("state: empty")
	}
	phase := payload[0]
	d := cluster.Dec{B: payload[1:]}
	id := d.UUID()
	to := ClusterState(d.Int())
	if d.Err() != nil {
		return d.Err()
	}
	t := &m.txn
	t.mu.Lock()
	var err error
	switch phase {
	case statePrepare:
		switch {
		case !t.id.IsZero() && t.id != id && time.Now().Before(t.expiry):
			err = ErrStateBusy
		case to != StateActive && m.migrating.Load():
			err = errors.New("partitions are migrating; try again when the cluster is balanced")
		default:
			t.id, t.target, t.expiry = id, to, time.Now().Add(30*time.Second)
		}
	case stateCommit:
		if t.id == id {
			m.setState(to)
			t.id = protocol.UUID{}
		} else {
			err = errors.New("no such prepared state change")
		}
	case stateRollback:
		if t.id == id {
			t.id = protocol.UUID{}
		}
	case stateAnnounce:
		m.setState(to)
	}
	t.mu.Unlock()
	if reply != nil {
		reply(nil, err)
	}
	return nil
}

// setState applies a committed state. Called with txn.mu held.
func (m *Member) setState(s ClusterState) {
	old := ClusterState(m.state.Swap(int32(s)))
	if old != s {
		m.log.Info().Str("from", old.String()).Str("to", s.String()).Msg("cluster state changed")
		if s == StateActive || s == StateNoMigration {
			m.kickRebalance()
		}
	}
}

// announceState tells a joining member the cluster state.
func (m *Member) announceState(u protocol.UUID) {
	var e cluster.Enc
	e.B = append(e.B, stateAnnounce)
	e.UUID(protocol.UUID{})
	e.Varint(int64(m.state.Load()))
	m.node.Send(u, kindState, e.B)
}

// passiveError is what writes get while the cluster is PASSIVE.
func passiveError(op string) *Error {
	return &Error{Code: codeIllegalState, ClassName: "java.lang.IllegalStateException",
		Message: "Cluster is in PASSIVE state! Operation: " + op}
}

func registerMCHandlers(add func(int32, handler)) {
	add(codec.MCChangeClusterStateRequestType, func(m *Member, r request) error {
		q, err := codec.DecodeMCChangeClusterStateRequest(r.msg)
		if err != nil {
			r.fail(err)
			return nil
		}
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			if err := m.ChangeClusterState(ctx, ClusterState(q.NewState)); err != nil {
				r.fail(&Error{Code: codeIllegalState, ClassName: "java.lang.IllegalStateException", Message: err.Error()})
				return
			}
			w := newWriter()
			r.reply(codec.EncodeMCChangeClusterStateResponse(&w))
		}()
		return nil
	})
	add(codec.MCGetClusterMetadataRequestType, func(m *Member, r request) error {
		w := newWriter()
		r.reply(codec.EncodeMCGetClusterMetadataResponse(&w, byte(m.ClusterState()), Version, nil, time.Now().UnixMilli(), m.clusterIDNow()))
		return nil
	})
}

// writes lists the requests refused while the cluster is PASSIVE.
var writes = func() map[int32]bool {
	w := map[int32]bool{
		codec.MapPutAllRequestType:   true,
		codec.MapClearRequestType:    true,
		codec.MapEvictAllRequestType: true,
	}
	for t := range mutating {
		w[t] = true
	}
	return w
}()
