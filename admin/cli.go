package admin

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"syscall"
	"time"

	"github.com/filbert/filbert/rest"
)

// Exit codes of Main.
const (
	ExitOK     = 0 // done; for backup status, no member failed
	ExitFailed = 1 // the member refused or could not be reached, or a backup failed
	ExitUsage  = 2 // bad command line
)

const usageText = `usage:
  filbert backup [flags] start [--seq N] [--watch]   start a cluster-wide hot backup
  filbert backup [flags] interrupt                   interrupt the running backup on every member
  filbert backup [flags] status [--watch]            show each member's backup progress
  filbert cluster-state [flags] [get]                print the cluster state
  filbert cluster-state [flags] set STATE            change it: ACTIVE, NO_MIGRATION, FROZEN or PASSIVE

"backup start" uses the client protocol; with --seq (a sequence of your
choice) or --watch it uses REST, as "backup status" always does: the member
needs <rest-api enabled="true"> with the PERSISTENCE endpoint group.

flags (before or after the subcommand):
`

// options are the command-line flags.
type options struct {
	addr, cluster, user, password string
	timeout, interval             time.Duration
	watch                         bool
	seq                           int64
	set                           map[string]bool
}

// usageError is a bad command line.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// Main runs `filbert backup ...` or `filbert cluster-state ...`: args[0] is
// "backup" or "cluster-state", the rest its flags and subcommand. It
// returns the exit code (ExitOK, ExitFailed, ExitUsage). SIGINT and SIGTERM
// stop a --watch.
func Main(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return run(ctx, args, stdout, stderr, isTerminal(stdout))
}

// isTerminal reports whether w is a character device.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer, terminal bool) int {
	if len(args) == 0 || (args[0] != "backup" && args[0] != "cluster-state") {
		fmt.Fprint(stderr, usageText)
		return ExitUsage
	}
	name := "filbert " + args[0]
	fs, opts := newFlagSet(name, stderr)
	pos, err := parseInterleaved(fs, args[1:])
	if err != nil {
		return ExitUsage // the flag package has printed the problem and the usage
	}
	fs.Visit(func(f *flag.Flag) { opts.set[f.Name] = true })
	if args[0] == "backup" {
		err = runBackup(ctx, opts, pos, stdout, terminal)
	} else {
		err = runClusterState(ctx, opts, pos, stdout)
	}
	var ue usageError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "%s: %v\n\n", name, err)
		fs.Usage()
		return ExitUsage
	case errors.Is(err, errBackupFailed):
		return ExitFailed
	default:
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return ExitFailed
	}
}

func newFlagSet(name string, stderr io.Writer) (*flag.FlagSet, *options) {
	o := &options{set: map[string]bool{}}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.addr, "address", "127.0.0.1:5701", "member `host:port`")
	fs.StringVar(&o.cluster, "cluster-name", "dev", "cluster name")
	fs.StringVar(&o.user, "username", "", "user name, for members with security enabled")
	fs.StringVar(&o.password, "password", "", "password, for members with security enabled")
	fs.DurationVar(&o.timeout, "timeout", 30*time.Second, "bound of each request")
	fs.BoolVar(&o.watch, "watch", false, "backup start/status: redraw the progress until every member is done")
	o.seq = -1
	fs.Func("seq", "backup start: the backup sequence (directory backup-`N`); default: the member picks", func(v string) error {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return errors.New("must be a non-negative integer")
		}
		o.seq = n
		return nil
	})
	fs.DurationVar(&o.interval, "interval", time.Second, "backup --watch: time between polls")
	fs.Usage = func() {
		fmt.Fprint(stderr, usageText)
		fs.PrintDefaults()
	}
	return fs, o
}

// parseInterleaved parses flags placed before, between and after the
// positional arguments, which it returns.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// onlyWith refuses flags given to a subcommand that does not use them.
func (o *options) onlyWith(sub string, allowed ...string) error {
	for _, f := range []string{"watch", "seq", "interval"} {
		if o.set[f] && !slices.Contains(allowed, f) {
			return usageError{fmt.Sprintf("--%s does not apply to %s", f, sub)}
		}
	}
	if o.set["interval"] && !o.watch {
		return usageError{"--interval needs --watch"}
	}
	if o.interval <= 0 {
		return usageError{"--interval must be positive"}
	}
	if o.timeout <= 0 {
		return usageError{"--timeout must be positive"}
	}
	return nil
}

// restClient returns a REST client whose first POST field is the user name
// when one is given (security enabled), else the cluster name.
func (o *options) restClient() *RESTClient {
	name := o.cluster
	if o.user != "" {
		name = o.user
	}
	return &RESTClient{Addr: o.addr, Name: name, Password: o.password}
}

// dial connects and authenticates within the timeout.
func (o *options) dial(ctx context.Context) (*Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	return Dial(ctx, o.addr, o.cluster, o.user, o.password)
}

