package server

import (
	"errors"

	"golang.org/x/sys/unix"
)

// maxIov is the most buffers one writev takes (IOV_MAX on Linux).
const maxIov = 1024

// writeAll writes bufs to the non-blocking descriptor fd. It returns nil
// when everything was written, otherwise a copy of what is left (empty on
// a broken socket: the loop notices the close on its own).
func writeAll(fd int, bufs [][]byte) [][]byte {
	for len(bufs) > 0 {
		chunk := bufs
		if len(chunk) > maxIov {
			chunk = chunk[:maxIov]
		}
		n, err := unix.Writev(fd, chunk)
		if err != nil {
			if errors.Is(err, unix.EINTR) {
				continue
			}
			if errors.Is(err, unix.EAGAIN) {
				return copyRest(bufs, 0)
			}
			return [][]byte{}
		}
		for n > 0 && len(bufs) > 0 {
			if n >= len(bufs[0]) {
				n -= len(bufs[0])
				bufs = bufs[1:]
				continue
			}
			return copyRest(bufs, n)
		}
	}
	return nil
}
