package gather

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	crand "crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/big"
	"math/rand/v2"
	"net"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// counting counts the writes that reach the socket.
type counting struct {
	net.Conn
	writes atomic.Int32
}

func (c *counting) Write(p []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(p)
}

// readN reads exactly n bytes from c.
func readN(t *testing.T, c net.Conn, n int) string {
	t.Helper()
	buf := make([]byte, n)
	if _, err := io.ReadFull(c, buf); err != nil {
		t.Fatalf("reading %d bytes: %v", n, err)
	}
	return string(buf)
}

// While the socket is busy with one write, the writes made meanwhile go
// out together, in order: that is the point of the package.
func TestGathersWritesWhileTheSocketIsBusy(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		client, server := net.Pipe()
		sock := &counting{Conn: client}
		g := New(sock)
		if _, err := g.Write([]byte("a")); err != nil {
			t.Fatal(err)
		}
		synctest.Wait() // the writer is in the socket write of "a": the server reads nothing yet
		for _, p := range []string{"b", "cc", "ddd"} {
			if _, err := g.Write([]byte(p)); err != nil {
				t.Fatal(err)
			}
		}
		synctest.Wait()
		if got := readN(t, server, 1) + readN(t, server, 6); got != "abcc"+"ddd" {
			t.Errorf("server read %q, want %q", got, "abccddd")
		}
		if n := sock.writes.Load(); n != 2 {
			t.Errorf("%d socket writes for 4 writes made while the first was under way, want 2", n)
		}
		go func() { _, _ = io.Copy(io.Discard, server) }()
		if err := g.Close(); err != nil {
			t.Fatal(err)
		}
	})
}

// A buffer that grew past the limit for a large write is not kept, and
// the buffer on the socket is never the one written into: the bytes a
// socket write sends are those written before it started.
func TestBufferOnTheSocketIsNotWrittenInto(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		client, server := net.Pipe()
		g := newLimited(client, 10)
		write := func(p string) {
			t.Helper()
			if _, err := g.Write([]byte(p)); err != nil {
				t.Fatal(err)
			}
			synctest.Wait()
		}
		write("1111")                  // on the socket
		write(strings.Repeat("B", 20)) // buffered: larger than the limit
		if got := readN(t, server, 4); got != "1111" {
			t.Fatalf("read %q", got)
		}
		synctest.Wait() // the large write is on the socket
		write("2222")
		if got := readN(t, server, 20); got != strings.Repeat("B", 20) {
			t.Fatalf("read %q", got)
		}
		synctest.Wait() // "2222" is on the socket
		write("3333")
		if got := readN(t, server, 8); got != "22223333" {
			t.Errorf("read %q, want %q: a buffer was written into while on the socket", got, "22223333")
		}
		go func() { _, _ = io.Copy(io.Discard, server) }()
		_ = g.Close()
	})
}

// A full buffer makes writes wait for the socket: a stalled server still
// holds its publishers back, so memory stays bounded.
func TestFullBufferWaitsForTheSocket(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		client, server := net.Pipe()
		g := newLimited(client, 10)
		if _, err := g.Write([]byte("0000")); err != nil {
			t.Fatal(err)
		}
		synctest.Wait() // in the socket write, which nobody reads
		accepted := atomic.Int32{}
		accepted.Add(1)
		done := make(chan struct{})
		go func() {
			defer close(done)
			for i := 1; i < 20; i++ {
				if _, err := fmt.Fprintf(g, "%04d", i); err != nil {
					t.Errorf("write %d: %v", i, err)
					return
				}
				accepted.Add(1)
			}
		}()
		synctest.Wait()
		// One write is in the socket, two fill the buffer (8 of 10 bytes);
		// the fourth waits.
		if n := accepted.Load(); n != 3 {
			t.Errorf("%d writes of 4 bytes accepted with a 10-byte buffer and a stalled socket, want 3", n)
		}
		var want strings.Builder
		for i := range 20 {
			fmt.Fprintf(&want, "%04d", i)
		}
		if got := readN(t, server, want.Len()); got != want.String() {
			t.Errorf("server read %q, want %q", got, want.String())
		}
		<-done
		go func() { _, _ = io.Copy(io.Discard, server) }()
		_ = g.Close()
	})
}

