package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// options are the command's flags.
type options struct {
	dir, tags         string
	timeout           time.Duration
	run, skip         string
	jsonLog, expected string
	ratchet, update   bool
	verbose           bool
	packages          []string
}

// event is one line of `go test -json` (cmd/test2json).
type event struct {
	Time    time.Time
	Action  string
	Package string
	Test    string
	Output  string
}

// pkgInfo is one package with integration tests.
type pkgInfo struct {
	importPath string
	rel        string   // path relative to the module root; "" for the root
	tops       []string // selected top-level integration tests, in source order
}

// result is the final status of one test.
type result struct {
	pkg    string // pkgInfo.rel
	name   string // test name within the package
	status string // "pass", "fail" or "skip"
	reason string
	leaf   bool
	output []string // the test's own output, for -v
}

// fullName is the name printed and listed in expected files.
func (r result) fullName() string { return qualify(r.pkg, r.name) }

func qualify(pkg, name string) string {
	if pkg == "" {
		return name
	}
	return pkg + "." + name
}

// results is everything a run produced.
type results struct {
	tests    []result
	selected map[string]bool // qualified names of the selected top-level tests
}

type runner struct {
	o      options
	out    io.Writer
	log    io.Writer // progress notes (stderr)
	events io.WriteCloser
}

func newRunner(o options, stdout, stderr io.Writer) (*runner, error) {
	r := &runner{o: o, out: stdout, log: stderr}
	if o.jsonLog != "" {
		f, err := os.OpenFile(o.jsonLog, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			return nil, err
		}
		r.events = f
	}
	return r, nil
}

func (r *runner) close() {
	if r.events != nil {
		r.events.Close()
	}
}

// runAll runs every selected package and prints the report.
func (r *runner) runAll() (*results, error) {
	pkgs, err := r.listPackages()
	if err != nil {
		return nil, err
	}
	all := &results{selected: map[string]bool{}}
	var total counts
	for _, p := range pkgs {
		if len(p.tops) == 0 {
			continue
		}
		for _, t := range p.tops {
			all.selected[qualify(p.rel, t)] = true
		}
		fmt.Fprintf(r.log, "== %s (%d top-level tests)\n", displayPkg(p.rel), len(p.tops))
		start := time.Now()
		res := r.runPackage(p)
		var c counts
		for _, t := range res {
			r.print(t)
			if t.leaf {
				c.add(t.status)
			}
		}
		fmt.Fprintf(r.out, "# %s: %s (%s)\n", displayPkg(p.rel), c, time.Since(start).Round(time.Second))
		total.plus(c)
		all.tests = append(all.tests, res...)
	}
	fmt.Fprintln(r.out, total)
	return all, nil
}

func displayPkg(rel string) string {
	if rel == "" {
		return "."
	}
	return rel
}

func (r *runner) print(t result) {
	switch t.status {
	case "pass":
		fmt.Fprintf(r.out, "PASS %s\n", t.fullName())
	case "skip":
		fmt.Fprintf(r.out, "SKIP %s: %s\n", t.fullName(), t.reason)
	default:
		fmt.Fprintf(r.out, "FAIL %s: %s\n", t.fullName(), t.reason)
		if r.o.verbose && t.leaf {
			for _, l := range t.output {
				if !noise(l) {
					fmt.Fprintf(r.out, "    | %s\n", l)
				}
			}
		}
	}
}

// counts tallies leaf results.
type counts struct{ pass, fail, skip int }

func (c *counts) add(status string) {
	switch status {
	case "pass":
		c.pass++
	case "skip":
		c.skip++
	default:
		c.fail++
	}
}

func (c *counts) plus(o counts) { c.pass += o.pass; c.fail += o.fail; c.skip += o.skip }

func (c counts) String() string {
	return fmt.Sprintf("%d passed, %d failed, %d skipped", c.pass, c.fail, c.skip)
}

