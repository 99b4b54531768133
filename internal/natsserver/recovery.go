package natsserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// StoreError says why the embedded server's JetStream cannot store right
// now, in the server's words, or returns nil. It recognises the three states
// a storage failure leaves the server in, none of which ends by itself:
//
//   - a stream hit a write error (a full disk: "no space left on device"):
//     the server keeps the error and refuses every later write to that
//     stream, without answering the publisher, until JetStream restarts;
//   - JetStream is disabled: the server turns it off after a write it is
//     not permitted to make;
//   - JetStream's storage limit is reached: the embedded server sizes it
//     from the free disk space when JetStream starts, so after a start on a
//     full disk it stays too small once space is freed, and every publish is
//     refused with "insufficient resources".
//
// It costs a few in-memory lookups and two directory reads.
func StoreError(ns *server.Server) error {
	if !ns.JetStreamEnabled() {
		return errors.New("embedded JetStream is disabled")
	}
	// Without an account or stream, healthz checks every stream for a write
	// error or a failed recovery; 503 is its answer to those.
	if h := ns.Healthz(&server.HealthzOptions{}); h.StatusCode == http.StatusServiceUnavailable {
		return errors.New(h.Error)
	}
	jsz, err := ns.Jsz(&server.JSzOptions{})
	if err != nil {
		return fmt.Errorf("embedded JetStream: %w", err)
	}
	if limit := jsz.Config.MaxStore; limit > 0 && jsz.Store >= uint64(limit) {
		return limitError{stored: jsz.Store, limit: uint64(limit)}
	}
	return nil
}

// limitError is StoreError's report of a reached storage limit.
type limitError struct{ stored, limit uint64 }

func (e limitError) Error() string {
	return fmt.Sprintf("embedded JetStream storage limit reached: %d bytes stored, limit %d (sized from the free disk space when JetStream started)", e.stored, e.limit)
}

// limitWouldRise reports whether restarting JetStream would lift a reached
// storage limit by at least one message: nats-server 2.15 sets the limit at
// start to three quarters of the free space plus three quarters of what it
// has stored. A store three times the size of the free space stays at its
// limit however often it restarts, so restarting it would only interrupt
// the streams (readiness reports the limit meanwhile).
func limitWouldRise(stored, free, message uint64) bool {
	return free/4*3+stored/4*3 >= stored+message
}

// Recovery restarts the embedded server's JetStream after a storage failure
// (see StoreError) once the store dir can be written again, so that a full
// disk needs no manual step once space is freed. A restart stops every
// stream (flushing what is buffered; what was acknowledged is already in the
// stream's files) and recovers them from the store dir, recomputing the
// storage limit from the disk space then free. Publishes during the restart
// find no stream and fail, as they would during a server restart.
type Recovery struct {
	Server *server.Server
	// Config is what Server was started with.
	Config Config
	// Log hears each restart and why; nil discards.
	Log *slog.Logger
	// Every is how often the server's storage is checked; zero means 1s.
	Every time.Duration
}

// maxBackoff bounds the wait between restarts that did not end the failure.
const maxBackoff = time.Minute

// Run checks the server's storage every r.Every until ctx ends. On a
// failure seen at two checks in a row it writes a probe the size of the
// largest message into the store dir, and restarts JetStream only if that
// succeeds. A restart that leaves the failure in place (the limit
// recomputed from a disk that is still nearly full) doubles the wait
// before the next one, up to a minute.
func (r Recovery) Run(ctx context.Context) {
	log := r.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	every := r.Every
	if every <= 0 {
		every = time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	var seen, reported bool // a failure, at the last check; and logged
	var next time.Time      // no restart before this
	backoff := every
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		err := StoreError(r.Server)
		if err == nil {
			if reported {
				log.Info("embedded JetStream stores again")
			}
			seen, reported, backoff = false, false, every
			continue
		}
		// A failure must last two checks: a stream that is being created
		// is briefly on disk but not yet loaded, which healthz reports.
		if !seen {
			seen = true
			continue
		}
		if !reported {
			log.Error("embedded JetStream cannot store; it will be restarted once the store dir can be written", "error", err)
			reported = true
		}
		if time.Now().Before(next) {
			continue
		}
		if perr := probe(r.Config); perr != nil {
			log.Debug("store dir not writable yet", "error", perr)
			continue
		}
		var lim limitError
		if errors.As(err, &lim) {
			free, ok := diskFree(r.Config.StoreDir)
			if ok && !limitWouldRise(lim.stored, free, uint64(probeSize(r.Config))) {
				log.Debug("a restart would not lift the storage limit yet", "stored", lim.stored, "free", free)
				continue
			}
		}
		log.Warn("restarting embedded JetStream", "after", err)
		if rerr := r.restart(); rerr != nil {
			log.Error("restarting embedded JetStream failed", "error", rerr)
		}
		next = time.Now().Add(backoff)
		backoff = min(2*backoff, maxBackoff)
	}
}

// restart stops JetStream and starts it again the way the server's own
// configuration reload does, which also tells clients and the system
// account that JetStream is back.
func (r Recovery) restart() error {
	opts, err := r.Config.options()
	if err != nil {
		return err
	}
	if err := r.Server.ShutdownJetStream(); err != nil {
		return err
	}
	return r.Server.ReloadOptions(opts)
}

// probeSize is the largest message the server takes, at least 1 MiB.
func probeSize(cfg Config) int { return max(int(cfg.MaxPayload), 1<<20) }

// probe writes and removes a file the size of the largest message (at
// least 1 MiB) in the store dir, synced, so that a disk with less room than
// one delivery does not count as writable.
func probe(cfg Config) (err error) {
	size := probeSize(cfg)
	path := filepath.Join(cfg.StoreDir, ".hookbridge-space-probe")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, os.Remove(path)) }()
	_, err = f.Write(make([]byte, size))
	if err == nil {
		err = f.Sync()
	}
	return errors.Join(err, f.Close())
}
