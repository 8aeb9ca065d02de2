package server

import (
	"fmt"
	"sync"

	"github.com/filbert/filbert/cluster"
	"github.com/filbert/filbert/codec"
	"github.com/filbert/filbert/config"
	"github.com/filbert/filbert/protocol"
)

// Maps configured at runtime (DynamicConfig.addMapConfig): the settings
// Filbert acts on (backups, read-backup-data, TTL, max idle) apply to maps
// of that name created afterwards, on every member. The request is spread
// to the other members and replayed to members that join later.

// dynConfigs keeps the raw requests, to replay them to new members.
type dynConfigs struct {
	mu   sync.Mutex
	msgs [][]byte
}

// mapConfig is the configuration of map name: a dynamic one if added,
// else the file's.
func (m *Member) mapConfig(name string) config.MapConfig {
	if v, ok := m.dynMaps.Load(config.BaseName(name)); ok {
		return v.(config.MapConfig)
	}
	return m.cfg.Map(name)
}

func registerDynamicConfigHandlers(add func(int32, handler)) {
	add(codec.DynamicConfigAddMapConfigRequestType, decoded(codec.DecodeDynamicConfigAddMapConfigRequest, func(m *Member, r request, q *codec.DynamicConfigAddMapConfigRequest) {
		mc := config.DefaultMapConfig()
		mc.Name = q.Name
		mc.BackupCount = int(q.BackupCount)
		mc.AsyncBackupCount = int(q.AsyncBackupCount)
		mc.ReadBackupData = q.ReadBackupData
		mc.TTLSeconds = int(q.TimeToLiveSeconds)
		mc.MaxIdleSeconds = int(q.MaxIdleSeconds)
		if q.InMemoryFormat != "" {
			mc.InMemoryFormat = q.InMemoryFormat
		}
		if err := validateDynamicMap(mc); err != nil {
			r.fail(illegalArgument(err.Error()))
			return
		}
		if prev, ok := m.dynMaps.Load(q.Name); ok {
			p := prev.(config.MapConfig)
			if p.BackupCount != mc.BackupCount || p.AsyncBackupCount != mc.AsyncBackupCount || p.ReadBackupData != mc.ReadBackupData ||
				p.TTLSeconds != mc.TTLSeconds || p.MaxIdleSeconds != mc.MaxIdleSeconds {
				r.fail(&Error{Code: codeInvalidConfiguration, ClassName: "com.hazelcast.config.InvalidConfigurationException",
					Message: fmt.Sprintf("cannot add a new dynamic configuration for map %q: a conflicting one exists", q.Name)})
				return
			}
		}
		m.dynMaps.Store(q.Name, mc)
		m.bkCache.Delete(q.Name)
		m.bkCache.Range(func(k, _ any) bool { // names with a partition key suffix
			if config.BaseName(k.(string)) == q.Name {
				m.bkCache.Delete(k)
			}
			return true
		})
		if r.hops == 0 && r.sink == nil {
			raw := append([]byte(nil), r.msg...)
			m.dyn.mu.Lock()
			m.dyn.msgs = append(m.dyn.msgs, raw)
			m.dyn.mu.Unlock()
			m.spreadRaw(r, raw)
		}
		m.log.Info().Str("map", q.Name).Int("backup_count", mc.BackupCount).Int("async_backup_count", mc.AsyncBackupCount).
			Bool("read_backup_data", mc.ReadBackupData).Msg("map configuration added at runtime")
		w := newWriter()
		r.reply(codec.EncodeDynamicConfigAddMapConfigResponse(&w))
	}))
}

// validateDynamicMap applies the file validation's rules to one map.
func validateDynamicMap(mc config.MapConfig) error {
	c := config.Default()
	c.Maps = map[string]config.MapConfig{mc.Name: mc}
	return c.Validate()
}

// spreadRaw runs a request on every other member (as a scatter whose
// answers are ignored).
func (m *Member) spreadRaw(r request, raw []byte) {
	for _, mi := range m.node.View().Members {
		if mi.UUID != m.uuid {
			m.sendRaw(mi.UUID, r.c.client.uuid, raw)
		}
	}
}

func (m *Member) sendRaw(to, client protocol.UUID, raw []byte) {
	var e cluster.Enc
	e.UUID(client)
	e.Uvarint(0)
	e.B = append(e.B, raw...)
	m.node.Call(to, kindScatter, e.B, func([]byte, error) {})
}

// replayDynamicConfig sends the runtime map configurations to a new member.
func (m *Member) replayDynamicConfig(u protocol.UUID) {
	m.dyn.mu.Lock()
	msgs := append([][]byte(nil), m.dyn.msgs...)
	m.dyn.mu.Unlock()
	for _, raw := range msgs {
		m.sendRaw(u, protocol.UUID{}, raw)
	}
}
