package bench

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Target names accepted by Options.Target.
const (
	TargetFilbert = "filbert"
	TargetRedis   = "redis"
	TargetBoth    = "both"
)

// Options configures a benchmark run. DefaultOptions returns the defaults
// that the command-line flags use.
type Options struct {
	// Addr is the member address (host:port) the Hazelcast client starts from.
	Addr string
	// Cluster is the cluster name the client authenticates with.
	Cluster string
	// Concurrency is the number of goroutines issuing operations; they share
	// one Hazelcast client, and the Redis client gets one connection each.
	Concurrency int
	// Keys is the key space size; keys are "key-0" .. "key-<Keys-1>".
	Keys int
	// ValueSize is the length in bytes of each (random) value.
	ValueSize int
	// ReadRatio is the fraction of operations that are reads (0..1); the rest
	// are writes.
	ReadRatio float64
	// Duration is the length of each measured window.
	Duration time.Duration
	// Warmup is how long each round runs before measuring starts.
	Warmup time.Duration
	// Map is the name of the Hazelcast map.
	Map string
	// Smart selects smart routing (a connection per member, requests sent to
	// the partition owner); false selects unisocket routing.
	Smart bool
	// Target is TargetFilbert, TargetRedis or TargetBoth.
	Target string
	// RedisAddr is the Redis server address (host:port).
	RedisAddr string
	// Rounds is the number of measured rounds per target. With TargetBoth
	// each round runs both targets, in alternating order.
	Rounds int
	// MemberPID, if non-zero, is the member process whose CPU time is
	// measured over each Filbert window.
	MemberPID int
	// RedisPID, if non-zero, is the Redis process whose CPU time is measured
	// over each Redis window.
	RedisPID int
	// JSON selects JSON Lines output instead of text.
	JSON bool
	// ConnectTimeout bounds connecting to each target.
	ConnectTimeout time.Duration
	// Seed seeds key choice and value content; 0 picks one from the clock.
	Seed uint64
	// Log, if non-nil, receives client-library warnings and progress notes.
	Log io.Writer
}

// DefaultOptions returns the default options.
func DefaultOptions() Options {
	return Options{
		Addr:           "127.0.0.1:5701",
		Cluster:        "dev",
		Concurrency:    64,
		Keys:           10000,
		ValueSize:      100,
		ReadRatio:      0.8,
		Duration:       10 * time.Second,
		Warmup:         3 * time.Second,
		Map:            "bench",
		Smart:          true,
		Target:         TargetFilbert,
		RedisAddr:      "127.0.0.1:6379",
		Rounds:         1,
		ConnectTimeout: 30 * time.Second,
	}
}

// Validate reports the first invalid option.
func (o Options) Validate() error {
	var errs []error
	check := func(ok bool, format string, a ...any) {
		if !ok {
			errs = append(errs, fmt.Errorf(format, a...))
		}
	}
	check(o.Concurrency >= 1, "concurrency %d: must be at least 1", o.Concurrency)
	check(o.Keys >= 1, "keys %d: must be at least 1", o.Keys)
	check(o.ValueSize >= 0, "value size %d: must not be negative", o.ValueSize)
	check(o.ReadRatio >= 0 && o.ReadRatio <= 1, "read ratio %v: must be within [0, 1]", o.ReadRatio)
	check(o.Duration > 0, "duration %v: must be positive", o.Duration)
	check(o.Warmup >= 0, "warmup %v: must not be negative", o.Warmup)
	check(o.Rounds >= 1, "rounds %d: must be at least 1", o.Rounds)
	check(o.MemberPID >= 0, "member pid %d: must not be negative", o.MemberPID)
	check(o.RedisPID >= 0, "redis pid %d: must not be negative", o.RedisPID)
	check(o.ConnectTimeout > 0, "connect timeout %v: must be positive", o.ConnectTimeout)
	switch o.Target {
	case TargetFilbert, TargetRedis, TargetBoth:
	default:
		errs = append(errs, fmt.Errorf("target %q: must be %s, %s or %s", o.Target, TargetFilbert, TargetRedis, TargetBoth))
	}
	if o.Target != TargetRedis {
		check(o.Addr != "", "member address is empty")
		check(o.Map != "", "map name is empty")
	}
	if o.Target != TargetFilbert {
		check(o.RedisAddr != "", "redis address is empty")
	}
	if len(errs) > 0 {
		return fmt.Errorf("invalid options: %w", errs[0])
	}
	return nil
}

// targets returns the targets to run, in first-round order.
func (o Options) targets() []string {
	switch o.Target {
	case TargetBoth:
		return []string{TargetFilbert, TargetRedis}
	default:
		return []string{o.Target}
	}
}

// boolArg is a boolean flag that takes its value as a separate argument
// ("-smart false") as well as "-smart=false". A plain flag.Bool would leave
// "false" as a positional argument and stop flag parsing there.
type boolArg struct{ p *bool }

func (b boolArg) String() string {
	if b.p == nil {
		return "false"
	}
	return strconv.FormatBool(*b.p)
}

func (b boolArg) Set(s string) error {
	v, err := strconv.ParseBool(s)
	if err != nil {
		return errors.New("want true or false")
	}
	*b.p = v
	return nil
}

// ParseFlags parses command-line arguments (without the program or
// subcommand name) into Options, starting from DefaultOptions. Usage and
// parse errors are written to stderr. It returns flag.ErrHelp for -h.
func ParseFlags(args []string, stderr io.Writer) (Options, error) {
	o := DefaultOptions()
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.Addr, "addr", o.Addr, "Filbert member address `host:port`")
	fs.StringVar(&o.Cluster, "cluster", o.Cluster, "cluster `name`")
	fs.IntVar(&o.Concurrency, "c", o.Concurrency, "number of concurrent goroutines")
	fs.IntVar(&o.Keys, "keys", o.Keys, "number of distinct keys")
	fs.IntVar(&o.ValueSize, "value-size", o.ValueSize, "value size in `bytes`")
	fs.Float64Var(&o.ReadRatio, "read-ratio", o.ReadRatio, "fraction of operations that are reads (0..1)")
	fs.DurationVar(&o.Duration, "duration", o.Duration, "measured window per round")
	fs.DurationVar(&o.Warmup, "warmup", o.Warmup, "unmeasured warm-up per round")
	fs.StringVar(&o.Map, "map", o.Map, "Hazelcast map `name`")
	fs.Var(boolArg{&o.Smart}, "smart", "smart routing `true|false` (false: unisocket)")
	fs.StringVar(&o.Target, "target", o.Target, "target: filbert, redis or both")
	fs.StringVar(&o.RedisAddr, "redis-addr", o.RedisAddr, "Redis address `host:port`")
	fs.IntVar(&o.Rounds, "rounds", o.Rounds, "measured rounds per target (targets alternate when both)")
	fs.IntVar(&o.MemberPID, "member-pid", 0, "member process `pid` whose CPU time per operation is reported")
	fs.IntVar(&o.RedisPID, "redis-pid", 0, "Redis process `pid` whose CPU time per operation is reported")
	fs.BoolVar(&o.JSON, "json", false, "print results as JSON Lines")
	fs.DurationVar(&o.ConnectTimeout, "connect-timeout", o.ConnectTimeout, "time limit for connecting to each target")
	fs.Uint64Var(&o.Seed, "seed", 0, "random seed (0: from the clock)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		err := fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
		fmt.Fprintln(stderr, err)
		fs.Usage()
		return o, err
	}
	o.Target = strings.ToLower(o.Target)
	if err := o.Validate(); err != nil {
		fmt.Fprintln(stderr, err)
		return o, err
	}
	return o, nil
}