func runClusterState(ctx context.Context, o *options, pos []string, stdout io.Writer) error {
	if err := o.onlyWith("cluster-state"); err != nil {
		return err
	}
	sub := "get"
	if len(pos) > 0 {
		sub = pos[0]
	}
	var state string
	switch {
	case sub == "get" && len(pos) <= 1:
	case sub == "set" && len(pos) == 2:
		s, err := rest.ParseClusterState(pos[1])
		if err != nil {
			return usageError{err.Error()}
		}
		state = s
	case sub == "set":
		return usageError{"set needs exactly one STATE: ACTIVE, NO_MIGRATION, FROZEN or PASSIVE"}
	case sub == "get":
		return usageError{"get takes no arguments"}
	default:
		return usageError{fmt.Sprintf("unknown subcommand %q (get or set)", sub)}
	}
	conn, err := o.dial(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	rctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	if state == "" {
		got, err := conn.ClusterState(rctx)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, got)
		return nil
	}
	if err := conn.ChangeClusterState(rctx, state); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "cluster state is now %s\n", state)
	return nil
}

// errBackupFailed ends a status run in which a member failed; the
// progress lines have said which.
var errBackupFailed = errors.New("a member's backup failed")

func runBackup(ctx context.Context, o *options, pos []string, stdout io.Writer, terminal bool) error {
	if len(pos) == 0 {
		return usageError{"missing subcommand: start, interrupt or status"}
	}
	sub := pos[0]
	if len(pos) > 1 {
		return usageError{fmt.Sprintf("unexpected argument %q after %s", pos[1], sub)}
	}
	switch sub {
	case "start":
		if err := o.onlyWith(sub, "seq", "watch", "interval"); err != nil {
			return err
		}
		return backupStart(ctx, o, stdout, terminal)
	case "interrupt":
		if err := o.onlyWith(sub); err != nil {
			return err
		}
		conn, err := o.dial(ctx)
		if err != nil {
			return err
		}
		defer conn.Close()
		rctx, cancel := context.WithTimeout(ctx, o.timeout)
		defer cancel()
		if err := conn.InterruptBackup(rctx); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "hot backup interrupted on every member; files copied so far remain")
		return nil
	case "status":
		if err := o.onlyWith(sub, "watch", "interval"); err != nil {
			return err
		}
		return backupStatus(ctx, o, -1, stdout, terminal)
	default:
		return usageError{fmt.Sprintf("unknown subcommand %q (start, interrupt or status)", sub)}
	}
}

func backupStart(ctx context.Context, o *options, stdout io.Writer, terminal bool) error {
	rctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	if !o.set["seq"] && !o.watch {
		conn, err := o.dial(ctx)
		if err != nil {
			return err
		}
		defer conn.Close()
		if err := conn.TriggerBackup(rctx); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "hot backup started; follow it with: filbert backup status --watch")
		return nil
	}
	seq, err := o.restClient().StartBackup(rctx, o.seq)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "hot backup %d started (directory backup-%d)\n", seq, seq)
	if !o.watch {
		return nil
	}
	return backupStatus(ctx, o, seq, stdout, terminal)
}

// backupStatus prints the status once, or with --watch until every member
// is done with backup seq (any backup when seq is negative).
func backupStatus(ctx context.Context, o *options, seq int64, stdout io.Writer, terminal bool) error {
	rc := o.restClient()
	drawn := 0
	var last []byte
	for {
		rctx, cancel := context.WithTimeout(ctx, o.timeout)
		st, err := rc.BackupStatus(rctx)
		cancel()
		if err != nil {
			if ctx.Err() != nil && drawn > 0 {
				return fmt.Errorf("stopped watching: %w", ctx.Err())
			}
			return err
		}
		var b bytes.Buffer
		if err := RenderProgress(&b, st, terminal); err != nil {
			return err
		}
		switch {
		case terminal && drawn > 0:
			fmt.Fprintf(stdout, "\x1b[%dA", drawn) // redraw over the previous lines
			fallthrough
		case !bytes.Equal(b.Bytes(), last):
			// Off a terminal only changes are printed.
			if _, err := stdout.Write(b.Bytes()); err != nil {
				return fmt.Errorf("writing progress: %w", err)
			}
		}
		last, drawn = b.Bytes(), ProgressLines(st)
		done := BackupDone(st) && (seq < 0 || allAtSequence(st, seq))
		if !o.watch || done {
			if BackupFailed(st) {
				return errBackupFailed
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("stopped watching: %w", ctx.Err())
		case <-time.After(o.interval):
		}
	}
}

// allAtSequence reports whether every member reports backup seq.
func allAtSequence(st []rest.BackupStatus, seq int64) bool {
	for _, s := range st {
		if s.Sequence != seq {
			return false
		}
	}
	return true
}
