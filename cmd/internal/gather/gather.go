// Package gather gathers the small writes of a NATS client connection into
// fewer, larger ones.
//
// nats.go's flusher writes what its buffer holds each time a publish wakes
// it. Under the bridge's load (many deliveries publishing at once, each
// waiting for its own PubAck) it woke for almost every publish: one
// write(2) per message on the bridge's side, and, worse, a nats-server read
// loop that woke for every message and answered each with an ack write of
// its own. A Conn takes the flusher's writes into a buffer and returns at
// once; one goroutine writes the buffer out, after letting the goroutines
// that are ready to run (deliveries about to publish) add theirs. Measured
// under hookload (BENCHMARKS.md, "Gathering the NATS connection's
// writes"): the bridge's NATS writes fell from about 0.8 to under 0.1 per
// delivery, and nats-server's CPU per delivery by about a fifth.
//
// Ordering and completeness are those of the connection: bytes go out in
// the order the writes were made, each write whole. A write returns before
// its bytes reach the socket, as a write to a socket returns before they
// reach the peer; an error of the socket is returned by the next write, and
// the connection is closed, which nats.go's read loop sees and reconnects.
package gather

import (
	"net"
	"runtime"
	"sync"
	"time"
)

// MaxBuffered is how many bytes a Conn holds before a write waits for
// the socket: the back-pressure a slow or stalled server puts on its
// publishers is kept, a little later.
const MaxBuffered = 1 << 20

// yields is at most how many times the writer lets other goroutines run
// before it writes, while they keep adding to the buffer. Each yield costs
// nothing when no other goroutine is ready to run.
const yields = 3

// closeGrace bounds how long Close waits for the bytes already written to
// leave.
const closeGrace = time.Second

// Conn is a net.Conn whose writes are gathered (see the package comment).
// Reads and the rest of net.Conn are the underlying connection's.
type Conn struct {
	net.Conn
	limit int

	mu       sync.Mutex
	ready    *sync.Cond // the writer waits for bytes, or for Close
	room     *sync.Cond // writes wait for room in the buffer
	buf      []byte     // what the next socket write takes
	spare    []byte     // the previous buffer, reused
	err      error      // the socket's error, returned to every later write
	closing  bool
	finished chan struct{} // closed when the writer has stopped
}

// New returns a Conn over c and starts its writer; Close stops it.
func New(c net.Conn) *Conn { return newLimited(c, MaxBuffered) }

func newLimited(c net.Conn, limit int) *Conn {
	g := &Conn{Conn: c, limit: limit, finished: make(chan struct{})}
	g.ready = sync.NewCond(&g.mu)
	g.room = sync.NewCond(&g.mu)
	go g.writeOut()
	return g
}

// Write adds p to the buffer, whole, and returns; it waits only while the
// buffer is full.
func (g *Conn) Write(p []byte) (int, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for g.err == nil && !g.closing && len(g.buf) > 0 && len(g.buf)+len(p) > g.limit {
		g.room.Wait()
	}
	switch {
	case g.err != nil:
		return 0, g.err
	case g.closing:
		return 0, net.ErrClosed
	}
	if len(g.buf) == 0 {
		g.ready.Signal()
	}
	g.buf = append(g.buf, p...)
	return len(p), nil
}

// Close writes out what was written before it (within closeGrace), then
// closes the underlying connection.
func (g *Conn) Close() error {
	g.mu.Lock()
	if g.closing {
		g.mu.Unlock()
		<-g.finished
		return net.ErrClosed
	}
	g.closing = true
	g.ready.Signal()
	g.room.Broadcast()
	g.mu.Unlock()
	// A write stuck on a stalled peer must not hold Close up.
	_ = g.Conn.SetWriteDeadline(time.Now().Add(closeGrace))
	<-g.finished
	return g.Conn.Close()
}

// writeOut is the one goroutine that writes to the socket.
func (g *Conn) writeOut() {
	defer close(g.finished)
	g.mu.Lock()
	defer g.mu.Unlock()
	for {
		for len(g.buf) == 0 && !g.closing {
			g.ready.Wait()
		}
		if len(g.buf) == 0 { // closing, and nothing left
			return
		}
		// Let the goroutines that are ready to run add their writes first,
		// as long as they do.
		for range yields {
			n := len(g.buf)
			g.mu.Unlock()
			runtime.Gosched()
			g.mu.Lock()
			if len(g.buf) == n {
				break
			}
		}
		out := g.buf
		g.buf = g.spare[:0]
		g.room.Broadcast()
		g.mu.Unlock()
		_, err := g.Conn.Write(out)
		g.mu.Lock()
		// out, now written, is the next buffer, unless it grew past the
		// limit for a large publish. The spare must never stay what the
		// current buffer is: it would be written into while on the socket.
		g.spare = nil
		if cap(out) <= g.limit {
			g.spare = out
		}
		if err != nil {
			g.room.Broadcast()
			if g.err == nil {
				g.err = err
			}
			g.buf = nil
			// nats.go's read loop sees the connection end and reconnects.
			_ = g.Conn.Close()
			return
		}
	}
}

// Dialer dials TCP connections for nats.go (nats.SetCustomDialer) and
// gathers their writes.
type Dialer struct {
	net.Dialer
}

// Dial dials address and wraps the connection in a Conn.
func (d *Dialer) Dial(network, address string) (net.Conn, error) {
	c, err := d.Dialer.Dial(network, address)
	if err != nil {
		return nil, err
	}
	return New(c), nil
}
