package config

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// In-memory formats of a map.
const (
	// InMemoryBinary stores keys and values serialized (the default).
	InMemoryBinary = "BINARY"
	// InMemoryObject stores values in object form.
	InMemoryObject = "OBJECT"
	// InMemoryNative stores entries off-heap (Hazelcast Enterprise).
	InMemoryNative = "NATIVE"
)

// Eviction policies of a map.
const (
	EvictionNone   = "NONE"
	EvictionLRU    = "LRU"
	EvictionLFU    = "LFU"
	EvictionRandom = "RANDOM"
)

// Max-size policies of a map's eviction.
const (
	MaxSizePerNode                    = "PER_NODE"
	MaxSizePerPartition               = "PER_PARTITION"
	MaxSizeUsedHeapSize               = "USED_HEAP_SIZE"
	MaxSizeUsedHeapPercentage         = "USED_HEAP_PERCENTAGE"
	MaxSizeFreeHeapSize               = "FREE_HEAP_SIZE"
	MaxSizeFreeHeapPercentage         = "FREE_HEAP_PERCENTAGE"
	MaxSizeUsedNativeMemorySize       = "USED_NATIVE_MEMORY_SIZE"
	MaxSizeUsedNativeMemoryPercentage = "USED_NATIVE_MEMORY_PERCENTAGE"
	MaxSizeFreeNativeMemorySize       = "FREE_NATIVE_MEMORY_SIZE"
	MaxSizeFreeNativeMemoryPercentage = "FREE_NATIVE_MEMORY_PERCENTAGE"
)

// MaxBackupCount bounds backup-count, async-backup-count and their sum.
const MaxBackupCount = 6

// DefaultMapName is the name of the map configuration used for maps that
// match no other configuration.
const DefaultMapName = "default"

var (
	inMemoryFormats  = []string{InMemoryBinary, InMemoryObject, InMemoryNative}
	evictionPolicies = []string{EvictionNone, EvictionLRU, EvictionLFU, EvictionRandom}
	maxSizePolicies  = []string{
		MaxSizePerNode, MaxSizePerPartition, MaxSizeUsedHeapSize, MaxSizeUsedHeapPercentage,
		MaxSizeFreeHeapSize, MaxSizeFreeHeapPercentage, MaxSizeUsedNativeMemorySize,
		MaxSizeUsedNativeMemoryPercentage, MaxSizeFreeNativeMemorySize, MaxSizeFreeNativeMemoryPercentage,
	}
)

// MapConfig is a <map> configuration.
type MapConfig struct {
	// Name is the name as written (exact name, wildcard pattern or
	// "default"); in a MapConfig returned by Config.Map it is the map's
	// name instead.
	Name string
	// BackupCount is the number of synchronous backups (0..6).
	BackupCount int
	// AsyncBackupCount is the number of asynchronous backups (0..6, and
	// BackupCount+AsyncBackupCount <= 6).
	AsyncBackupCount int
	// ReadBackupData allows reads to be served from a local backup.
	ReadBackupData bool
	// BackupReadAccessForwarding (Filbert's <backup-read-access-forwarding>)
	// makes reads served from a backup count on the primary, in batches
	// about once a second, so that entries read only through backups do
	// not expire by max-idle. Default false: backup reads touch nothing.
	BackupReadAccessForwarding bool
	// TTLSeconds is <time-to-live-seconds>; 0 means entries never expire.
	TTLSeconds int
	// MaxIdleSeconds is <max-idle-seconds>; 0 means no idle expiry.
	MaxIdleSeconds int
	// InMemoryFormat is one of InMemoryBinary, InMemoryObject,
	// InMemoryNative.
	InMemoryFormat string
	// Eviction is the <eviction> element.
	Eviction EvictionConfig
	// Persistence is the map's <data-persistence> (5.x) or <hot-restart>
	// (4.x) element.
	Persistence MapPersistenceConfig
}

// EvictionConfig is a map's <eviction> element.
type EvictionConfig struct {
	// Policy is one of EvictionNone (default), EvictionLRU, EvictionLFU,
	// EvictionRandom.
	Policy string
	// MaxSizePolicy says how Size is measured (MaxSizePerNode by default).
	MaxSizePolicy string
	// Size is the limit; the default is math.MaxInt32, as in Hazelcast.
	Size int
}

