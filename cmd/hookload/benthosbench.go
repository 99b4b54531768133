package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookbridge/hookbridge/bridge"
)

// benthosSetting is a Benthos variant's: the general-purpose pipeline a
// user would set up instead of hookbridge, http_server -> nats_jetstream,
// run from the nested module cmd/hookload/benthos.
type benthosSetting struct {
	// verify, when set, does the work hookbridge does for the bench's
	// default load: each platform's signature checked in Bloblang, the
	// subject per provider, source and event type, and the platform's
	// delivery id as Nats-Msg-Id. Unset, the body is published as it came,
	// to one subject per source, with no msg id.
	verify bool
}

// benthosVersion is the Benthos cmd/hookload/benthos/go.mod pins.
const benthosVersion = "4.27.0"

// benthosSource is a source variant e verifies, as benchConfig configures
// it for hookbridge (TestBenthosSources holds the two together).
type benthosSource struct{ name, kind, secret string }

// benthosSources are the bench's default sources: Benthos has no verifier
// of its own, so each needs a mapping written for its platform, and the
// bench writes one for these three only.
var benthosSources = []benthosSource{
	{"acme-shop", "shopify", "bench-shopify-secret"},
	{"acme-woo", "woocommerce", "bench-woocommerce-secret"},
	{"billing", "stripe", "whsec_bench-stripe-secret"},
}

// benthosCovers refuses a --sources mix that e has no mapping for, before
// anything is built: Benthos would refuse those deliveries.
func benthosCovers(selected []variant, sources string) error {
	if !slices.ContainsFunc(selected, func(v variant) bool { return v.benthos != nil && v.benthos.verify }) {
		return nil
	}
	var have []string
	for _, s := range benthosSources {
		have = append(have, s.name)
	}
	for part := range strings.SplitSeq(sources, ",") {
		name, _, _ := strings.Cut(strings.TrimSpace(part), "=")
		if !slices.Contains(have, name) {
			return fmt.Errorf("bench: e verifies only the sources %s, not %q: drop it from --sources or e from --only", strings.Join(have, ", "), name)
		}
	}
	return nil
}

// benthosStripeTolerance is billing's timestamp tolerance in benchConfig.
const benthosStripeTolerance = time.Hour

// benthosMapping is the Bloblang that verifies and routes one source's
// delivery, the way bridge/provider does for its platform: the signature
// over the raw body exactly as the platform makes it, then the id the
// bridge would use (ExtractAll) and the event type. A bad signature, or a
// delivery with no id or type, throws: the message is flagged errored and
// the output's switch rejects it. Bloblang has no constant-time compare;
// != is what a user has.
func benthosMapping(s benthosSource) string {
	var b strings.Builder
	switch s.kind {
	case "shopify":
		// X-Shopify-Hmac-Sha256: base64(HMAC-SHA256(secret, body)); the id
		// is X-Shopify-Event-Id, else X-Shopify-Webhook-Id.
		fmt.Fprintf(&b, `let ok = if meta("X-Shopify-Hmac-Sha256").or("") != content().hash("hmac_sha256", %q).encode("base64") { throw("bad signature") } else { true }
let id = meta("X-Shopify-Event-Id").or(meta("X-Shopify-Webhook-Id")).not_empty()
let type = meta("X-Shopify-Topic").not_empty()
`, s.secret)
	case "woocommerce":
		// X-WC-Webhook-Signature: base64(HMAC-SHA256(secret, body)); the id
		// is the webhook id and 128 bits of sha256(topic "\n" body), since
		// WooCommerce's own delivery id is not one (woocommerce.go).
		fmt.Fprintf(&b, `let ok = if meta("X-Wc-Webhook-Signature").or("") != content().hash("hmac_sha256", %q).encode("base64") { throw("bad signature") } else { true }
let type = meta("X-Wc-Webhook-Topic").not_empty()
let id = meta("X-Wc-Webhook-Id").not_empty() + "-" + ($type + "\n" + content().string()).hash("sha256").encode("hex").slice(0, 32)
`, s.secret)
	case "stripe":
		// Stripe-Signature: t=<unix>,v1=<hex>[,v1=...], HMAC-SHA256 of
		// "<t>.<body>" under the secret, whsec_ included; any v1 may match.
		// The id and type are the body's "id" and "type".
		fmt.Fprintf(&b, `let items = meta("Stripe-Signature").or("").split(",")
let t = $items.filter(i -> i.has_prefix("t=")).index(0).catch("").trim_prefix("t=")
let v1 = $items.filter(i -> i.has_prefix("v1=")).map_each(i -> i.trim_prefix("v1="))
let ok = if $t == "" || !$v1.contains(($t + "." + content().string()).hash("hmac_sha256", %q).encode("hex")) { throw("bad signature") } else { true }
let age = timestamp_unix() - $t.number()
let fresh = if $age > %d || $age < -%d { throw("stale signature") } else { true }
let id = this.id.not_empty()
let type = this.type.not_empty()
`, s.secret, int(benthosStripeTolerance.Seconds()), int(benthosStripeTolerance.Seconds()))
	default:
		b.WriteString(`let ok = throw("no mapping for this platform")` + "\n")
	}
	// The subject as bridge/subject.go builds it: the type lower-cased,
	// '/' and '.' separating tokens, anything outside [a-z0-9_-] as '_',
	// empty tokens dropped; the msg id as the bridge's, "<source>:<id>".
	fmt.Fprintf(&b, `meta nats_subject = %q + $type.lowercase().re_replace_all("[^a-z0-9_./-]", "_").replace_all("/", ".").split(".").filter(t -> t != "").join(".").not_empty()
meta nats_msg_id = %q + $id
`, bridge.DefaultSubjectPrefix+"."+s.kind+"."+s.name+".", s.name+":")
	return b.String()
}

