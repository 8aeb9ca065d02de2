package server

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/filbert/filbert/cluster"
	"github.com/filbert/filbert/hotrestart"
	"github.com/filbert/filbert/imap"
	"github.com/filbert/filbert/partition"
	"github.com/filbert/filbert/protocol"
)

// Persistence (Hot Restart): every member writes the entries of persistent
// maps it holds (as owner or backup) to its own log-structured store under
// base-dir, and keeps beside it a small metadata file with its identity,
// the member list, the partition table and the cluster state. A member
// restarting on its base-dir comes back with the same UUID, reloads its
// entries before it serves clients, and the cluster resumes with the
// persisted partition table once the members that left are back.

// metaFile is the metadata file in a member's base-dir (and in each hot
// backup directory).
const metaFile = "member.json"

// memberMeta is what a member persists besides its entries.
type memberMeta struct {
	Format      int           `json:"format"`
	UUID        string        `json:"uuid"`
	ClusterName string        `json:"clusterName"`
	ClusterID   string        `json:"clusterId"`
	Members     []metaMember  `json:"members"`
	Table       string        `json:"table,omitempty"` // base64 of partition.ReplicaTable.AppendBinary
	State       string        `json:"state"`
	Written     time.Time     `json:"written"`
	Backup      *metaBackupOf `json:"backup,omitempty"`
}

type metaMember struct {
	UUID string `json:"uuid"`
	Host string `json:"host"`
	Port int    `json:"port"`
}

type metaBackupOf struct {
	Sequence int64     `json:"sequence"`
	Started  time.Time `json:"started"`
}

// persistence is a member's Hot Restart state.
type persistence struct {
	dir   string
	store *hotrestart.Store
	// restored is the metadata found at start (nil for a fresh base-dir).
	restored *memberMeta
	metaMu   sync.Mutex
	// ctlMu serialises hot backup prepare/start on this member; bmu
	// guards job and backupSeq.
	ctlMu     sync.Mutex
	bmu       sync.Mutex
	backupSeq int64
	job       *hotrestart.BackupJob
}

// openPersistence opens the store under base-dir and reads the metadata.
// It runs in New, before the member has an identity.
func (m *Member) openPersistence() error {
	pc := m.cfg.Persistence
	if !pc.Enabled {
		return nil
	}
	dir := pc.BaseDir
	if !filepath.IsAbs(dir) {
		abs, err := filepath.Abs(dir)
		if err != nil {
			return fmt.Errorf("persistence base-dir %q: %w", dir, err)
		}
		dir = abs
	}
	st, err := hotrestart.Open(hotrestart.Options{
		Dir:          dir,
		Parallelism:  max(pc.Parallelism, 1),
		AllowPartial: pc.ClusterDataRecoveryPolicy != "FULL_RECOVERY_ONLY",
		Logger:       m.opts.Logger,
	})
	if err != nil {
		return fmt.Errorf("persistence: %w", err)
	}
	p := &persistence{dir: dir, store: st}
	b, err := os.ReadFile(filepath.Join(dir, metaFile))
	switch {
	case err == nil:
		var meta memberMeta
		if err := json.Unmarshal(b, &meta); err != nil {
			_ = st.Close()
			return fmt.Errorf("persistence: %s: %w", filepath.Join(dir, metaFile), err)
		}
		if meta.ClusterName != m.cfg.ClusterName {
			_ = st.Close()
			return fmt.Errorf("persistence: %s belongs to cluster %q, this member is configured for %q", dir, meta.ClusterName, m.cfg.ClusterName)
		}
		u, err := protocol.ParseUUID(meta.UUID)
		if err != nil {
			_ = st.Close()
			return fmt.Errorf("persistence: %s: %w", filepath.Join(dir, metaFile), err)
		}
		m.uuid = u
		if cid, err := protocol.ParseUUID(meta.ClusterID); err == nil {
			m.clusterID = cid
		}
		p.restored = &meta
	case errors.Is(err, os.ErrNotExist):
	default:
		_ = st.Close()
		return fmt.Errorf("persistence: %w", err)
	}
	m.persist = p
	return nil
}