// listPackages resolves the package patterns and finds each package's
// top-level tests declared in *_it_test.go files.
func (r *runner) listPackages() ([]pkgInfo, error) {
	args := []string{"list", "-f", "{{.ImportPath}}\t{{.Dir}}\t{{join .TestGoFiles \" \"}} {{join .XTestGoFiles \" \"}}"}
	if r.o.tags != "" {
		args = append(args, "-tags", r.o.tags)
	}
	modArgs := []string{"list", "-m", "-f", "{{.Path}}\t{{.Dir}}"}
	modOut, err := r.goOutput(modArgs...)
	if err != nil {
		return nil, err
	}
	modPath, _, _ := strings.Cut(strings.TrimSpace(modOut), "\t")
	out, err := r.goOutput(append(args, r.o.packages...)...)
	if err != nil {
		return nil, err
	}
	runFirst := firstElements(r.o.run)
	var pkgs []pkgInfo
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		fields := strings.SplitN(line, "\t", 3)
		if len(fields) != 3 {
			continue
		}
		p := pkgInfo{importPath: fields[0], rel: strings.TrimPrefix(strings.TrimPrefix(fields[0], modPath), "/")}
		for _, f := range strings.Fields(fields[2]) {
			if !strings.HasSuffix(f, "_it_test.go") {
				continue
			}
			names, err := testFuncs(filepath.Join(fields[1], f))
			if err != nil {
				return nil, err
			}
			for _, n := range names {
				if matchesAny(runFirst, n) {
					p.tops = append(p.tops, n)
				}
			}
		}
		pkgs = append(pkgs, p)
	}
	return pkgs, nil
}

func (r *runner) goOutput(args ...string) (string, error) {
	cmd := exec.Command("go", args...)
	cmd.Dir = r.o.dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return string(out), nil
}

// testFuncs returns the names of the TestXxx(*testing.T) functions of a file.
func testFuncs(path string) ([]string, error) {
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, d := range f.Decls {
		fn, ok := d.(*ast.FuncDecl)
		if !ok || fn.Recv != nil || !strings.HasPrefix(fn.Name.Name, "Test") || fn.Type.Params.NumFields() != 1 {
			continue
		}
		if rest := fn.Name.Name[4:]; rest != "" && strings.ToLower(rest[:1]) == rest[:1] && rest[:1] != "_" {
			continue // Testxyz is not a test
		}
		star, ok := fn.Type.Params.List[0].Type.(*ast.StarExpr)
		if !ok {
			continue
		}
		if sel, ok := star.X.(*ast.SelectorExpr); ok && sel.Sel.Name == "T" {
			names = append(names, fn.Name.Name)
		}
	}
	return names, nil
}

// firstElements returns the top-level elements of a -run pattern's
// alternatives, compiled; nil means "everything".
func firstElements(pattern string) []*regexp.Regexp {
	if pattern == "" {
		return nil
	}
	var res []*regexp.Regexp
	for _, alt := range splitPattern(pattern) {
		re, err := regexp.Compile(alt[0])
		if err != nil {
			// go test will report the bad pattern; select everything.
			return nil
		}
		res = append(res, re)
	}
	return res
}

func matchesAny(res []*regexp.Regexp, name string) bool {
	if res == nil {
		return true
	}
	for _, re := range res {
		if re.MatchString(name) {
			return true
		}
	}
	return false
}

// splitPattern splits a -run/-skip pattern the way package testing does:
// into alternatives at top-level '|', each split into per-level elements at
// top-level '/'.
func splitPattern(s string) [][]string {
	var alts [][]string
	var elems []string
	brackets, parens := 0, 0
	start := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '[':
			brackets++
		case ']':
			if brackets--; brackets < 0 {
				brackets = 0
			}
		case '(':
			if brackets == 0 {
				parens++
			}
		case ')':
			if brackets == 0 {
				parens--
			}
		case '\\':
			i++
		case '/', '|':
			if brackets == 0 && parens == 0 {
				elems = append(elems, s[start:i])
				start = i + 1
				if s[i] == '|' {
					alts = append(alts, elems)
					elems = nil
				}
			}
		}
	}
	elems = append(elems, s[start:])
	return append(alts, elems)
}

