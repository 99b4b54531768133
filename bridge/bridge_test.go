package bridge_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/hookbridge/hookbridge/bridge"
	"github.com/hookbridge/hookbridge/bridge/provider"
	"github.com/hookbridge/hookbridge/internal/logtest"
	"github.com/hookbridge/hookbridge/internal/natstest"
	"github.com/hookbridge/hookbridge/internal/sample"
)

// testNow is the fixed clock of these tests.
var testNow = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

// testSource is one configured source of the harness, with its secret.
type testSource struct {
	name string
	cfg  provider.Config
}

var hmacLocators = sample.Locators{ID: "header:X-Event-Id", Type: "json:event", Subject: "json:data.id", Time: "json:created_at"}

// testSources has one source per provider kind.
func testSources() []testSource {
	return []testSource{
		{"shop", provider.Config{Kind: "shopify", Secrets: []string{"shopify-test-secret"}}},
		{"woo", provider.Config{Kind: "woocommerce", Secrets: []string{"woo-test-secret"}}},
		{"pay", provider.Config{Kind: "stripe", Secrets: []string{"whsec_stripe-test-secret"}}},
		{"std", provider.Config{Kind: "standardwebhooks", Secrets: []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}, TypePrefix: "com.example."}},
		{"gh", provider.Config{Kind: "github", Secrets: []string{"github-test-secret"}}},
		{"generic", provider.Config{Kind: "hmac", Secrets: []string{"hmac-test-secret"}, HMAC: provider.HMACConfig{
			Header: "X-Signature", Algorithm: "sha256", Encoding: "hex", Prefix: "sha256=",
			ID: hmacLocators.ID, Type: hmacLocators.Type, Subject: hmacLocators.Subject, Time: hmacLocators.Time,
		}}},
		{"paddle", provider.Config{Kind: "paddle", Secrets: []string{"pdl_ntfset_01hv6y1jedq4p1n0yqn5ba3ky4_paddle-test-secret"}}},
		{"recurly", provider.Config{Kind: "recurly", Secrets: []string{"0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"}}},
		{"razorpay", provider.Config{Kind: "razorpay", Secrets: []string{"razorpay-test-secret"}}},
		{"sq", provider.Config{Kind: "square", Secrets: []string{"square-test-signature-key"}, NotificationURL: "https://hooks.example.com/webhooks/sq"}},
		{"bc", provider.Config{Kind: "bigcommerce", Secrets: []string{"bigcommerce-client-secret"}}},
		{"sware", provider.Config{Kind: "shopware", Secrets: []string{"shopware-shop-secret"}}},
		{"cb", provider.Config{Kind: "chargebee", Secrets: []string{"cb-user:chargebee-test-password"}}},
		{"lemon", provider.Config{Kind: "lemonsqueezy", Secrets: []string{"lemonsqueezy-test-secret"}}},
		{"mollie", provider.Config{Kind: "mollie", Secrets: []string{"mollie-test-secret"}}},
		{"ecwid", provider.Config{Kind: "ecwid", Secrets: []string{"ecwid-test-client-secret"}}},
		{"pp", provider.Config{Kind: "paypal", WebhookID: "5GP028458E2496506", DevelopmentKeys: true}},
		// Saleor signs with the shop's private key: the harness trusts the
		// development key, the only one anything but Saleor can sign with.
		{"saleor", provider.Config{Kind: "saleor", APIURL: "https://shop.example.test/graphql/", DevelopmentKeys: true}},
		// Adobe signs with its own keys: the test source trusts the
		// development key, and its client id is the one of the real
		// delivery in testdata/golden/adobe.in.
		{"adobe", provider.Config{Kind: "adobe", ClientID: "ca7b36f23be94dcb9d2ebb97f0276e3f", DevelopmentKeys: true}},
	}
}

type harness struct {
	t         *testing.T
	ns        *natstest.Server
	nc        *nats.Conn
	js        jetstream.JetStream
	stream    jetstream.Stream
	srv       *httptest.Server
	providers map[string]*provider.Provider
	logs      *logtest.Buffer
	reg       *prometheus.Registry
}

type harnessOption func(*bridge.Config)

// withPublishTimeout sets the bridge's publish timeout.
func withPublishTimeout(d time.Duration) harnessOption {
	return func(c *bridge.Config) { c.PublishTimeout = d }
}

