// Package natsserver runs the embedded JetStream server that hookbridge uses
// when no external NATS URL is configured.
package natsserver

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/hookbridge/hookbridge/internal/config"
)

// Config describes the embedded server. The yaml tags are the keys of the
// nats.embedded section of hookbridge's config file; the other fields are the
// binary's to set.
type Config struct {
	// Listen is the client address ("127.0.0.1:4222"); port 0 picks a free one.
	Listen string `yaml:"listen"`
	// StoreDir holds JetStream's files; a restart with the same dir keeps the streams.
	StoreDir string `yaml:"store_dir"`
	// SyncAlways makes JetStream fsync each write before it acknowledges.
	SyncAlways bool `yaml:"sync_always"`
	// MaxPayload is the largest message the server accepts, in bytes; zero keeps
	// the server default (1 MiB).
	MaxPayload int32 `yaml:"-"`
	// ReadyTimeout bounds how long Start waits for the server; zero means
	// DefaultReadyTimeout.
	ReadyTimeout time.Duration `yaml:"-"`
}

const (
	// DefaultReadyTimeout is how long Start waits for the server when
	// Config.ReadyTimeout is zero.
	DefaultReadyTimeout = 10 * time.Second
	// DefaultListen and DefaultStoreDir are what SetDefaults gives a config
	// file that names neither: loopback only, and a store beside the process.
	DefaultListen   = "127.0.0.1:4222"
	DefaultStoreDir = "./data/jetstream"
)

// SetDefaults fills an empty Listen and StoreDir. Start does not call it: a
// caller that leaves them empty gets an error, not a server on a port it
// did not ask for.
func (cfg *Config) SetDefaults() {
	if cfg.Listen == "" {
		cfg.Listen = DefaultListen
	}
	if cfg.StoreDir == "" {
		cfg.StoreDir = DefaultStoreDir
	}
}

// Check reports every problem of the fields a config file sets, naming each
// by its path below f's root (f may be nil).
func (cfg Config) Check(f *config.Fields) error {
	var errs []error
	if err := config.CheckListen(f, "listen", cfg.Listen); err != nil {
		errs = append(errs, err)
	}
	if cfg.StoreDir == "" {
		errs = append(errs, fmt.Errorf("%s: required when nats.url is empty", f.Path("store_dir")))
	}
	return errors.Join(errs...)
}

var (
	// ErrStoreDir is matched (errors.Is) when StoreDir cannot be created or written, or
	// JetStream cannot start on it.
	ErrStoreDir = errors.New("store directory not usable")
	// ErrListen is matched when the server cannot listen on Listen.
	ErrListen = errors.New("cannot listen")
)

// Start starts an embedded nats-server with JetStream enabled and waits until
// it accepts connections. The caller owns the server: call Shutdown and then
// WaitForShutdown to stop it cleanly.
//
// A store directory that cannot be written fails before the server starts, and
// a failure of the server's own start-up (its listener, JetStream) is returned
// as soon as the server reports it, not after ReadyTimeout.
func Start(cfg Config, log *slog.Logger) (*server.Server, error) {
	opts, err := cfg.options()
	if err != nil {
		return nil, err
	}
	if err := checkStoreDir(cfg.StoreDir); err != nil {
		return nil, fmt.Errorf("embedded nats: %w: %w", ErrStoreDir, err)
	}
	ns, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("embedded nats: %w", err)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	l := &logger{l: log.With("component", "nats-server")}
	ns.SetLoggerV2(l, false, false, false)
	// Start returns once the client listener is up, or as soon as a step of
	// its start-up fails: it reports that with Fatalf and gives up, leaving
	// ReadyForConnections to wait in vain.
	ns.Start()
	if msg := l.fatal(); msg != "" {
		ns.Shutdown()
		ns.WaitForShutdown()
		cause := errors.New("nats-server: " + msg)
		switch {
		case strings.HasPrefix(msg, "Error listening"):
			return nil, fmt.Errorf("embedded nats: %w: %w", ErrListen, cause)
		case strings.Contains(msg, "JetStream"):
			return nil, fmt.Errorf("embedded nats: %w: %w", ErrStoreDir, cause)
		}
		return nil, fmt.Errorf("embedded nats: %w", cause)
	}
	wait := cfg.ReadyTimeout
	if wait == 0 {
		wait = DefaultReadyTimeout
	}
	if !ns.ReadyForConnections(wait) {
		ns.Shutdown()
		ns.WaitForShutdown()
		return nil, fmt.Errorf("embedded nats did not become ready within %s", wait)
	}
	return ns, nil
}

// options are the server options for cfg: Start uses them, and Recovery
// hands the same ones back to the server to restart its JetStream.
func (cfg Config) options() (*server.Options, error) {
	host, portStr, err := net.SplitHostPort(cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("embedded nats listen %q: %w", cfg.Listen, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return nil, fmt.Errorf("embedded nats listen %q: bad port", cfg.Listen)
	}
	if port == 0 {
		port = server.RANDOM_PORT
	}
	return &server.Options{
		ServerName: "hookbridge",
		Host:       host,
		Port:       port,
		JetStream:  true,
		StoreDir:   cfg.StoreDir,
		SyncAlways: cfg.SyncAlways,
		MaxPayload: cfg.MaxPayload,
		NoSigs:     true, // hookbridge handles signals and shuts the server down itself
	}, nil
}

// checkStoreDir creates dir and writes a file in it, so that a directory that
// cannot hold JetStream's files (permissions, a read-only file system, a file
// in the way) is reported with its cause before the server starts.
func checkStoreDir(dir string) error {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err // *fs.PathError: "mkdir PATH: reason"
	}
	f, err := os.CreateTemp(dir, ".write-check-*")
	if err != nil {
		return err
	}
	return errors.Join(f.Close(), os.Remove(f.Name()))
}

// logger adapts nats-server's logging to slog, and keeps the first fatal
// message, which nats-server logs instead of returning an error.
type logger struct {
	l         *slog.Logger
	mu        sync.Mutex
	fatalText string
}

var _ server.Logger = (*logger)(nil)

func (l *logger) fatal() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.fatalText
}

// Notices (the start-up banner among them) are debug lines: hookbridge logs
// what matters of them itself.
func (l *logger) Noticef(format string, v ...any) { l.l.Debug(fmt.Sprintf(format, v...)) }
func (l *logger) Warnf(format string, v ...any)   { l.l.Warn(fmt.Sprintf(format, v...)) }
func (l *logger) Fatalf(format string, v ...any) {
	msg := fmt.Sprintf(format, v...)
	l.mu.Lock()
	if l.fatalText == "" {
		l.fatalText = msg
	}
	l.mu.Unlock()
	l.l.Error(msg)
}
func (l *logger) Errorf(format string, v ...any) { l.l.Error(fmt.Sprintf(format, v...)) }
func (l *logger) Debugf(format string, v ...any) { l.l.Debug(fmt.Sprintf(format, v...)) }
func (l *logger) Tracef(format string, v ...any) { l.l.Debug(fmt.Sprintf(format, v...)) }
