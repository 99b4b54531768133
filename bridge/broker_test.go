package bridge_test

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookbridge/hookbridge/bridge"
	"github.com/hookbridge/hookbridge/internal/natstest"
)

// TestBrokerGoesAway: while the broker is down every delivery, of every
// provider, is a 503 with Retry-After, answered within the publish timeout;
// once it is back the platform's retry of the same delivery is stored
// exactly once.
func TestBrokerGoesAway(t *testing.T) {
	const publishTimeout = 500 * time.Millisecond
	h := newHarness(t, withPublishTimeout(publishTimeout))
	first, firstHdr := h.delivery("shop", "", "before-outage")
	h.postUntilOK("shop", first, firstHdr)
	type pending struct {
		source string
		body   []byte
		hdr    http.Header
	}
	var during []pending
	for _, src := range testSources() {
		body, hdr := h.delivery(src.name, "", "outage-"+src.name)
		during = append(during, pending{src.name, body, hdr})
	}

	h.ns.Stop()
	for _, d := range during {
		start := time.Now()
		a := h.post(http.MethodPost, d.source, d.body, d.hdr)
		took := time.Since(start)
		if a.code != http.StatusServiceUnavailable {
			t.Fatalf("%s, broker down: status %d (%s), want 503", d.source, a.code, a.raw)
		}
		if ra, err := strconv.Atoi(a.header.Get("Retry-After")); err != nil || ra <= 0 {
			t.Errorf("Retry-After = %q, want a positive number of seconds", a.header.Get("Retry-After"))
		}
		// The answer comes when the publish timeout runs out; a busy
		// machine may add seconds to that, a hang would add for ever.
		if took > natstest.Within(publishTimeout) {
			t.Errorf("%s: 503 took %s with a publish timeout of %s", d.source, took, publishTimeout)
		}
	}

	h.ns.Restart(t)
	ready := bridge.Ready(bridge.Readiness{Conn: h.nc, JS: h.js, Streams: []string{"WEBHOOKS"}})
	natstest.Eventually(t, natstest.Patience, "connected and the stream back", func() bool {
		return ready(context.Background()) == nil
	})
	for _, d := range during {
		h.postUntilOK(d.source, d.body, d.hdr)
		// The platform retries again (it may not have seen our 200).
		if b := h.postUntilOK(d.source, d.body, d.hdr); b.body["duplicate"] != true {
			t.Errorf("%s, second retry: %d %s, want a 200 duplicate", d.source, b.code, b.raw)
		}
	}
	if n, want := h.stored(), uint64(1+len(during)); n != want {
		t.Errorf("%d messages stored after the outage, want %d (one before, one per delivery during)", n, want)
	}
}

// postUntilOK posts a delivery until it is answered 200, as a platform
// retries a 503: with a short publish timeout a loaded machine can miss
// the PubAck of a healthy broker. Other answers fail the test.
func (h *harness) postUntilOK(source string, body []byte, hdr http.Header) answer {
	h.t.Helper()
	var a answer
	natstest.Eventually(h.t, natstest.Patience, source+": a 200", func() bool {
		a = h.post(http.MethodPost, source, body, hdr)
		if a.code != http.StatusOK && a.code != http.StatusServiceUnavailable {
			h.t.Fatalf("%s: %d %s, want 200 (or 503 and a retry)", source, a.code, a.raw)
		}
		return a.code == http.StatusOK
	})
	return a
}

func TestReady(t *testing.T) {
	ns := natstest.Start(t)
	nc, js := ns.Connect(t)
	ready := bridge.Ready(bridge.Readiness{Conn: nc, JS: js, Streams: []string{"WEBHOOKS"}})
	ctx := context.Background()
	if err := ready(ctx); err == nil {
		t.Fatal("ready before the stream exists")
	}
	if _, err := bridge.EnsureStream(ctx, js, bridge.StreamConfig{Name: "WEBHOOKS", SubjectPrefix: "webhooks", Replicas: 1, Duplicates: time.Hour}); err != nil {
		t.Fatal(err)
	}
	if err := ready(ctx); err != nil {
		t.Fatalf("not ready with the stream in place: %v", err)
	}
	ns.Stop()
	natstest.Eventually(t, natstest.Patience, "not ready once the server is gone", func() bool {
		return ready(ctx) != nil
	})
}