// benthosConfig is Benthos's config for v: one http_server input on the
// shared HTTP server at p.http, and a nats_jetstream output to natsURL
// with maxInFlight publishes at once.
//
// Each source's mapping starts with root = content(): a mapping builds a
// new message, and this keeps the body's bytes as they came. Not a
// mutation: in 4.27 a mutation's content() of a JSON body is the document
// parsed and written again (keys sorted, spaces dropped; '{"b":1, "a":2}'
// reads '{"a":2,"b":1}'), so an HMAC over it fails for any body not
// already in that form: a signature must be checked over the raw bytes.
//
// One input with the path /webhooks/{source} (the path parameter lands in
// the metadata) rather than one input per source: every input has its own
// transaction channel and goroutines into the pipeline, and a switch on
// @source in the pipeline is the one place a source is resolved, as in
// hookbridge.
//
// Acknowledgement, read from Benthos 4.27's source: http_server's
// postHandler hands the request to the pipeline as a transaction and
// answers only once the transaction is settled (200 on ack; the nack's
// error text with 502 Bad Gateway; 408 after its timeout, 5s by default;
// 503 on shutdown). nats_jetstream's Write calls nats.go's
// JetStreamContext.PublishMsg, which waits for the PubAck: so a 200 means
// the stream has the message, as with hookbridge. A bad signature is
// answered 502 by the reject output (hookbridge answers 401); the message
// is not published.
//
// The body is published unchanged as the message's data: Benthos builds no
// CloudEvent (hookbridge adds the ce- headers and keeps the body as data).
func benthosConfig(v variant, httpPort int, natsURL string, maxInFlight int) string {
	var b strings.Builder
	fmt.Fprintf(&b, `# generated by hookload bench
http: {enabled: true, address: "127.0.0.1:%d", debug_endpoints: false}
logger: {level: WARN, format: logfmt}
shutdown_timeout: 10s
input:
  http_server: {path: "/webhooks/{source}", allowed_verbs: [POST]}
`, httpPort)
	jsOut := func(indent, subject, headers string) string {
		o := fmt.Sprintf("nats_jetstream:\n  urls: [%q]\n  subject: '%s'\n  max_in_flight: %d\n", natsURL, subject, maxInFlight)
		if headers != "" {
			o += "  headers:\n" + headers
		}
		return indentLines(o, indent)
	}
	if !v.benthos.verify {
		b.WriteString("output:\n")
		b.WriteString(jsOut("  ", bridge.DefaultSubjectPrefix+".plain.${! @source }", ""))
		return b.String()
	}
	b.WriteString("pipeline:\n  processors:\n    - switch:\n")
	for _, s := range benthosSources {
		fmt.Fprintf(&b, "        - check: '@source == %q'\n          processors:\n            - mapping: |\n                root = content()\n", s.name)
		b.WriteString(indentLines(benthosMapping(s), "                "))
	}
	b.WriteString(`        - processors:
            - mapping: 'root = throw("no such source")'
output:
  switch:
    cases:
      - check: errored()
        output:
          reject: 'refused: ${! error() }'
      - output:
`)
	b.WriteString(jsOut("          ", "${! @nats_subject }", "    Nats-Msg-Id: '${! @nats_msg_id }'\n"))
	return b.String()
}

