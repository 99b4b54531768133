// Package natsserver runs the embedded JetStream server that hookbridge uses
// when no external NATS URL is configured.
package natsserver

import (
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Config describes the embedded server.
type Config struct {
	// Listen is the client address ("127.0.0.1:4222"); port 0 picks a free one.
	Listen string
	// StoreDir holds JetStream's files; a restart with the same dir keeps the streams.
	StoreDir string
	// SyncAlways makes JetStream fsync each write before it acknowledges.
	SyncAlways bool
	// MaxPayload is the largest message the server accepts, in bytes; zero keeps
	// the server default (1 MiB).
	MaxPayload int32
	// ReadyTimeout bounds how long Start waits for the server; zero means 10s.
	ReadyTimeout time.Duration
}

// Start starts an embedded nats-server with JetStream enabled and waits until
// it accepts connections. The caller owns the server: call Shutdown and then
// WaitForShutdown to stop it cleanly.
func Start(cfg Config, log *slog.Logger) (*server.Server, error) {
	opts, err := cfg.options()
	if err != nil {
		return nil, err
	}
	ns, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("embedded nats: %w", err)
	}
	if log != nil {
		ns.SetLoggerV2(logger{log.With("component", "nats-server")}, false, false, false)
	}
	ns.Start()
	wait := cfg.ReadyTimeout
	if wait == 0 {
		wait = 10 * time.Second
	}
	if !ns.ReadyForConnections(wait) {
		ns.Shutdown()
		ns.WaitForShutdown()
		return nil, fmt.Errorf("embedded nats did not become ready within %s (is %s already in use?)", wait, cfg.Listen)
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

// logger adapts nats-server's logging to slog.
type logger struct{ l *slog.Logger }

var _ server.Logger = logger{}

// Notices (the start-up banner among them) are debug lines: hookbridge logs
// what matters of them itself.
func (l logger) Noticef(format string, v ...any) { l.l.Debug(fmt.Sprintf(format, v...)) }
func (l logger) Warnf(format string, v ...any)   { l.l.Warn(fmt.Sprintf(format, v...)) }
func (l logger) Fatalf(format string, v ...any)  { l.l.Error(fmt.Sprintf(format, v...)) }
func (l logger) Errorf(format string, v ...any)  { l.l.Error(fmt.Sprintf(format, v...)) }
func (l logger) Debugf(format string, v ...any)  { l.l.Debug(fmt.Sprintf(format, v...)) }
func (l logger) Tracef(format string, v ...any)  { l.l.Debug(fmt.Sprintf(format, v...)) }