// runPackage runs one package's selected tests to completion, restarting
// the test binary after a timeout or a crash.
func (r *runner) runPackage(p pkgInfo) []result {
	st := newPkgState(p.tops)
	runPattern := r.o.run
	if runPattern == "" {
		quoted := make([]string, len(p.tops))
		for i, t := range p.tops {
			quoted[i] = regexp.QuoteMeta(t)
		}
		runPattern = "^(" + strings.Join(quoted, "|") + ")$"
	}
	for attempt := 1; ; attempt++ {
		doneBefore := st.doneCount()
		skip := st.skipPattern(r.o.skip)
		job := r.runJob(p, st, runPattern, skip)
		st.settle(job, r.o.timeout)
		if st.complete() {
			break
		}
		if st.doneCount() == doneBefore {
			st.abandon(job.failure())
			break
		}
		fmt.Fprintf(r.log, "   restarting the test binary (%s); %d tests done so far\n", job.why(), st.doneCount())
	}
	return st.results(p.rel)
}

// job is one run of a package's test binary.
type job struct {
	killed      bool     // stopped by the watchdog
	hung        []*node  // tests that timed out
	panicLine   string   // the first panic's message (continuation lines joined)
	inPanic     bool     // collecting the panic message's continuation lines
	recovered   bool     // the panic went through testing's recover: a test panicked
	doneOrder   []*node  // tests in the order they finished
	pkgOutput   []string // output not attributed to a test, last lines
	exitErr     error
	startedTest bool
}

func (j *job) why() string {
	switch {
	case j.killed:
		names := make([]string, len(j.hung))
		for i, n := range j.hung {
			names[i] = n.name
		}
		return "timeout in " + strings.Join(names, ", ")
	case j.panicLine != "":
		return j.panicLine
	default:
		return fmt.Sprintf("test binary exited early: %v", j.exitErr)
	}
}

// failure describes why a job made no progress, for the tests it never ran.
func (j *job) failure() string {
	if j.panicLine != "" {
		return "not run: " + j.panicLine
	}
	for _, l := range j.pkgOutput {
		l = strings.TrimSpace(l)
		if l != "" && !strings.HasPrefix(l, "FAIL") && !strings.HasPrefix(l, "ok ") && !strings.HasPrefix(l, "#") {
			return "not run: " + l
		}
	}
	return fmt.Sprintf("not run: test binary failed (%v)", j.exitErr)
}

// runJob runs go test once and feeds its events to st, killing it when a
// test exceeds the timeout.
func (r *runner) runJob(p pkgInfo, st *pkgState, runPattern, skip string) *job {
	args := []string{"test", "-json", "-count=1", "-vet=off", "-p=1", "-timeout=0", "-run", runPattern}
	if skip != "" {
		args = append(args, "-skip", skip)
	}
	if r.o.tags != "" {
		args = append(args, "-tags", r.o.tags)
	}
	args = append(args, p.importPath)
	cmd := exec.Command("go", args...)
	cmd.Dir = r.o.dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdout, err := cmd.StdoutPipe()
	j := &job{}
	if err != nil {
		j.exitErr = err
		return j
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		j.exitErr = err
		return j
	}
	lines := make(chan []byte)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 1024*1024), 16*1024*1024)
		for sc.Scan() {
			lines <- append([]byte(nil), sc.Bytes()...)
		}
	}()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	var killAt time.Time // after a SIGQUIT: when to kill the group
loop:
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				break loop
			}
			if r.events != nil {
				r.events.Write(append(line, '\n'))
			}
			var ev event
			if json.Unmarshal(line, &ev) != nil {
				j.addPkgOutput(string(line))
				continue
			}
			st.apply(ev, j)
		case now := <-tick.C:
			switch {
			case !j.killed:
				if hung := st.hung(now, r.o.timeout); len(hung) > 0 {
					j.killed, j.hung = true, hung
					// SIGQUIT makes the test binary print every goroutine's
					// stack (kept in -json-log) before the group is killed.
					if quitTestBinaries(cmd.Process.Pid) {
						killAt = now.Add(quitGrace)
					} else {
						syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
					}
				}
			case !killAt.IsZero() && now.After(killAt):
				syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
				killAt = time.Time{}
			}
		}
	}
	j.exitErr = cmd.Wait()
	for _, l := range strings.Split(stderr.String(), "\n") {
		j.addPkgOutput(l)
	}
	return j
}

