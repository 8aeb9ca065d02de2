package server

import (
	"syscall"

	"github.com/panjf2000/gnet/v2"
)

// quickAck turns on TCP_QUICKACK (Linux resets it after use, so it is set on
// every read).
func quickAck(gc gnet.Conn) {
	_ = syscall.SetsockoptInt(gc.Fd(), syscall.IPPROTO_TCP, syscall.TCP_QUICKACK, 1)
}
