package gather

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
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
		read := make(chan string)
		go func() {
			b, _ := io.ReadAll(server)
			read <- string(b)
		}()
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
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	d := &Dialer{}
	c, err := d.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	const writers, each = 8, 2000
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for n := range each {
				if _, err := fmt.Fprintf(c, "w%d:%d:%s\n", w, n, strings.Repeat("x", n%97)); err != nil {
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
		for range writers * each {
			if !sc.Scan() {
				lines <- fmt.Errorf("stream ended early: %v", sc.Err())
				return
			}
			var w, n int
			var pad string
			if _, err := fmt.Sscanf(sc.Text(), "w%d:%d:%s", &w, &n, &pad); err != nil && n%97 != 0 {
				lines <- fmt.Errorf("line %q torn: %v", sc.Text(), err)
				return
			}
			if w < 0 || w >= writers || n != next[w] || len(pad) != n%97 {
				lines <- fmt.Errorf("line %q out of order or torn (writer %d expected %d)", sc.Text(), w, next[w])
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
