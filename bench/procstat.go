package bench

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"time"
)

// clockTick is the unit of utime and stime in /proc/PID/stat: USER_HZ, which
// Linux fixes at 100 on every architecture it exposes to user space.
const clockTick = 10 * time.Millisecond

// ProcessCPU returns the CPU time (user plus system, all threads) that the
// process pid has used so far, read from /proc/PID/stat. Its resolution is
// one clock tick (10ms).
func ProcessCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("read cpu time of pid %d: %w", pid, err)
	}
	d, err := parseStatCPU(b)
	if err != nil {
		return 0, fmt.Errorf("read cpu time of pid %d: %w", pid, err)
	}
	return d, nil
}

// parseStatCPU extracts utime+stime (fields 14 and 15) from the content of
// /proc/PID/stat. The command name (field 2) is in parentheses and may hold
// spaces or parentheses itself, so fields are counted from the last ')'.
func parseStatCPU(b []byte) (time.Duration, error) {
	end := bytes.LastIndexByte(b, ')')
	if end < 0 {
		return 0, fmt.Errorf("malformed stat line: no ')'")
	}
	// After ')': field 3 (state) is the first; utime is field 14, stime 15.
	fields := bytes.Fields(b[end+1:])
	const utimeIdx = 14 - 3
	if len(fields) <= utimeIdx+1 {
		return 0, fmt.Errorf("malformed stat line: %d fields after the command name", len(fields))
	}
	utime, err := strconv.ParseUint(string(fields[utimeIdx]), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("malformed utime: %w", err)
	}
	stime, err := strconv.ParseUint(string(fields[utimeIdx+1]), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("malformed stime: %w", err)
	}
	return time.Duration(utime+stime) * clockTick, nil
}

// ProcessRSS returns the resident set size of process pid, read from the
// VmRSS line of /proc/PID/status.
func ProcessRSS(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("read rss of pid %d: %w", pid, err)
	}
	return parseStatusRSS(b)
}

// parseStatusRSS extracts VmRSS (reported in kB) from /proc/PID/status.
func parseStatusRSS(b []byte) (int64, error) {
	for _, line := range bytes.Split(b, []byte("\n")) {
		rest, ok := bytes.CutPrefix(line, []byte("VmRSS:"))
		if !ok {
			continue
		}
		f := bytes.Fields(rest)
		if len(f) < 1 {
			break
		}
		kb, err := strconv.ParseInt(string(f[0]), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("malformed VmRSS line %q: %w", line, err)
		}
		return kb * 1024, nil
	}
	return 0, fmt.Errorf("no VmRSS line in status")
}
