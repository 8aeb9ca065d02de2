package compattests

import (
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/hazelcast/hazelcast-go-client/types"

	"github.com/filbert/filbert/partition"
)

// How the client's partition ids are observed.
//
// hazelcast-go-client v1.5.0 has no public partition service: the partition
// id of a key is only reachable through ClientInternal, which needs the
// hazelcastinternal build tag (not usable from a plain `go test`). The id
// the client computes is, however, on the wire: every key-based request
// carries it in its header (both routing modes), next to the key's
// serialized Data. So the test puts a small tapping TCP proxy between the
// client and the member; it forwards bytes unchanged and, for each
// Map.Get request, records (header partition id, key Data). The member
// side is partition.ID over the same Data, which is what the member uses
// to place keys (PutAll, GetAll, and any request without a header id).
// A PutAll of all keys followed by a Get of each also checks end to end
// that both sides agree where every key lives.

// observation is one Map.Get seen on the wire.
type observation struct {
	pid int32
	key []byte
}

// tapProxy forwards client connections to a member and records Map.Get
// requests.
type tapProxy struct {
	ln     net.Listener
	target string

	mu   sync.Mutex
	seen []observation
	errs []error

	wg    sync.WaitGroup
	conns sync.Map // net.Conn -> struct{}
}

func startTap(t *testing.T, target string) *tapProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err, "tap listen")
	p := &tapProxy{ln: ln, target: target}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.close)
	return p
}

func (p *tapProxy) addr() string { return p.ln.Addr().String() }

func (p *tapProxy) close() {
	_ = p.ln.Close()
	p.conns.Range(func(k, _ any) bool {
		_ = k.(net.Conn).Close()
		return true
	})
	p.wg.Wait()
}

func (p *tapProxy) fail(err error) {
	p.mu.Lock()
	p.errs = append(p.errs, err)
	p.mu.Unlock()
}

func (p *tapProxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		s, err := net.DialTimeout("tcp", p.target, 3*time.Second)
		if err != nil {
			_ = c.Close()
			p.fail(fmt.Errorf("tap dial member: %w", err))
			continue
		}
		p.conns.Store(c, struct{}{})
		p.conns.Store(s, struct{}{})
		p.wg.Add(2)
		go func() { // member -> client, verbatim
			defer p.wg.Done()
			_, _ = io.Copy(c, s)
			_ = c.Close()
		}()
		go func() { // client -> member, parsed
			defer p.wg.Done()
			p.pump(c, s)
			_ = s.Close()
		}()
	}
}

// pump forwards client bytes to the member frame by frame and records
// Map.Get requests.
func (p *tapProxy) pump(c, s net.Conn) {
	var pre [3]byte
	if _, err := io.ReadFull(c, pre[:]); err != nil {
		return
	}
	if _, err := s.Write(pre[:]); err != nil {
		return
	}
	var msg []rawFrame
	var out []byte
	for {
		var h [6]byte
		if _, err := io.ReadFull(c, h[:]); err != nil {
			return
		}
		n := int(binary.LittleEndian.Uint32(h[:4]))
		if n < 6 || n > 64<<20 {
			p.fail(fmt.Errorf("tap: client sent frame length %d", n))
			return
		}
		buf := make([]byte, n)
		copy(buf, h[:])
		if _, err := io.ReadFull(c, buf[6:]); err != nil {
			return
		}
		out = append(out, buf...)
		flags := binary.LittleEndian.Uint16(h[4:])
		msg = append(msg, rawFrame{flags: flags, content: buf[6:]})
		if flags&flagFinal == 0 {
			continue
		}
		// Forward whole messages with one write, as the client does, so
		// that this test does not depend on how the member reassembles
		// messages split across reads (misbehave_test.go covers that).
		if _, err := s.Write(out); err != nil {
			return
		}
		out = out[:0]
		m := rawMessage(msg)
		msg = nil
		if len(m[0].content) >= 16 && m.typ() == typeMapGet && m[0].flags&flagUnfragmented == flagUnfragmented {
			if len(m) < 3 {
				p.fail(fmt.Errorf("tap: Map.Get with %d frames", len(m)))
				continue
			}
			pid := int32(binary.LittleEndian.Uint32(m[0].content[12:]))
			p.mu.Lock()
			p.seen = append(p.seen, observation{pid: pid, key: m[2].content})
			p.mu.Unlock()
		}
	}
}