// loadPersisted reads the store into the partitions (before serving).
func (m *Member) loadPersisted() error {
	p := m.persist
	if p == nil {
		return nil
	}
	start := time.Now()
	now := time.Now().UnixMilli()
	var mu sync.Mutex // partitions are filled from the store's stripe goroutines
	stats, err := p.store.Load(func(r hotrestart.Record) error {
		if r.Partition < 0 || r.Partition >= m.pcount {
			return fmt.Errorf("record for partition %d of %d", r.Partition, m.pcount)
		}
		if r.ExpireAt > 0 && r.ExpireAt <= now {
			return nil // expired while the member was down
		}
		rec := imap.Record{Key: r.Key, Present: true, Value: r.Value, TTL: r.TTL, MaxIdle: r.MaxIdle}
		if r.TTL > 0 && r.ExpireAt > 0 {
			rec.Updated = r.ExpireAt - r.TTL
			rec.Created = rec.Updated
		}
		mu.Lock()
		m.partitions[r.Partition].ApplyRecord(r.Store, &rec)
		mu.Unlock()
		return nil
	}, func(pr hotrestart.Progress) {})
	if err != nil {
		return fmt.Errorf("persistence: load %s: %w", p.dir, err)
	}
	m.log.Info().Str("dir", p.dir).Int("chunks", stats.Chunks).Int64("records", stats.Records).
		Int64("bytes", stats.Bytes).Dur("took", time.Since(start)).
		Float64("mb_per_s", float64(stats.Bytes)/(1<<20)/time.Since(start).Seconds()).
		Msg("persisted data loaded")
	return nil
}

// saveMeta writes the metadata file atomically.
func (m *Member) saveMeta() {
	p := m.persist
	if p == nil {
		return
	}
	meta := m.currentMeta()
	p.metaMu.Lock()
	defer p.metaMu.Unlock()
	if err := writeMeta(p.dir, meta); err != nil {
		m.log.Error().Err(err).Msg("could not write persistence metadata")
	}
}

func (m *Member) currentMeta() memberMeta {
	meta := memberMeta{Format: 1, UUID: m.uuid.String(), ClusterName: m.cfg.ClusterName,
		ClusterID: m.clusterIDNow().String(), State: ClusterState(m.state.Load()).String(), Written: time.Now().UTC()}
	for _, mi := range m.node.View().Members {
		meta.Members = append(meta.Members, metaMember{UUID: mi.UUID.String(), Host: mi.Host, Port: mi.Port})
	}
	if t := m.table.Load(); t != nil {
		meta.Table = base64.StdEncoding.EncodeToString(t.AppendBinary(nil))
	}
	return meta
}

func writeMeta(dir string, meta memberMeta) error {
	b, err := json.MarshalIndent(meta, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, metaFile+".tmp")
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, metaFile))
}

// restoredTable returns the persisted partition table, if any.
func (m *Member) restoredTable() *partition.ReplicaTable {
	if m.persist == nil || m.persist.restored == nil || m.persist.restored.Table == "" {
		return nil
	}
	b, err := base64.StdEncoding.DecodeString(m.persist.restored.Table)
	if err != nil {
		return nil
	}
	t, err := partition.DecodeReplicaTable(b)
	if err != nil || t.Count() != int(m.pcount) {
		return nil
	}
	return t
}

// restoredMembers returns the member UUIDs of the persisted member list.
func (m *Member) restoredMembers() []protocol.UUID {
	if m.persist == nil || m.persist.restored == nil {
		return nil
	}
	var out []protocol.UUID
	for _, mm := range m.persist.restored.Members {
		if u, err := protocol.ParseUUID(mm.UUID); err == nil {
			out = append(out, u)
		}
	}
	return out
}

