package admin

import (
	"context"
	"fmt"
	"time"

	"github.com/filbert/filbert/codec"
	"github.com/filbert/filbert/protocol"
	"github.com/filbert/filbert/rest"
)

// clusterStates maps the protocol's cluster state codes (MC messages) to
// their names. Wire format.
var clusterStates = [...]string{
	0: rest.StateActive,
	1: rest.StateNoMigration,
	2: rest.StateFrozen,
	3: rest.StatePassive,
	4: rest.StateInTransition,
}

// StateName returns the name of a protocol cluster state code.
func StateName(code byte) string {
	if int(code) < len(clusterStates) {
		return clusterStates[code]
	}
	return fmt.Sprintf("UNKNOWN(%d)", code)
}

// StateCode returns the protocol code of a cluster state a client may
// request (ACTIVE, NO_MIGRATION, FROZEN, PASSIVE, in any case).
func StateCode(state string) (int32, error) {
	name, err := rest.ParseClusterState(state)
	if err != nil {
		return 0, err
	}
	for i, s := range clusterStates {
		if s == name {
			return int32(i), nil
		}
	}
	return 0, fmt.Errorf("cluster state %s has no code", name)
}

// Metadata is the answer to MC.getClusterMetadata.
type Metadata struct {
	// State is the cluster state's name (see StateName).
	State string
	// MemberVersion is the member's version.
	MemberVersion string
	// ClusterTime is the cluster's clock.
	ClusterTime time.Time
	// ClusterID is the cluster's identity (zero from members before
	// protocol 2.5).
	ClusterID protocol.UUID
}

// ClusterMetadata asks the member for the cluster state, its version and
// the cluster time (MC.getClusterMetadata).
func (c *Conn) ClusterMetadata(ctx context.Context) (Metadata, error) {
	msg, err := c.call(ctx, nil, func(w *protocol.Writer) []byte {
		return codec.EncodeMCGetClusterMetadataRequest(w, -1, &codec.MCGetClusterMetadataRequest{})
	}, codec.MCGetClusterMetadataResponseType)
	if err != nil {
		return Metadata{}, fmt.Errorf("admin: reading cluster metadata: %w", err)
	}
	resp, err := codec.DecodeMCGetClusterMetadataResponse(msg)
	if err != nil {
		return Metadata{}, fmt.Errorf("admin: reading cluster metadata: %w", err)
	}
	return Metadata{State: StateName(resp.CurrentState), MemberVersion: resp.MemberVersion,
		ClusterTime: time.UnixMilli(resp.ClusterTime), ClusterID: resp.ClusterID}, nil
}

// ClusterState returns the cluster state: ACTIVE, NO_MIGRATION, FROZEN,
// PASSIVE or IN_TRANSITION.
func (c *Conn) ClusterState(ctx context.Context) (string, error) {
	md, err := c.ClusterMetadata(ctx)
	if err != nil {
		return "", err
	}
	return md.State, nil
}

// ChangeClusterState changes the cluster state cluster-wide
// (MC.changeClusterState) and returns once the member reports it done.
// state is ACTIVE, NO_MIGRATION, FROZEN or PASSIVE in any case; another
// value is refused before anything is sent.
func (c *Conn) ChangeClusterState(ctx context.Context, state string) error {
	code, err := StateCode(state)
	if err != nil {
		return fmt.Errorf("admin: %w", err)
	}
	msg, err := c.call(ctx, nil, func(w *protocol.Writer) []byte {
		return codec.EncodeMCChangeClusterStateRequest(w, -1, &codec.MCChangeClusterStateRequest{NewState: code})
	}, codec.MCChangeClusterStateResponseType)
	if err == nil {
		_, err = codec.DecodeMCChangeClusterStateResponse(msg)
	}
	if err != nil {
		return fmt.Errorf("admin: changing cluster state to %s: %w", StateName(byte(code)), err)
	}
	return nil
}

// TriggerBackup starts a cluster-wide hot backup with a sequence the
// member picks (MC.triggerHotRestartBackup). It returns once every member
// has started; the data is copied in the background (see
// RESTClient.BackupStatus). The client protocol carries no sequence: use
// RESTClient.StartBackup to choose one or learn it.
func (c *Conn) TriggerBackup(ctx context.Context) error {
	msg, err := c.call(ctx, nil, func(w *protocol.Writer) []byte {
		return codec.EncodeMCTriggerHotRestartBackupRequest(w, -1, &codec.MCTriggerHotRestartBackupRequest{})
	}, codec.MCTriggerHotRestartBackupResponseType)
	if err == nil {
		_, err = codec.DecodeMCTriggerHotRestartBackupResponse(msg)
	}
	if err != nil {
		return fmt.Errorf("admin: starting hot backup: %w", err)
	}
	return nil
}

// InterruptBackup interrupts the running hot backup on every member
// (MC.interruptHotRestartBackup); it succeeds when none is running. The
// files copied so far stay.
func (c *Conn) InterruptBackup(ctx context.Context) error {
	msg, err := c.call(ctx, nil, func(w *protocol.Writer) []byte {
		return codec.EncodeMCInterruptHotRestartBackupRequest(w, -1, &codec.MCInterruptHotRestartBackupRequest{})
	}, codec.MCInterruptHotRestartBackupResponseType)
	if err == nil {
		_, err = codec.DecodeMCInterruptHotRestartBackupResponse(msg)
	}
	if err != nil {
		return fmt.Errorf("admin: interrupting hot backup: %w", err)
	}
	return nil
}
