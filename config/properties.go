package config

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Names of the Hazelcast properties Filbert knows. Known properties are
// validated (type and minimum) by Parse and Validate.
const (
	// PropPartitionCount is the number of partitions (default 271).
	PropPartitionCount = "hazelcast.partition.count"
	// PropHeartbeatIntervalSeconds is the member heartbeat period
	// (default 5).
	PropHeartbeatIntervalSeconds = "hazelcast.heartbeat.interval.seconds"
	// PropMaxNoHeartbeatSeconds is how long a member may stay silent
	// before it is suspected (default 60).
	PropMaxNoHeartbeatSeconds = "hazelcast.max.no.heartbeat.seconds"
	// PropClientMaxNoHeartbeatSeconds is how long a client may stay silent
	// before its connection is closed (default 60).
	PropClientMaxNoHeartbeatSeconds = "hazelcast.client.max.no.heartbeat.seconds"
	// PropOperationCallTimeoutMillis is the operation timeout (default
	// 60000).
	PropOperationCallTimeoutMillis = "hazelcast.operation.call.timeout.millis"
	// PropOperationBackupTimeoutMillis is how long an operation waits for
	// its sync backups (default 5000).
	PropOperationBackupTimeoutMillis = "hazelcast.operation.backup.timeout.millis"
	// PropFailOnIndeterminateState makes an operation fail instead of
	// succeed when its sync backups do not all acknowledge (default false).
	PropFailOnIndeterminateState = "hazelcast.operation.fail.on.indeterminate.state"
)

// DefaultPartitionCount is Hazelcast's default partition count.
const DefaultPartitionCount = 271

// knownProperty describes a property Filbert validates.
type knownProperty struct {
	isBool bool
	def    int // default (0/1 for booleans)
	min    int
}

var knownProperties = map[string]knownProperty{
	PropPartitionCount:               {def: DefaultPartitionCount, min: 1},
	PropHeartbeatIntervalSeconds:     {def: 5, min: 1},
	PropMaxNoHeartbeatSeconds:        {def: 60, min: 1},
	PropClientMaxNoHeartbeatSeconds:  {def: 60, min: 1},
	PropOperationCallTimeoutMillis:   {def: 60000, min: 1},
	PropOperationBackupTimeoutMillis: {def: 5000, min: 1},
	PropFailOnIndeterminateState:     {isBool: true},
}

// Property returns the value of a property: the system property override
// if set, else the <properties> entry. Surrounding space is trimmed.
func (c *Config) Property(name string) (string, bool) {
	if v, ok := c.SystemProperties[name]; ok {
		return strings.TrimSpace(v), true
	}
	v, ok := c.Properties[name]
	return strings.TrimSpace(v), ok
}

// IntProperty returns property name as an int, or def when it is not set.
func (c *Config) IntProperty(name string, def int) (int, error) {
	v, ok := c.Property(name)
	if !ok {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 32)
	if err != nil {
		return def, fmt.Errorf("config: property %s=%q: not an integer: %w", name, v, err)
	}
	return int(n), nil
}

// BoolProperty returns property name as a bool (true, false, 1, 0), or def
// when it is not set.
func (c *Config) BoolProperty(name string, def bool) (bool, error) {
	v, ok := c.Property(name)
	if !ok {
		return def, nil
	}
	b, ok := parseBool(v)
	if !ok {
		return def, fmt.Errorf("config: property %s=%q: must be true or false", name, v)
	}
	return b, nil
}

// DurationProperty returns property name as a duration, or def when it is
// not set. The unit comes from the name's suffix, as in Hazelcast
// (".seconds", ".millis", ".minutes", ".hours", ".nanos", ".micros");
// for other names the value must be a Go duration ("1.5s").
func (c *Config) DurationProperty(name string, def time.Duration) (time.Duration, error) {
	v, ok := c.Property(name)
	if !ok {
		return def, nil
	}
	unit := durationUnit(name)
	if unit == 0 {
		d, err := time.ParseDuration(v)
		if err != nil {
			return def, fmt.Errorf("config: property %s=%q: %w", name, v, err)
		}
		return d, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return def, fmt.Errorf("config: property %s=%q: not an integer: %w", name, v, err)
	}
	if n > math.MaxInt64/int64(unit) || n < math.MinInt64/int64(unit) {
		return def, fmt.Errorf("config: property %s=%q: out of range", name, v)
	}
	return time.Duration(n) * unit, nil
}

