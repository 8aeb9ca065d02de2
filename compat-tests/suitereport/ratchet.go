package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sort"
	"strings"
)

// readExpected returns the names listed in an expected file and its leading
// comment block.
func readExpected(path string) (names, header []string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	inHeader := true
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "#") {
			if inHeader {
				header = append(header, line)
			}
			continue
		}
		if line == "" {
			continue
		}
		inHeader = false
		names = append(names, line)
	}
	return names, header, sc.Err()
}

// inScope reports whether a listed name belongs to a top-level test the run
// selected.
func (r *results) inScope(name string) bool {
	for top := range r.selected {
		if name == top || strings.HasPrefix(name, top+"/") {
			return true
		}
	}
	return false
}

// checkRatchet prints a line for every listed test in scope that did not
// pass and reports whether there were none.
func checkRatchet(path string, res *results, out io.Writer) (bool, error) {
	names, _, err := readExpected(path)
	if err != nil {
		return false, err
	}
	byName := map[string]result{}
	for _, t := range res.tests {
		byName[t.fullName()] = t
	}
	listed := map[string]bool{}
	inScope, regressed := 0, 0
	for _, name := range names {
		listed[name] = true
		if !res.inScope(name) {
			continue
		}
		inScope++
		t, ok := byName[name]
		switch {
		case !ok:
			regressed++
			fmt.Fprintf(out, "RATCHET %s: not run\n", name)
		case t.status != "pass":
			regressed++
			fmt.Fprintf(out, "RATCHET %s: %s: %s\n", name, strings.ToUpper(t.status), t.reason)
		}
	}
	unlisted := 0
	for _, t := range res.tests {
		if t.leaf && t.status == "pass" && !listed[t.fullName()] {
			unlisted++
		}
	}
	if regressed > 0 {
		fmt.Fprintf(out, "ratchet: FAILED: %d of the %d listed tests in this run did not pass (%s)\n", regressed, inScope, path)
		return false, nil
	}
	fmt.Fprintf(out, "ratchet: ok: the %d listed tests in this run passed", inScope)
	if unlisted > 0 {
		fmt.Fprintf(out, "; %d passing leaf test(s) not listed yet (record them with --update)", unlisted)
	}
	fmt.Fprintln(out)
	return true, nil
}

// defaultHeader starts a new expected file.
var defaultHeader = []string{
	"# Tests of the official Go client's suite (hazelcast-go-client v1.5.0) that pass against Filbert.",
	"# One leaf test per line; compat-tests/official-go-suite.sh --ratchet fails if one of them fails.",
	"# Regenerate the part a run covers with compat-tests/official-go-suite.sh --update [selection].",
}

// updateExpected rewrites the expected file: names outside the run's
// selection are kept, names inside are replaced by the passing leaf tests.
func updateExpected(path string, res *results) error {
	names, header, err := readExpected(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if len(header) == 0 {
		header = defaultHeader
	}
	keep := map[string]bool{}
	for _, n := range names {
		if !res.inScope(n) {
			keep[n] = true
		}
	}
	for _, t := range res.tests {
		if t.leaf && t.status == "pass" {
			keep[t.fullName()] = true
		}
	}
	sorted := make([]string, 0, len(keep))
	for n := range keep {
		sorted = append(sorted, n)
	}
	sort.Strings(sorted)
	var b strings.Builder
	for _, h := range header {
		b.WriteString(h + "\n")
	}
	for _, n := range sorted {
		b.WriteString(n + "\n")
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}
