package hotrestart

import (
	"fmt"
	"strconv"
	"strings"
)

// File and directory names. They are disk format, and every name is built
// and parsed here.
const (
	lockFileName       = "lock"
	metaFileName       = "hotrestart.json"
	backupMetaFileName = "backup.json"
	inProgressFileName = "inprogress"
	failureFileName    = "failure"
	stripeDirPrefix    = "stripe-"
	chunkFileSuffix    = ".chunk"
	tempFileSuffix     = ".tmp"
	chunkIDDigits      = 10
)

// stripeDirName returns the directory name of stripe i: "stripe-00".
func stripeDirName(i int) string { return fmt.Sprintf("%s%02d", stripeDirPrefix, i) }

// parseStripeDirName returns the stripe index of a stripe directory name.
func parseStripeDirName(name string) (int, bool) {
	digits, ok := strings.CutPrefix(name, stripeDirPrefix)
	if !ok || len(digits) < 2 || !allDigits(digits) {
		return 0, false
	}
	i, err := strconv.Atoi(digits)
	if err != nil || stripeDirName(i) != name {
		return 0, false
	}
	return i, true
}

// chunkFileName returns the file name of chunk id: "0000000001.chunk".
func chunkFileName(id uint32) string { return fmt.Sprintf("%010d%s", id, chunkFileSuffix) }

// parseChunkFileName returns the id of a chunk file name. Id 0 is never
// used.
func parseChunkFileName(name string) (uint32, bool) {
	digits, ok := strings.CutSuffix(name, chunkFileSuffix)
	if !ok || len(digits) != chunkIDDigits || !allDigits(digits) {
		return 0, false
	}
	id, err := strconv.ParseUint(digits, 10, 32)
	if err != nil || id == 0 {
		return 0, false
	}
	return uint32(id), true
}

// allDigits reports whether s is non-empty and all ASCII digits.
func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