func TestEnsureStream(t *testing.T) {
	ctx := context.Background()
	want := bridge.StreamConfig{Name: "WEBHOOKS", SubjectPrefix: "webhooks", Replicas: 1, Duplicates: 24 * time.Hour}

	t.Run("created, then idempotent", func(t *testing.T) {
		_, js := natstest.Start(t).Connect(t)
		for range 2 {
			s, err := bridge.EnsureStream(ctx, js, want)
			if err != nil {
				t.Fatal(err)
			}
			c := s.CachedInfo().Config
			if c.Storage != jetstream.FileStorage || c.Duplicates != 24*time.Hour || len(c.Subjects) != 1 || c.Subjects[0] != "webhooks.>" {
				t.Fatalf("stream config %+v", c)
			}
		}
	})

	t.Run("existing stream updated, operator settings kept", func(t *testing.T) {
		_, js := natstest.Start(t).Connect(t)
		if _, err := js.CreateStream(ctx, jetstream.StreamConfig{
			Name: "WEBHOOKS", Subjects: []string{"other.>"}, Storage: jetstream.FileStorage,
			MaxAge: 30 * 24 * time.Hour, Duplicates: time.Minute,
		}); err != nil {
			t.Fatal(err)
		}
		s, err := bridge.EnsureStream(ctx, js, want)
		if err != nil {
			t.Fatal(err)
		}
		c := s.CachedInfo().Config
		if c.MaxAge != 30*24*time.Hour || c.Duplicates != 24*time.Hour || len(c.Subjects) != 2 {
			t.Fatalf("stream config after update %+v", c)
		}
	})

	t.Run("memory storage is a clear error", func(t *testing.T) {
		_, js := natstest.Start(t).Connect(t)
		if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "WEBHOOKS", Subjects: []string{"webhooks.>"}, Storage: jetstream.MemoryStorage}); err != nil {
			t.Fatal(err)
		}
		_, err := bridge.EnsureStream(ctx, js, want)
		if err == nil {
			t.Fatal("no error for a memory stream")
		}
		t.Log(err)
	})

	t.Run("update refused by the server is an error", func(t *testing.T) {
		_, js := natstest.Start(t).Connect(t)
		// A duplicate window longer than MaxAge is invalid.
		if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "WEBHOOKS", Subjects: []string{"webhooks.>"}, Storage: jetstream.FileStorage, MaxAge: time.Hour, Duplicates: time.Minute}); err != nil {
			t.Fatal(err)
		}
		_, err := bridge.EnsureStream(ctx, js, want)
		var apiErr *jetstream.APIError
		if !errors.As(err, &apiErr) {
			t.Fatalf("err = %v, want the server's refusal", err)
		}
	})
}

// TestSetUpStreamWaitsForTheBroker: start-up against a server that is not
// up yet waits for it; an incompatible stream fails at once.
func TestSetUpStreamWaitsForTheBroker(t *testing.T) {
	addr := natstest.FreeAddr(t)
	nc, err := nats.Connect("nats://"+addr, nats.RetryOnFailedConnect(true), nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	cfg := bridge.StreamConfig{Name: "WEBHOOKS", SubjectPrefix: "webhooks", Replicas: 1, Duplicates: time.Hour}

	// Each attempt is bounded; an attempt that a loaded machine makes miss
	// its bound is retried, so only the context bounds the whole.
	const attempt = 2 * time.Second
	ctx, cancel := context.WithTimeout(context.Background(), natstest.Within(attempt))
	defer cancel()
	retried := make(chan error, 100)
	done := make(chan error, 1)
	go func() {
		_, err := bridge.SetUpStreams(ctx, js, []bridge.WebhookStream{{StreamConfig: cfg}}, attempt, func(err error) { retried <- err })
		done <- err
	}()
	select {
	case <-retried: // it is waiting, not failing
	case err := <-done:
		t.Fatalf("SetUpStreams returned before the server existed: %v", err)
	}
	natstest.StartAt(t, addr, t.TempDir())
	if err := <-done; err != nil {
		t.Fatalf("SetUpStreams after the server came up: %v", err)
	}

	// A stream that cannot serve is not waited for.
	if err := js.DeleteStream(ctx, "WEBHOOKS"); err != nil {
		t.Fatal(err)
	}
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "WEBHOOKS", Subjects: []string{"webhooks.>"}, Storage: jetstream.MemoryStorage}); err != nil {
		t.Fatal(err)
	}
	// Waiting would end only with the context: the error must come while
	// the context has time left, and name the problem.
	setupCtx, cancelSetup := context.WithTimeout(context.Background(), natstest.Within(attempt))
	defer cancelSetup()
	_, err = bridge.SetUpStreams(setupCtx, js, []bridge.WebhookStream{{StreamConfig: cfg}}, attempt, nil)
	if err == nil {
		t.Fatal("SetUpStreams accepted a memory stream")
	}
	if setupCtx.Err() != nil {
		t.Errorf("an incompatible stream was waited for until the deadline: %v", err)
	}
	if !strings.Contains(err.Error(), "file storage") {
		t.Errorf("err = %v, want it to say the stream needs file storage", err)
	}
}
