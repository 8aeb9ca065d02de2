package admin

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/filbert/filbert/rest"
)

// barWidth is the number of cells of a progress bar.
const barWidth = 30

// clearEOL erases the rest of a terminal line, so a redraw over a longer
// earlier line leaves nothing behind.
const clearEOL = "\x1b[K"

// RenderProgress writes one line per member. On a terminal (isTerminal) a
// line is a progress bar:
//
//	127.0.0.1:5701  backup-42  [###############...............]  50%  2/4  IN_PROGRESS
//
// ending with an erase-to-end-of-line sequence so the caller can redraw
// in place (move the cursor up ProgressLines lines first). Otherwise lines
// are plain and stable for scripts:
//
//	127.0.0.1:5701 backup-42 IN_PROGRESS 2/4
//
// A FAILURE line ends with the member's error. Without statuses it writes
// one line saying so.
func RenderProgress(w io.Writer, statuses []rest.BackupStatus, isTerminal bool) error {
	var b bytes.Buffer
	if len(statuses) == 0 {
		b.WriteString("no member reported a backup status")
		if isTerminal {
			b.WriteString(clearEOL)
		}
		b.WriteByte('\n')
	}
	width, nameWidth := 0, 0
	for _, s := range statuses {
		width = max(width, len(s.Member))
		nameWidth = max(nameWidth, len(backupName(s)))
	}
	for _, s := range statuses {
		name := backupName(s)
		if isTerminal {
			fmt.Fprintf(&b, "%-*s  %-*s  [%s] %3d%%  %d/%d  %s", width, s.Member, nameWidth, name, bar(s), percent(s),
				s.Completed, s.Total, s.State)
		} else {
			fmt.Fprintf(&b, "%s %s %s %d/%d", s.Member, name, s.State, s.Completed, s.Total)
		}
		if s.State == rest.BackupFailure && s.Error != "" {
			fmt.Fprintf(&b, ": %s", strings.ReplaceAll(s.Error, "\n", " "))
		}
		if isTerminal {
			b.WriteString(clearEOL)
		}
		b.WriteByte('\n')
	}
	if _, err := w.Write(b.Bytes()); err != nil {
		return fmt.Errorf("admin: writing progress: %w", err)
	}
	return nil
}

// backupName is the backup's directory name, "-" without a task.
func backupName(s rest.BackupStatus) string {
	if s.State == rest.BackupNoTask {
		return "-"
	}
	return fmt.Sprintf("backup-%d", s.Sequence)
}

// ProgressLines is how many lines RenderProgress writes for statuses.
func ProgressLines(statuses []rest.BackupStatus) int {
	return max(1, len(statuses))
}

// percent is a status's completion in percent, 100 for SUCCESS.
func percent(s rest.BackupStatus) int {
	switch {
	case s.State == rest.BackupSuccess:
		return 100
	case s.Total <= 0:
		return 0
	}
	return min(100, max(0, s.Completed*100/s.Total))
}

// bar draws barWidth cells, '#' for the completed share.
func bar(s rest.BackupStatus) string {
	done := percent(s) * barWidth / 100
	return strings.Repeat("#", done) + strings.Repeat(".", barWidth-done)
}
