// Package natstest starts real, embedded JetStream servers for tests.
package natstest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookbridge/hookbridge/internal/natsserver"
)

// Server is an embedded JetStream server listening on a loopback TCP port,
// so a test can stop it and start it again at the same address and store.
type Server struct {
	*server.Server
	Listen   string
	StoreDir string
}

// Start starts a JetStream server on a free loopback port with its store in
// a fresh temporary directory. It is shut down when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	return StartAt(t, "127.0.0.1:0", t.TempDir())
}

// StartAt starts a JetStream server at listen with the given store dir.
func StartAt(t testing.TB, listen, storeDir string) *Server {
	t.Helper()
	ns, err := natsserver.Start(natsserver.Config{Listen: listen, StoreDir: storeDir, ReadyTimeout: Patience}, nil)
	if err != nil {
		t.Fatalf("starting nats-server: %v", err)
	}
	t.Cleanup(func() {
		ns.Shutdown()
		ns.WaitForShutdown()
	})
	return &Server{Server: ns, Listen: ns.Addr().String(), StoreDir: storeDir}
}

// FreeAddr returns a loopback address that was free a moment ago.
func FreeAddr(t testing.TB) string {
	t.Helper()
	return FreeAddrs(t, 1)[0]
}

// FreeAddrs is n distinct free loopback addresses, for a program that
// listens on several: each port is held until all n are picked, as a port
// released at once may be handed out again by the next pick.
func FreeAddrs(t testing.TB, n int) []string {
	t.Helper()
	addrs := make([]string, n)
	for i := range addrs {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		addrs[i] = l.Addr().String()
	}
	return addrs
}

// Restart shuts s down and starts a new server at the same address and store.
func (s *Server) Restart(t testing.TB) *Server {
	t.Helper()
	s.Stop()
	return StartAt(t, s.Listen, s.StoreDir)
}

// Stop shuts the server down and waits until it is gone.
func (s *Server) Stop() {
	s.Shutdown()
	s.WaitForShutdown()
}

// Connect returns a connection that reconnects for ever (as the bridge's
// does), and its JetStream context. Both are closed when the test ends.
func (s *Server) Connect(t testing.TB) (*nats.Conn, jetstream.JetStream) {
	t.Helper()
	nc, err := nats.Connect("nats://"+s.Listen, nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond))
	if err != nil {
		t.Fatalf("connecting to nats: %v", err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatalf("jetstream: %v", err)
	}
	return nc, js
}

// Patience is how long a test waits for an event that nothing in the code
// under test bounds: a message handled, a reservation written, a line logged.
// A loaded machine (two cores shared with other builds, the race detector)
// stalls processes for seconds at a time; a generous deadline costs nothing
// when the event comes, and only delays the report when it does not.
const Patience = 30 * time.Second

// Within is how long a test waits for an outcome the code under test
// reaches within bound (a configured timeout, an ack wait, a start-up wait)
// once it runs: the bound twice over, for the stalls above, plus Patience.
func Within(bound time.Duration) time.Duration { return 2*bound + Patience }

// Eventually polls cond every 20ms until it returns true or d passes.
func Eventually(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// SmallDisk mounts a tmpfs of the given size ("8m") on a fresh directory
// and returns it, for tests that fill a disk (see Tmpfs).
func SmallDisk(t testing.TB, size string) string {
	t.Helper()
	return Tmpfs(t, "size="+size)
}

// Tmpfs mounts a tmpfs with the given mount options ("ro,size=1m") on a
// fresh directory and returns it. It is unmounted when the test ends
// (lazily if something still holds it). Where mounting is not permitted
// (not root, no mount(8)) the test is skipped, unless CI is set: CI runs as
// root and must not skip silently.
func Tmpfs(t testing.TB, options string) string {
	t.Helper()
	dir := t.TempDir()
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", options, "tmpfs", dir).CombinedOutput()
	if err != nil {
		msg := fmt.Sprintf("this test mounts a tmpfs (%s), which needs root: mount: %v: %s", options, err, bytes.TrimSpace(out))
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Logf("umount %s: %v: %s; unmounting lazily", dir, err, bytes.TrimSpace(out))
			_ = exec.Command("umount", "-l", dir).Run()
		}
	})
	return dir
}

// FillDisk writes a file in dir until the disk is full and returns its
// path; removing it frees the space again.
func FillDisk(t testing.TB, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	for {
		if _, err := f.Write(buf); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("filling %s: %v, want ENOSPC", dir, err)
			}
			return path
		}
	}
}

// CountBy reads every message of stream and counts them by the value of
// their header named header: how many times each delivery is stored.
func CountBy(t testing.TB, js jetstream.JetStream, stream, header string) map[string]int {
	t.Helper()
	ctx := context.Background()
	s, err := js.Stream(ctx, stream)
	if err != nil {
		t.Fatal(err)
	}
	st := s.CachedInfo().State
	n := map[string]int{}
	for seq := st.FirstSeq; st.Msgs > 0 && seq <= st.LastSeq; seq++ {
		m, err := s.GetMsg(ctx, seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue // deleted, or never written: a sequence is not reused
		}
		if err != nil {
			t.Fatalf("reading message %d of %s: %v", seq, stream, err)
		}
		n[m.Header.Get(header)]++
	}
	return n
}