// quitGrace is how long a test binary gets to print its stacks after
// SIGQUIT before its process group is killed.
const quitGrace = 3 * time.Second

// quitTestBinaries sends SIGQUIT to the test binaries (*.test) that go test
// (pid) runs, and reports whether it found any.
func quitTestBinaries(pid int) bool {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return false
	}
	found := false
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// "pid (comm) state ppid ..."; comm is truncated, so the binary's
		// name comes from cmdline.
		s := string(stat)
		end := strings.LastIndexByte(s, ')')
		if end < 0 {
			continue
		}
		fields := strings.Fields(s[end+1:])
		if len(fields) < 2 || fields[1] != strconv.Itoa(pid) {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		if argv0, _, _ := strings.Cut(string(cmdline), "\x00"); !strings.HasSuffix(argv0, ".test") {
			continue
		}
		if syscall.Kill(child, syscall.SIGQUIT) == nil {
			found = true
		}
	}
	return found
}

func (j *job) addPkgOutput(l string) {
	if strings.TrimSpace(l) == "" {
		return
	}
	j.notePanic(l)
	if len(j.pkgOutput) < 200 {
		j.pkgOutput = append(j.pkgOutput, strings.TrimRight(l, "\n"))
	}
}

// notePanic collects the first panic message of the output: the "panic: "
// line and its continuation lines up to the blank line before the
// goroutine dump.
func (j *job) notePanic(l string) {
	l = strings.TrimRight(l, "\n")
	switch {
	case j.panicLine == "" && strings.HasPrefix(l, "panic: "):
		j.panicLine, j.inPanic = strings.TrimSpace(l), true
	case j.inPanic && strings.TrimSpace(l) == "", j.inPanic && strings.HasPrefix(l, "goroutine "):
		j.inPanic = false
	case j.inPanic:
		j.panicLine += " " + strings.TrimSpace(l)
	default:
		return
	}
	for _, mark := range []string{" [recovered, repanicked]", " [recovered]"} {
		if strings.Contains(j.panicLine, mark) {
			j.recovered = true
			j.panicLine = strings.Replace(j.panicLine, mark, "", 1)
		}
	}
}

// node is one test (top-level or subtest) of a package.
type node struct {
	name     string
	parent   *node
	children []*node

	started, done bool
	status        string // when done: pass, fail, skip
	reason        string // set when the reason is not in the output (timeout, panic)
	output        []string

	running     bool // between run/cont and pause/done
	runningKids int  // children started and not done
	activeSince time.Time
}

func (n *node) short() string {
	if n.parent == nil {
		return n.name
	}
	return strings.TrimPrefix(n.name, n.parent.name+"/")
}

// pkgState accumulates a package's tests over every job.
type pkgState struct {
	tops  map[string]bool
	nodes map[string]*node
	order []*node // first-start order
}

func newPkgState(tops []string) *pkgState {
	s := &pkgState{tops: map[string]bool{}, nodes: map[string]*node{}}
	for _, t := range tops {
		s.tops[t] = true
	}
	return s
}

// get returns the node for a test name, creating it when needed. A subtest's
// parent is the longest known test whose name prefixes it: a subtest name may
// itself contain a slash (t.Run("a/b", ...)), so the name alone does not say
// where the parent's name ends.
func (s *pkgState) get(name string) *node {
	if n, ok := s.nodes[name]; ok {
		return n
	}
	n := &node{name: name}
	for i := strings.LastIndexByte(name, '/'); i > 0; i = strings.LastIndexByte(name[:i], '/') {
		if p, ok := s.nodes[name[:i]]; ok {
			n.parent = p
			break
		}
	}
	if n.parent == nil {
		if top, _, found := strings.Cut(name, "/"); found {
			n.parent = s.get(top)
		}
	}
	if n.parent != nil {
		n.parent.children = append(n.parent.children, n)
	}
	s.nodes[name] = n
	s.order = append(s.order, n)
	return n
}