// MapPersistenceConfig is a map's <data-persistence> or <hot-restart>
// element. If both are present and enabled, <data-persistence> wins, as in
// Hazelcast.
type MapPersistenceConfig struct {
	// Enabled persists the map (requires Config.Persistence.Enabled).
	Enabled bool
	// Fsync makes every update wait until it is on disk.
	Fsync bool
}

// DefaultMapConfig returns the built-in map configuration, used for a map
// when no <map> configuration (not even "default") matches, and as the
// starting point of every parsed <map>. As in Hazelcast, a named <map>
// does not inherit from the "default" <map>.
func DefaultMapConfig() MapConfig {
	return MapConfig{
		Name:           DefaultMapName,
		BackupCount:    1,
		InMemoryFormat: InMemoryBinary,
		Eviction: EvictionConfig{
			Policy:        EvictionNone,
			MaxSizePolicy: MaxSizePerNode,
			Size:          math.MaxInt32,
		},
	}
}

// Map returns the configuration for the map called name, resolved as
// Hazelcast does:
//
//  1. a partition key suffix is dropped ("orders@key" is "orders"),
//  2. a configuration with exactly that name,
//  3. otherwise the best wildcard pattern: a pattern has one "*" that
//     matches any run of characters ("orders-*", "*-cache", "a*z", "*");
//     the pattern whose literal part is longest wins,
//  4. otherwise the "default" configuration,
//  5. otherwise DefaultMapConfig.
//
// Hazelcast rejects a name matched equally well by two patterns; Map
// instead picks the pattern that sorts first (use LookupMap to detect the
// ambiguity). As in Hazelcast, only the first "*" of a pattern is a
// wildcard. The returned copy carries the map's name in Name.
func (c *Config) Map(name string) MapConfig {
	mc, _, _ := c.lookupMap(name)
	return mc
}

// LookupMap is Map, also returning the key of Maps that matched ("" for
// the built-in DefaultMapConfig) and an error when two wildcard patterns
// match equally well (mc is then still Map's choice).
func (c *Config) LookupMap(name string) (mc MapConfig, matched string, err error) {
	return c.lookupMap(name)
}

func (c *Config) lookupMap(name string) (MapConfig, string, error) {
	base := BaseName(name)
	pick := func(key string) (MapConfig, string, error) {
		mc := c.Maps[key]
		mc.Name = base
		return mc, key, nil
	}
	if _, ok := c.Maps[base]; ok {
		return pick(base)
	}
	patterns := make([]string, 0, len(c.Maps))
	for k := range c.Maps {
		if strings.Contains(k, "*") {
			patterns = append(patterns, k)
		}
	}
	sort.Strings(patterns)
	best, bestPoint, tie := "", -1, ""
	for _, pat := range patterns {
		pt := matchingPoint(pat, base)
		switch {
		case pt > bestPoint:
			best, bestPoint, tie = pat, pt, ""
		case pt == bestPoint && pt >= 0 && tie == "":
			tie = pat
		}
	}
	if best != "" {
		mc, key, _ := pick(best)
		if tie != "" {
			return mc, key, fmt.Errorf("config: map %q matches patterns %q and %q equally well", base, best, tie)
		}
		return mc, key, nil
	}
	if _, ok := c.Maps[DefaultMapName]; ok {
		return pick(DefaultMapName)
	}
	mc := DefaultMapConfig()
	mc.Name = base
	return mc, "", nil
}

// matchingPoint scores how well pattern matches name, like Hazelcast's
// MatchingPointConfigPatternMatcher: -1 for no match, otherwise the length
// of the pattern without its "*". The text before the first "*" must be a
// prefix and the text after it a suffix of name (they may overlap, as in
// Hazelcast).
func matchingPoint(pattern, name string) int {
	i := strings.IndexByte(pattern, '*')
	if i < 0 {
		return -1
	}
	prefix, suffix := pattern[:i], pattern[i+1:]
	if !strings.HasPrefix(name, prefix) || !strings.HasSuffix(name, suffix) {
		return -1
	}
	return len(prefix) + len(suffix)
}

