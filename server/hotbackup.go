package server

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/filbert/filbert/cluster"
	"github.com/filbert/filbert/codec"
	"github.com/filbert/filbert/hotrestart"
	"github.com/filbert/filbert/protocol"
)

// Hot backup: a cluster-wide, all-or-nothing copy of every member's store
// into backup-dir/backup-<seq>. The member receiving the request picks the
// sequence (or takes the caller's), asks every member to prepare (no backup
// running, no backup-<seq> directory), then tells every member to start:
// each writes its metadata synchronously and links its sealed chunks in the
// background.

// Phases of kindBackupCtl.
const (
	hbPrepare byte = iota
	hbStart
	hbInterrupt
	hbStatus
)

// ErrNoPersistence is returned for backup requests on members without
// persistence or without a backup-dir.
var ErrNoPersistence = errors.New("hot backup needs <persistence enabled=\"true\"> with a backup-dir")

// BackupStatus is one member's hot backup progress.
type BackupStatus struct {
	Member    string
	State     string
	Completed int
	Total     int
	Sequence  int64
	Error     string
}

func (m *Member) backupDir(seq int64) (string, error) {
	if m.persist == nil || m.cfg.Persistence.BackupDir == "" {
		return "", ErrNoPersistence
	}
	dir := m.cfg.Persistence.BackupDir
	if !filepath.IsAbs(dir) {
		abs, err := filepath.Abs(dir)
		if err != nil {
			return "", err
		}
		dir = abs
	}
	return filepath.Join(dir, "backup-"+strconv.FormatInt(seq, 10)), nil
}

// broadcastCtl sends a backup control message to every member (this one
// included) and returns the answers by member address.
func (m *Member) broadcastCtl(ctx context.Context, phase byte, seq int64) (map[string][]byte, error) {
	var e cluster.Enc
	e.B = append(e.B, phase)
	e.Varint(seq)
	return m.callAll(ctx, kindBackupCtl, e.B)
}

// HotBackup runs a cluster-wide hot backup with sequence seq (seq < 0: this
// member picks one) and returns the sequence once every member started.
func (m *Member) HotBackup(ctx context.Context, seq int64) (int64, error) {
	if m.persist == nil || m.cfg.Persistence.BackupDir == "" {
		return 0, ErrNoPersistence
	}
	if seq < 0 {
		seq = time.Now().UnixMilli()
	}
	if _, err := m.broadcastCtl(ctx, hbPrepare, seq); err != nil {
		return 0, fmt.Errorf("hot backup %d not started: %w", seq, err)
	}
	if _, err := m.broadcastCtl(ctx, hbStart, seq); err != nil {
		return seq, fmt.Errorf("hot backup %d did not start everywhere: %w", seq, err)
	}
	m.log.Info().Int64("sequence", seq).Msg("cluster-wide hot backup started")
	return seq, nil
}

// InterruptBackup interrupts the running hot backup on every member.
func (m *Member) InterruptBackup(ctx context.Context) error {
	_, err := m.broadcastCtl(ctx, hbInterrupt, 0)
	return err
}

// BackupStatuses returns every member's hot backup status.
func (m *Member) BackupStatuses(ctx context.Context) ([]BackupStatus, error) {
	res, err := m.broadcastCtl(ctx, hbStatus, 0)
	var out []BackupStatus
	for addr, b := range res {
		d := cluster.Dec{B: b}
		st := BackupStatus{Member: addr, State: d.String(), Completed: d.Int(), Total: d.Int(), Sequence: d.Varint(), Error: d.String()}
		if d.Err() != nil {
			return nil, d.Err()
		}
		out = append(out, st)
	}
	return out, err
}

// serveBackupCtl is a member's side of hot backup control.
func (m *Member) serveBackupCtl(from protocol.UUID, payload []byte, reply cluster.Reply) error {
	if reply == nil || len(payload) < 1 {
		return errors.New("backup control: malformed")
	}
	phase := payload[0]
	d := cluster.Dec{B: payload[1:]}
	seq := d.Varint()
	if d.Err() != nil {
		return d.Err()
	}
	go func() { reply(m.backupCtl(phase, seq)) }()
	return nil
}

func (m *Member) backupCtl(phase byte, seq int64) ([]byte, error) {
	p := m.persist
	if phase == hbStatus {
		var e cluster.Enc
		if p == nil {
			e.String("NO_TASK")
			e.Varint(0)
			e.Varint(0)
			e.Varint(0)
			e.String("persistence is not enabled")
			return e.B, nil
		}
		p.bmu.Lock()
		job, s := p.job, p.backupSeq
		p.bmu.Unlock()
		st := hotrestart.BackupStatus{State: hotrestart.BackupNoTask}
		if job != nil {
			st = job.Status()
		}
		e.String(st.State.String())
		e.Varint(int64(st.Completed))
		e.Varint(int64(st.Total))
		e.Varint(s)
		errText := ""
		if st.Err != nil {
			errText = st.Err.Error()
		}
		e.String(errText)
		return e.B, nil
	}
	if phase == hbInterrupt {
		if p != nil {
			p.bmu.Lock()
			job := p.job
			p.bmu.Unlock()
			if job != nil && !job.Status().State.Done() {
				job.Interrupt()
				m.log.Info().Msg("hot backup interrupted")
			}
		}
		return nil, nil
	}
	dst, err := m.backupDir(seq)
	if err != nil {
		return nil, err
	}
	p.ctlMu.Lock()
	defer p.ctlMu.Unlock()
	p.bmu.Lock()
	running := p.job != nil && !p.job.Status().State.Done()
	p.bmu.Unlock()
	if running {
		return nil, fmt.Errorf("a hot backup is already running (sequence %d)", p.backupSeq)
	}
	if _, err := os.Stat(dst); err == nil {
		return nil, fmt.Errorf("%s already exists", dst)
	}
	if phase == hbPrepare {
		return nil, nil
	}
	job, err := p.store.Backup(dst)
	if err != nil {
		return nil, err
	}
	meta := m.currentMeta()
	meta.Backup = &metaBackupOf{Sequence: seq, Started: time.Now().UTC()}
	if err := writeMeta(dst, meta); err != nil {
		job.Interrupt()
		return nil, fmt.Errorf("write backup metadata: %w", err)
	}
	p.bmu.Lock()
	p.job, p.backupSeq = job, seq
	p.bmu.Unlock()
	go func() {
		st := job.Wait()
		ev := m.log.Info()
		if st.Err != nil {
			ev = m.log.Warn().Err(st.Err)
		}
		ev.Int64("sequence", seq).Str("state", st.State.String()).Int("completed", st.Completed).Int("total", st.Total).Msg("hot backup finished")
	}()
	return nil, nil
}

func registerBackupHandlers(add func(int32, handler)) {
	add(codec.MCTriggerHotRestartBackupRequestType, func(m *Member, r request) error {
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			if _, err := m.HotBackup(ctx, -1); err != nil {
				r.fail(&Error{Code: codeIllegalState, ClassName: "java.lang.IllegalStateException", Message: err.Error()})
				return
			}
			w := newWriter()
			r.reply(codec.EncodeMCTriggerHotRestartBackupResponse(&w))
		}()
		return nil
	})
	add(codec.MCInterruptHotRestartBackupRequestType, func(m *Member, r request) error {
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			if err := m.InterruptBackup(ctx); err != nil {
				r.fail(err)
				return
			}
			w := newWriter()
			r.reply(codec.EncodeMCInterruptHotRestartBackupResponse(&w))
		}()
		return nil
	})
}