// A socket error is the next write's error, and the connection is closed,
// so the client's read loop sees the end and reconnects.
func TestSocketErrorEndsTheConnection(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		client, server := net.Pipe()
		g := New(client)
		server.Close()
		if _, err := g.Write([]byte("lost")); err != nil {
			t.Fatalf("the first write returns before the socket fails: %v", err)
		}
		synctest.Wait()
		if _, err := g.Write([]byte("next")); !errors.Is(err, io.ErrClosedPipe) {
			t.Errorf("write after the socket failed: %v, want the socket's error", err)
		}
		if _, err := g.Read(make([]byte, 1)); err == nil {
			t.Error("a read after the socket failed succeeded")
		}
		_ = g.Close()
	})
}

// Close writes out what was written before it, then closes; writes after
// it fail.
func TestCloseWritesOutFirst(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		client, server := net.Pipe()
		g := New(client)
		read := readAll(server)
		for _, p := range []string{"PUB a 1\r\n", "x\r\n"} {
			if _, err := g.Write([]byte(p)); err != nil {
				t.Fatal(err)
			}
		}
		if err := g.Close(); err != nil {
			t.Fatal(err)
		}
		if got := <-read; got != "PUB a 1\r\nx\r\n" {
			t.Errorf("server read %q before the end", got)
		}
		if _, err := g.Write([]byte("late")); !errors.Is(err, net.ErrClosed) {
			t.Errorf("write after Close: %v, want net.ErrClosed", err)
		}
	})
}

// Close does not wait on a stalled server for longer than closeGrace.
func TestCloseDoesNotWaitOnAStalledServer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		client, _ := net.Pipe() // nothing ever reads
		g := New(client)
		if _, err := g.Write([]byte("stuck")); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		_ = g.Close()
		if waited := time.Since(start); waited != closeGrace {
			t.Errorf("Close waited %v on a stalled server, want closeGrace (%v)", waited, closeGrace)
		}
	})
}

// Over a real socket, writes from many goroutines arrive whole and each
// goroutine's in its order.
func TestConcurrentWritesArriveWholeAndInOrder(t *testing.T) {
	testWritesArrive(t, 8, 2000, func(n int) int { return n % 97 })
}

// Writes larger than the buffer's limit (an Object Store chunk, a large
// message) among small ones arrive intact too: the buffer that grew past
// the limit is dropped, never written into while it is on the socket.
func TestLargeWritesArriveIntact(t *testing.T) {
	testWritesArrive(t, 4, 60, func(n int) int {
		if n%5 == 0 {
			return MaxBuffered + n*1000
		}
		return n % 97
	})
}

// testWritesArrive has writers goroutines each write lines
// "w<writer>:<n>:<pad>" for n below each, pad(n) bytes of padding, over a
// loopback TCP connection, and checks every line arrives whole and each
// writer's in order.
func testWritesArrive(t *testing.T, writers, each int, pad func(int) int) {
	c, server := loopback(t)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for n := range each {
				if _, err := fmt.Fprintf(c, "w%d:%d:%s\n", w, n, strings.Repeat(string(rune('a'+w)), pad(n))); err != nil {
					t.Errorf("writer %d: %v", w, err)
					return
				}
			}
		})
	}
	lines := make(chan error, 1)
	go func() {
		next := make([]int, writers)
		sc := bufio.NewScanner(server)
		sc.Buffer(nil, 4*MaxBuffered)
		for range writers * each {
			if !sc.Scan() {
				lines <- fmt.Errorf("stream ended early: %v", sc.Err())
				return
			}
			var w, n int
			line := sc.Text()
			if _, err := fmt.Sscanf(line, "w%d:%d:", &w, &n); err != nil || w < 0 || w >= writers {
				lines <- fmt.Errorf("line %.40q... torn: %v", line, err)
				return
			}
			body := line[strings.LastIndexByte(line, ':')+1:]
			if n != next[w] || body != strings.Repeat(string(rune('a'+w)), pad(n)) {
				lines <- fmt.Errorf("line %.40q... (%d bytes) out of order or torn: writer %d expected line %d", line, len(line), w, next[w])
				return
			}
			next[w]++
		}
		lines <- nil
	}()
	wg.Wait()
	if err := <-lines; err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
}

