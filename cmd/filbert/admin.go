package main

import (
	"io"

	"github.com/filbert/filbert/admin"
)

// adminMain runs the administration subcommands, args[0] being "backup" or
// "cluster-state":
//
//	filbert backup [--address host:port] [--cluster-name dev] [--username U] [--password P] start [--seq N] [--watch]
//	filbert backup [flags] interrupt
//	filbert backup [flags] status [--watch]
//	filbert cluster-state [flags] [get | set ACTIVE|NO_MIGRATION|FROZEN|PASSIVE]
//
// It returns the exit code: 0 done, 1 the member refused, could not be
// reached or a backup failed, 2 bad command line.
func adminMain(args []string, stdout, stderr io.Writer) int {
	return admin.Main(args, stdout, stderr)
}
