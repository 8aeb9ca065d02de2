package server

import (
	"context"
	"errors"
	"fmt"

	"github.com/panjf2000/gnet/v2"

	"github.com/filbert/filbert/rest"
)

// restBackend is the member as the REST router sees it.
type restBackend struct{ m *Member }

var _ rest.Backend = restBackend{}

func (b restBackend) Authenticate(name, password string) bool {
	return rest.CheckCredentials(b.m.cfg, name, password)
}

func (b restBackend) InstanceName() string { return "filbert-" + b.m.Addr() }

func (b restBackend) ClusterState() string { return b.m.ClusterState().String() }

func (b restBackend) ChangeClusterState(ctx context.Context, state string) error {
	s, err := ParseClusterState(state)
	if err != nil {
		return fmt.Errorf("%w: %v", rest.ErrBadRequest, err)
	}
	if err := b.m.ChangeClusterState(ctx, s); err != nil {
		if errors.Is(err, ErrStateBusy) {
			return fmt.Errorf("%w: %v", rest.ErrConflict, err)
		}
		return err
	}
	return nil
}

func (b restBackend) Cluster() rest.ClusterInfo {
	m := b.m
	var info rest.ClusterInfo
	for _, mi := range m.node.View().Members {
		info.Members = append(info.Members, rest.MemberInfo{Host: mi.Host, Port: mi.Port, UUID: mi.UUID.String(),
			Version: Version, Local: mi.UUID == m.uuid})
	}
	m.connMu.Lock()
	for c := range m.conns {
		info.AllConnections++
		if c.member == nil && c.authenticated.Load() {
			info.ClientConnections++
		}
	}
	m.connMu.Unlock()
	return info
}

func (b restBackend) Health() rest.HealthInfo {
	m := b.m
	state := "ACTIVE"
	switch {
	case m.isStopping():
		state = "SHUT_DOWN"
	case ClusterState(m.state.Load()) == StatePassive:
		state = "PASSIVE"
	}
	return rest.HealthInfo{NodeState: state, Ready: m.joined() && !m.isStopping(), ClusterSafe: !m.migrating.Load()}
}

func (b restBackend) HotBackup(ctx context.Context, seq int64) (int64, error) {
	s, err := b.m.HotBackup(ctx, seq)
	if err != nil && errors.Is(err, ErrNoPersistence) {
		return 0, fmt.Errorf("%w: %v", rest.ErrBadRequest, err)
	}
	if err != nil {
		return s, fmt.Errorf("%w: %v", rest.ErrConflict, err)
	}
	return s, nil
}

func (b restBackend) InterruptBackup(ctx context.Context) error { return b.m.InterruptBackup(ctx) }

func (b restBackend) BackupStatus(ctx context.Context) ([]rest.BackupStatus, error) {
	sts, err := b.m.BackupStatuses(ctx)
	out := make([]rest.BackupStatus, 0, len(sts))
	for _, s := range sts {
		out = append(out, rest.BackupStatus{Member: s.Member, State: s.State, Completed: s.Completed, Total: s.Total, Sequence: s.Sequence, Error: s.Error})
	}
	return out, err
}

// startHTTP makes c an HTTP (REST) connection.
func (m *Member) startHTTP(c *Conn) {
	gc := c.gc
	c.http = m.router.NewConn(rest.Limits{}, func(b []byte, closeAfter bool) {
		_ = gc.AsyncWrite(b, func(gc gnet.Conn, err error) error {
			if closeAfter {
				return gc.Close()
			}
			return nil
		})
	})
	m.log.Debug().Uint64("conn", c.id).Str("remote", c.remote).Msg("REST connection")
}
