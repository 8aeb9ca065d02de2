package main

import (
	"regexp"
	"strings"
)

// maxReason bounds a printed reason.
const maxReason = 240

// fileLine matches the "    file_test.go:123: message" prefix of t.Log,
// t.Error, t.Fatal and t.Skip output.
var fileLine = regexp.MustCompile(`^\s*[\w.-]+\.go:\d+: ?(.*)$`)

// clientLog matches the Go client's own log lines.
var clientLog = regexp.MustCompile(`^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d (TRACE|DEBUG|INFO|WARN|ERROR|FATAL) ?:`)

// noise lines are the framework's and the suite's chatter.
func noise(l string) bool {
	t := strings.TrimSpace(l)
	for _, p := range []string{"=== RUN", "=== PAUSE", "=== CONT", "=== NAME", "--- PASS", "--- FAIL", "--- SKIP"} {
		if strings.HasPrefix(t, p) {
			return true
		}
	}
	return t == "" || clientLog.MatchString(t) || t == "]" || strings.HasPrefix(t, "Members {") ||
		strings.HasPrefix(t, "Member ") ||
		strings.Contains(t, "Launching the auto-shutdown test cluster") ||
		strings.Contains(t, "Test warning, client did not shut down") ||
		strings.Contains(t, "enabled leak check")
}

// reasonFromOutput finds the line explaining a failure or a skip in a
// test's own output: testify's first "Error:" (with the line after it when
// it ends with a colon), else the last t.Log/t.Fatal/t.Skip message (the
// suite's helpers log the map name and cluster address first; t.Fatal and
// t.Skip end the test), else a panic, else the first line that is not noise.
func reasonFromOutput(lines []string, skip bool) string {
	var clean []string
	for _, l := range lines {
		if !noise(l) {
			clean = append(clean, l)
		}
	}
	if !skip {
		for i, l := range clean {
			t := strings.TrimSpace(l)
			if !strings.HasPrefix(t, "Error:") {
				continue
			}
			msg := strings.TrimSpace(strings.TrimPrefix(t, "Error:"))
			return clip(strings.TrimSpace(msg + " " + continuation(msg, clean[i+1:])))
		}
	}
	if msg := lastMessage(clean); msg != "" {
		return clip(msg)
	}
	for _, l := range clean {
		if strings.HasPrefix(l, "panic: ") {
			return clip(strings.TrimSpace(l))
		}
	}
	for _, l := range clean {
		if fileLine.MatchString(l) {
			continue // an empty t.Log prefix
		}
		return clip(strings.TrimSpace(l))
	}
	return ""
}

// lastMessage returns the last "file.go:NN: message" of the output with its
// first continuation line (indented lines after it) appended, and the next
// ones while the message ends with a colon.
func lastMessage(lines []string) string {
	last, cont := "", 0
	for _, l := range lines {
		if m := fileLine.FindStringSubmatch(l); m != nil {
			if msg := strings.TrimSpace(m[1]); msg != "" {
				last, cont = msg, 0
			} else {
				last, cont = "", 0
			}
			continue
		}
		if (strings.HasPrefix(l, "        ") || strings.HasPrefix(l, "\t")) && cont < 3 &&
			(cont == 0 || strings.HasSuffix(last, ":")) {
			if t := strings.TrimSpace(l); t != "" {
				last = strings.TrimSpace(last + " " + t)
				cont++
			}
			continue
		}
		cont = 3 // a line of another kind ends the continuation
	}
	return last
}

// continuation returns what follows a testify field whose text ends with a
// colon (or is empty): its continuation lines (indented with tabs, up to the
// next field) while the text so far ends with a colon, at most three.
func continuation(msg string, lines []string) string {
	var parts []string
	for _, l := range lines {
		if len(parts) == 3 || (msg != "" && !strings.HasSuffix(msg, ":")) {
			break
		}
		t := strings.TrimSpace(l)
		if t == "" {
			continue
		}
		if isTestifyField(t) {
			break
		}
		parts = append(parts, t)
		msg = t
	}
	return strings.Join(parts, " ")
}

func isTestifyField(t string) bool {
	for _, f := range []string{"Error Trace:", "Error:", "Test:", "Messages:"} {
		if strings.HasPrefix(t, f) {
			return true
		}
	}
	return false
}

func clip(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	// The Go client formats a member's error as "msg : server error: msg":
	// keep it once.
	if parts := strings.Split(s, " : "); len(parts) > 1 {
		kept := parts[:1]
		for _, p := range parts[1:] {
			if !strings.Contains(parts[0], strings.TrimPrefix(p, "server error: ")) {
				kept = append(kept, p)
			}
		}
		s = strings.Join(kept, " : ")
	}
	if len(s) > maxReason {
		return s[:maxReason] + "..."
	}
	return s
}
