package config

import (
	"fmt"
	"strings"
)

// Cluster data recovery policies of PersistenceConfig.
const (
	// RecoveryFullOnly starts the cluster only when all expected members
	// are present and their data is correct.
	RecoveryFullOnly = "FULL_RECOVERY_ONLY"
	// RecoveryPartialMostRecent starts with the members holding the most
	// recent partition table.
	RecoveryPartialMostRecent = "PARTIAL_RECOVERY_MOST_RECENT"
	// RecoveryPartialMostComplete starts with the largest group of members
	// sharing one partition table version.
	RecoveryPartialMostComplete = "PARTIAL_RECOVERY_MOST_COMPLETE"
)

var recoveryPolicies = []string{RecoveryFullOnly, RecoveryPartialMostRecent, RecoveryPartialMostComplete}

// Persistence defaults, as in Hazelcast.
const (
	// DefaultPersistenceBaseDir is the base directory of <persistence>.
	DefaultPersistenceBaseDir = "persistence"
	// DefaultHotRestartBaseDir is the base directory of the 4.x
	// <hot-restart-persistence> element.
	DefaultHotRestartBaseDir = "hot-restart"
	// DefaultValidationTimeoutSeconds bounds the restart validation phase.
	DefaultValidationTimeoutSeconds = 120
	// DefaultDataLoadTimeoutSeconds bounds the restart data load phase.
	DefaultDataLoadTimeoutSeconds = 900
)

// PersistenceConfig is the cluster-wide <persistence> (Hazelcast 5) or
// <hot-restart-persistence> (Hazelcast 4) element; both spellings map to
// it. When a file has both, the enabled one is used, and <persistence> if
// both are enabled (as in Hazelcast).
type PersistenceConfig struct {
	// Element is the element the settings came from ("persistence" or
	// "hot-restart-persistence"); empty for defaults or Go-built configs.
	Element string
	// Enabled turns persistence on.
	Enabled bool
	// BaseDir holds the persisted data.
	BaseDir string
	// BackupDir holds persistence backups; empty means none.
	BackupDir string
	// Parallelism is the number of IO threads (>= 1).
	Parallelism int
	// ValidationTimeoutSeconds bounds the cluster-wide validation on restart.
	ValidationTimeoutSeconds int
	// DataLoadTimeoutSeconds bounds the data load on restart.
	DataLoadTimeoutSeconds int
	// ClusterDataRecoveryPolicy is one of RecoveryFullOnly,
	// RecoveryPartialMostRecent, RecoveryPartialMostComplete.
	ClusterDataRecoveryPolicy string
	// AutoRemoveStaleData removes a member's stale data automatically when
	// it rejoins.
	AutoRemoveStaleData bool
	// RebalanceDelaySeconds delays rebalancing after a member crashes
	// (Hazelcast 5 only).
	RebalanceDelaySeconds int
}

// DefaultPersistenceConfig returns the disabled default persistence
// configuration.
func DefaultPersistenceConfig() PersistenceConfig {
	return PersistenceConfig{
		BaseDir:                   DefaultPersistenceBaseDir,
		Parallelism:               1,
		ValidationTimeoutSeconds:  DefaultValidationTimeoutSeconds,
		DataLoadTimeoutSeconds:    DefaultDataLoadTimeoutSeconds,
		ClusterDataRecoveryPolicy: RecoveryFullOnly,
		AutoRemoveStaleData:       true,
	}
}

// persistenceResult is one parsed persistence element with the lines of
// its values (keyed by field), merged into Config.lines only if chosen.
type persistenceResult struct {
	elem  *element
	cfg   PersistenceConfig
	lines map[string]int
}

