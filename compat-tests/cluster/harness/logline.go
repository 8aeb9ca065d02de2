package harness

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Messages of the member log lines the harness knows.
const (
	// MsgMemberStarted is logged once the member serves clients, with
	// "address" and "uuid".
	MsgMemberStarted = "member started"
	// MsgMemberStopped is logged at the end of a clean shutdown.
	MsgMemberStopped = "member stopped"
	// MsgPartitionTable is logged by every member when it applies a new
	// partition table, with "version", "owned" and "backups".
	MsgPartitionTable = "partition table"
	// MsgMigrationsFinished is logged by the master when a rebalance
	// completes, with "version" and "migrations".
	MsgMigrationsFinished = "migrations finished"
	// MembersPrefix starts the message of the member-list line, logged on
	// every member-list change with "size" and "version", like Hazelcast's
	// "Members {size:3, ver:3} [" block.
	MembersPrefix = "Members {size:"
)

// Line is one line a member wrote on stderr or stdout.
type Line struct {
	// Seq is the line's index in the member's output.
	Seq int
	// At is when the harness read the line.
	At time.Time
	// Raw is the line as written.
	Raw string
	// Level and Message are the zerolog "level" and "message" fields.
	Level, Message string
	// Fields are the JSON fields; nil when the line is not a JSON object.
	Fields map[string]any
}

func parseLine(seq int, raw string, at time.Time) Line {
	l := Line{Seq: seq, At: at, Raw: raw}
	if !strings.HasPrefix(raw, "{") {
		return l
	}
	var f map[string]any
	if json.Unmarshal([]byte(raw), &f) != nil {
		return l
	}
	l.Fields = f
	l.Level, _ = f["level"].(string)
	l.Message, _ = f["message"].(string)
	return l
}

// Str returns a string field, or "" when absent.
func (l Line) Str(name string) string {
	switch v := l.Fields[name].(type) {
	case string:
		return v
	case nil:
		return ""
	default:
		return fmt.Sprint(v)
	}
}

// Int returns an integer field (a JSON number or a decimal string).
func (l Line) Int(name string) (int, bool) {
	switch v := l.Fields[name].(type) {
	case float64:
		return int(v), v == float64(int(v))
	case string:
		n, err := strconv.Atoi(v)
		return n, err == nil
	}
	return 0, false
}

// membersHeader matches the member-list block's first line, for members
// that do not log "size" and "version" as fields.
var membersHeader = regexp.MustCompile(`^Members \{size:(\d+), ver:(\d+)\}`)

// MemberList reports whether l is a member-list line and its size and
// version (version is -1 when the line does not say).
func (l Line) MemberList() (size, version int, ok bool) {
	if !strings.HasPrefix(l.Message, MembersPrefix) {
		return 0, 0, false
	}
	size, okSize := l.Int("size")
	version, okVer := l.Int("version")
	if m := membersHeader.FindStringSubmatch(l.Message); m != nil {
		if !okSize {
			size, _ = strconv.Atoi(m[1])
			okSize = true
		}
		if !okVer {
			version, _ = strconv.Atoi(m[2])
			okVer = true
		}
	}
	if !okVer {
		version = -1
	}
	return size, version, okSize
}

// String is the raw line.
func (l Line) String() string { return l.Raw }

// Match selects log lines; Desc says in words what it waits for, for error
// messages.
type Match struct {
	Desc string
	Fn   func(Line) bool
}

// Where is a Match with a description.
func Where(desc string, fn func(Line) bool) Match { return Match{Desc: desc, Fn: fn} }

// Message matches lines whose message is exactly msg.
func Message(msg string) Match {
	return Where(fmt.Sprintf("a line with message %q", msg), func(l Line) bool { return l.Message == msg })
}

// MessagePrefix matches lines whose message starts with prefix.
func MessagePrefix(prefix string) Match {
	return Where(fmt.Sprintf("a line whose message starts with %q", prefix),
		func(l Line) bool { return strings.HasPrefix(l.Message, prefix) })
}

// MemberListSize matches member-list lines of size n.
func MemberListSize(n int) Match {
	return Where(fmt.Sprintf("a member list %q", fmt.Sprintf("Members {size:%d, ...", n)), func(l Line) bool {
		size, _, ok := l.MemberList()
		return ok && size == n
	})
}

// And matches lines both matches accept.
func (m Match) And(o Match) Match {
	return Where(m.Desc+" and "+o.Desc, func(l Line) bool { return m.Fn(l) && o.Fn(l) })
}

// FieldInt matches lines whose integer field name equals v.
func FieldInt(name string, v int) Match {
	return Where(fmt.Sprintf("%s=%d", name, v), func(l Line) bool {
		n, ok := l.Int(name)
		return ok && n == v
	})
}

// FieldStr matches lines whose field name equals v.
func FieldStr(name, v string) Match {
	return Where(fmt.Sprintf("%s=%q", name, v), func(l Line) bool { return l.Str(name) == v })
}
