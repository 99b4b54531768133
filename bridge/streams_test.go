package bridge_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookbridge/hookbridge/bridge"
	"github.com/hookbridge/hookbridge/bridge/provider"
	"github.com/hookbridge/hookbridge/internal/natstest"
	"github.com/hookbridge/hookbridge/internal/sample"
)

// webhookStream is a stream of the default settings named name, capturing sources (nil: all).
func webhookStream(name string, sources ...string) bridge.WebhookStream {
	return bridge.WebhookStream{
		StreamConfig: bridge.StreamConfig{Name: name, SubjectPrefix: "webhooks", Replicas: 1, Duplicates: 24 * time.Hour},
		Sources:      sources,
	}
}

// spread is a bridge whose sources us and eu (both Shopify) are on WEBHOOKS and WEBHOOKS_EU.
type spread struct {
	t         *testing.T
	ns        *natstest.Server
	js        jetstream.JetStream
	srv       *httptest.Server
	providers map[string]*provider.Provider
	ready     bridge.ReadyFunc
}

// newSpread sets up streams (EnsureStreams, as the bridge's start-up does) and serves a bridge
// whose source eu names euStream and us names none.
func newSpread(t *testing.T, ns *natstest.Server, euStream string, streams ...bridge.WebhookStream) *spread {
	t.Helper()
	nc, js := ns.Connect(t)
	ctx, cancel := context.WithTimeout(context.Background(), natstest.Patience)
	defer cancel()
	if _, err := bridge.EnsureStreams(ctx, js, streams); err != nil {
		t.Fatalf("EnsureStreams: %v", err)
	}
	s := &spread{t: t, ns: ns, js: js, providers: map[string]*provider.Provider{}}
	var sources []bridge.Source
	for _, src := range []struct{ name, stream string }{{"us", ""}, {"eu", euStream}} {
		p, err := provider.New(provider.Config{Kind: "shopify", Secrets: []string{src.name + "-secret"}, Now: func() time.Time { return testNow }})
		if err != nil {
			t.Fatal(err)
		}
		s.providers[src.name] = p
		sources = append(sources, bridge.Source{Name: src.name, Provider: p, Stream: src.stream})
	}
	h, err := bridge.NewServer(bridge.Config{Stream: "WEBHOOKS", PublishTimeout: natstest.Patience, Now: func() time.Time { return testNow }}, sources, js, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.srv = httptest.NewServer(h)
	t.Cleanup(s.srv.Close)
	var names []string
	for _, st := range streams {
		names = append(names, st.Name)
	}
	s.ready = bridge.Ready(bridge.Readiness{Conn: nc, JS: js, Streams: names})
	return s
}

// post sends the delivery id of source, signed, and returns the answer.
func (s *spread) post(source, id string) answer {
	s.t.Helper()
	body, hdr, err := sample.Delivery("shopify", sample.Locators{}, "orders/create", id, testNow)
	if err != nil {
		s.t.Fatal(err)
	}
	if err := s.providers[source].Sign(body, hdr, testNow); err != nil {
		s.t.Fatal(err)
	}
	h := &harness{t: s.t, srv: s.srv}
	return h.post(http.MethodPost, source, body, hdr)
}

// subjectsIn is the subject of each message of stream, in order.
func subjectsIn(t *testing.T, js jetstream.JetStream, stream string) []string {
	t.Helper()
	ctx := context.Background()
	st, err := js.Stream(ctx, stream)
	if err != nil {
		t.Fatalf("stream %s: %v", stream, err)
	}
	info := st.CachedInfo().State
	var out []string
	for seq := info.FirstSeq; info.Msgs > 0 && seq <= info.LastSeq; seq++ {
		m, err := st.GetMsg(ctx, seq)
		if err != nil {
			t.Fatalf("stream %s message %d: %v", stream, seq, err)
		}
		out = append(out, m.Subject)
	}
	return out
}

// TestSourcesSpreadOverStreams: each source's deliveries land in its own stream and not the
// other's; the 200 says so only after that stream's PubAck; a platform retry is a duplicate
// within its stream; readiness covers both streams.
func TestSourcesSpreadOverStreams(t *testing.T) {
	s := newSpread(t, natstest.Start(t), "WEBHOOKS_EU", webhookStream("WEBHOOKS", "us"), webhookStream("WEBHOOKS_EU", "eu"))
	ctx := context.Background()
	for name, want := range map[string][]string{"WEBHOOKS": {"webhooks.*.us.>"}, "WEBHOOKS_EU": {"webhooks.*.eu.>"}} {
		st, err := s.js.Stream(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		if got := st.CachedInfo().Config.Subjects; !slices.Equal(got, want) {
			t.Errorf("%s captures %v, want %v", name, got, want)
		}
	}
	if err := s.ready(ctx); err != nil {
		t.Fatalf("not ready with both streams in place: %v", err)
	}

	// The same platform id at both sources: two deliveries, one per stream.
	for _, src := range []string{"us", "eu"} {
		if a := s.post(src, "order-1"); a.code != http.StatusOK || a.body["status"] != "published" {
			t.Fatalf("%s: %d %s, want 200 published", src, a.code, a.raw)
		}
	}
	if got, want := subjectsIn(t, s.js, "WEBHOOKS"), []string{"webhooks.shopify.us.orders.create"}; !slices.Equal(got, want) {
		t.Errorf("WEBHOOKS holds %v, want %v", got, want)
	}
	if got, want := subjectsIn(t, s.js, "WEBHOOKS_EU"), []string{"webhooks.shopify.eu.orders.create"}; !slices.Equal(got, want) {
		t.Errorf("WEBHOOKS_EU holds %v, want %v", got, want)
	}

	// Platform retries: duplicates, each in its own stream's window, with its first sequence.
	for _, src := range []string{"us", "eu"} {
		a := s.post(src, "order-1")
		if a.code != http.StatusOK || a.body["duplicate"] != true || a.body["seq"] != float64(1) {
			t.Errorf("%s retry: %d %s, want 200 duplicate of seq 1", src, a.code, a.raw)
		}
	}
	if n := len(subjectsIn(t, s.js, "WEBHOOKS")) + len(subjectsIn(t, s.js, "WEBHOOKS_EU")); n != 2 {
		t.Errorf("%d messages stored after the retries, want 2", n)
	}

	// Readiness names a missing stream, whichever it is.
	if err := s.js.DeleteStream(ctx, "WEBHOOKS_EU"); err != nil {
		t.Fatal(err)
	}
	if err := s.ready(ctx); err == nil || !strings.Contains(err.Error(), "WEBHOOKS_EU") {
		t.Errorf("ready = %v with WEBHOOKS_EU gone, want an error naming it", err)
	}
	// With its stream gone nothing captures eu's subjects: 503, never 200.
	if a := s.post("eu", "order-2"); a.code != http.StatusServiceUnavailable {
		t.Errorf("eu without its stream: %d %s, want 503", a.code, a.raw)
	}
}

// TestStoredInTheWrongStream: a source whose subjects another stream captures is refused 503,
// as a one-stream bridge refuses a foreign stream's PubAck: consumers would not find it.
func TestStoredInTheWrongStream(t *testing.T) {
	// WEBHOOKS captures everything; eu's stream was never set up.
	s := newSpread(t, natstest.Start(t), "WEBHOOKS_EU", webhookStream("WEBHOOKS"))
	a := s.post("eu", "order-1")
	if a.code != http.StatusServiceUnavailable {
		t.Errorf("eu stored in WEBHOOKS: %d %s, want 503", a.code, a.raw)
	}
}

// TestMoveSourceToItsOwnStream is a restart with a source moved from the default stream to a
// stream of its own: WEBHOOKS gives up webhooks.> for the sources that stay (an operator's own
// subject kept), the new stream captures the moved one. What WEBHOOKS stored stays there; a
// platform retry of a delivery stored before the move is stored again in the new stream (the
// duplicate window is per stream).
func TestMoveSourceToItsOwnStream(t *testing.T) {
	ns := natstest.Start(t)
	ctx := context.Background()
	_, js := ns.Connect(t)
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "WEBHOOKS", Subjects: []string{"webhooks.>", "legacy.>"}, Storage: jetstream.FileStorage}); err != nil {
		t.Fatal(err)
	}
	before := newSpread(t, ns, "", webhookStream("WEBHOOKS"))
	for _, src := range []string{"us", "eu"} {
		if a := before.post(src, "order-1"); a.code != http.StatusOK || a.body["status"] != "published" {
			t.Fatalf("%s before the move: %d %s", src, a.code, a.raw)
		}
	}

	// Consumers on WEBHOOKS: one of every source, one of the source that moves.
	for name, filter := range map[string]string{"all-orders": "webhooks.shopify.>", "eu-orders": "webhooks.*.eu.>"} {
		if _, err := js.CreateConsumer(ctx, "WEBHOOKS", jetstream.ConsumerConfig{Durable: name, FilterSubject: filter, AckPolicy: jetstream.AckExplicitPolicy}); err != nil {
			t.Fatal(err)
		}
	}

	after := newSpread(t, ns, "WEBHOOKS_EU", webhookStream("WEBHOOKS", "us"), webhookStream("WEBHOOKS_EU", "eu"))
	// They stay, and still read what WEBHOOKS stored before the move.
	for name, want := range map[string]uint64{"all-orders": 2, "eu-orders": 1} {
		c, err := js.Consumer(ctx, "WEBHOOKS", name)
		if err != nil {
			t.Fatalf("consumer %s after the move: %v", name, err)
		}
		if info := c.CachedInfo(); info.NumPending != want {
			t.Errorf("consumer %s has %d pending after the move, want %d", name, info.NumPending, want)
		}
	}
	st, err := js.Stream(ctx, "WEBHOOKS")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := st.CachedInfo().Config.Subjects, []string{"legacy.>", "webhooks.*.us.>"}; !slices.Equal(got, want) {
		t.Errorf("WEBHOOKS captures %v after the move, want %v", got, want)
	}
	if got := subjectsIn(t, js, "WEBHOOKS"); len(got) != 2 {
		t.Errorf("WEBHOOKS holds %v after the move, want the 2 messages stored before it", got)
	}
	if a := after.post("us", "order-1"); a.body["duplicate"] != true {
		t.Errorf("us retry after the move: %d %s, want a duplicate (us stayed on WEBHOOKS)", a.code, a.raw)
	}
	if a := after.post("eu", "order-1"); a.code != http.StatusOK || a.body["status"] != "published" {
		t.Errorf("eu retry after the move: %d %s, want it published anew in WEBHOOKS_EU", a.code, a.raw)
	}
	if got := subjectsIn(t, js, "WEBHOOKS_EU"); !slices.Equal(got, []string{"webhooks.shopify.eu.orders.create"}) {
		t.Errorf("WEBHOOKS_EU holds %v", got)
	}
	// A second start-up with the same config changes nothing.
	if _, err := bridge.EnsureStreams(ctx, js, []bridge.WebhookStream{webhookStream("WEBHOOKS", "us"), webhookStream("WEBHOOKS_EU", "eu")}); err != nil {
		t.Fatalf("EnsureStreams again: %v", err)
	}

	// Moving back to one stream: WEBHOOKS_EU is no stream of that config, and still holds eu's
	// subjects, so the set-up stops with an error that names it.
	_, err = bridge.EnsureStreams(ctx, js, []bridge.WebhookStream{webhookStream("WEBHOOKS")})
	if err == nil || !strings.Contains(err.Error(), "stream WEBHOOKS_EU already captures") {
		t.Errorf("back to one stream with WEBHOOKS_EU left: err = %v, want it to name WEBHOOKS_EU", err)
	}
}

