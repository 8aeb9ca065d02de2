package main

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestSplitPattern(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want [][]string
	}{
		{"TestMap", [][]string{{"TestMap"}}},
		{"^TestMap$/^(Put|Get)$", [][]string{{"^TestMap$", "^(Put|Get)$"}}},
		{"A|B/C", [][]string{{"A"}, {"B", "C"}}},
		{`a[/|]b\/c`, [][]string{{`a[/|]b\/c`}}},
	} {
		if got := splitPattern(tc.in); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("splitPattern(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestReasonFromOutput(t *testing.T) {
	testify := []string{
		"=== RUN   TestMap/Put/Smart_Client",
		"    map.go:72: map name: test-map",
		"    map_it_test.go:123: ",
		"        \tError Trace:\t/x/map_it_test.go:123",
		"        \tError:      \tReceived unexpected error:",
		"        \t            \tUNSUPPORTED_OPERATION: message type 0x12100",
		"        \tTest:       \tTestMap/Put/Smart_Client",
		"--- FAIL: TestMap/Put/Smart_Client (0.00s)",
	}
	if got, want := reasonFromOutput(testify, false), "Received unexpected error: UNSUPPORTED_OPERATION: message type 0x12100"; got != want {
		t.Errorf("testify: %q, want %q", got, want)
	}
	helperLogs := []string{
		"    map.go:72: map name: test-map-18-smart",
		"    map.go:74: cluster address: localhost:10000",
		"2026/11/22 05:46:32 INFO : connected to cluster: integration-test",
		"Members {size:1, ver:1} [",
		"]",
		"    map_it_test.go:799: server error:",
		"        java.lang.UnsupportedOperationException: message type 0x13e00 (Map.removeAll) is not supported by Filbert",
		"        : server error: java.lang.UnsupportedOperationException: again",
		"--- FAIL: TestMap/RemoveAll/Smart_Client (0.00s)",
	}
	if got, want := reasonFromOutput(helperLogs, false), "server error: java.lang.UnsupportedOperationException: message type 0x13e00 (Map.removeAll) is not supported by Filbert"; got != want {
		t.Errorf("after helper logs: %q, want %q", got, want)
	}
	fatal := []string{"=== RUN   TestX", "    util.go:120: target: 1 != 2", "--- FAIL: TestX (0.00s)"}
	if got, want := reasonFromOutput(fatal, false), "target: 1 != 2"; got != want {
		t.Errorf("t.Fatal: %q, want %q", got, want)
	}
	skip := []string{"=== RUN   TestX", "    skip.go:99: Skipping test since HZ_VERSION < 5.4", "--- SKIP: TestX (0.00s)"}
	if got, want := reasonFromOutput(skip, true), "Skipping test since HZ_VERSION < 5.4"; got != want {
		t.Errorf("skip: %q, want %q", got, want)
	}
}

// feed applies events given as "action test" strings.
func feed(st *pkgState, j *job, evs ...string) {
	for _, e := range evs {
		action, test, _ := strings.Cut(e, " ")
		ev := event{Action: action, Test: test, Time: time.Now()}
		if action == "output" {
			test, out, _ := strings.Cut(test, " ")
			ev.Test, ev.Output = test, out+"\n"
		}
		st.apply(ev, j)
	}
}

func statuses(res []result) map[string]string {
	m := map[string]string{}
	for _, r := range res {
		m[r.name] = r.status + ": " + r.reason
	}
	return m
}

func TestPanicInSubtestRerunsTheRest(t *testing.T) {
	st := newPkgState([]string{"TestMap", "TestOther"})
	j := &job{}
	feed(st, j,
		"run TestMap", "run TestMap/A", "pass TestMap/A",
		"run TestMap/B", "run TestMap/B/Smart", "fail TestMap/B/Smart", "fail TestMap/B",
		"output TestMap panic: server error:",
		"output TestMap \tUnsupportedOperation [recovered, repanicked]",
		"output TestMap ",
		"output TestMap goroutine 1 [running]:",
		"fail TestMap",
	)
	st.settle(j, time.Minute)
	if st.complete() {
		t.Fatal("complete after a panic with tests left")
	}
	skip := st.skipPattern("")
	if want := "^TestMap$/^(A)$|^TestMap$/^B$/^(Smart)$"; skip != want {
		t.Fatalf("skip %q, want %q", skip, want)
	}
	j2 := &job{}
	feed(st, j2, "run TestMap", "run TestMap/B", "pass TestMap/B", "run TestMap/C", "pass TestMap/C", "pass TestMap",
		"run TestOther", "pass TestOther")
	st.settle(j2, time.Minute)
	if !st.complete() {
		t.Fatal("not complete")
	}
	got := statuses(st.results(""))
	want := map[string]string{
		"TestMap":         "fail: subtest failed: B/Smart",
		"TestMap/A":       "pass: ",
		"TestMap/B":       "fail: subtest failed: Smart",
		"TestMap/B/Smart": "fail: panic: server error: UnsupportedOperation",
		"TestMap/C":       "pass: ",
		"TestOther":       "pass: ",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("results\n%v\nwant\n%v", got, want)
	}
}

func TestHungTestIsSkippedOnRestart(t *testing.T) {
	st := newPkgState([]string{"TestA", "TestB"})
	j := &job{}
	feed(st, j, "run TestA", "run TestA/x", "pass TestA/x", "run TestA/y", "run TestA/z", "pause TestA/z")
	if h := st.hung(time.Now().Add(2*time.Minute), time.Minute); len(h) != 1 || h[0].name != "TestA/y" {
		t.Fatalf("hung = %v, want TestA/y only (TestA has a running subtest, TestA/z is paused)", h)
	}
	j.killed, j.hung = true, st.hung(time.Now().Add(2*time.Minute), time.Minute)
	st.settle(j, time.Minute)
	skip := st.skipPattern("^TestUser$")
	if want := "^TestA$/^(x|y)$|^TestUser$"; skip != want {
		t.Fatalf("skip %q, want %q", skip, want)
	}
	// The pattern does what package testing makes of it.
	for name, skipped := range map[string]bool{"TestA": false, "TestA/x": true, "TestA/y": true, "TestA/z": false, "TestB": false, "TestUser": true} {
		if got := skips(skip, name); got != skipped {
			t.Errorf("skip %q on %s: %v, want %v", skip, name, got, skipped)
		}
	}
	j2 := &job{}
	feed(st, j2, "run TestA", "run TestA/z", "pass TestA/z", "pass TestA", "run TestB", "pass TestB")
	st.settle(j2, time.Minute)
	got := statuses(st.results(""))
	if !strings.HasPrefix(got["TestA/y"], "fail: timed out") || !strings.HasPrefix(got["TestA"], "fail: subtest failed: y") || got["TestB"] != "pass: " {
		t.Fatalf("results %v", got)
	}
}

// skips evaluates a -skip pattern on a test name the way package testing
// does (alternatives of slash-separated elements; a pattern with more
// elements than the name does not skip it).
func skips(pattern, name string) bool {
	elems := strings.Split(name, "/")
	for _, alt := range splitPattern(pattern) {
		if len(alt) > len(elems) {
			if matchElems(alt[:len(elems)], elems) {
				return false // partial match: first matching alternative decides
			}
			continue
		}
		if matchElems(alt, elems) {
			return true
		}
	}
	return false
}

func matchElems(alt, elems []string) bool {
	for i, p := range alt {
		if !regexp.MustCompile(p).MatchString(elems[i]) {
			return false
		}
	}
	return true
}

func TestRatchet(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "expected")
	if err := os.WriteFile(path, []byte("# header\nTestA/x\nTestA/y\nother.TestZ\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	res := &results{
		selected: map[string]bool{"TestA": true},
		tests: []result{
			{name: "TestA", status: "fail", reason: "subtest failed: y"},
			{name: "TestA/x", status: "pass", leaf: true},
			{name: "TestA/y", status: "fail", reason: "boom", leaf: true},
			{name: "TestA/w", status: "pass", leaf: true},
		},
	}
	var out strings.Builder
	ok, err := checkRatchet(path, res, &out)
	if err != nil || ok {
		t.Fatalf("ratchet ok=%v err=%v, want a failure", ok, err)
	}
	if !strings.Contains(out.String(), "RATCHET TestA/y: FAIL: boom") || strings.Contains(out.String(), "other.TestZ") {
		t.Fatalf("ratchet output:\n%s", out.String())
	}
	if err := updateExpected(path, res); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	if want := "# header\nTestA/w\nTestA/x\nother.TestZ\n"; string(data) != want {
		t.Fatalf("updated file:\n%s\nwant\n%s", data, want)
	}
}

func TestParallelPanicsResetTheChainOnly(t *testing.T) {
	// Two parallel subtests panic at once: testing reports the first one's
	// chain (leaf, parent, top-level), then the second one's leaf.
	st := newPkgState([]string{"TestSQL"})
	j := &job{}
	feed(st, j,
		"run TestSQL", "run TestSQL/A", "run TestSQL/B", "run TestSQL/C", "run TestSQL/D",
		"pass TestSQL/D",
		"run TestSQL/A/Smart", "run TestSQL/B/Smart",
		"fail TestSQL/A/Smart", "fail TestSQL/A", "fail TestSQL",
		"output TestSQL/B/Smart panic: server error:",
		"output TestSQL/B/Smart \tSql.execute is not supported [recovered, repanicked]",
		"fail TestSQL/B/Smart",
	)
	st.settle(j, time.Minute)
	if st.complete() {
		t.Fatal("complete with TestSQL/C unfinished")
	}
	for name, done := range map[string]bool{"TestSQL": false, "TestSQL/A": false, "TestSQL/A/Smart": true,
		"TestSQL/B": false, "TestSQL/B/Smart": true, "TestSQL/C": false, "TestSQL/D": true} {
		if n := st.nodes[name]; n.done != done {
			t.Errorf("%s done=%v, want %v", name, n.done, done)
		}
	}
	if got, want := clip("panic: server error: java.lang.X: message type 0x210400 (Sql.execute) : server error: java.lang.X: message type 0x210400 (Sql.execute)"),
		"panic: server error: java.lang.X: message type 0x210400 (Sql.execute)"; got != want {
		t.Errorf("clip: %q, want %q", got, want)
	}
	if r := st.nodes["TestSQL/A/Smart"].reason; r != "panic: server error: Sql.execute is not supported" {
		t.Errorf("culprit reason %q", r)
	}
	if want := "^TestSQL$/^(D)$|^TestSQL$/^A$/^(Smart)$|^TestSQL$/^B$/^(Smart)$"; st.skipPattern("") != want {
		t.Errorf("skip %q, want %q", st.skipPattern(""), want)
	}
}

func TestTestifyMultiLineError(t *testing.T) {
	out := []string{
		"    list_it_test.go:40: ",
		"        \tError Trace:\t/x/list_it_test.go:40",
		"        \tError:      \tReceived unexpected error:",
		"        \t            \tserver error:",
		"        \t            \tjava.lang.UnsupportedOperationException: message type 0x50100 (List.size) is not supported",
		"        \t            \t: server error: again",
		"        \tTest:       \tTestList_Size/Smart_Client",
	}
	want := "Received unexpected error: server error: java.lang.UnsupportedOperationException: message type 0x50100 (List.size) is not supported"
	if got := reasonFromOutput(out, false); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestSlashInSubtestName(t *testing.T) {
	st := newPkgState([]string{"TestSQL"})
	j := &job{}
	feed(st, j, "run TestSQL", "run TestSQL/Timeout", "run TestSQL/Timeout/streaming_query/pages",
		"run TestSQL/Timeout/streaming_query/pages/Smart", "pass TestSQL/Timeout/streaming_query/pages/Smart",
		"pass TestSQL/Timeout/streaming_query/pages", "run TestSQL/Timeout/other", "run TestSQL/Other")
	if p := st.nodes["TestSQL/Timeout/streaming_query/pages"].parent; p == nil || p.name != "TestSQL/Timeout" {
		t.Fatalf("parent of the slashed subtest: %v", p)
	}
	if _, phantom := st.nodes["TestSQL/Timeout/streaming_query"]; phantom {
		t.Fatal("a node was made up for a name part")
	}
	j.killed, j.hung = true, []*node{st.nodes["TestSQL/Timeout/other"]}
	st.settle(j, time.Minute)
	skip := st.skipPattern("")
	want := "^TestSQL$/^Timeout$/^streaming_query$/^pages$|^TestSQL$/^Timeout$/^(other)$"
	if skip != want {
		t.Fatalf("skip %q, want %q", skip, want)
	}
	for name, skipped := range map[string]bool{"TestSQL/Timeout/streaming_query/pages": true, "TestSQL/Timeout/other": true,
		"TestSQL/Timeout": false, "TestSQL/Other": false} {
		if got := skips(skip, name); got != skipped {
			t.Errorf("%s skipped=%v, want %v", name, got, skipped)
		}
	}
}