func indentLines(s, indent string) string {
	lines := strings.SplitAfter(s, "\n")
	var b strings.Builder
	for _, l := range lines {
		if l != "" {
			b.WriteString(indent + l)
		}
	}
	return b.String()
}

// startBenthos creates the stream hookbridge would create on the external
// broker (file storage, the same duplicate window), then starts Benthos
// with v's config, ready once its /ready answers 200 (input and output
// connected).
func (b *benchRun) startBenthos(ctx context.Context, v variant, dir string, p benchPorts) (*child, error) {
	if err := createBenchStream(ctx, p.natsURL()); err != nil {
		return nil, err
	}
	cfgPath := filepath.Join(dir, "benthos.yaml")
	if err := os.WriteFile(cfgPath, []byte(benthosConfig(v, p.http, p.natsURL(), b.f.benthosInFlight)), 0o600); err != nil {
		return nil, err
	}
	c, err := b.start(v.key+"-benthos", nil, b.benthosBin, "-c", cfgPath)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(b.out, "started  benthos -c %s (pid %d, max_in_flight %d)\n", cfgPath, c.pid(), b.f.benthosInFlight)
	ready := fmt.Sprintf("http://127.0.0.1:%d/ready", p.http)
	return c, c.waitReady(ctx, b.f.readyLimit, "/ready 200", func() bool { return httpOK(ready) })
}

// createBenchStream creates, at natsURL, the stream hookbridge creates
// from its defaults, as the raw variant does.
func createBenchStream(ctx context.Context, natsURL string) error {
	nc, err := nats.Connect(natsURL, nats.Name("hookload-setup"), nats.Timeout(5*time.Second))
	if err != nil {
		return err
	}
	defer nc.Close()
	_, _, err = rawStream(ctx, nc, 1)
	return err
}

// countCheck is e-plain's stream check: its messages carry no msg id, so
// they cannot be told apart; only their number is held against the
// answers: at least one stored per 2xx, at most one per request.
type countCheck struct {
	nc      *nats.Conn
	st      jetstream.Stream
	fromSeq uint64
}

func openCountCheck(ctx context.Context, natsURL string) (*countCheck, error) {
	nc, err := nats.Connect(natsURL, nats.Name("hookload-check"), nats.Timeout(5*time.Second))
	if err != nil {
		return nil, fmt.Errorf("connecting for the check: %w", err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, err
	}
	st, err := js.Stream(ctx, bridge.DefaultStream)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("stream %s: %w", bridge.DefaultStream, err)
	}
	return &countCheck{nc: nc, st: st, fromSeq: st.CachedInfo().State.LastSeq + 1}, nil
}

// errCountMismatch is e-plain's check failing.
var errCountMismatch = errors.New("stored count does not match the answers")

// finish counts what the stream stored since open against ok 2xx answers
// out of requests.
func (c *countCheck) finish(ctx context.Context, ok, requests uint64) (string, error) {
	info, err := c.st.Info(ctx)
	if err != nil {
		return "", err
	}
	stored := info.State.LastSeq + 1 - c.fromSeq
	s := fmt.Sprintf("count only (no msg id): %d stored for %d answered 2xx of %d sent", stored, ok, requests)
	if stored < ok || stored > requests {
		return "FAIL: " + s, fmt.Errorf("%w: %s", errCountMismatch, s)
	}
	return s, nil
}

func (c *countCheck) close() { c.nc.Close() }

// answered2xx counts the 2xx answers in a run's status counters.
func answered2xx(status map[string]uint64) uint64 {
	var n uint64
	for k, v := range status {
		if strings.HasPrefix(k, "2") {
			n += v
		}
	}
	return n
}

