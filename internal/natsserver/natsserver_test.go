package natsserver_test

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hookbridge/hookbridge/internal/natsserver"
	"github.com/hookbridge/hookbridge/internal/natstest"
)

// readyTimeout is what the tests configure; a start-up problem must be reported well before it.
const readyTimeout = 8 * time.Second

// startFails starts a server that must fail, at once, with an error matching each of want.
func startFails(t *testing.T, cfg natsserver.Config, want ...error) error {
	t.Helper()
	cfg.ReadyTimeout = readyTimeout
	if cfg.Listen == "" {
		cfg.Listen = "127.0.0.1:0"
	}
	start := time.Now()
	ns, err := natsserver.Start(cfg, nil)
	took := time.Since(start)
	if err == nil {
		ns.Shutdown()
		ns.WaitForShutdown()
		t.Fatal("Start succeeded")
	}
	for _, w := range want {
		if !errors.Is(err, w) {
			t.Errorf("error %q does not match %v", err, w)
		}
	}
	if took > readyTimeout/4 {
		t.Errorf("Start took %s to fail, want well under its ready timeout (%s)", took, readyTimeout)
	}
	return err
}

func TestStoreDirUnderAFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(file, "jetstream")
	err := startFails(t, natsserver.Config{StoreDir: dir}, natsserver.ErrStoreDir, syscall.ENOTDIR)
	if strings.Contains(err.Error(), "in use") {
		t.Errorf("error blames a port: %v", err)
	}
}

// A store dir that can be written but whose jetstream entry cannot: nats-server itself fails,
// and says so in a log line only; Start must report it at once.
func TestJetStreamCannotStart(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "jetstream"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	err := startFails(t, natsserver.Config{StoreDir: dir}, natsserver.ErrStoreDir)
	if !strings.Contains(err.Error(), "JetStream") {
		t.Errorf("error does not give nats-server's reason: %v", err)
	}
}

func TestStoreDirOnReadOnlyFileSystem(t *testing.T) {
	mnt := natstest.Tmpfs(t, "ro,size=1m")
	startFails(t, natsserver.Config{StoreDir: mnt}, natsserver.ErrStoreDir, syscall.EROFS)
	startFails(t, natsserver.Config{StoreDir: filepath.Join(mnt, "new")}, natsserver.ErrStoreDir, syscall.EROFS)
}

func TestListenAddressTaken(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	startFails(t, natsserver.Config{Listen: ln.Addr().String(), StoreDir: t.TempDir()}, natsserver.ErrListen)
}

func TestStartAndStop(t *testing.T) {
	ns, err := natsserver.Start(natsserver.Config{Listen: "127.0.0.1:0", StoreDir: t.TempDir(), ReadyTimeout: readyTimeout}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !ns.JetStreamEnabled() {
		t.Error("JetStream is not enabled")
	}
	ns.Shutdown()
	ns.WaitForShutdown()
}