// selected reports whether a test belongs to a selected top-level test.
func (s *pkgState) selected(name string) bool {
	top, _, _ := strings.Cut(name, "/")
	return s.tops[top]
}

const maxOutputLines = 400

// apply feeds one event.
func (s *pkgState) apply(ev event, j *job) {
	if ev.Test == "" {
		if ev.Action == "output" || ev.Action == "build-output" {
			j.addPkgOutput(ev.Output)
		}
		return
	}
	if !s.selected(ev.Test) {
		return
	}
	n := s.get(ev.Test)
	now := ev.Time
	if now.IsZero() {
		now = time.Now()
	}
	switch ev.Action {
	case "run":
		j.startedTest = true
		n.started, n.running, n.activeSince = true, true, time.Now()
		if n.parent != nil {
			n.parent.runningKids++
		}
	case "pause":
		n.running = false
	case "cont":
		n.running, n.activeSince = true, time.Now()
	case "pass", "fail", "skip":
		if n.done { // a node done before is not rerun; ignore duplicates
			return
		}
		n.done, n.running, n.status = true, false, ev.Action
		j.doneOrder = append(j.doneOrder, n)
		if p := n.parent; p != nil {
			p.runningKids--
			if p.runningKids <= 0 {
				p.runningKids = 0
				p.activeSince = time.Now()
			}
		}
	case "output":
		j.notePanic(ev.Output)
		if len(n.output) < maxOutputLines {
			n.output = append(n.output, strings.TrimRight(ev.Output, "\n"))
		}
	}
}

// hung returns the tests running longer than timeout without finishing or
// having a running subtest.
func (s *pkgState) hung(now time.Time, timeout time.Duration) []*node {
	var hung []*node
	for _, n := range s.order {
		if n.started && !n.done && n.running && n.runningKids == 0 && now.Sub(n.activeSince) > timeout {
			hung = append(hung, n)
		}
	}
	return hung
}

// settle interprets the end of a job: timed-out and panicking tests fail,
// the ancestors a crash reported as failed become unfinished again (they are
// rerun, skipping their finished subtests), and running state is reset.
func (s *pkgState) settle(j *job, timeout time.Duration) {
	for _, n := range j.hung {
		n.done, n.status = true, "fail"
		n.reason = fmt.Sprintf("timed out after %s (test binary killed and restarted)", timeout)
	}
	if !j.killed && j.recovered && len(j.doneOrder) > 0 {
		// A test panicked: testing reported it and each of its ancestors as
		// failed, innermost first, just before the binary died (other
		// parallel tests may report around that chain). Find the chain
		// ending at the last top-level test reported.
		k := len(j.doneOrder) - 1
		for k >= 0 && j.doneOrder[k].parent != nil {
			k--
		}
		if k >= 0 {
			chain := []*node{j.doneOrder[k]}
			for i := k - 1; i >= 0 && j.doneOrder[i].parent == chain[len(chain)-1]; i-- {
				chain = append(chain, j.doneOrder[i])
			}
			culprit := chain[len(chain)-1]
			culprit.reason = clip(j.panicLine)
			for _, a := range chain[:len(chain)-1] {
				a.done, a.status = false, ""
			}
		}
		for _, n := range j.doneOrder {
			if n.done && n.status == "fail" && n.reason == "" && len(n.children) == 0 &&
				reasonFromOutput(n.output, false) == "" {
				n.reason = clip(j.panicLine)
			}
		}
	} else if !j.killed {
		// The binary ended with tests unfinished (a panic outside a test,
		// os.Exit, ...): blame the tests that were running.
		reason := j.panicLine
		if reason == "" {
			reason = fmt.Sprintf("test binary exited while the test ran (%v)", j.exitErr)
		}
		for _, n := range s.order {
			if n.started && !n.done && n.running && n.runningKids == 0 {
				n.done, n.status, n.reason = true, "fail", reason
			}
		}
	}
	// A test with an unfinished subtest is unfinished: it runs again.
	for _, n := range s.order {
		n.running, n.runningKids = false, 0
		if !n.done {
			for a := n.parent; a != nil; a = a.parent {
				a.done, a.status = false, ""
			}
		}
	}
}

