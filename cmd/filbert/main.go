// Command filbert runs a Filbert member, a data-grid server that speaks the
// Hazelcast client protocol, or one of its tools.
//
//	filbert [--config FILE] [--host ADDR] [--log-level LEVEL]   run a member
//	filbert bench [flags]                                      load test with the official Go client
//	filbert rc [flags]                                         remote controller for client test suites
//	filbert backup [flags] start|interrupt|status              cluster-wide hot backups
//	filbert cluster-state [flags] [get | set STATE]            read or change the cluster state
//
// Without --config the member reads ./hazelcast.xml, or an embedded default
// (cluster-name "dev", port 5701 with auto-increment) when there is none.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"github.com/filbert/filbert/bench"
	"github.com/filbert/filbert/config"
	"github.com/filbert/filbert/gctune"
	"github.com/filbert/filbert/rc"
	"github.com/filbert/filbert/server"
)

func main() {
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "bench":
			os.Exit(bench.Main(os.Args[2:], os.Stdout, os.Stderr))
		case "rc":
			os.Exit(rc.Main(os.Args[2:], os.Stdout, os.Stderr))
		case "backup", "cluster-state":
			os.Exit(adminMain(os.Args[1:], os.Stdout, os.Stderr))
		}
	}
	os.Exit(runMember(os.Args[1:], os.Stderr))
}

// newLogger logs human-readable lines on a terminal and JSON otherwise.
func newLogger(w *os.File, level zerolog.Level) zerolog.Logger {
	var out io.Writer = w
	if fi, err := w.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
		out = zerolog.ConsoleWriter{Out: w, TimeFormat: "15:04:05.000"}
	}
	return zerolog.New(out).Level(level).With().Timestamp().Logger()
}

func runMember(args []string, stderr *os.File) int {
	fset := flag.NewFlagSet("filbert", flag.ContinueOnError)
	cfgPath := fset.String("config", "", "hazelcast.xml to use (default ./hazelcast.xml, else the embedded default)")
	host := fset.String("host", "127.0.0.1", "interface to listen on (0.0.0.0 for all)")
	levelName := fset.String("log-level", "info", "log level: debug, info, warn, error")
	if err := fset.Parse(args); err != nil {
		return 2
	}
	level, err := zerolog.ParseLevel(*levelName)
	if err != nil {
		fmt.Fprintf(stderr, "filbert: bad --log-level %q\n", *levelName)
		return 2
	}
	log := newLogger(stderr, level)

	cfg, source, err := loadConfig(*cfgPath)
	if err != nil {
		log.Error().Err(err).Msg("invalid configuration; member not started")
		return 1
	}
	log.Info().Str("config", source).Msg("configuration loaded")

	// Catch signals before the member announces itself, so a supervisor
	// that stops it right after "member started" gets a graceful shutdown.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	// Keep the heap's headroom to max(10% of live data, 16 MiB) instead of
	// Go's 100%, unless the operator chose GOGC.
	gcCtx, stopGC := context.WithCancel(context.Background())
	defer stopGC()
	if os.Getenv("GOGC") == "" {
		go gctune.Run(gcCtx, gctune.Config{})
	}
	for {
		m, err := server.New(server.Options{Config: cfg, Logger: log, BindHost: *host})
		if err != nil {
			log.Error().Err(err).Msg("member not started")
			return 1
		}
		if err := m.Start(); err != nil {
			log.Error().Err(err).Msg("member not started")
			return 1
		}
		select {
		case s := <-sig:
			log.Info().Str("signal", s.String()).Msg("shutting down")
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := m.Shutdown(ctx); err != nil {
				log.Error().Err(err).Msg("shutdown incomplete")
				return 1
			}
			return 0
		case <-m.Removed():
			// The cluster dropped this member (it was unreachable too
			// long): its data is stale. It stopped; start again and join
			// as a new member.
			<-m.Done()
			log.Warn().Msg("removed from the cluster; rejoining as a new member")
		}
	}
}

// loadConfig reads path, or ./hazelcast.xml, or the embedded default, and
// logs nothing itself: warnings are returned to the caller through the log.
func loadConfig(path string) (*config.Config, string, error) {
	var (
		cfg      *config.Config
		warnings []config.Warning
		err      error
		source   = path
	)
	switch {
	case path != "":
		cfg, warnings, err = config.Load(path, config.ParseOptions{})
	default:
		source = "hazelcast.xml"
		cfg, warnings, err = config.Load(source, config.ParseOptions{})
		if errors.Is(err, fs.ErrNotExist) {
			source = "embedded default"
			cfg, warnings, err = config.LoadDefault(config.ParseOptions{})
		}
	}
	for _, w := range warnings {
		fmt.Fprintf(os.Stderr, "filbert: config warning: %s\n", w)
	}
	if err != nil {
		return nil, source, err
	}
	return cfg, source, nil
}