// readAll reads c to its end in the background and sends what it read.
func readAll(c net.Conn) <-chan string {
	read := make(chan string, 1)
	go func() {
		b, _ := io.ReadAll(c)
		read <- string(b)
	}()
	return read
}

// loopback dials a loopback TCP connection with a Dialer and returns both
// ends; the server's end is closed when the test ends.
func loopback(t *testing.T) (net.Conn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c, err := (&Dialer{}).Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { server.Close() })
	return c, server
}

// nats.go does not close a connection whose handshake failed during a
// reconnect (doReconnect moves on to the next dial): like a plain TCP
// connection, an abandoned Conn must be collected and its socket closed,
// or every failed attempt keeps a socket and a goroutine for good.
func TestAnAbandonedConnectionIsClosedWhenCollected(t *testing.T) {
	server := abandon(t)
	buf := make([]byte, 1)
	deadline := time.Now().Add(20 * closeGrace)
	for {
		runtime.GC()
		_ = server.SetReadDeadline(time.Now().Add(closeGrace / 100))
		_, err := server.Read(buf)
		if errors.Is(err, io.EOF) {
			return
		}
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("reading the abandoned connection's peer: %v", err)
		}
		if time.Now().After(deadline) {
			t.Fatal("an abandoned connection was not closed: its writer keeps it")
		}
	}
}

// abandon dials, writes as a handshake does and drops the client's end
// without closing it; it returns the server's end, the handshake read.
func abandon(t *testing.T) net.Conn {
	c, server := loopback(t)
	if _, err := c.Write([]byte("CONNECT {}\r\nPING\r\n")); err != nil {
		t.Fatal(err)
	}
	readN(t, server, len("CONNECT {}\r\nPING\r\n"))
	return server
}

// nats.go's flusher writes under a deadline (FlusherTimeout, a minute by
// default: timeoutWriter sets it, writes and clears it). A stalled server
// must make a write fail within it, as it would on the socket: the flusher
// holds the client's lock while it writes, so a write that never returns
// stops the client's pings too, and it never notices the server is gone.
func TestAStalledServerFailsWritesAtTheirDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		client, server := net.Pipe() // nothing reads
		defer server.Close()
		g := newLimited(client, 10)
		const timeout = time.Minute
		// As timeoutWriter does: each write returns at once, and its
		// deadline is cleared before the socket write starts.
		write := func(i int) error {
			_ = g.SetWriteDeadline(time.Now().Add(timeout))
			_, err := fmt.Fprintf(g, "%04d", i)
			_ = g.SetWriteDeadline(time.Time{})
			return err
		}
		start := time.Now()
		err := write(0)
		synctest.Wait() // on the socket, with no deadline left on it
		for i := 1; err == nil && i < 100; i++ {
			err = write(i)
			synctest.Wait()
		}
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("writes to a stalled server ended with %v, want a deadline error", err)
		}
		if waited := time.Since(start); waited > timeout {
			t.Errorf("writes to a stalled server failed after %v, want within the deadline (%v)", waited, timeout)
		}
		synctest.Wait()
		if _, err := g.Read(make([]byte, 1)); err == nil {
			t.Error("the connection is still open after a write was cut short: the client would not reconnect")
		}
		_ = g.Close()
	})
}

// A deadline set after a write returned does not undo it, as it would not
// on a socket, whose write has handed the bytes to the kernel by then:
// tls.Conn.Close writes its close_notify alert, then sets the write
// deadline to now so that later writes fail. The alert, and the publishes
// nats.go flushed before it, must still leave; the later writes fail.
func TestADeadlineSetAfterAWriteDoesNotCutIt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		client, server := net.Pipe()
		g := New(client)
		const sent = "PUB a 1\r\nx\r\nclose_notify"
		if _, err := g.Write([]byte(sent)); err != nil {
			t.Fatal(err)
		}
		synctest.Wait() // on the socket, which the server reads later
		_ = g.SetWriteDeadline(time.Now())
		synctest.Wait()
		if _, err := g.Write([]byte("late")); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("write after its deadline passed: %v, want a deadline error", err)
		}
		read := readAll(server)
		_ = g.Close()
		if got := <-read; got != sent {
			t.Errorf("server read %q, want %q", got, sent)
		}
	})
}

