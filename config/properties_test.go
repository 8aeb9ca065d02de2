package config

import (
	"testing"
	"time"
)

func TestProperties(t *testing.T) {
	c, _ := mustParse(t, hz(`<properties>
<property name="hazelcast.partition.count">13</property>
<property name="hazelcast.heartbeat.interval.seconds">2</property>
<property name="hazelcast.client.max.no.heartbeat.seconds">30</property>
<property name="hazelcast.operation.backup.timeout.millis">1500</property>
<property name="hazelcast.operation.fail.on.indeterminate.state">true</property>
<property name="custom.int">42</property>
<property name="custom.bad">x</property>
<property name="custom.wait.minutes">3</property>
<property name="custom.wait">1.5s</property>
</properties>`), ParseOptions{SystemProperties: map[string]string{
		"hazelcast.operation.call.timeout.millis": "2000",
		"hazelcast.partition.count":               "17", // overrides the file
	}})
	if c.PartitionCount() != 17 || c.HeartbeatInterval() != 2*time.Second || c.ClientMaxNoHeartbeat() != 30*time.Second ||
		c.BackupTimeout() != 1500*time.Millisecond || !c.FailOnIndeterminateState() ||
		c.OperationCallTimeout() != 2*time.Second || c.MaxNoHeartbeat() != 60*time.Second {
		t.Errorf("known properties: %d %v %v %v %v %v %v", c.PartitionCount(), c.HeartbeatInterval(),
			c.ClientMaxNoHeartbeat(), c.BackupTimeout(), c.FailOnIndeterminateState(), c.OperationCallTimeout(), c.MaxNoHeartbeat())
	}
	if n, err := c.IntProperty("custom.int", 1); n != 42 || err != nil {
		t.Errorf("IntProperty = %d, %v", n, err)
	}
	if n, err := c.IntProperty("custom.missing", 7); n != 7 || err != nil {
		t.Errorf("IntProperty default = %d, %v", n, err)
	}
	if n, err := c.IntProperty("custom.bad", 7); n != 7 || err == nil {
		t.Errorf("IntProperty bad = %d, %v", n, err)
	}
	if b, err := c.BoolProperty("custom.bad", true); !b || err == nil {
		t.Errorf("BoolProperty bad = %v, %v", b, err)
	}
	if b, err := c.BoolProperty("custom.missing", true); !b || err != nil {
		t.Errorf("BoolProperty default = %v, %v", b, err)
	}
	durations := []struct {
		name    string
		want    time.Duration
		wantErr bool
	}{
		{"hazelcast.heartbeat.interval.seconds", 2 * time.Second, false},
		{"hazelcast.operation.backup.timeout.millis", 1500 * time.Millisecond, false},
		{"custom.wait.minutes", 3 * time.Minute, false},
		{"custom.wait", 1500 * time.Millisecond, false},
		{"custom.missing.seconds", time.Hour, false},
		{"custom.bad", time.Hour, true},
		{"custom.int", time.Hour, true}, // no unit suffix and not a Go duration
	}
	for _, d := range durations {
		got, err := c.DurationProperty(d.name, time.Hour)
		if got != d.want || (err != nil) != d.wantErr {
			t.Errorf("DurationProperty(%s) = %v, %v", d.name, got, err)
		}
	}

	// Defaults.
	d := Default()
	if d.HeartbeatInterval() != 5*time.Second || d.ClientMaxNoHeartbeat() != 60*time.Second ||
		d.BackupTimeout() != 5*time.Second || d.FailOnIndeterminateState() || d.OperationCallTimeout() != time.Minute {
		t.Errorf("property defaults wrong")
	}
	if v, ok := d.Property("nope"); ok || v != "" {
		t.Errorf("Property(nope) = %q, %v", v, ok)
	}
}

func TestOverrideReplacesInvalidFileValue(t *testing.T) {
	// The file value is never used, so it is not reported.
	c, _ := mustParse(t, hz(`<properties><property name="hazelcast.partition.count">0</property></properties>`),
		ParseOptions{SystemProperties: map[string]string{PropPartitionCount: "5"}})
	if c.PartitionCount() != 5 {
		t.Errorf("PartitionCount = %d", c.PartitionCount())
	}
}