// durationUnit derives a property's unit from its name, or 0.
func durationUnit(name string) time.Duration {
	for _, u := range []struct {
		suffix string
		unit   time.Duration
	}{
		{".nanos", time.Nanosecond}, {".micros", time.Microsecond},
		{".millis", time.Millisecond}, {".ms", time.Millisecond},
		{".seconds", time.Second}, {".minutes", time.Minute}, {".hours", time.Hour},
	} {
		if strings.HasSuffix(name, u.suffix) {
			return u.unit
		}
	}
	return 0
}

// knownInt returns a known integer property, falling back to its default
// when unset or invalid (Validate reports invalid values).
func (c *Config) knownInt(name string) int {
	kp := knownProperties[name]
	n, err := c.IntProperty(name, kp.def)
	if err != nil || n < kp.min {
		return kp.def
	}
	return n
}

// knownDuration is knownInt scaled by the unit of the property's name.
func (c *Config) knownDuration(name string) time.Duration {
	return time.Duration(c.knownInt(name)) * durationUnit(name)
}

// PartitionCount returns hazelcast.partition.count (default 271).
func (c *Config) PartitionCount() int { return c.knownInt(PropPartitionCount) }

// HeartbeatInterval returns hazelcast.heartbeat.interval.seconds (default
// 5s).
func (c *Config) HeartbeatInterval() time.Duration {
	return c.knownDuration(PropHeartbeatIntervalSeconds)
}

// MaxNoHeartbeat returns hazelcast.max.no.heartbeat.seconds (default 60s).
func (c *Config) MaxNoHeartbeat() time.Duration {
	return c.knownDuration(PropMaxNoHeartbeatSeconds)
}

// ClientMaxNoHeartbeat returns hazelcast.client.max.no.heartbeat.seconds
// (default 60s).
func (c *Config) ClientMaxNoHeartbeat() time.Duration {
	return c.knownDuration(PropClientMaxNoHeartbeatSeconds)
}

// OperationCallTimeout returns hazelcast.operation.call.timeout.millis
// (default 60s).
func (c *Config) OperationCallTimeout() time.Duration {
	return c.knownDuration(PropOperationCallTimeoutMillis)
}

// BackupTimeout returns hazelcast.operation.backup.timeout.millis (default
// 5s).
func (c *Config) BackupTimeout() time.Duration {
	return c.knownDuration(PropOperationBackupTimeoutMillis)
}

// FailOnIndeterminateState returns
// hazelcast.operation.fail.on.indeterminate.state (default false).
func (c *Config) FailOnIndeterminateState() bool {
	b, err := c.BoolProperty(PropFailOnIndeterminateState, false)
	return err == nil && b
}

// validateProperties checks the known properties, from the file and from
// the system property overrides.
func (c *Config) validateProperties() []Problem {
	var out []Problem
	check := func(name, v string, line int, ctx string) {
		kp, known := knownProperties[name]
		if !known {
			return
		}
		v = strings.TrimSpace(v)
		p := Problem{Element: fmt.Sprintf("property name=%q", name), Value: v, Line: line, Context: ctx}
		if kp.isBool {
			if _, ok := parseBool(v); !ok {
				p.Reason = "must be true or false"
				out = append(out, p)
			}
			return
		}
		n, err := strconv.ParseInt(v, 10, 32)
		switch {
		case err != nil:
			p.Reason = "must be an integer"
		case int(n) < kp.min:
			p.Reason = fmt.Sprintf("must be at least %d", kp.min)
		default:
			return
		}
		out = append(out, p)
	}
	for _, name := range sortedKeys(c.Properties) {
		if _, overridden := c.SystemProperties[name]; overridden {
			continue
		}
		check(name, c.Properties[name], c.line(keyProperty(name)), "")
	}
	for _, name := range sortedKeys(c.SystemProperties) {
		check(name, c.SystemProperties[name], 0, "system property")
	}
	for _, name := range sortedKeys(c.Properties) {
		if strings.TrimSpace(name) == "" {
			out = append(out, Problem{Element: "property name", Reason: "a property needs a name"})
		}
	}
	return out
}

// sortedKeys returns the keys of m in order.
func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