// probeRefusal sends, after e's measured run, one delivery per source
// whose body was altered after signing, and requires each to be answered
// non-2xx for its signature and the stream to have stored none of them:
// the verification is doing its work, not just costing CPU. It returns
// what it found, for the report.
func (b *benchRun) probeRefusal(ctx context.Context, baseURL, natsURL, runID string) (string, error) {
	ds, err := b.mix.generate(runID+"-bad-", len(b.mix.sources)*len(b.mix.schedule), b.f.body, time.Now())
	if err != nil {
		return "", err
	}
	nc, err := nats.Connect(natsURL, nats.Name("hookload-probe"), nats.Timeout(5*time.Second))
	if err != nil {
		return "", err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return "", err
	}
	st, err := js.Stream(ctx, bridge.DefaultStream)
	if err != nil {
		return "", err
	}
	before := st.CachedInfo().State.LastSeq
	seen := map[string]bool{}
	var refused []string
	for _, d := range ds {
		if seen[d.path] {
			continue
		}
		seen[d.path] = true
		status, body, err := postDelivery(ctx, baseURL, d.path, tamper(d.body), d.header)
		if err != nil {
			return "", err
		}
		if status/100 == 2 || !strings.Contains(body, "bad signature") {
			return "", fmt.Errorf("a delivery to %s altered after signing was answered %d %q, want a refusal for its signature", d.path, status, body)
		}
		refused = append(refused, fmt.Sprintf("%s %d", d.path, status))
	}
	info, err := st.Info(ctx)
	if err != nil {
		return "", err
	}
	if info.State.LastSeq != before {
		return "", fmt.Errorf("%d messages stored for deliveries refused for their signature", info.State.LastSeq-before)
	}
	return fmt.Sprintf("altered after signing: %s; none stored", strings.Join(refused, ", ")), nil
}

// tamper is body with its last lower-case ASCII letter changed, so that
// its signature no longer matches.
func tamper(body []byte) []byte {
	out := bytes.Clone(body)
	for i := len(out) - 1; i >= 0; i-- {
		if out[i] >= 'a' && out[i] <= 'z' {
			out[i] = 'a' + (out[i]-'a'+1)%26
			return out
		}
	}
	return append(out, ' ')
}

// postDelivery posts body with h to baseURL+path and returns the answer's
// status and the start of its body.
func postDelivery(ctx context.Context, baseURL, path string, body []byte, h http.Header) (int, string, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, baseURL+path, bytes.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	req.Header = h.Clone()
	resp, err := probe.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	return resp.StatusCode, string(msg), nil
}

// printBenthos holds hookbridge, external and embedded, against Benthos
// doing the same work (e): the rate within each round, and the CPU each
// spends per request with its broker, which a shared machine moves less
// than the rate. Nothing without e.
func printBenthos(w io.Writer, ss []*variantSummary, markdown bool) {
	e := find(ss, "e")
	if e == nil {
		return
	}
	head := []string{"variant", "req/s (median)", "× Benthos", "CPU/req with its broker", "Benthos's", "Benthos's ÷ this"}
	var rows [][]string
	benthosCPU, ok := cpuWithBroker(e, "benthos")
	for _, key := range []string{"c", "d"} {
		s := find(ss, key)
		if s == nil {
			continue
		}
		cpu, ok2 := cpuWithBroker(s, "hookbridge")
		row := []string{s.v.key + " " + s.v.name, fmt.Sprintf("%.0f", s.rate), ratioCell(rateRatio(s, e)), "", "", ""}
		if ok && ok2 && cpu > 0 {
			row[3], row[4], row[5] = fmtNs(cpu), fmtNs(benthosCPU), fmt.Sprintf("%.2f", benthosCPU/cpu)
		}
		rows = append(rows, row)
	}
	printSideTable(w, markdown, "hookbridge against Benthos doing the same work (ratios within this run)", head, rows,
		fmt.Sprintf("Hookbridge against Benthos %s doing the same work (e: each platform's signature checked in Bloblang, the subject per provider, source and event type, the delivery id as Nats-Msg-Id, 200 after the PubAck; the body published as it came, with no CloudEvent headers). × Benthos is the median of the rate ratios within a round; CPU/req with its broker is the server's and nats-server's together (the embedded broker is in hookbridge's).", benthosVersion))
}

// cpuWithBroker is server's CPU per request in s and its nats-server's,
// if it has one outside it.
func cpuWithBroker(s *variantSummary, server string) (float64, bool) {
	cpu, ok := s.cpuPerReq(server)
	if !ok {
		return 0, false
	}
	if ns, ok := s.cpuPerReq("nats-server"); ok {
		cpu += ns
	}
	return cpu, true
}
