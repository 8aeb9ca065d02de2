// Command gen generates the Filbert client-protocol codecs in package codec
// from the Hazelcast protocol definitions (one YAML file per service plus
// custom/Custom.yaml).
//
// Usage (see codec/generate.go):
//
//	go run ./gen -defs ../../shared/protocol-definitions -out .
//
// FILBERT_PROTOCOL_DEFS, when set, overrides -defs. Output is deterministic
// and gofmt'ed; running it twice gives the same bytes.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// extraTypes are composite types the hand-written code needs although no
// definition uses them.
var extraTypes = []string{"List_ErrorHolder"}

func main() {
	defsDir := flag.String("defs", "../../shared/protocol-definitions", "directory of the protocol definition YAML files")
	outDir := flag.String("out", ".", "directory of package codec")
	flag.Parse()
	if env := os.Getenv("FILBERT_PROTOCOL_DEFS"); env != "" {
		*defsDir = env
	}
	if err := run(*defsDir, *outDir); err != nil {
		fmt.Fprintln(os.Stderr, "codec/gen:", err)
		os.Exit(1)
	}
}

func run(defsDir, outDir string) error {
	defs, err := load(defsDir)
	if err != nil {
		return err
	}
	ts := newTypeSet(defs)
	methods, err := resolveMessages(ts, defs)
	if err != nil {
		return err
	}
	lays, err := customLayouts(ts, defs)
	if err != nil {
		return err
	}
	for _, name := range extraTypes {
		if _, err := ts.resolve(name); err != nil {
			return err
		}
	}
	if err := removeStale(outDir); err != nil {
		return err
	}
	for _, s := range defs.services {
		if err := emitService(outDir, s, methods); err != nil {
			return err
		}
	}
	if err := emitCustom(outDir, ts, defs, lays); err != nil {
		return err
	}
	if err := emitTable(outDir, methods); err != nil {
		return err
	}
	return emitTests(outDir, ts, defs, lays, methods)
}

// removeStale deletes generated files of an earlier run, so a service that
// disappears from the definitions does not leave its codecs behind.
func removeStale(dir string) error {
	files, err := filepath.Glob(filepath.Join(dir, "*.gen*.go"))
	if err != nil {
		return err
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		if strings.HasPrefix(string(b), header) {
			if err := os.Remove(f); err != nil {
				return err
			}
		}
	}
	return nil
}