// BaseName strips a partition key suffix from a distributed object name:
// "orders@customer-1" becomes "orders" (Hazelcast's
// StringPartitioningStrategy.getBaseName).
func BaseName(name string) string {
	if i := strings.IndexByte(name, '@'); i >= 0 {
		return name[:i]
	}
	return name
}

// parseMap reads one <map name="...">.
func (p *parser) parseMap(e *element) {
	nv, present, ok := e.attr("name")
	name := strings.TrimSpace(nv)
	if !ok {
		if !present {
			p.problem(Problem{Element: "map name", Line: e.line, Reason: "a map configuration needs a name"})
		}
		return
	}
	if name == "" {
		p.problem(Problem{Element: "map name", Line: e.line, Reason: "a map configuration needs a name"})
		return
	}
	ctx := fmt.Sprintf("map %q", name)
	if first, dup := p.cfg.lines[keyMap(name, "")]; dup {
		p.warn(e, "%q replaces the configuration at line %d", name, first)
	}
	if strings.Count(name, "*") > 1 {
		p.warn(e, "%q: only the first '*' is a wildcard, the others match a literal '*'", name)
	}
	p.mark(keyMap(name, ""), e.line)
	mc := DefaultMapConfig()
	mc.Name = name
	var persistence, hotRestart *MapPersistenceConfig
	seen := map[string]int{}
	for _, ch := range e.children {
		key := keyMap(name, ch.name)
		switch ch.name {
		case "backup-count":
			if p.once(seen, ch, ctx) {
				p.setInt(ch, ctx, key, &mc.BackupCount)
			}
		case "async-backup-count":
			if p.once(seen, ch, ctx) {
				p.setInt(ch, ctx, key, &mc.AsyncBackupCount)
			}
		case "time-to-live-seconds":
			if p.once(seen, ch, ctx) {
				p.setInt(ch, ctx, key, &mc.TTLSeconds)
			}
		case "max-idle-seconds":
			if p.once(seen, ch, ctx) {
				p.setInt(ch, ctx, key, &mc.MaxIdleSeconds)
			}
		case "read-backup-data":
			if p.once(seen, ch, ctx) {
				p.setBool(ch, ctx, key, &mc.ReadBackupData)
			}
		case "backup-read-access-forwarding":
			if p.once(seen, ch, ctx) {
				p.setBool(ch, ctx, key, &mc.BackupReadAccessForwarding)
			}
		case "in-memory-format":
			if p.once(seen, ch, ctx) {
				if v, ok := p.textOf(ch, ctx); ok {
					mc.InMemoryFormat = strings.ToUpper(v.text)
					p.mark(key, ch.line)
				}
			}
		case "eviction":
			if p.once(seen, ch, ctx) {
				p.parseEviction(ch, name, ctx, &mc.Eviction)
			}
		case "data-persistence":
			if p.once(seen, ch, ctx) {
				persistence = p.parseMapPersistence(ch, ctx)
			}
		case "hot-restart":
			if p.once(seen, ch, ctx) {
				hotRestart = p.parseMapPersistence(ch, ctx)
			}
		default:
			p.unsupported(ch, ctx)
		}
	}
	switch {
	case persistence != nil && (persistence.Enabled || hotRestart == nil || !hotRestart.Enabled):
		mc.Persistence = *persistence
	case hotRestart != nil:
		mc.Persistence = *hotRestart
	}
	p.cfg.Maps[name] = mc
}

// parseEviction reads <eviction eviction-policy=".." max-size-policy=".."
// size=".."/>. Omitted attributes keep the map defaults.
func (p *parser) parseEviction(e *element, mapName, ctx string, ev *EvictionConfig) {
	if v, ok := p.attrOf(e, "eviction-policy", ctx); ok {
		ev.Policy = strings.ToUpper(v.text)
		p.mark(keyMap(mapName, "eviction@eviction-policy"), e.line)
	}
	if v, ok := p.attrOf(e, "max-size-policy", ctx); ok {
		ev.MaxSizePolicy = strings.ToUpper(v.text)
		p.mark(keyMap(mapName, "eviction@max-size-policy"), e.line)
	}
	p.setIntAttr(e, "size", ctx, keyMap(mapName, "eviction@size"), &ev.Size)
	for _, ch := range e.children {
		p.unsupported(ch, ctx)
	}
}