// parsePersistence reads <persistence> or <hot-restart-persistence>.
func (p *parser) parsePersistence(e *element) *persistenceResult {
	r := &persistenceResult{elem: e, cfg: DefaultPersistenceConfig(), lines: map[string]int{"": e.line}}
	r.cfg.Element = e.name
	if e.name == "hot-restart-persistence" {
		r.cfg.BaseDir = DefaultHotRestartBaseDir
	}
	ctx := "<" + e.name + ">"
	p.setBoolAttr(e, "enabled", ctx, &r.cfg.Enabled)
	seen := map[string]int{}
	intField := func(ch *element, dst *int) {
		if v, ok := p.textOf(ch, ctx); ok {
			if n, ok := p.toInt(v); ok {
				*dst = n
				r.lines[ch.name] = ch.line
			}
		}
	}
	for _, ch := range e.children {
		switch ch.name {
		case "base-dir", "backup-dir", "cluster-data-recovery-policy":
			if !p.once(seen, ch, ctx) {
				continue
			}
			v, ok := p.textOf(ch, ctx)
			if !ok {
				continue
			}
			r.lines[ch.name] = ch.line
			switch ch.name {
			case "base-dir":
				r.cfg.BaseDir = v.text
			case "backup-dir":
				r.cfg.BackupDir = v.text
			default:
				r.cfg.ClusterDataRecoveryPolicy = strings.ToUpper(v.text)
			}
		case "parallelism":
			if p.once(seen, ch, ctx) {
				intField(ch, &r.cfg.Parallelism)
			}
		case "validation-timeout-seconds":
			if p.once(seen, ch, ctx) {
				intField(ch, &r.cfg.ValidationTimeoutSeconds)
			}
		case "data-load-timeout-seconds":
			if p.once(seen, ch, ctx) {
				intField(ch, &r.cfg.DataLoadTimeoutSeconds)
			}
		case "rebalance-delay-seconds":
			if p.once(seen, ch, ctx) {
				intField(ch, &r.cfg.RebalanceDelaySeconds)
			}
		case "auto-remove-stale-data":
			if p.once(seen, ch, ctx) {
				if v, ok := p.textOf(ch, ctx); ok {
					if b, ok := p.toBool(v); ok {
						r.cfg.AutoRemoveStaleData = b
					}
				}
			}
		default:
			p.unsupported(ch, ctx)
		}
	}
	return r
}

// choosePersistence applies Hazelcast's rule for files carrying both
// spellings and stores the result.
func (p *parser) choosePersistence(persistence, hotRestart *persistenceResult) {
	var chosen *persistenceResult
	switch {
	case persistence != nil && persistence.cfg.Enabled:
		chosen = persistence
		if hotRestart != nil && hotRestart.cfg.Enabled {
			p.warn(hotRestart.elem, "ignored: <persistence> is enabled too and takes precedence")
		}
	case hotRestart != nil && hotRestart.cfg.Enabled:
		chosen = hotRestart
	case persistence != nil:
		chosen = persistence
	default:
		chosen = hotRestart
	}
	if chosen == nil {
		return
	}
	p.cfg.Persistence = chosen.cfg
	for field, line := range chosen.lines {
		p.mark(keyPersistence(field), line)
	}
}

// keyPersistence is the key of a persistence value ("" is the element).
func keyPersistence(field string) string {
	if field == "" {
		return "persistence"
	}
	return "persistence/" + field
}

// validatePersistence checks the persistence settings (also when disabled,
// as Hazelcast does).
func (c *Config) validatePersistence() []Problem {
	pc := c.Persistence
	ctx := ""
	if pc.Element != "" {
		ctx = "<" + pc.Element + ">"
	}
	var out []Problem
	add := func(field string, val any, reason string) {
		line := c.line(keyPersistence(field))
		if line == 0 {
			line = c.line(keyPersistence(""))
		}
		out = append(out, Problem{Element: field, Value: fmt.Sprint(val), Line: line, Reason: reason, Context: ctx})
	}
	if pc.Parallelism < 1 {
		add("parallelism", pc.Parallelism, "must be at least 1")
	}
	for _, f := range []struct {
		name string
		v    int
	}{
		{"validation-timeout-seconds", pc.ValidationTimeoutSeconds},
		{"data-load-timeout-seconds", pc.DataLoadTimeoutSeconds},
		{"rebalance-delay-seconds", pc.RebalanceDelaySeconds},
	} {
		if f.v < 0 {
			add(f.name, f.v, "must not be negative")
		}
	}
	if !oneOf(pc.ClusterDataRecoveryPolicy, recoveryPolicies) {
		add("cluster-data-recovery-policy", pc.ClusterDataRecoveryPolicy, "must be one of "+strings.Join(recoveryPolicies, ", "))
	}
	if pc.Enabled && strings.TrimSpace(pc.BaseDir) == "" {
		add("base-dir", pc.BaseDir, "must not be empty when persistence is enabled")
	}
	return out
}