// Writes of mixed sizes (none, small, around and well above the buffer's
// limit) from several goroutines, over a loopback TCP connection with small
// socket buffers and a reader that takes a few hundred bytes at a time,
// arrive with every byte in place: each write whole, each goroutine's in
// its order, nothing after the last. The sizes come from a fixed seed, so
// a failure repeats.
func TestMixedWritesToASlowReaderArriveIntact(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3} {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			testMixedWrites(t, seed, 6, 250, 4096)
		})
	}
}

// frameHeader is the writer, the write's number and its payload's length.
const frameHeader = 1 + 4 + 4

// payloadByte is byte i of write n of writer w: any byte out of place,
// written over or lost shows.
func payloadByte(w, n, i int) byte { return byte(w*31 + n*7 + i + i>>8) }

func testMixedWrites(t *testing.T, seed uint64, writers, each, limit int) {
	rng := rand.New(rand.NewPCG(seed, 0))
	sizes := make([][]int, writers)
	for w := range sizes {
		for range each {
			var n int
			switch r := rng.IntN(10); {
			case r < 2:
				n = 0
			case r < 6:
				n = 1 + rng.IntN(100)
			case r < 8:
				n = limit - frameHeader - 16 + rng.IntN(32)
			case r < 9:
				n = 2*limit + rng.IntN(limit)
			default:
				n = 1 + rng.IntN(limit/2)
			}
			sizes[w] = append(sizes[w], n)
		}
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	sock, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	// Small socket buffers, so the socket holds the writer back.
	_ = sock.(*net.TCPConn).SetWriteBuffer(16 * limit)
	_ = server.(*net.TCPConn).SetReadBuffer(16 * limit)
	g := newLimited(sock, limit)

	checked := make(chan error, 1)
	go func() {
		err := checkFrames(&slowReader{Conn: server, rng: rand.New(rand.NewPCG(seed, 1))}, sizes)
		if err != nil {
			server.Close() // the writers, left with no reader, fail instead of waiting
		}
		checked <- err
	}()

	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for n, size := range sizes[w] {
				if size == 0 {
					if _, err := g.Write(nil); err != nil {
						t.Errorf("writer %d, empty write %d: %v", w, n, err)
						return
					}
					continue
				}
				p := make([]byte, frameHeader+size)
				p[0] = byte(w)
				binary.BigEndian.PutUint32(p[1:], uint32(n))
				binary.BigEndian.PutUint32(p[5:], uint32(size))
				for i := range size {
					p[frameHeader+i] = payloadByte(w, n, i)
				}
				if _, err := g.Write(p); err != nil {
					t.Errorf("writer %d, write %d: %v", w, n, err)
					return
				}
			}
		})
	}
	wg.Wait()
	closeErr := g.Close()
	if err := <-checked; err != nil {
		t.Fatal(err)
	}
	if closeErr != nil {
		t.Fatal(closeErr)
	}
}

// checkFrames reads the frames the writers of sizes wrote, checking every
// byte, then the end of the stream.
func checkFrames(r io.Reader, sizes [][]int) error {
	next := make([]int, len(sizes))
	frames := 0
	for _, ws := range sizes {
		for _, n := range ws {
			if n > 0 {
				frames++
			}
		}
	}
	header := make([]byte, frameHeader)
	for f := range frames {
		if _, err := io.ReadFull(r, header); err != nil {
			return fmt.Errorf("frame %d of %d: header: %v", f, frames, err)
		}
		w, n, size := int(header[0]), int(binary.BigEndian.Uint32(header[1:])), int(binary.BigEndian.Uint32(header[5:]))
		if w >= len(sizes) {
			return fmt.Errorf("frame %d: writer %d does not exist: torn write", f, w)
		}
		for next[w] < len(sizes[w]) && sizes[w][next[w]] == 0 {
			next[w]++
		}
		if next[w] >= len(sizes[w]) || n != next[w] || size != sizes[w][n] {
			return fmt.Errorf("frame %d: writer %d's write %d of %d bytes, want its write %d: out of order or torn", f, w, n, size, next[w])
		}
		payload := make([]byte, size)
		if _, err := io.ReadFull(r, payload); err != nil {
			return fmt.Errorf("frame %d (writer %d's write %d): payload: %v", f, w, n, err)
		}
		for i, b := range payload {
			if b != payloadByte(w, n, i) {
				return fmt.Errorf("writer %d's write %d: byte %d of %d is %#x, want %#x", w, n, i, size, b, payloadByte(w, n, i))
			}
		}
		next[w]++
	}
	if k, err := r.Read(make([]byte, 1)); err != io.EOF {
		return fmt.Errorf("after the last frame: read %d bytes, %v; want the end", k, err)
	}
	return nil
}

