package server

import (
	"context"
	"testing"
	"time"

	"github.com/filbert/filbert/codec"
	"github.com/filbert/filbert/config"
	"github.com/filbert/filbert/partition"
	"github.com/filbert/filbert/protocol"
)

// ownerAndBackup returns the owner and first backup of key's partition.
func ownerAndBackup(t *testing.T, tc *testCluster, key []byte) (pid int32, owner, backup *Member) {
	t.Helper()
	pid = partition.ID(key, 271)
	tb := tc.members[0].table.Load()
	for _, m := range tc.members {
		switch toPart(m.uuid) {
		case tb.Owner(pid):
			owner = m
		case tb.Replica(pid, 1):
			backup = m
		}
	}
	if owner == nil || backup == nil {
		t.Fatalf("partition %d: owner %v backup %v", pid, owner, backup)
	}
	return pid, owner, backup
}

// TestBackupAwareRequestAcksToClient: a request marked backup-aware is
// answered with the number of backups to wait for, and the backup member
// sends its ack to the client's backup listener itself.
func TestBackupAwareRequestAcksToClient(t *testing.T) {
	tc := newTestCluster(t, 2, nil) // default map: backup-count 1
	key := stringData("backup-aware")
	_, owner, backup := ownerAndBackup(t, tc, key)
	oc, bc := dialRaw(t, owner), dialRaw(t, backup)
	oc.authenticate(tc.name)
	bc.authenticate(tc.name)
	listen := func(rc *rawClient) int64 {
		var w protocol.Writer
		corr := rc.send(codec.EncodeClientLocalBackupListenerRequest(&w, -1, &codec.ClientLocalBackupListenerRequest{}))
		if resp := rc.mustRead(); resp.CorrelationID() != corr {
			t.Fatalf("listener registration answered %d, want %d", resp.CorrelationID(), corr)
		}
		return corr
	}
	listen(oc)
	bcListener := listen(bc)

	var w protocol.Writer
	put := codec.EncodeMapPutRequest(&w, -1, &codec.MapPutRequest{Name: "ba", Key: key, Value: stringData("v"), ThreadID: 1, TTL: -1})
	protocol.SetInitialFlags(put, protocol.BackupAware)
	corr := oc.send(put)
	resp := oc.mustRead()
	if resp.CorrelationID() != corr || resp.Type() == codec.ErrorResponseType {
		t.Fatalf("put answered with type %#x corr %d", resp.Type(), resp.CorrelationID())
	}
	if acks := resp.Initial().Content[protocol.BackupAcksOffset]; acks != 1 {
		t.Fatalf("backup-aware put answered with %d backup acks to wait for, want 1", acks)
	}
	ev := bc.mustRead()
	if ev.Type() != codec.ClientLocalBackupListenerBackupEventType || ev.CorrelationID() != bcListener {
		t.Fatalf("backup member sent type %#x corr %d, want backup event on listener %d", ev.Type(), ev.CorrelationID(), bcListener)
	}
	if ev.Flags()&protocol.BackupEvent == 0 {
		t.Errorf("backup event lacks the BACKUP_EVENT flag")
	}
	if src := protocol.GetInt64(ev.Initial().Content, 16); src != corr {
		t.Fatalf("backup event acknowledges invocation %d, want %d", src, corr)
	}

	// Without the flag the owner waits for the backup and says 0.
	var w2 protocol.Writer
	put = codec.EncodeMapPutRequest(&w2, -1, &codec.MapPutRequest{Name: "ba", Key: key, Value: stringData("w"), ThreadID: 1, TTL: -1})
	oc.send(put)
	resp = oc.mustRead()
	if acks := resp.Initial().Content[protocol.BackupAcksOffset]; acks != 0 {
		t.Fatalf("plain put answered with %d backup acks, want 0", acks)
	}
}