// TestMoveSourceBetweenNamedStreams: a source moved from one named stream to another, the
// first left with none of its old subjects, as both streams are in the config.
func TestMoveSourceBetweenNamedStreams(t *testing.T) {
	_, js := natstest.Start(t).Connect(t)
	ctx := context.Background()
	first := []bridge.WebhookStream{webhookStream("A", "x"), webhookStream("B", "y")}
	if _, err := bridge.EnsureStreams(ctx, js, first); err != nil {
		t.Fatal(err)
	}
	moved := []bridge.WebhookStream{webhookStream("A", "z"), webhookStream("B", "y", "x")}
	if _, err := bridge.EnsureStreams(ctx, js, moved); err != nil {
		t.Fatalf("moving x from A to B: %v", err)
	}
	for name, want := range map[string][]string{"A": {"webhooks.*.z.>"}, "B": {"webhooks.*.y.>", "webhooks.*.x.>"}} {
		st, err := js.Stream(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		if got := st.CachedInfo().Config.Subjects; !slices.Equal(got, want) {
			t.Errorf("%s captures %v, want %v", name, got, want)
		}
	}
}

// TestSetUpStreamsNamesEveryStream: a set-up that cannot finish before the deadline names the
// streams it was setting up.
func TestSetUpStreamsNamesEveryStream(t *testing.T) {
	ns := natstest.Start(t)
	_, js := ns.Connect(t)
	ns.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err := bridge.SetUpStreams(ctx, js, []bridge.WebhookStream{webhookStream("WEBHOOKS", "us"), webhookStream("WEBHOOKS_EU", "eu")}, 500*time.Millisecond, nil)
	if err == nil || !strings.Contains(err.Error(), "stream WEBHOOKS, WEBHOOKS_EU not ready") {
		t.Errorf("err = %v, want it to name both streams", err)
	}
}
