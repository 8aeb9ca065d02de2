//go:build !linux

package server

// writeAll leaves all writing to the event loop where direct writes are not
// implemented: everything is handed back.
func writeAll(_ int, bufs [][]byte) [][]byte { return copyRest(bufs, 0) }

// copyRest copies bufs, skipping the first skip bytes of bufs[0].
func copyRest(bufs [][]byte, skip int) [][]byte {
	rest := make([][]byte, 0, len(bufs))
	for i, b := range bufs {
		if i == 0 {
			b = b[skip:]
		}
		rest = append(rest, append(getBuf(), b...))
	}
	return rest
}
