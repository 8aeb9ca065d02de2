package bench

import (
	"bytes"
	"errors"
	"flag"
	"strings"
	"testing"
	"time"
)

func TestParseFlagsDefaults(t *testing.T) {
	var stderr bytes.Buffer
	o, err := ParseFlags(nil, &stderr)
	if err != nil {
		t.Fatalf("ParseFlags: %v (%s)", err, stderr.String())
	}
	want := DefaultOptions()
	if o != want {
		t.Errorf("defaults = %+v, want %+v", o, want)
	}
	if o.Addr != "127.0.0.1:5701" || o.Cluster != "dev" || o.Concurrency != 64 || o.Keys != 10000 ||
		o.ValueSize != 100 || o.ReadRatio != 0.8 || o.Duration != 10*time.Second || o.Warmup != 3*time.Second ||
		o.Map != "bench" || !o.Smart || o.Target != TargetFilbert || o.RedisAddr != "127.0.0.1:6379" ||
		o.Rounds != 1 || o.MemberPID != 0 || o.RedisPID != 0 || o.JSON {
		t.Errorf("unexpected defaults: %+v", o)
	}
}

func TestParseFlagsAll(t *testing.T) {
	args := strings.Fields(`-addr 127.0.0.1:5801 -cluster prod -c 8 -keys 500 -value-size 1024
		-read-ratio 0.5 -duration 2s -warmup 500ms -map m1 -smart false -target BOTH
		-redis-addr 127.0.0.1:6380 -rounds 3 -member-pid 42 -redis-pid 43 -json -seed 7 -connect-timeout 5s`)
	var stderr bytes.Buffer
	o, err := ParseFlags(args, &stderr)
	if err != nil {
		t.Fatalf("ParseFlags: %v (%s)", err, stderr.String())
	}
	want := Options{
		Addr: "127.0.0.1:5801", Cluster: "prod", Concurrency: 8, Keys: 500, ValueSize: 1024,
		ReadRatio: 0.5, Duration: 2 * time.Second, Warmup: 500 * time.Millisecond, Map: "m1",
		Smart: false, Target: TargetBoth, RedisAddr: "127.0.0.1:6380", Rounds: 3,
		MemberPID: 42, RedisPID: 43, JSON: true, Seed: 7, ConnectTimeout: 5 * time.Second,
	}
	if o != want {
		t.Errorf("got  %+v\nwant %+v", o, want)
	}
	if got := o.targets(); len(got) != 2 || got[0] != TargetFilbert || got[1] != TargetRedis {
		t.Errorf("targets = %v", got)
	}
}

func TestParseFlagsSmartForms(t *testing.T) {
	for _, c := range []struct {
		args []string
		want bool
	}{
		{[]string{"-smart=false"}, false},
		{[]string{"-smart", "true"}, true},
		{[]string{"-smart", "0", "-c", "3"}, false},
	} {
		o, err := ParseFlags(c.args, new(bytes.Buffer))
		if err != nil {
			t.Errorf("%v: %v", c.args, err)
			continue
		}
		if o.Smart != c.want {
			t.Errorf("%v: smart = %v, want %v", c.args, o.Smart, c.want)
		}
	}
}

func TestParseFlagsErrors(t *testing.T) {
	for _, args := range [][]string{
		{"-c", "0"},
		{"-keys", "-1"},
		{"-value-size", "-1"},
		{"-read-ratio", "1.5"},
		{"-duration", "0s"},
		{"-warmup", "-1s"},
		{"-rounds", "0"},
		{"-target", "memcached"},
		{"-smart", "maybe"},
		{"-member-pid", "-3"},
		{"-nope"},
		{"extra"},
		{"-map", "", "-target", "filbert"},
	} {
		var stderr bytes.Buffer
		if _, err := ParseFlags(args, &stderr); err == nil {
			t.Errorf("%v: no error", args)
		} else if stderr.Len() == 0 {
			t.Errorf("%v: nothing written to stderr", args)
		}
	}
	if _, err := ParseFlags([]string{"-h"}, new(bytes.Buffer)); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("-h: err = %v, want flag.ErrHelp", err)
	}
	// A redis-only run needs no map name.
	if _, err := ParseFlags([]string{"-target", "redis", "-map", ""}, new(bytes.Buffer)); err != nil {
		t.Errorf("redis target with empty map: %v", err)
	}
}

func TestMainExitCodes(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := Main([]string{"-h"}, &stdout, &stderr); code != 0 {
		t.Errorf("-h: exit %d", code)
	}
	if !strings.Contains(stderr.String(), "-read-ratio") {
		t.Errorf("usage does not list flags: %s", stderr.String())
	}
	if code := Main([]string{"-c", "x"}, &stdout, &stderr); code != 2 {
		t.Errorf("bad flag: exit %d, want 2", code)
	}
	stderr.Reset()
	// Nothing listens on port 1 of the loopback address: connecting fails fast.
	code := Main([]string{"-target", "redis", "-redis-addr", "127.0.0.1:1", "-connect-timeout", "2s"}, &stdout, &stderr)
	if code != 1 || !strings.Contains(stderr.String(), "connect to redis 127.0.0.1:1") {
		t.Errorf("unreachable redis: exit %d, stderr %q", code, stderr.String())
	}
	stderr.Reset()
	code = Main([]string{"-target", "filbert", "-addr", "127.0.0.1:1", "-connect-timeout", "1s"}, &stdout, &stderr)
	if code != 1 || !strings.Contains(stderr.String(), "connect to member 127.0.0.1:1") {
		t.Errorf("unreachable member: exit %d, stderr %q", code, stderr.String())
	}
	if stdout.Len() != 0 {
		t.Errorf("failed runs wrote results: %q", stdout.String())
	}
}