// TestReadBackupData: a unisocket client on the member holding the backup
// reads locally when the map has read-backup-data, from the owner
// otherwise; backup reads do not count as hits on the primary.
func TestReadBackupData(t *testing.T) {
	tc := newTestCluster(t, 2, func(c *config.Config) {
		on := config.DefaultMapConfig()
		on.ReadBackupData = true
		fwd := on
		fwd.BackupReadAccessForwarding = true
		c.Maps = map[string]config.MapConfig{"rbd-on": on, "rbd-fwd": fwd}
	})
	key := "hot"
	_, owner, backup := ownerAndBackup(t, tc, stringData(key))
	c := tc.client(backup.Addr(), true)
	ctx := context.Background()
	for _, name := range []string{"rbd-on", "rbd-off", "rbd-fwd"} {
		mp, err := c.GetMap(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		if err := mp.Set(ctx, key, "v"); err != nil {
			t.Fatal(err)
		}
		before := backup.stats.backupReads.Load()
		fwd := backup.stats.forwarded.Load()
		for i := 0; i < 10; i++ {
			if v, err := mp.Get(ctx, key); err != nil || v != "v" {
				t.Fatalf("%s: get = %v, %v", name, v, err)
			}
		}
		local := backup.stats.backupReads.Load() - before
		forwarded := backup.stats.forwarded.Load() - fwd
		view, err := mp.GetEntryView(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %d reads served from the backup, %d forwarded; hits on the owner %d", name, local, forwarded, view.Hits)
		switch name {
		case "rbd-fwd":
			// Backup reads reach the primary in batches, about once a
			// second, as hits.
			deadline := time.Now().Add(5 * time.Second)
			for view.Hits < 10 && time.Now().Before(deadline) {
				time.Sleep(50 * time.Millisecond)
				if view, err = mp.GetEntryView(ctx, key); err != nil {
					t.Fatal(err)
				}
			}
			if local != 10 || view.Hits < 10 {
				t.Errorf("backup-read-access-forwarding: %d local reads, %d hits on the primary; want 10 and >= 10", local, view.Hits)
			}
		case "rbd-on":
			if local != 10 || forwarded != 0 {
				t.Errorf("read-backup-data true: %d local reads, %d forwarded; want 10 and 0", local, forwarded)
			}
			if view.Hits != 0 {
				t.Errorf("backup reads counted %d hits on the primary", view.Hits)
			}
		default:
			if local != 0 || forwarded < 10 {
				t.Errorf("read-backup-data false: %d local reads, %d forwarded; want 0 and >= 10", local, forwarded)
			}
		}
	}
	_ = owner
}

// TestDynamicMapConfig: a map configured at runtime gets its backup count
// on every member; invalid combinations are refused with a clear error.
func TestDynamicMapConfig(t *testing.T) {
	tc := newTestCluster(t, 3, nil)
	rc := dialRaw(t, tc.members[1])
	rc.authenticate(tc.name)
	add := func(name string, sync, async int32) protocol.Message {
		var w protocol.Writer
		rc.send(codec.EncodeDynamicConfigAddMapConfigRequest(&w, -1, &codec.DynamicConfigAddMapConfigRequest{
			Name: name, BackupCount: sync, AsyncBackupCount: async, InMemoryFormat: "BINARY",
			CacheDeserializedValues: "INDEX_ONLY", MergePolicy: "PutIfAbsentMergePolicy", MergeBatchSize: 100,
			MetadataPolicy: 0, StatisticsEnabled: true,
		}))
		return rc.mustRead()
	}
	resp := add("bad", 5, 3)
	if resp.Type() != codec.ErrorResponseType {
		t.Fatalf("backup-count 5 + async 3 accepted")
	}
	eh, err := codec.DecodeErrorResponse(resp)
	if err != nil || len(eh) == 0 || eh[0].Message == nil {
		t.Fatalf("error response: %v %v", eh, err)
	}
	t.Logf("refused: %s", *eh[0].Message)
	if resp := add("dyn", 2, 1); resp.Type() == codec.ErrorResponseType {
		t.Fatalf("valid dynamic config refused")
	}
	deadline := time.Now().Add(5 * time.Second)
	for _, m := range tc.members {
		for {
			b := m.backupsOf("dyn")
			if b.sync == 2 && b.async == 1 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("member %s: map dyn has %d sync / %d async backups, want 2/1", m.Addr(), b.sync, b.async)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	// A member joining later learns it too.
	m4 := tc.add()
	for {
		b := m4.backupsOf("dyn")
		if b.sync == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("new member: map dyn has %d sync backups, want 2", b.sync)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
