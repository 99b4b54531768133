package bridge_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/hookbridge/hookbridge/bridge"
	"github.com/hookbridge/hookbridge/internal/natstest"
)

// TestReadyWhenTheStreamIsFull: a stream an operator limited, with the
// discard-new policy, refuses deliveries once full. Senders get 503, and
// /readyz says why with 503 instead of "ready"; once there is room again
// (messages purged, or the limit raised) /readyz is 200 and deliveries are
// stored.
func TestReadyWhenTheStreamIsFull(t *testing.T) {
	const retryAfter = time.Second
	// A remembered failure fades after twice the Retry-After; the rest is
	// headroom for a busy machine.
	const fade = 2*retryAfter + 10*time.Second

	for _, c := range []struct {
		name  string
		limit func(*jetstream.StreamConfig)
		// reason is what /readyz must name once the stream is full.
		reason string
		// room makes room again.
		room func(h *harness)
		// retryFirst: the refused delivery is retried before /readyz is
		// asked (a stored delivery clears the remembered failure); else
		// /readyz must turn 200 with no delivery at all.
		retryFirst bool
	}{
		{
			name:   "max_bytes, then purged",
			limit:  func(c *jetstream.StreamConfig) { c.MaxBytes = 16 << 10 },
			reason: "maximum bytes exceeded",
			room: func(h *harness) {
				if err := h.stream.Purge(context.Background()); err != nil {
					h.t.Fatal(err)
				}
			},
			retryFirst: true,
		},
		{
			name:   "max_msgs, then raised",
			limit:  func(c *jetstream.StreamConfig) { c.MaxMsgs = 5 },
			reason: "stream WEBHOOKS is full: 5 messages of max_msgs 5",
			room: func(h *harness) {
				cfg := h.stream.CachedInfo().Config
				cfg.MaxMsgs = 100
				if _, err := h.js.UpdateStream(context.Background(), cfg); err != nil {
					h.t.Fatal(err)
				}
			},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			failures := new(bridge.LastFailure)
			h := newHarness(t, func(cfg *bridge.Config) {
				cfg.Failures = failures
				cfg.RetryAfter = retryAfter
			})
			cfg := h.stream.CachedInfo().Config
			cfg.Discard = jetstream.DiscardNew
			c.limit(&cfg)
			var err error
			if h.stream, err = h.js.UpdateStream(context.Background(), cfg); err != nil {
				t.Fatal(err)
			}
			ready := bridge.Ready(bridge.Readiness{Conn: h.nc, JS: h.js, Streams: []string{"WEBHOOKS"}, Failures: failures})
			admin := httptest.NewServer(bridge.NewAdmin(ready, prometheus.NewRegistry()))
			defer admin.Close()
			if code, body := readyz(t, admin.URL); code != 200 {
				t.Fatalf("/readyz before the stream is full: %d %s", code, body)
			}

			var refused answer
			var body []byte
			var hdr http.Header
			stored := 0
			for i := range 1000 {
				body, hdr = h.delivery("shop", "", fmt.Sprintf("fill-%d", i))
				refused = h.post(http.MethodPost, "shop", body, hdr)
				if refused.code != 200 {
					break
				}
				stored++
			}
			if refused.code != http.StatusServiceUnavailable || refused.header.Get("Retry-After") == "" {
				t.Fatalf("the delivery that does not fit: %d %s, want 503 with Retry-After", refused.code, refused.raw)
			}
			if stored == 0 {
				t.Fatal("no delivery was stored before the stream was full")
			}
			err = ready(context.Background())
			if !errors.Is(err, bridge.ErrCannotStore) || !strings.Contains(err.Error(), c.reason) {
				t.Fatalf("ready() = %v, want ErrCannotStore naming %q", err, c.reason)
			}
			if code, body := readyz(t, admin.URL); code != 503 || !strings.Contains(body, c.reason) {
				t.Fatalf("/readyz of a full stream: %d %s, want 503 naming %q", code, body, c.reason)
			}

			c.room(h)
			if c.retryFirst {
				if a := h.post(http.MethodPost, "shop", body, hdr); a.code != 200 || a.body["duplicate"] == true {
					t.Fatalf("the refused delivery, retried once there is room: %d %s, want it stored", a.code, a.raw)
				}
				if err := ready(context.Background()); err != nil {
					t.Fatalf("not ready right after a delivery was stored: %v", err)
				}
			}
			natstest.Eventually(t, fade, "/readyz 200 once there is room", func() bool {
				code, _ := readyz(t, admin.URL)
				return code == 200
			})
			if !c.retryFirst {
				if a := h.post(http.MethodPost, "shop", body, hdr); a.code != 200 || a.body["duplicate"] == true {
					t.Fatalf("the refused delivery, retried once there is room: %d %s, want it stored", a.code, a.raw)
				}
			}
		})
	}
}