// complete reports whether every selected top-level test has finished.
func (s *pkgState) complete() bool {
	for t := range s.tops {
		if n, ok := s.nodes[t]; !ok || !n.done {
			return false
		}
	}
	return true
}

func (s *pkgState) doneCount() int {
	c := 0
	for _, n := range s.order {
		if n.done {
			c++
		}
	}
	return c
}

// abandon fails every unfinished selected test.
func (s *pkgState) abandon(reason string) {
	for t := range s.tops {
		s.get(t)
	}
	for _, n := range s.order {
		if !n.done {
			n.done, n.status, n.reason = true, "fail", reason
		}
	}
}

// skipPattern returns the -skip pattern of the next job: every finished
// top-level test, plus, for every started but unfinished test, its finished
// subtests, plus the user's pattern. The user's comes last: package testing
// takes the first alternative that matches a name at least partially, and a
// partial match does not skip.
func (s *pkgState) skipPattern(user string) string {
	var alts []string
	var doneTops []string
	for _, n := range s.order {
		if n.parent == nil && n.done {
			doneTops = append(doneTops, regexp.QuoteMeta(n.name))
		}
	}
	if len(doneTops) > 0 {
		alts = append(alts, "^("+strings.Join(doneTops, "|")+")$")
	}
	for _, n := range s.order {
		if !n.started || n.done {
			continue
		}
		var grouped []string
		for _, c := range n.children {
			if !c.done {
				continue
			}
			if short := c.short(); !strings.Contains(short, "/") {
				grouped = append(grouped, regexp.QuoteMeta(short))
			} else {
				// testing matches "a/b" as two levels.
				alts = append(alts, elemsPattern(c.name))
			}
		}
		if len(grouped) > 0 {
			alts = append(alts, elemsPattern(n.name)+"/^("+strings.Join(grouped, "|")+")$")
		}
	}
	if user != "" {
		alts = append(alts, user)
	}
	return strings.Join(alts, "|")
}

// elemsPattern matches exactly the test name's levels.
func elemsPattern(name string) string {
	elems := strings.Split(name, "/")
	for i, e := range elems {
		elems[i] = "^" + regexp.QuoteMeta(e) + "$"
	}
	return strings.Join(elems, "/")
}

// results lists the package's tests in first-start order with their final
// status: a test with a failed subtest fails.
func (s *pkgState) results(rel string) []result {
	var out []result
	var failedDesc func(n *node) *node
	failedDesc = func(n *node) *node {
		for _, c := range n.children {
			if c.status == "fail" || !c.done {
				return c
			}
			if f := failedDesc(c); f != nil {
				return f
			}
		}
		return nil
	}
	for _, n := range s.order {
		if !s.selected(n.name) {
			continue
		}
		r := result{pkg: rel, name: n.name, status: n.status, leaf: len(n.children) == 0, output: n.output}
		if !n.done {
			r.status, r.reason = "fail", "did not finish"
		}
		if f := failedDesc(n); f != nil && n.reason == "" {
			// The output of a parent repeats what its subtests printed
			// (a panic, for one): name the subtest instead.
			r.status, r.reason = "fail", "subtest failed: "+strings.TrimPrefix(f.name, n.name+"/")
		} else if r.status == "fail" || r.status == "skip" {
			r.reason = firstNonEmpty(r.reason, n.reason, reasonFromOutput(n.output, r.status == "skip"))
		}
		if r.status == "fail" && r.reason == "" {
			r.reason = "failed without a message"
		}
		out = append(out, r)
	}
	return out
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