func (p *tapProxy) take() ([]observation, []error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	s, e := p.seen, p.errs
	p.seen, p.errs = nil, nil
	return s, e
}

// mixedKeys returns n keys of mixed types, all distinct.
func mixedKeys(n int) []any {
	keys := make([]any, 0, n)
	for i := 0; i < n; i++ {
		var k any
		switch i % 10 {
		case 0:
			k = fmt.Sprintf("key-%d", i)
		case 1:
			k = fmt.Sprintf("ключ-%d-日本-%x", i, i*7919)
		case 2:
			k = int64(i)*1_000_003 - 5_000_000
		case 3:
			k = int32(-i)
		case 4:
			k = i * 31 // int: the client encodes it as a long
		case 5:
			b := make([]byte, i%23)
			for j := range b {
				b[j] = byte(i + j*13)
			}
			k = append(b, byte(i), byte(i>>8))
		case 6:
			k = float64(i) / 7
		case 7:
			k = fmt.Sprintf("%0*d", 1+i%40, i) // varying lengths: murmur tail cases
		case 8:
			k = types.NewUUIDWith(uint64(i)*0x9e3779b97f4a7c15, uint64(i))
		case 9:
			k = []int64{int64(i), int64(-i)}
		}
		keys = append(keys, k)
	}
	return keys
}

// TestPartitionIDsAgree: for 10,000 mixed keys, the partition id the
// official client puts on the wire equals partition.ID of the key's Data,
// and entries placed by the member (PutAll) are found by the client's
// routing (Get).
func TestPartitionIDsAgree(t *testing.T) {
	const n = 10_000
	m := startMember(t, nil)
	pcount := int(m.PartitionCount())
	keys := mixedKeys(n)
	for _, md := range modes {
		t.Run(md.name, func(t *testing.T) {
			tap := startTap(t, m.Addr())
			cfg := clientConfig(m, md.unisocket)
			cfg.Cluster.Network.SetAddresses(tap.addr())
			c := startClient(t, cfg)
			ctx := testCtx(t)
			mp := getMap(t, c, mapName(t, "pids"))

			entries := make([]types.Entry, n)
			for i, k := range keys {
				entries[i] = types.NewEntry(k, int64(i))
			}
			must(t, mp.PutAll(ctx, entries...), "PutAll")
			tap.take() // PutAll's own traffic is not of interest

			// Gets from a few goroutines.
			const workers = 8
			var wg sync.WaitGroup
			errs := make(chan error, workers)
			for w := 0; w < workers; w++ {
				wg.Add(1)
				go func(w int) {
					defer wg.Done()
					for i := w; i < n; i += workers {
						v, err := mp.Get(ctx, keys[i])
						if err != nil {
							errs <- fmt.Errorf("Get(%#v): %w", keys[i], err)
							return
						}
						if v != int64(i) {
							errs <- fmt.Errorf("Get(%#v) = %#v, want %d: the client routed the key to a partition where the member did not put it", keys[i], v, i)
							return
						}
					}
				}(w)
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}

			seen, tapErrs := tap.take()
			for _, err := range tapErrs {
				t.Errorf("tap: %v", err)
			}
			if len(seen) != n {
				t.Fatalf("tap saw %d Map.Get requests, want %d (did the client bypass the proxy?)", len(seen), n)
			}
			mismatches := 0
			used := map[int32]bool{}
			for _, o := range seen {
				want := partition.ID(o.key, pcount)
				used[o.pid] = true
				if o.pid != want {
					mismatches++
					if mismatches <= 10 {
						t.Errorf("key Data % x: client partition %d, member partition.ID %d", o.key, o.pid, want)
					}
				}
			}
			if mismatches > 0 {
				t.Fatalf("%d of %d keys disagree on the partition id", mismatches, n)
			}
			// 10,000 keys over 271 partitions hit (nearly) every partition;
			// guards against a degenerate hash on both sides.
			if len(used) < pcount*9/10 {
				t.Errorf("keys spread over only %d of %d partitions", len(used), pcount)
			}
			sz, err := mp.Size(ctx)
			must(t, err, "Size")
			eq(t, "Size", sz, n)
		})
	}
}