func newHarness(t *testing.T, opts ...harnessOption) *harness {
	t.Helper()
	return newHarnessWith(t, nil, opts...)
}

// batchSources are the sources whose platform answers a stored delivery
// with a body of its own and may carry several events in one: the tests
// that expect the bridge's JSON answer leave them out, the ones written
// for them add them (newHarnessWith).
func batchSources() []testSource {
	return []testSource{{"ady", provider.Config{Kind: "adyen", Secrets: []string{"44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056"}}}}
}

// newHarnessWith is newHarness with extra sources beside testSources.
func newHarnessWith(t *testing.T, extra []testSource, opts ...harnessOption) *harness {
	t.Helper()
	h := &harness{t: t, ns: natstest.Start(t), providers: map[string]*provider.Provider{}, logs: &logtest.Buffer{}}
	h.nc, h.js = h.ns.Connect(t)
	ctx := context.Background()
	var err error
	h.stream, err = bridge.EnsureStream(ctx, h.js, bridge.StreamConfig{
		Name: "WEBHOOKS", SubjectPrefix: "webhooks", Replicas: 1, Duplicates: 24 * time.Hour,
	})
	if err != nil {
		t.Fatalf("EnsureStream: %v", err)
	}
	var sources []bridge.Source
	for _, s := range append(testSources(), extra...) {
		s.cfg.Now = func() time.Time { return testNow }
		p, err := provider.New(s.cfg)
		if err != nil {
			t.Fatalf("provider %s: %v", s.name, err)
		}
		h.providers[s.name] = p
		sources = append(sources, bridge.Source{Name: s.name, Provider: p})
	}
	// A PubAck from a healthy local server is a matter of milliseconds, but
	// a loaded machine can stall it for seconds: a short publish timeout
	// would turn expected 200s into 503s. Tests of the timeout set their own.
	cfg := bridge.Config{
		Stream: "WEBHOOKS", SubjectPrefix: "webhooks", Limits: bridge.Limits{MaxBodyBytes: 64 << 10},
		PublishTimeout: natstest.Patience, Now: func() time.Time { return testNow },
	}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.Bodies != nil && cfg.Bodies.Buckets == nil {
		if cfg.Bodies.Buckets, err = bridge.EnsureBodyBuckets(ctx, h.js, []bridge.WebhookStream{{StreamConfig: bridge.StreamConfig{Name: "WEBHOOKS", Replicas: 1, Duplicates: 24 * time.Hour}}}); err != nil {
			t.Fatalf("EnsureBodyBuckets: %v", err)
		}
	}
	log := slog.New(slog.NewJSONHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h.reg = prometheus.NewRegistry()
	// The bridge's own publisher, as serve wires it.
	handler, err := bridge.NewServer(cfg, sources, bridge.NewStreamPublisher(h.nc), log, bridge.NewMetrics(h.reg))
	if err != nil {
		t.Fatalf("NewServer: %v", err)
	}
	h.srv = httptest.NewUnstartedServer(handler)
	h.srv.Listener = bridge.GuardFraming(h.srv.Config, h.srv.Listener)
	h.srv.Start()
	t.Cleanup(h.srv.Close)
	return h
}

// delivery returns a sample delivery for source, signed as its platform would.
func (h *harness) delivery(source, eventType, id string) ([]byte, http.Header) {
	h.t.Helper()
	p := h.providers[source]
	body, hdr, err := sample.Delivery(p.Kind(), hmacLocators, eventType, id, testNow)
	if err != nil {
		h.t.Fatal(err)
	}
	if body, err = p.SignBody(body); err != nil {
		h.t.Fatalf("sign: %v", err)
	}
	if err := p.Sign(body, hdr, testNow); err != nil {
		h.t.Fatalf("sign: %v", err)
	}
	return body, hdr
}

type answer struct {
	code   int
	header http.Header
	body   map[string]any
	raw    string
}

func (h *harness) post(method, source string, body []byte, hdr http.Header) answer {
	h.t.Helper()
	req, err := http.NewRequest(method, h.srv.URL+"/webhooks/"+source, bytes.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	if hdr != nil {
		req.Header = hdr.Clone()
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatalf("POST: %v", err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := answer{code: resp.StatusCode, header: resp.Header, raw: string(raw)}
	// Every answer says its length (a platform's client may read to the
	// length, or keep the connection only when it can).
	if resp.Header.Get("Content-Length") != strconv.Itoa(len(raw)) {
		h.t.Errorf("answer %d has Content-Length %q for %d bytes", resp.StatusCode, resp.Header.Get("Content-Length"), len(raw))
	}
	if resp.StatusCode == 200 && resp.Header.Get("Content-Type") == "text/plain; charset=utf-8" {
		return a // a platform's own answer (Adyen's "[accepted]"): its test checks it
	}
	if err := json.Unmarshal(raw, &a.body); err != nil {
		h.t.Fatalf("answer is not JSON (%d): %q", resp.StatusCode, raw)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		h.t.Errorf("answer Content-Type = %q", ct)
	}
	return a
}

// stored is the number of messages in the stream.
func (h *harness) stored() uint64 {
	h.t.Helper()
	info, err := h.stream.Info(context.Background())
	if err != nil {
		h.t.Fatalf("stream info: %v", err)
	}
	return info.State.Msgs
}

// last is the last message stored on subject.
func (h *harness) last(subject string) *jetstream.RawStreamMsg {
	h.t.Helper()
	m, err := h.stream.GetLastMsgForSubject(context.Background(), subject)
	if err != nil {
		h.t.Fatalf("no message on %s: %v", subject, err)
	}
	return m
}

// lastStored is the last message stored in the stream.
func (h *harness) lastStored() *jetstream.RawStreamMsg {
	h.t.Helper()
	info, err := h.stream.Info(context.Background())
	if err != nil {
		h.t.Fatalf("stream info: %v", err)
	}
	m, err := h.stream.GetMsg(context.Background(), info.State.LastSeq)
	if err != nil {
		h.t.Fatalf("message %d: %v", info.State.LastSeq, err)
	}
	return m
}

func withoutHeaders(h http.Header, names ...string) http.Header {
	c := h.Clone()
	for _, n := range names {
		c.Del(n)
	}
	return c
}

// signatureHeaders are the headers that carry a signature, per kind.
var signatureHeaders = map[string][]string{
	"shopify":          {"X-Shopify-Hmac-Sha256"},
	"woocommerce":      {"X-WC-Webhook-Signature"},
	"stripe":           {"Stripe-Signature"},
	"standardwebhooks": {"Webhook-Signature"},
	"github":           {"X-Hub-Signature-256"},
	"hmac":             {"X-Signature"},
	"paddle":           {"Paddle-Signature"},
	"recurly":          {"Recurly-Signature"},
	"razorpay":         {"X-Razorpay-Signature"},
	"square":           {"X-Square-Hmacsha256-Signature"},
	"bigcommerce":      {"Webhook-Signature"},
	"shopware":         {"Shopware-Shop-Signature"},
	"chargebee":        {"Authorization"},
	"lemonsqueezy":     {"X-Signature"},
	"mollie":           {"X-Mollie-Signature"},
	"ecwid":            {"X-Ecwid-Webhook-Signature"},
	"paypal":           {"Paypal-Transmission-Sig"},
	"saleor":           {"Saleor-Signature"},
	"adobe":            {"X-Adobe-Digital-Signature-1", "X-Adobe-Digital-Signature-2"},
}

// tampered is a delivery changed the way its scheme catches: one more byte
// of body; for chargebee, which signs nothing, other credentials; for
// ecwid, which signs only eventCreated and eventId of the body, another
// event id.
func tampered(kind string, body []byte, hdr http.Header) ([]byte, http.Header) {
	switch kind {
	case "chargebee":
		h := hdr.Clone()
		h.Set("Authorization", "Basic Y2ItdXNlcjp3cm9uZw==") // cb-user:wrong
		return body, h
	case "ecwid":
		return bytes.Replace(body, []byte(`"eventId":"`), []byte(`"eventId":"x`), 1), hdr
	}
	return append(bytes.Clone(body), ' '), hdr
}

// unusable returns a delivery that verifies but lacks an id or a type.
func (h *harness) unusable(source string) ([]byte, http.Header) {
	h.t.Helper()
	p := h.providers[source]
	body, hdr, err := sample.Delivery(p.Kind(), hmacLocators, "", "unusable1", testNow)
	if err != nil {
		h.t.Fatal(err)
	}
	switch p.Kind() {
	case "shopify":
		hdr.Del("X-Shopify-Topic")
	case "woocommerce":
		hdr.Del("X-WC-Webhook-Topic")
	case "github":
		hdr.Del("X-GitHub-Event")
	case "hmac":
		hdr.Del("X-Event-Id")
	case "razorpay":
		hdr.Del("X-Razorpay-Event-Id")
	case "stripe", "standardwebhooks", "paddle", "recurly", "square", "bigcommerce", "shopware", "chargebee", "mollie", "lemonsqueezy", "paypal":
		body = []byte(`{"object":"event","data":{}}`)
	case "ecwid":
		body = fmt.Appendf(nil, `{"eventId":"unusable1","eventCreated":%d}`, testNow.Unix())
	case "saleor":
		hdr.Del("Saleor-Event")
	case "adobe":
		// Addressed to the source, so that it verifies, but no event.
		if body, err = p.SignBody([]byte(`{"data":{}}`)); err != nil {
			h.t.Fatal(err)
		}
	}
	if err := p.Sign(body, hdr, testNow); err != nil {
		h.t.Fatal(err)
	}
	return body, hdr
}

func TestStatusTable(t *testing.T) {
	h := newHarness(t)
	for _, src := range testSources() {
		t.Run(src.name, func(t *testing.T) {
			h.t = t
			kind := src.cfg.Kind
			body, hdr := h.delivery(src.name, "", "d-"+src.name)
			tb, th := tampered(kind, body, hdr)
			before := h.stored()

			steps := []struct {
				name   string
				method string
				source string
				body   []byte
				hdr    http.Header
				code   int
				stored uint64 // messages added since before
			}{
				{"unknown source", http.MethodPost, src.name + "-nope", body, hdr, 404, 0},
				{"missing signature", http.MethodPost, src.name, body, withoutHeaders(hdr, signatureHeaders[kind]...), 401, 0},
				{"tampered", http.MethodPost, src.name, tb, th, 401, 0},
				{"not POST", http.MethodGet, src.name, nil, nil, 405, 0},
				{"over max_body_bytes", http.MethodPost, src.name, bytes.Repeat([]byte("x"), 64<<10+1), hdr, 413, 0},
				{"verified", http.MethodPost, src.name, body, hdr, 200, 1},
				{"platform retry", http.MethodPost, src.name, body, hdr, 200, 1},
			}
			ub, uh := h.unusable(src.name)
			steps = append(steps, struct {
				name   string
				method string
				source string
				body   []byte
				hdr    http.Header
				code   int
				stored uint64
			}{"verified but unusable", http.MethodPost, src.name, ub, uh, 400, 1})

			for _, st := range steps {
				a := h.post(st.method, st.source, st.body, st.hdr)
				if a.code != st.code {
					t.Fatalf("%s: status %d, want %d (%s)", st.name, a.code, st.code, a.raw)
				}
				if got := h.stored() - before; got != st.stored {
					t.Fatalf("%s: %d messages stored, want %d", st.name, got, st.stored)
				}
				if st.code != 200 {
					if msg, _ := a.body["error"].(string); msg == "" {
						t.Errorf("%s: error body %q has no error", st.name, a.raw)
					}
				}
				if st.code == 405 && a.header.Get("Allow") != http.MethodPost {
					t.Errorf("405 without Allow: POST")
				}
				if st.name == "platform retry" && a.body["duplicate"] != true {
					t.Errorf("retry answer %s does not say duplicate", a.raw)
				}
			}
		})
	}
}

func TestStaleTimestampIs401(t *testing.T) {
	h := newHarness(t)
	for _, name := range []string{"pay", "std", "bc", "pp"} {
		p := h.providers[name]
		body, hdr, err := sample.Delivery(p.Kind(), hmacLocators, "", "stale-"+name, testNow)
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Sign(body, hdr, testNow.Add(-provider.DefaultTolerance-time.Second)); err != nil {
			t.Fatal(err)
		}
		a := h.post(http.MethodPost, name, body, hdr)
		if a.code != 401 || a.body["error"] != provider.ErrStale.Error() {
			t.Errorf("%s: stale delivery got %d %s, want 401 %q", name, a.code, a.raw, provider.ErrStale)
		}
	}
	if n := h.stored(); n != 0 {
		t.Errorf("%d messages stored", n)
	}
}

func TestWooCommercePingIsAnsweredNotPublished(t *testing.T) {
	h := newHarness(t)
	hdr := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	a := h.post(http.MethodPost, "woo", []byte("webhook_id=42"), hdr)
	if a.code != 200 {
		t.Fatalf("ping: %d %s", a.code, a.raw)
	}
	if n := h.stored(); n != 0 {
		t.Errorf("ping published %d messages", n)
	}
}

func TestErrorsAndLogsNeverCarrySecretsOrSignatures(t *testing.T) {
	h := newHarness(t)
	var answers strings.Builder
	var sigs []string
	for _, src := range testSources() {
		body, hdr := h.delivery(src.name, "", "leak-"+src.name)
		for _, n := range signatureHeaders[src.cfg.Kind] {
			sigs = append(sigs, hdr.Get(n))
		}
		bad := append(bytes.Clone(body), '!')
		answers.WriteString(h.post(http.MethodPost, src.name, bad, hdr).raw)
		answers.WriteString(h.post(http.MethodPost, src.name, body, hdr).raw)
	}
	out := answers.String() + h.logs.String()
	for _, src := range testSources() {
		for _, s := range src.cfg.Secrets {
			if strings.Contains(out, s) {
				t.Errorf("a secret of %s appears in answers or logs", src.name)
			}
		}
	}
	for _, s := range sigs {
		if s != "" && strings.Contains(out, s) {
			t.Errorf("a signature appears in answers or logs")
		}
	}
	if strings.Contains(out, "HB-MUG-01") {
		t.Errorf("a body appears in answers or logs")
	}
}

// TestFieldsReadersReadDifferentlyAre400: a Stripe event whose id, type
// or subject JSON readers would read differently is refused with a 400
// naming the field and is not stored. Two ids that differ only in bytes
// that are not UTF-8 (both read by encoding/json as "evt_\uFFFD") are two
// refusals, never one stored event and a "duplicate".
func TestFieldsReadersReadDifferentlyAre400(t *testing.T) {
	h := newHarness(t)
	p := h.providers["pay"]
	for _, c := range []struct {
		name, body, field string
	}{
		{"id of invalid UTF-8", "{\"id\":\"evt_\xff\",\"type\":\"charge.succeeded\"}", "id"},
		{"another id of invalid UTF-8", "{\"id\":\"evt_\xfe\",\"type\":\"charge.succeeded\"}", "id"},
		{"id with a lone surrogate", `{"id":"evt_\ud800","type":"charge.succeeded"}`, "id"},
		{"ID and id", `{"ID":"evt_a","id":"evt_b","type":"charge.succeeded"}`, "id"},
		{"Type and type", `{"id":"evt_c","Type":"charge.failed","type":"charge.succeeded"}`, "type"},
		{"subject id twice", `{"id":"evt_d","type":"charge.succeeded","data":{"object":{"id":"ch_1","id":"ch_2"}}}`, "data.object.id"},
	} {
		t.Run(c.name, func(t *testing.T) {
			h.t = t
			hdr := http.Header{"Content-Type": {"application/json"}}
			if err := p.Sign([]byte(c.body), hdr, testNow); err != nil {
				t.Fatal(err)
			}
			a := h.post(http.MethodPost, "pay", []byte(c.body), hdr)
			prefix := `unusable payload: field "` + c.field + `": `
			if msg, _ := a.body["error"].(string); a.code != 400 || !strings.HasPrefix(msg, prefix) {
				t.Fatalf("%d %s, want 400 with an error starting %q", a.code, a.raw, prefix)
			}
			if n := h.stored(); n != 0 {
				t.Fatalf("%d messages stored", n)
			}
		})
	}

	// The same oddities elsewhere in the body are the platform's business:
	// stored, byte for byte.
	h.t = t
	body := []byte("{\"id\":\"evt_e\",\"type\":\"charge.succeeded\",\"description\":\"\xff\\ud800\",\"Description\":1,\"description\":2}")
	hdr := http.Header{"Content-Type": {"application/json"}}
	if err := p.Sign(body, hdr, testNow); err != nil {
		t.Fatal(err)
	}
	if a := h.post(http.MethodPost, "pay", body, hdr); a.code != 200 || a.body["status"] != "published" {
		t.Fatalf("odd body off the path: %d %s, want 200 published", a.code, a.raw)
	}
	if m := h.last("webhooks.stripe.pay.charge.succeeded"); !bytes.Equal(m.Data, body) || m.Header.Get("ce-id") != "evt_e" {
		t.Fatalf("stored ce-id %q, data %q; want evt_e and the body as sent", m.Header.Get("ce-id"), m.Data)
	}
}
