// Command suitereport runs the integration tests of a Go module (the official
// Hazelcast Go client's, copied out of the module cache by
// compat-tests/official-go-suite.sh) package by package with `go test -json`,
// enforces a timeout on every test, and prints one line per test:
//
//	PASS name
//	FAIL name: first line of the reason
//	SKIP name: reason
//
// followed by a summary line per package (starting with "#") and the final
// line "N passed, M failed, K skipped", which counts leaf tests (tests
// without subtests). Names are the test's full name, prefixed for packages
// other than the module root by the package path relative to the module and a
// dot: "TestMap/Put/Smart_Client", "aggregate.TestCount".
//
// Only the top-level tests declared in *_it_test.go files run (the module's
// unit tests say nothing about the member).
//
// # Timeouts and restarts
//
// A test that runs longer than -timeout without finishing and without
// starting a subtest fails with "timed out"; the test binary is killed and
// started again with -test.skip covering every test already finished (and
// the hung one), so the remaining tests still run. A panic ends a test binary
// too: the panicking test fails with the panic's message and the binary is
// restarted the same way. Each restart also restarts the suite's test
// cluster (the controller shuts clusters down when their test binary
// disconnects).
//
// # Ratchet
//
// With -expected FILE -ratchet, every test listed in FILE (one name per
// line, # comments) whose top-level test was selected by the run must pass;
// the command exits 1 otherwise. With -expected FILE -update, the file is
// rewritten: listed tests outside the run's selection are kept, those inside
// are replaced by the leaf tests that passed.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("suitereport", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.StringVar(&o.dir, "dir", "", "directory of the module whose tests run (required)")
	fs.StringVar(&o.tags, "tags", "", "build tags for go test")
	fs.DurationVar(&o.timeout, "timeout", 90*time.Second, "time a test may run without finishing or starting a subtest")
	fs.StringVar(&o.run, "run", "", "go test -run pattern (its first element selects top-level tests)")
	fs.StringVar(&o.skip, "skip", "", "go test -skip pattern")
	fs.StringVar(&o.jsonLog, "json-log", "", "append go test's JSON events to this file")
	fs.StringVar(&o.expected, "expected", "", "expected-passing list for -ratchet and -update")
	fs.BoolVar(&o.ratchet, "ratchet", false, "exit 1 if a listed test in the run's selection does not pass")
	fs.BoolVar(&o.update, "update", false, "rewrite the -expected file from this run's passing leaf tests")
	fs.BoolVar(&o.verbose, "v", false, "print every FAIL's full output after its line")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	o.packages = fs.Args()
	if len(o.packages) == 0 {
		o.packages = []string{"./..."}
	}
	if o.dir == "" {
		fmt.Fprintln(stderr, "suitereport: -dir is required")
		return 2
	}
	if (o.ratchet || o.update) && o.expected == "" {
		fmt.Fprintln(stderr, "suitereport: -ratchet and -update need -expected")
		return 2
	}
	r, err := newRunner(o, stdout, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "suitereport: %v\n", err)
		return 1
	}
	defer r.close()
	results, err := r.runAll()
	if err != nil {
		fmt.Fprintf(stderr, "suitereport: %v\n", err)
		return 1
	}
	code := 0
	if o.expected != "" && (o.ratchet || o.update) {
		if o.update {
			if err := updateExpected(o.expected, results); err != nil {
				fmt.Fprintf(stderr, "suitereport: %v\n", err)
				return 1
			}
			fmt.Fprintf(stderr, "suitereport: wrote %s\n", o.expected)
		}
		if o.ratchet {
			ok, err := checkRatchet(o.expected, results, stdout)
			if err != nil {
				fmt.Fprintf(stderr, "suitereport: %v\n", err)
				return 1
			}
			if !ok {
				code = 1
			}
		}
	}
	return code
}