// persistent reports whether map name is persisted, and with fsync.
func (m *Member) persistent(name string) (bool, bool) {
	if m.persist == nil {
		return false, false
	}
	b := m.backupsOf(name)
	return b.persist, b.fsync
}

// persistItems writes the batch's keys of persistent maps to the store.
// It returns a channel closed when the fsync'ed ones are durable, or nil.
// Worker only (keeps per-partition order).
func (m *Member) persistItems(p *imap.Partition, items []bkItem) (wait func() error) {
	if m.persist == nil {
		return nil
	}
	var recs []hotrestart.Record
	durable := false
	for _, it := range items {
		on, fsync := m.persistent(it.name)
		if !on {
			continue
		}
		durable = durable || fsync
		switch it.op {
		case bkRecord, bkRemove:
			recs = append(recs, m.storeRecord(p, it.name, it.key))
		case bkClear:
			// Tombstones were written by persistClear before the clear.
		}
	}
	if len(recs) == 0 {
		return nil
	}
	if durable {
		return m.persist.store.PutAsync(recs)
	}
	if err := m.persist.store.PutBatch(recs); err != nil {
		m.log.Error().Err(err).Msg("persistence write failed")
	}
	return nil
}

// storeRecord is the store form of key's current state in p.
func (m *Member) storeRecord(p *imap.Partition, name string, key []byte) hotrestart.Record {
	r, ok := p.ExportKey(name, key)
	if !ok || !r.Present {
		return hotrestart.Record{Store: name, Partition: p.ID, Key: key, Tombstone: true}
	}
	out := hotrestart.Record{Store: name, Partition: p.ID, Key: r.Key, Value: r.Value, TTL: r.TTL, MaxIdle: r.MaxIdle}
	if r.TTL > 0 {
		out.ExpireAt = r.Updated + r.TTL
	}
	return out
}

// persistApplied writes records a backup or migration installed.
func (m *Member) persistApplied(p *imap.Partition, name string, key []byte) {
	if on, _ := m.persistent(name); !on {
		return
	}
	if err := m.persist.store.Put(m.storeRecord(p, name, key)); err != nil {
		m.log.Error().Err(err).Msg("persistence write failed")
	}
}

// persistDropAll writes tombstones for every persistent key of p, before
// p is reset (its content is replaced or leaves this member).
func (m *Member) persistDropAll(p *imap.Partition) {
	if m.persist == nil {
		return
	}
	var recs []hotrestart.Record
	p.ExportAll(func(name string, r *imap.Record) bool {
		if on, _ := m.persistent(name); on && r.Present {
			recs = append(recs, hotrestart.Record{Store: name, Partition: p.ID, Key: append([]byte(nil), r.Key...), Tombstone: true})
		}
		return true
	})
	if len(recs) > 0 {
		if err := m.persist.store.PutBatch(recs); err != nil {
			m.log.Error().Err(err).Msg("persistence write failed")
		}
	}
}

// persistClearMap writes tombstones for map name's keys in p.
func (m *Member) persistClearMap(p *imap.Partition, name string) {
	if on, _ := m.persistent(name); !on {
		return
	}
	var recs []hotrestart.Record
	p.ExportAll(func(n string, r *imap.Record) bool {
		if n == name && r.Present {
			recs = append(recs, hotrestart.Record{Store: name, Partition: p.ID, Key: append([]byte(nil), r.Key...), Tombstone: true})
		}
		return true
	})
	if len(recs) > 0 {
		if err := m.persist.store.PutBatch(recs); err != nil {
			m.log.Error().Err(err).Msg("persistence write failed")
		}
	}
}

// closePersistence flushes and closes the store.
func (m *Member) closePersistence() {
	if m.persist == nil {
		return
	}
	m.saveMeta()
	if err := m.persist.store.Close(); err != nil {
		m.log.Error().Err(err).Msg("closing the persistence store")
	}
}

var _ = cluster.Enc{}