// parseMapPersistence reads <data-persistence> or <hot-restart>; fsync may
// be an attribute or a child element (the XSD form).
func (p *parser) parseMapPersistence(e *element, ctx string) *MapPersistenceConfig {
	mp := &MapPersistenceConfig{}
	p.setBoolAttr(e, "enabled", ctx, &mp.Enabled)
	p.setBoolAttr(e, "fsync", ctx, &mp.Fsync)
	for _, ch := range e.children {
		if ch.name == "fsync" {
			if v, ok := p.textOf(ch, ctx); ok {
				if b, ok := p.toBool(v); ok {
					mp.Fsync = b
				}
			}
			continue
		}
		p.unsupported(ch, ctx)
	}
	return mp
}

// keyMap is the key of a map configuration's value (field "" is the <map>
// element itself).
func keyMap(name, field string) string {
	if field == "" {
		return "map[" + name + "]"
	}
	return "map[" + name + "]/" + field
}

// validateMaps checks every map configuration.
func (c *Config) validateMaps() []Problem {
	var out []Problem
	names := make([]string, 0, len(c.Maps))
	for k := range c.Maps {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, name := range names {
		mc := c.Maps[name]
		ctx := fmt.Sprintf("map %q", name)
		at := func(field string) int {
			if l := c.line(keyMap(name, field)); l > 0 {
				return l
			}
			return c.line(keyMap(name, ""))
		}
		add := func(elem, field string, val any, reason string) {
			out = append(out, Problem{Element: elem, Value: fmt.Sprint(val), Line: at(field), Reason: reason, Context: ctx})
		}
		if strings.TrimSpace(name) == "" {
			add("map name", "", name, "a map configuration needs a name")
		}
		backupOK := true
		for _, f := range []struct {
			elem string
			v    int
		}{{"backup-count", mc.BackupCount}, {"async-backup-count", mc.AsyncBackupCount}} {
			if f.v < 0 || f.v > MaxBackupCount {
				add(f.elem, f.elem, f.v, fmt.Sprintf("must be between 0 and %d", MaxBackupCount))
				backupOK = false
			}
		}
		if backupOK && mc.BackupCount+mc.AsyncBackupCount > MaxBackupCount {
			field := "async-backup-count"
			if c.line(keyMap(name, field)) == 0 {
				field = "backup-count"
			}
			val := mc.AsyncBackupCount
			if field == "backup-count" {
				val = mc.BackupCount
			}
			add(field, field, val,
				fmt.Sprintf("backup-count (%d) + async-backup-count (%d) must not exceed %d",
					mc.BackupCount, mc.AsyncBackupCount, MaxBackupCount))
		}
		for _, f := range []struct {
			elem string
			v    int
		}{{"time-to-live-seconds", mc.TTLSeconds}, {"max-idle-seconds", mc.MaxIdleSeconds}} {
			if f.v < 0 || f.v > math.MaxInt32 {
				add(f.elem, f.elem, f.v, fmt.Sprintf("must be between 0 and %d", math.MaxInt32))
			}
		}
		if !oneOf(mc.InMemoryFormat, inMemoryFormats) {
			add("in-memory-format", "in-memory-format", mc.InMemoryFormat, "must be one of "+strings.Join(inMemoryFormats, ", "))
		}
		if !oneOf(mc.Eviction.Policy, evictionPolicies) {
			add("eviction eviction-policy", "eviction@eviction-policy", mc.Eviction.Policy,
				"must be one of "+strings.Join(evictionPolicies, ", "))
		}
		if !oneOf(mc.Eviction.MaxSizePolicy, maxSizePolicies) {
			add("eviction max-size-policy", "eviction@max-size-policy", mc.Eviction.MaxSizePolicy,
				"must be one of "+strings.Join(maxSizePolicies, ", "))
		}
		if mc.Eviction.Size < 0 || mc.Eviction.Size > math.MaxInt32 {
			add("eviction size", "eviction@size", mc.Eviction.Size, fmt.Sprintf("must be between 0 and %d", math.MaxInt32))
		}
	}
	return out
}

// oneOf reports whether s is in list.
func oneOf(s string, list []string) bool {
	for _, v := range list {
		if s == v {
			return true
		}
	}
	return false
}