// TestLastFailure: a failure is remembered until a delivery is stored, or
// until it fades after twice the Retry-After.
func TestLastFailure(t *testing.T) {
	var nilMemory *bridge.LastFailure
	if err := nilMemory.Err(); err != nil {
		t.Fatalf("a nil LastFailure reported %v", err)
	}
	if at, err := nilMemory.Latest(); !at.IsZero() || err != nil {
		t.Fatalf("a nil LastFailure's latest is %v at %v", err, at)
	}
	failures := new(bridge.LastFailure)
	if at, err := failures.Latest(); !at.IsZero() || err != nil {
		t.Fatalf("an empty LastFailure's latest is %v at %v", err, at)
	}
	h := newHarness(t, func(cfg *bridge.Config) {
		cfg.Failures = failures
		cfg.RetryAfter = time.Second
		// The broker is stopped on purpose: its 503s need not wait long.
		// The deliveries expected to succeed are retried until stored.
		cfg.PublishTimeout = 500 * time.Millisecond
	})
	body, hdr := h.delivery("shop", "", "remembered")
	h.ns.Stop()
	if a := h.post(http.MethodPost, "shop", body, hdr); a.code != http.StatusServiceUnavailable {
		t.Fatalf("broker down: %d %s", a.code, a.raw)
	}
	err := failures.Err()
	if !errors.Is(err, bridge.ErrUnavailable) {
		t.Fatalf("remembered %v, want the failed publish", err)
	}
	natstest.Eventually(t, natstest.Patience, "the failure to fade", func() bool {
		return failures.Err() == nil
	})

	if a := h.post(http.MethodPost, "shop", body, hdr); a.code != http.StatusServiceUnavailable {
		t.Fatalf("broker still down: %d %s", a.code, a.raw)
	}
	if failures.Err() == nil {
		t.Fatal("a second failure was not remembered")
	}
	h.ns.Restart(t)
	natstest.Eventually(t, natstest.Patience, "a delivery stored after the restart", func() bool {
		return h.post(http.MethodPost, "shop", body, hdr).code == 200
	})
	if err := failures.Err(); err != nil {
		t.Fatalf("still remembered after a delivery was stored: %v", err)
	}
	// What readiness forgot, the record of the incident keeps.
	at, err := failures.Latest()
	if !errors.Is(err, bridge.ErrUnavailable) || at.IsZero() || time.Since(at) < 0 {
		t.Fatalf("latest failure after a stored delivery: %v at %v, want the failed publish", err, at)
	}
}

func readyz(t *testing.T, base string) (int, string) {
	t.Helper()
	resp, err := http.Get(base + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestReadyOnceTheBrokerAnswersAgain: a failed publish the broker never
// answered (here: it was down) keeps /readyz at 503 only until the broker
// answers again, with no delivery stored meanwhile. A load balancer takes
// an unready bridge out of rotation, so no delivery would come to clear it;
// every bridge that saw a leader fail over would stay out until the memory
// fades. A refusal the broker did answer is still remembered
// (TestReadyWhenTheStreamIsFull).
func TestReadyOnceTheBrokerAnswersAgain(t *testing.T) {
	failures := new(bridge.LastFailure)
	h := newHarness(t, func(cfg *bridge.Config) {
		cfg.Failures = failures
		// Long enough that fading is not what makes it ready again.
		cfg.RetryAfter = time.Hour
		cfg.PublishTimeout = 500 * time.Millisecond
	})
	ready := bridge.Ready(bridge.Readiness{Conn: h.nc, JS: h.js, Streams: []string{"WEBHOOKS"}, Failures: failures})
	body, hdr := h.delivery("shop", "", "while-down")
	h.ns.Stop()
	if a := h.post(http.MethodPost, "shop", body, hdr); a.code != http.StatusServiceUnavailable {
		t.Fatalf("broker down: %d %s", a.code, a.raw)
	}
	if err := ready(context.Background()); err == nil {
		t.Fatal("ready with the broker down")
	}
	h.ns.Restart(t)
	natstest.Eventually(t, natstest.Patience, "ready once the broker answers, with no delivery stored", func() bool {
		return ready(context.Background()) == nil
	})
	// Still remembered: no delivery was stored through the bridge to clear
	// it (the refused publish itself may be stored by the client's
	// reconnect buffer; the platform's retry is then a duplicate).
	if failures.Err() == nil {
		t.Error("the failure itself was forgotten; only readiness may look past it")
	}
}

// TestReadyNeedsAStream: a readiness given no stream is never ready, rather
// than ready without having checked that anything can be stored.
func TestReadyNeedsAStream(t *testing.T) {
	h := newHarness(t)
	if err := bridge.Ready(bridge.Readiness{Conn: h.nc, JS: h.js})(context.Background()); err == nil {
		t.Fatal("ready with no stream to check")
	}
	if err := bridge.Ready(bridge.Readiness{Conn: h.nc, JS: h.js, Streams: []string{"WEBHOOKS"}})(context.Background()); err != nil {
		t.Fatalf("with its stream: %v", err)
	}
}
