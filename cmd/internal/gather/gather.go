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
// under hookload (BENCHMARKS.md, "Against Benthos: before and after
// gathering the NATS connection's writes"): the bridge's NATS writes fell
// from about 0.8 to under 0.1 per delivery, and nats-server's CPU per
// delivery by about a fifth.
//
// The embedded server's in-process connection (a synchronous pipe: each
// write waits for the server's read loop to take it) gathers the same way
// through InProcess: one hand-over to the server carries the publishes of
// every delivery ready at that moment.
//
// Ordering and completeness are those of the connection: bytes go out in
// the order the writes were made, each write whole. A write returns before
// its bytes reach the socket, as a write to a socket returns before they
// reach the peer; an error of the socket is returned by the next write, and
// the connection is closed, which nats.go's read loop sees and reconnects.
//
// A write deadline is that of the writes made while it is set, as on a
// socket: nats.go sets one around each flush (FlusherTimeout) and for its
// handshake. A write waiting for room fails when it passes, and the socket
// write that carries its bytes must end by it, or the connection is
// closed. A deadline set later does not reach the bytes already written:
// tls.Conn.Close writes its close_notify alert, then sets the deadline to
// now so that only later writes fail.
package gather

import (
	"net"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
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
//
// The writer goroutine runs only while there are bytes to write: an idle
// Conn holds no goroutine, so one its owner drops without closing (nats.go
// drops a connection whose handshake failed during a reconnect) is
// collected, and its socket closed, as a plain TCP connection would be.
type Conn struct {
	net.Conn
	limit int

	mu      sync.Mutex
	room    *sync.Cond // writes wait for room in the buffer; Close for the writer to stop
	buf     []byte     // what the next socket write takes
	spare   []byte     // the previous buffer, reused
	due     time.Time  // the earliest deadline of the writes in buf; zero: none
	err     error      // the socket's error, returned to every later write
	writing bool       // the writer goroutine runs
	closing bool
	closeBy time.Time // the socket writes' deadline once closing

	deadline time.Time   // the write deadline, for the writes to come
	wake     *time.Timer // wakes the writes waiting for room at the deadline
	wakeAt   time.Time
	socketBy time.Time // the deadline last set on the socket
}

// New returns a Conn over c; Close closes it.
func New(c net.Conn) *Conn { return newLimited(c, MaxBuffered) }

func newLimited(c net.Conn, limit int) *Conn {
	g := &Conn{Conn: c, limit: limit}
	g.room = sync.NewCond(&g.mu)
	return g
}

// Write adds p to the buffer, whole, and returns; it waits only while the
// buffer is full.
func (g *Conn) Write(p []byte) (int, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for {
		switch {
		case g.err != nil:
			return 0, g.err
		case g.closing:
			return 0, net.ErrClosed
		case !g.deadline.IsZero() && !time.Now().Before(g.deadline):
			return 0, os.ErrDeadlineExceeded
		}
		if len(g.buf) == 0 || len(g.buf)+len(p) <= g.limit {
			break
		}
		g.wakeAtDeadline()
		g.room.Wait()
	}
	if len(p) > 0 && !g.deadline.IsZero() && (g.due.IsZero() || g.deadline.Before(g.due)) {
		g.due = g.deadline
	}
	g.buf = append(g.buf, p...)
	if !g.writing && len(g.buf) > 0 {
		g.writing = true
		go g.writeOut()
	}
	return len(p), nil
}

// Close writes out what was written before it (within closeGrace), then
// closes the underlying connection.
func (g *Conn) Close() error {
	g.mu.Lock()
	closed := g.closing
	g.closing = true
	g.room.Broadcast()
	if g.writing && !closed {
		// A write stuck on a stalled peer must not hold Close up.
		g.closeBy = time.Now().Add(closeGrace)
		g.setSocketDeadline(g.socketBy)
	}
	for g.writing {
		g.room.Wait()
	}
	if g.wake != nil {
		g.wake.Stop()
	}
	g.mu.Unlock()
	if closed {
		return net.ErrClosed
	}
	return g.Conn.Close()
}

// writeOut is the one goroutine that writes to the socket; it stops when
// the buffer is empty.
func (g *Conn) writeOut() {
	g.mu.Lock()
	defer g.mu.Unlock()
	defer g.room.Broadcast() // Close waits for the writer to stop
	for len(g.buf) > 0 {
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
		g.setSocketDeadline(g.due)
		g.buf, g.due = g.spare[:0], time.Time{}
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
			if g.err == nil {
				g.err = err
			}
			g.buf = nil
			// nats.go's read loop sees the connection end and reconnects.
			_ = g.Conn.Close()
			break
		}
	}
	g.writing = false
}

// SetWriteDeadline sets the deadline of the writes to come (see the
// package comment); the bytes already written keep theirs.
func (g *Conn) SetWriteDeadline(t time.Time) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.deadline = t
	g.room.Broadcast() // the writes waiting for room look at it again
	return nil
}

// SetDeadline sets the read deadline of the underlying connection and the
// write deadline of the writes to come.
func (g *Conn) SetDeadline(t time.Time) error {
	_ = g.SetWriteDeadline(t)
	return g.Conn.SetReadDeadline(t)
}

// wakeAtDeadline has the writes waiting for room woken when the write
// deadline passes.
func (g *Conn) wakeAtDeadline() {
	if g.deadline.IsZero() || g.deadline.Equal(g.wakeAt) {
		return
	}
	g.wakeAt = g.deadline
	wait := time.Until(g.deadline)
	if g.wake == nil {
		g.wake = time.AfterFunc(wait, func() {
			g.mu.Lock()
			defer g.mu.Unlock()
			g.room.Broadcast()
		})
		return
	}
	g.wake.Reset(wait)
}

// setSocketDeadline gives the socket writes deadline t, or closeBy once
// closing if that is earlier. It is called with g.mu held, so that Close and
// the writer do not undo each other's.
func (g *Conn) setSocketDeadline(t time.Time) {
	if !g.closeBy.IsZero() && (t.IsZero() || g.closeBy.Before(t)) {
		t = g.closeBy
	}
	if t.Equal(g.socketBy) {
		return
	}
	g.socketBy = t
	_ = g.Conn.SetWriteDeadline(t)
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

// InProcess gathers the writes of nats.go's in-process connections to
// server (nats.InProcessServer).
type InProcess struct {
	Server nats.InProcessConnProvider
}

// InProcessConn returns a connection to the server, its writes gathered.
func (p InProcess) InProcessConn() (net.Conn, error) {
	c, err := p.Server.InProcessConn()
	if err != nil {
		return nil, err
	}
	return New(c), nil
}
