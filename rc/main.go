package rc

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/rs/zerolog"
)

// Main runs the remote controller with args (the arguments after `filbert
// rc`) and returns the process exit code: 0 after SIGINT or SIGTERM (every
// member stopped) or -h, 2 for bad flags, 1 if the controller cannot start
// or stops serving unexpectedly. stdout is unused; the log goes to stderr.
//
//	-addr 127.0.0.1:9701     address to serve the RemoteController service on
//	-member-binary PATH      filbert executable to run members with (default: this executable)
//	-member-logs DIR         copy each member's output to a file in DIR
//	-log-level info          debug, info, warn, error
func Main(args []string, stdout, stderr io.Writer) int {
	_ = stdout
	fset := flag.NewFlagSet("filbert rc", flag.ContinueOnError)
	fset.SetOutput(stderr)
	addr := fset.String("addr", DefaultAddr, "address to serve the RemoteController Thrift service on")
	binary := fset.String("member-binary", "", "filbert executable to start members with (default: this executable)")
	memberLogs := fset.String("member-logs", "", "directory receiving each member's output (default: dropped)")
	startTimeout := fset.Duration("member-start-timeout", DefaultStartTimeout, "how long startMember waits for a member to serve")
	levelName := fset.String("log-level", "info", "log level: debug, info, warn, error")
	fset.Usage = func() {
		fmt.Fprintln(stderr, "usage: filbert rc [flags]\n\nRuns the remote controller that Hazelcast client test suites use to start Filbert members.\n\nFlags:")
		fset.PrintDefaults()
	}
	if err := fset.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fset.NArg() > 0 {
		fmt.Fprintf(stderr, "filbert rc: unexpected argument %q\n", fset.Arg(0))
		return 2
	}
	level, err := zerolog.ParseLevel(*levelName)
	if err != nil {
		fmt.Fprintf(stderr, "filbert rc: bad -log-level %q\n", *levelName)
		return 2
	}
	log := newLogger(stderr, level)

	c, err := New(Options{
		MemberBinary: *binary,
		MemberLogDir: *memberLogs,
		StartTimeout: *startTimeout,
		Logger:       log,
	})
	if err != nil {
		log.Error().Err(err).Msg("remote controller not started")
		return 1
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Error().Err(err).Msg("remote controller not started")
		c.Close()
		return 1
	}
	log.Info().Str("member-binary", c.opts.MemberBinary).Msg("members run as child processes")

	served := make(chan error, 1)
	go func() { served <- c.Serve(ln) }()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sig)
	code := 0
	select {
	case s := <-sig:
		log.Info().Str("signal", s.String()).Msg("stopping the remote controller and its members")
	case err := <-served:
		log.Error().Err(err).Msg("remote controller stopped serving")
		code = 1
	}
	if err := c.Close(); err != nil {
		log.Warn().Err(err).Msg("cleanup incomplete")
	}
	return code
}

// newLogger logs human-readable lines on a terminal and JSON otherwise.
func newLogger(w io.Writer, level zerolog.Level) zerolog.Logger {
	out := w
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			out = zerolog.ConsoleWriter{Out: w, TimeFormat: "15:04:05.000"}
		}
	}
	return zerolog.New(out).Level(level).With().Timestamp().Logger()
}