// slowReader reads at most a few hundred bytes at a time, letting other
// goroutines run between reads.
type slowReader struct {
	net.Conn
	rng *rand.Rand
}

func (s *slowReader) Read(p []byte) (int, error) {
	runtime.Gosched()
	if n := 1 + s.rng.IntN(512); len(p) > n {
		p = p[:n]
	}
	return s.Conn.Read(p)
}

// nats.go wraps the dialed connection in tls.Client when the server asks
// for TLS. The handshake works through the gathered writes, and Close
// delivers what was written before it and the close_notify alert: the
// server reads every byte and a clean end, not a truncated stream.
func TestTLSOverAGatheredConnection(t *testing.T) {
	cert := selfSigned(t)
	sock, server := loopback(t)
	tlsServer := tls.Server(server, &tls.Config{Certificates: []tls.Certificate{cert}})
	read := make(chan error, 1)
	var got []byte
	go func() {
		var err error
		got, err = io.ReadAll(tlsServer)
		read <- err
	}()
	roots := x509.NewCertPool()
	roots.AddCert(cert.Leaf)
	client := tls.Client(sock, &tls.Config{RootCAs: roots, ServerName: "127.0.0.1"})
	_ = client.SetDeadline(time.Now().Add(20 * closeGrace)) // as nats.go's connect does
	if err := client.Handshake(); err != nil {
		t.Fatal(err)
	}
	_ = client.SetDeadline(time.Time{})
	var want []byte
	for i := range 200 {
		p := fmt.Appendf(nil, "PUB a %d\r\n%s\r\n", i, strings.Repeat("x", i))
		want = append(want, p...)
		if _, err := client.Write(p); err != nil {
			t.Fatal(err)
		}
	}
	if err := client.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-read; err != nil {
		t.Fatalf("server read %d of %d bytes, then %v", len(got), len(want), err)
	}
	if string(got) != string(want) {
		t.Errorf("server read %d bytes, not those written (%d)", len(got), len(want))
	}
}

// selfSigned returns a certificate for 127.0.0.1 that signs itself.
func selfSigned(t *testing.T) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), crand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(crand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
}

// A write waiting for room when Close runs fails at once instead of
// waiting for the stalled socket, and Close returns within closeGrace.
func TestCloseReleasesWritesWaitingForRoom(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		client, server := net.Pipe() // nothing reads
		defer server.Close()
		g := newLimited(client, 4)
		for _, p := range []string{"1111", "2222"} { // one on the socket, one buffered
			if _, err := g.Write([]byte(p)); err != nil {
				t.Fatal(err)
			}
			synctest.Wait()
		}
		waiting := make(chan error)
		go func() {
			_, err := g.Write([]byte("3333"))
			waiting <- err
		}()
		synctest.Wait() // the third write waits for room
		start := time.Now()
		closed := make(chan struct{})
		go func() {
			defer close(closed)
			_ = g.Close()
		}()
		if err := <-waiting; !errors.Is(err, net.ErrClosed) {
			t.Errorf("write waiting for room when Close ran: %v, want net.ErrClosed", err)
		}
		<-closed
		if waited := time.Since(start); waited > closeGrace {
			t.Errorf("Close took %v on a stalled server, want at most closeGrace (%v)", waited, closeGrace)
		}
	})
}
