package integration

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/hookbridge/hookbridge/internal/natstest"
)

// TestBrokerOutage: a platform sends 200 deliveries, retrying every answer
// that is not 2xx, while the single broker goes away and comes back. While it
// is down the bridge answers 503 with Retry-After within publish_timeout (it
// never says 200) and /readyz is 503. Afterwards /readyz is 200 again, every
// delivery got its 200, and the stream holds every delivery exactly once.
func TestBrokerOutage(t *testing.T) {
	RequireDocker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	const (
		publishTimeout = time.Second
		// HTTP, docker-proxy and a busy 2-core machine: a loaded run took
		// 1.45 s for a 503. Less than the client's own 5 s request default,
		// so a publish that ignored publish_timeout would still fail here.
		slack = 3 * time.Second
	)

	nw := NewNetwork(ctx, t)
	broker := StartNATS(ctx, t, nw, "nats")
	bridge := StartBridge(ctx, t, nw, BridgeConfig{NATSURL: broker.InternalURL, PublishTimeout: publishTimeout})
	platform := NewPlatform(t, bridge)

	done := make(chan []Result, 1)
	go func() { done <- platform.Run(ctx, deliveryIDs("outage", 200), 25*time.Millisecond) }()

	natstest.Eventually(t, time.Minute, "50 deliveries stored before the outage", func() bool {
		return platform.Delivered() >= 50
	})
	broker.Stop(ctx, t, 5*time.Second)
	down := time.Now()
	t.Logf("broker stopped after %d deliveries were stored", platform.Delivered())
	natstest.Eventually(t, 10*time.Second, "/readyz 503 while the broker is down", func() bool {
		return bridge.Ready() == http.StatusServiceUnavailable
	})

	// Deliveries sent while the broker is down are refused in time, with a
	// hint to retry.
	var probes []Delivery
	for i := range 3 {
		d, err := platform.NewDelivery(fmt.Sprintf("outage-probe-%d", i))
		if err != nil {
			t.Fatal(err)
		}
		probes = append(probes, d)
		a := platform.Try(ctx, d)
		if a.Status != http.StatusServiceUnavailable || a.RetryAfter == "" {
			t.Errorf("while the broker is down: %v, Retry-After %q; want 503 with Retry-After", a, a.RetryAfter)
		}
		if a.Took() > publishTimeout+slack {
			t.Errorf("while the broker is down the answer took %s, want at most publish_timeout %s + %s", a.Took(), publishTimeout, slack)
		}
	}
	// Stay down while new deliveries and retries pile up.
	failedAtStop := platform.Failed()
	natstest.Eventually(t, time.Minute, "3s of outage and 100 refused attempts", func() bool {
		return time.Since(down) > 3*time.Second && platform.Failed()-failedAtStop >= 100
	})
	if code := bridge.Ready(); code != http.StatusServiceUnavailable {
		t.Errorf("/readyz %d while the broker is down, want 503", code)
	}

	up := time.Now()
	broker.Start(ctx, t)
	healthy := time.Now()
	t.Logf("broker started again after %s down; healthy %s later", up.Sub(down).Round(time.Millisecond), healthy.Sub(up).Round(time.Millisecond))
	natstest.Eventually(t, 30*time.Second, "/readyz 200 once the broker is back", func() bool {
		return bridge.Ready() == http.StatusOK
	})

	var results []Result
	select {
	case results = <-done:
	case <-ctx.Done():
		t.Fatal("the platform did not finish")
	}
	for _, d := range probes { // the probes are deliveries too; the platform retries them now
		results = append(results, platform.Deliver(ctx, d))
	}

	refused, slowest := 0, time.Duration(0)
	for _, a := range platform.Attempts() {
		if a.Start.Before(down) || a.End.After(up) {
			continue
		}
		refused++
		slowest = max(slowest, a.Took())
		if a.Status != http.StatusServiceUnavailable {
			t.Errorf("while the broker was down: %v, want 503", a)
		}
		if a.Took() > publishTimeout+slack {
			t.Errorf("while the broker was down: %v; want an answer within %s", a, publishTimeout+slack)
		}
	}
	if refused == 0 {
		t.Error("no attempt fell entirely inside the outage")
	}

	_, js := Connect(t, broker)
	tally := CheckDelivered(t, ReadStream(ctx, t, js, Stream), results)
	t.Logf("%s", tally)
	if tally.Duplicates > 0 {
		// README: a 503 may still be stored. Here the bridge's NATS client kept
		// the refused publishes in its reconnect buffer and sent them once the
		// broker was back, so the platform's retries were answered as duplicates.
		t.Logf("%d retries were answered as duplicates: refused while the broker was down, stored when it came back", tally.Duplicates)
	}
	t.Logf("%d attempts fell entirely inside the outage: all 503, the slowest answered in %s (limit %s)",
		refused, slowest.Round(time.Millisecond), publishTimeout+slack)
	attempts := platform.Attempts()
	if o, ok := LongestOutage(attempts); ok {
		t.Logf("longest window without a 200: %s (%d refused answers in it), from %+.3fs to %+.3fs relative to the stop",
			o.Length().Round(time.Millisecond), o.Failures, o.From.Sub(down).Seconds(), o.To.Sub(down).Seconds())
	}
	if first, ok := FirstOKSentAfter(attempts, healthy); ok {
		t.Logf("first 200 for a POST sent after the broker was healthy again: %s after that", first.Sub(healthy).Round(time.Millisecond))
	}
}
