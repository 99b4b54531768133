package provider_test

import (
	"bytes"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hookbridge/hookbridge/bridge/provider"
)

// sentinels are the errors Verify and Extract may wrap; every error they
// return must wrap exactly one.
var sentinels = []error{
	provider.ErrMissingSignature,
	provider.ErrMalformedSignature,
	provider.ErrBadSignature,
	provider.ErrStale,
	provider.ErrUnusable,
	provider.ErrPing,
	provider.ErrKeyUnavailable,
}

// at is a clock stopped at the Unix second sec.
func at(sec int64) func() time.Time {
	return func() time.Time { return time.Unix(sec, 0) }
}

func mustNew(t testing.TB, cfg provider.Config) *provider.Provider {
	t.Helper()
	p, err := provider.New(cfg)
	if err != nil {
		t.Fatalf("New(%s): %v", cfg.Kind, err)
	}
	return p
}

// header builds an http.Header from name, value pairs, canonicalising the
// names as net/http does for a received request.
func header(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	return h
}

// checkSentinel fails unless err is nil when want is, or wraps want and no
// other sentinel.
func checkSentinel(t testing.TB, err, want error) {
	t.Helper()
	if want == nil {
		if err != nil {
			t.Fatalf("err = %v, want nil", err)
		}
		return
	}
	if !errors.Is(err, want) {
		t.Fatalf("err = %v, want %v", err, want)
	}
	if n := countSentinels(err); n != 1 {
		t.Fatalf("err = %v wraps %d sentinels, want exactly 1", err, n)
	}
}

func countSentinels(err error) int {
	n := 0
	for _, s := range sentinels {
		if errors.Is(err, s) {
			n++
		}
	}
	return n
}

// checkNoLeak fails when the text of err contains any of the secret
// strings (secrets, signature values, bodies). Strings shorter than 8
// bytes are skipped: they would match by accident ("whsec_").
func checkNoLeak(t testing.TB, err error, secrets ...string) {
	t.Helper()
	if err == nil {
		return
	}
	for _, s := range secrets {
		if len(s) >= 8 && strings.Contains(err.Error(), s) {
			t.Fatalf("error %q contains the secret value %q", err, s)
		}
	}
}

// delivery is one webhook request as the bridge would hand it over.
type delivery struct {
	body []byte
	h    http.Header
}

func (d delivery) clone() delivery {
	return delivery{body: bytes.Clone(d.body), h: d.h.Clone()}
}

// mutation changes one thing in a valid delivery and says what Verify
// must answer then.
type mutation struct {
	name string
	edit func(d *delivery)
	want error // nil: accepted
}

// runMutations applies each mutation to a copy of valid and checks
// Verify's answer, and that no error text repeats a secret, a signature
// header value or the body.
func runMutations(t *testing.T, p *provider.Provider, valid delivery, secrets []string, cases []mutation) {
	t.Helper()
	never := append([]string{string(valid.body)}, secrets...)
	for _, vs := range valid.h {
		never = append(never, vs...)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := valid.clone()
			if c.edit != nil {
				c.edit(&d)
			}
			err := p.Verify(d.body, d.h)
			checkSentinel(t, err, c.want)
			checkNoLeak(t, err, never...)
		})
	}
}

// extractCase is one delivery body (and headers) and what Extract must
// read from it: want on success, or the sentinel err wraps.
type extractCase struct {
	name string
	body string
	h    http.Header // nil: none
	want provider.Event
	err  error
}

func runExtractCases(t *testing.T, p *provider.Provider, cases []extractCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := c.h
			if h == nil {
				h = http.Header{}
			}
			got, err := p.Extract([]byte(c.body), h)
			checkSentinel(t, err, c.err)
			if !eventEqual(got, c.want) {
				t.Fatalf("Extract = %+v, want %+v", got, c.want)
			}
		})
	}
}

// toleranceCase is a clock (and tolerance) at which a delivery signed
// with sig is verified, and Verify's answer.
type toleranceCase struct {
	name      string
	tolerance time.Duration
	now       time.Time
	sig       string
	want      error
}

// runToleranceCases verifies body under a provider of kind with secret,
// the header set by sign(sig), at each case's clock.
func runToleranceCases(t *testing.T, kind, secret, body string, sign func(sig string) http.Header, cases []toleranceCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			now := c.now
			p := mustNew(t, provider.Config{Kind: kind, Secrets: []string{secret}, Tolerance: c.tolerance, Now: func() time.Time { return now }})
			err := p.Verify([]byte(body), sign(c.sig))
			checkSentinel(t, err, c.want)
			checkNoLeak(t, err, secret, c.sig)
		})
	}
}

// flipByte returns body with one byte changed.
func flipByte(body []byte, i int) []byte {
	b := bytes.Clone(body)
	b[i] ^= 0x01
	return b
}

// kindCase is one provider configuration with two secrets (old, new) and a
// body its Extract accepts, for the tests that run over every kind.
type kindCase struct {
	kind     string
	old, new string
	body     []byte
	header   http.Header // headers Extract needs beside the signed ones
	cfg      func(secrets ...string) provider.Config
	// signsFields: the scheme signs fields of the body (adyen's items,
	// ecwid's eventCreated and eventId), so only a body of the platform's
	// shape can be signed.
	signsFields bool
	// keyed: the kind verifies with its platform's public keys and takes
	// no secrets. Its cfg trusts the development key, and old and new are
	// what it signs in their place (paypal: the webhook id; saleor: none,
	// unused), of which a source has one: its key rotation is tested with
	// the kind.
	keyed bool
}

// swOld and swNew are Standard Webhooks secrets: "whsec_" + base64 key.
const (
	swOld = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	swNew = "whsec_bmV3LXN0YW5kYXJkLXdlYmhvb2tzLWtleS0yMDI2" // base64("new-standard-webhooks-key-2026")
)

// signedAt is the time every round trip signs at and verifies at.
const signedAt = 1614265330

func kindCases() []kindCase {
	plain := func(kind string) func(secrets ...string) provider.Config {
		return func(secrets ...string) provider.Config {
			return provider.Config{Kind: kind, Secrets: secrets, Now: at(signedAt)}
		}
	}
	return []kindCase{
		{
			kind: "shopify", old: "shpss_old", new: "shpss_new", cfg: plain("shopify"),
			body:   []byte(`{"id":820982911946154508,"email":"jon@example.com"}`),
			header: header("X-Shopify-Topic", "orders/create", "X-Shopify-Webhook-Id", "b54557e4"),
		},
		{
			kind: "woocommerce", old: "wc-old-secret", new: "wc-new&amp;secret", cfg: plain("woocommerce"),
			body:   []byte(`{"id":42,"status":"processing"}`),
			header: header("X-WC-Webhook-Topic", "order.created", "X-WC-Webhook-ID", "7"),
		},
		{
			kind: "stripe", old: "whsec_old", new: "whsec_new", cfg: plain("stripe"),
			body: []byte(`{"id":"evt_1","type":"charge.succeeded","created":1614265330}`),
		},
		{
			kind: "standardwebhooks", old: swOld, new: swNew,
			cfg: func(secrets ...string) provider.Config {
				return provider.Config{Kind: "standardwebhooks", Secrets: secrets, Now: at(signedAt), TypePrefix: "com.example."}
			},
			body: []byte(`{"type":"invoice.paid","timestamp":"2021-02-25T15:02:10Z","data":{}}`),
		},
		{
			kind: "github", old: "gh-old-secret", new: "gh-new-secret", cfg: plain("github"),
			body:   []byte(`{"action":"opened","pull_request":{"number":7}}`),
			header: header("X-GitHub-Event", "pull_request", "X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958"),
		},
		{
			kind: "hmac", old: "hmac-old-secret", new: "hmac-new-secret",
			cfg: func(secrets ...string) provider.Config {
				return provider.Config{Kind: "hmac", Secrets: secrets, Now: at(signedAt), TypePrefix: "com.example.", HMAC: provider.HMACConfig{
					Header: "X-Signature", Algorithm: "sha512", Encoding: "base64", Prefix: "v1=",
					ID: "json:id", Type: "header:X-Event-Name",
				}}
			},
			body:   []byte(`{"id":"ev_1"}`),
			header: header("X-Event-Name", "order_created"),
		},
		{
			kind: "paddle", old: "pdl_ntfset_old", new: "pdl_ntfset_new", cfg: plain("paddle"),
			body: []byte(`{"event_id":"evt_1","event_type":"transaction.completed","occurred_at":"2021-02-25T15:02:10Z","data":{"id":"txn_1"}}`),
		},
		{
			kind: "recurly", old: "0123456789abcdef-old", new: "0123456789abcdef-new", cfg: plain("recurly"),
			body: []byte(`{"id":"ra8foq26o2dt","object_type":"subscription","site_id":"qc326l1hl8k9","event_type":"created","event_time":"2021-02-25T15:02:10Z"}`),
		},
		{
			kind: "razorpay", old: "rzp-old-secret", new: "rzp-new-secret", cfg: plain("razorpay"),
			body:   []byte(`{"entity":"event","event":"payment.captured","payload":{"payment":{"entity":{"id":"pay_1"}}},"created_at":1614265330}`),
			header: header("X-Razorpay-Event-Id", "JUEM5GfzXiUMgK"),
		},
		{
			kind: "square", old: "sq-old-signature-key", new: "sq-new-signature-key",
			cfg: func(secrets ...string) provider.Config {
				return provider.Config{Kind: "square", Secrets: secrets, Now: at(signedAt), NotificationURL: "https://hooks.example.com/webhooks/sq"}
			},
			body: []byte(`{"merchant_id":"M1","type":"order.created","event_id":"e1","data":{"type":"order","id":"O1"}}`),
		},
		{
			kind: "adyen", old: "0011223344556677", new: "8899aabbccddeeff", cfg: plain("adyen"), signsFields: true,
			body: []byte(`{"live":"false","notificationItems":[{"NotificationRequestItem":{"amount":{"currency":"EUR","value":2400},"eventCode":"AUTHORISATION","merchantAccountCode":"HookbridgeECOM","merchantReference":"order-1","pspReference":"7914073381342284","success":"true"}}]}`),
		},
		{
			kind: "bigcommerce", old: "bc-old-client-secret", new: "bc-new-client-secret", cfg: plain("bigcommerce"),
			body: []byte(`{"created_at":1614265330,"producer":"stores/abc123","scope":"store/order/created","data":{"type":"order","id":250}}`),
		},
		{
			kind: "shopware", old: "sw-old-shop-secret", new: "sw-new-shop-secret", cfg: plain("shopware"),
			body:   []byte(`{"data":{"payload":[],"event":"product.written"},"source":{"shopId":"dgrH7nLU6tlE","eventId":"e1"},"timestamp":1614265330}`),
			header: header("X-Shopware-Sequence", "1"),
		},
		{
			kind: "chargebee", old: "cb-user:old-pass", new: "cb-user:new-pass", cfg: plain("chargebee"),
			body: []byte(`{"id":"ev_1","event_type":"subscription_created","occurred_at":1614265330,"content":{"subscription":{"id":"sub_1"}}}`),
		},
		{
			kind: "lemonsqueezy", old: "ls-old-secret", new: "ls-new-secret", cfg: plain("lemonsqueezy"),
			body:   []byte(`{"meta":{"event_name":"order_created"},"data":{"type":"orders","id":"1","attributes":{"store_id":1}}}`),
			header: header("X-Event-Name", "order_created"),
		},
		{
			kind: "mollie", old: "mollie-old-secret", new: "mollie-new-secret", cfg: plain("mollie"),
			body: []byte(`{"resource":"event","id":"event_1","type":"payment-link.paid","entityId":"pl_1"}`),
		},
		{
			kind: "ecwid", old: "ecwid-old-secret", new: "ecwid-new-secret", cfg: plain("ecwid"), signsFields: true,
			body: []byte(`{"eventId":"e1","eventCreated":1614265330,"storeId":1003,"eventType":"order.created"}`),
		},
		{
			kind: "braintree", old: "bt_public:old_private", new: "bt_public:new_private", cfg: plain("braintree"), signsFields: true,
			body: []byte("bt_payload=" + url.QueryEscape(btPayload)),
		},
		{
			kind: "paypal", old: "1JE4291016473214C", new: "5GP028458E2496506", keyed: true,
			cfg: func(ids ...string) provider.Config {
				return provider.Config{Kind: "paypal", WebhookID: ids[0], DevelopmentKeys: true, Now: at(signedAt)}
			},
			body: []byte(`{"id":"WH-1","event_type":"PAYMENT.CAPTURE.COMPLETED","resource":{"id":"3C679366HH908993F"}}`),
		},
		{
			kind: "saleor", keyed: true,
			cfg: func(...string) provider.Config {
				return provider.Config{Kind: "saleor", APIURL: "https://shop.example/graphql/", DevelopmentKeys: true, Now: at(signedAt)}
			},
			body:   []byte(saleorDevBody),
			header: header("Saleor-Event", "order_created"),
		},
		{
			kind: "adobe", signsFields: true, keyed: true,
			cfg: func(...string) provider.Config {
				return provider.Config{Kind: "adobe", ClientID: adobeCommerceClientID, DevelopmentKeys: true, Now: at(signedAt)}
			},
			body: []byte(adobeCommerceBody),
		},
	}
}

// signAt signs body as the platform would at signedAt, inside the body
// for the kinds that sign there and in h, and returns the body to send.
func signAt(p *provider.Provider, body []byte, h http.Header) ([]byte, error) {
	body, err := p.SignBody(body)
	if err != nil {
		return nil, err
	}
	return body, p.Sign(body, h, time.Unix(signedAt, 0))
}

func TestKindCasesCoverKinds(t *testing.T) {
	var got []string
	for _, kc := range kindCases() {
		got = append(got, kc.kind)
	}
	if strings.Join(got, ",") != strings.Join(provider.Kinds(), ",") {
		t.Fatalf("kind cases %v, want one per kind %v", got, provider.Kinds())
	}
}

// TestSignVerifyRoundTrip: what Sign produces, Verify accepts and Extract
// reads, for every kind.
func TestSignVerifyRoundTrip(t *testing.T) {
	for _, kc := range kindCases() {
		t.Run(kc.kind, func(t *testing.T) {
			p := mustNew(t, kc.cfg(kc.old))
			bodies := [][]byte{kc.body, {}, []byte("not json \x00\xff")}
			if kc.signsFields {
				bodies = bodies[:1]
			}
			for _, body := range bodies {
				h := kc.header.Clone()
				if h == nil {
					h = http.Header{}
				}
				body, err := signAt(p, body, h)
				if err != nil {
					t.Fatalf("Sign: %v", err)
				}
				if err := p.Verify(body, h); err != nil {
					t.Fatalf("Verify(Sign(%q)): %v", body, err)
				}
			}
			h := kc.header.Clone()
			if h == nil {
				h = http.Header{}
			}
			body, err := signAt(p, kc.body, h)
			if err != nil {
				t.Fatalf("Sign: %v", err)
			}
			e, err := p.Extract(body, h)
			if err != nil {
				t.Fatalf("Extract: %v", err)
			}
			if e.ID == "" || e.Type == "" {
				t.Fatalf("Extract = %+v, want ID and Type", e)
			}
		})
	}
}

// TestSignSetsOnlySignatureHeaders: Sign adds the signature (and the
// signed id/timestamp) and leaves the caller's headers alone.
func TestSignSetsOnlySignatureHeaders(t *testing.T) {
	want := map[string][]string{
		"shopify":          {"X-Shopify-Hmac-Sha256"},
		"woocommerce":      {"X-Wc-Webhook-Signature"},
		"stripe":           {"Stripe-Signature"},
		"standardwebhooks": {"Webhook-Id", "Webhook-Signature", "Webhook-Timestamp"},
		"github":           {"X-Hub-Signature-256"},
		"hmac":             {"X-Signature"},
		"paddle":           {"Paddle-Signature"},
		"recurly":          {"Recurly-Signature"},
		"razorpay":         {"X-Razorpay-Signature"},
		"square":           {"X-Square-Hmacsha256-Signature"},
		"adyen":            nil, // it signs inside the body
		"bigcommerce":      {"Webhook-Id", "Webhook-Signature", "Webhook-Timestamp"},
		"shopware":         {"Shopware-Shop-Signature"},
		"chargebee":        {"Authorization"},
		"lemonsqueezy":     {"X-Signature"},
		"mollie":           {"X-Mollie-Signature"},
		"ecwid":            {"X-Ecwid-Webhook-Signature"},
		"braintree":        nil, // it signs inside the body
		"paypal":           {"Paypal-Auth-Algo", "Paypal-Cert-Url", "Paypal-Transmission-Id", "Paypal-Transmission-Sig", "Paypal-Transmission-Time"},
		"saleor":           {"Saleor-Signature", "Saleor-Api-Url", "Saleor-Domain"},
		"adobe":            {"X-Adobe-Digital-Signature-1", "X-Adobe-Digital-Signature-2", "X-Adobe-Public-Key1-Path", "X-Adobe-Public-Key2-Path"},
	}
	for _, kc := range kindCases() {
		t.Run(kc.kind, func(t *testing.T) {
			h := header("Content-Type", "application/json")
			if err := mustNew(t, kc.cfg(kc.old)).Sign(kc.body, h, time.Unix(signedAt, 0)); err != nil {
				t.Fatal(err)
			}
			h.Del("Content-Type")
			var got []string
			for name := range h {
				got = append(got, name)
			}
			if len(got) != len(want[kc.kind]) {
				t.Fatalf("Sign set %v, want %v", got, want[kc.kind])
			}
			for _, name := range want[kc.kind] {
				if h.Get(name) == "" {
					t.Fatalf("Sign set %v, want %v", got, want[kc.kind])
				}
			}
		})
	}
}

// TestSecretRotation: with the old and the new secret configured, in
// either order, a delivery signed with either verifies; one signed with a
// third does not. The keyed kinds' rotation is their key sets' (see
// TestSaleorKeyRotation).
func TestSecretRotation(t *testing.T) {
	for _, kc := range kindCases() {
		if kc.keyed {
			continue
		}
		t.Run(kc.kind, func(t *testing.T) {
			third := kc.cfg(kc.old).Secrets[0] + "x"
			if kc.kind == "standardwebhooks" {
				third = "whsec_dGhpcmQtc2VjcmV0LWtleQ==" // base64("third-secret-key")
			}
			if kc.kind == "adyen" {
				third = kc.old + "01" // hex, one byte longer (a zero byte would pad to the same HMAC key)
			}
			signers := map[string]*provider.Provider{
				"old":   mustNew(t, kc.cfg(kc.old)),
				"new":   mustNew(t, kc.cfg(kc.new)),
				"third": mustNew(t, kc.cfg(third)),
			}
			for _, order := range [][]string{{kc.old, kc.new}, {kc.new, kc.old}} {
				verifier := mustNew(t, kc.cfg(order...))
				for name, signer := range signers {
					h := http.Header{}
					body, err := signAt(signer, kc.body, h)
					if err != nil {
						t.Fatal(err)
					}
					var want error
					if name == "third" {
						want = provider.ErrBadSignature
					}
					err = verifier.Verify(body, h)
					checkSentinel(t, err, want)
					checkNoLeak(t, err, kc.old, kc.new, third)
				}
			}
		})
	}
}

// TestSignUsesFirstSecret: a provider signs with its first secret, so a
// verifier that knows only that one accepts.
func TestSignUsesFirstSecret(t *testing.T) {
	for _, kc := range kindCases() {
		if kc.keyed {
			continue
		}
		t.Run(kc.kind, func(t *testing.T) {
			h := http.Header{}
			body, err := signAt(mustNew(t, kc.cfg(kc.new, kc.old)), kc.body, h)
			if err != nil {
				t.Fatal(err)
			}
			checkSentinel(t, mustNew(t, kc.cfg(kc.new)).Verify(body, h), nil)
			checkSentinel(t, mustNew(t, kc.cfg(kc.old)).Verify(body, h), provider.ErrBadSignature)
		})
	}
}

func TestNewErrors(t *testing.T) {
	const secret = "s3cr3t-value-do-not-leak"
	valid := provider.HMACConfig{Header: "X-Signature", ID: "json:id", Type: "json:type"}
	hmacWith := func(edit func(c *provider.HMACConfig)) provider.Config {
		c := valid
		edit(&c)
		return provider.Config{Kind: "hmac", Secrets: []string{secret}, HMAC: c}
	}
	cases := []struct {
		name string
		cfg  provider.Config
		want string // the error text starts with this
	}{
		{"no kind", provider.Config{Secrets: []string{secret}}, "kind: required (want one of shopify, woocommerce, stripe, standardwebhooks, github, hmac, "},
		{"unknown kind", provider.Config{Kind: "foo", Secrets: []string{secret}}, `provider "foo" is unknown (want one of shopify, woocommerce, stripe, standardwebhooks, github, hmac, `},
		{"kind is case-sensitive", provider.Config{Kind: "Shopify", Secrets: []string{secret}}, `provider "Shopify" is unknown`},
		{"no secrets", provider.Config{Kind: "shopify"}, "secrets: at least one non-empty secret is required"},
		{"empty secret", provider.Config{Kind: "shopify", Secrets: []string{""}}, "secrets[0]: empty"},
		{"one empty secret of two", provider.Config{Kind: "github", Secrets: []string{secret, ""}}, "secrets[1]: empty"},
		{"negative tolerance", provider.Config{Kind: "stripe", Secrets: []string{secret}, Tolerance: -time.Second}, "tolerance: must not be negative"},
		{"type prefix on shopify", provider.Config{Kind: "shopify", Secrets: []string{secret}, TypePrefix: "com.example."}, "type_prefix: only for standardwebhooks and hmac"},
		{"type prefix on stripe", provider.Config{Kind: "stripe", Secrets: []string{secret}, TypePrefix: "com.stripe."}, "type_prefix: only for standardwebhooks and hmac"},
		{"type prefix on paddle", provider.Config{Kind: "paddle", Secrets: []string{secret}, TypePrefix: "com.paddle."}, "type_prefix: only for standardwebhooks and hmac"},
		{"negative tolerance on recurly", provider.Config{Kind: "recurly", Secrets: []string{secret}, Tolerance: -time.Second}, "tolerance: must not be negative"},
		{"hmac fields on razorpay", provider.Config{Kind: "razorpay", Secrets: []string{secret}, HMAC: provider.HMACConfig{Header: "X-Razorpay-Signature"}}, "hmac: only for kind hmac"},
		{"secret_encoding on paddle", provider.Config{Kind: "paddle", Secrets: []string{secret}, SecretEncoding: "raw"}, "secret_encoding: only for standardwebhooks"},
		{"type prefix on lemonsqueezy", provider.Config{Kind: "lemonsqueezy", Secrets: []string{secret}, TypePrefix: "com.example."}, "type_prefix: only for standardwebhooks and hmac"},
		{"hmac fields on mollie", provider.Config{Kind: "mollie", Secrets: []string{secret}, HMAC: provider.HMACConfig{Prefix: "sha256="}}, "hmac: only for kind hmac"},
		{"negative tolerance on ecwid", provider.Config{Kind: "ecwid", Secrets: []string{secret}, Tolerance: -time.Second}, "tolerance: must not be negative"},
		{"secret encoding on ecwid", provider.Config{Kind: "ecwid", Secrets: []string{secret}, SecretEncoding: "raw"}, "secret_encoding: only for standardwebhooks"},
		{"hmac fields on github", provider.Config{Kind: "github", Secrets: []string{secret}, HMAC: provider.HMACConfig{Header: "X-Sig"}}, "hmac: only for kind hmac"},
		{"hmac fields on standardwebhooks", provider.Config{Kind: "standardwebhooks", Secrets: []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}, HMAC: provider.HMACConfig{ID: "json:id"}}, "hmac: only for kind hmac"},
		{"standardwebhooks secret not base64", provider.Config{Kind: "standardwebhooks", Secrets: []string{"whsec_" + secret + "!"}}, "secrets[0]: not a Standard Webhooks secret"},
		{"standardwebhooks second secret not base64", provider.Config{Kind: "standardwebhooks", Secrets: []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", secret + "%"}}, "secrets[1]: not a Standard Webhooks secret"},
		{"standardwebhooks empty key", provider.Config{Kind: "standardwebhooks", Secrets: []string{"whsec_"}}, "secrets[0]: not a Standard Webhooks secret"},
		{"square without notification_url", provider.Config{Kind: "square", Secrets: []string{secret}}, "notification_url: required for square"},
		{"notification_url on shopify", provider.Config{Kind: "shopify", Secrets: []string{secret}, NotificationURL: "https://a.example/"}, "notification_url: only for square"},
		{"notification_url relative", provider.Config{Kind: "square", Secrets: []string{secret}, NotificationURL: "/webhooks/sq"}, "notification_url: want an absolute https:// URL"},
		{"notification_url other scheme", provider.Config{Kind: "square", Secrets: []string{secret}, NotificationURL: "ftp://a.example/"}, "notification_url: want an absolute https:// URL"},
		{"notification_url scheme case", provider.Config{Kind: "square", Secrets: []string{secret}, NotificationURL: "HTTPS://a.example/"}, "notification_url: want an absolute https:// URL"},
		{"notification_url no host", provider.Config{Kind: "square", Secrets: []string{secret}, NotificationURL: "https:///webhooks"}, "notification_url: has no host"},
		{"notification_url fragment", provider.Config{Kind: "square", Secrets: []string{secret}, NotificationURL: "https://a.example/#x"}, "notification_url: has a fragment"},
		{"notification_url trailing space", provider.Config{Kind: "square", Secrets: []string{secret}, NotificationURL: "https://a.example/ "}, "notification_url:"},
		{"notification_url bad host", provider.Config{Kind: "square", Secrets: []string{secret}, NotificationURL: "https://a b/"}, "notification_url: not a URL"},
		{"adyen key not hex", provider.Config{Kind: "adyen", Secrets: []string{adyenKey, secret}}, "secrets[1]: not an Adyen HMAC key"},
		{"type prefix on square", provider.Config{Kind: "square", Secrets: []string{secret}, NotificationURL: "https://a.example/", TypePrefix: "com.x."}, "type_prefix: only for standardwebhooks and hmac"},
		{"hmac header missing", hmacWith(func(c *provider.HMACConfig) { c.Header = "" }), "hmac.header: required"},
		{"hmac header not a name", hmacWith(func(c *provider.HMACConfig) { c.Header = "X Signature" }), "hmac.header:"},
		{"hmac algorithm", hmacWith(func(c *provider.HMACConfig) { c.Algorithm = "md5" }), `hmac.algorithm: "md5" is unknown (want sha256 or sha512)`},
		{"hmac algorithm case", hmacWith(func(c *provider.HMACConfig) { c.Algorithm = "SHA256" }), `hmac.algorithm:`},
		{"hmac encoding", hmacWith(func(c *provider.HMACConfig) { c.Encoding = "base32" }), `hmac.encoding: "base32" is unknown (want hex or base64)`},
		{"hmac id missing", hmacWith(func(c *provider.HMACConfig) { c.ID = "" }), "hmac.id: required"},
		{"hmac type missing", hmacWith(func(c *provider.HMACConfig) { c.Type = "" }), "hmac.type: required"},
		{"hmac id bad kind", hmacWith(func(c *provider.HMACConfig) { c.ID = "body:id" }), `hmac.id: "body:id": want header:<Name> or json:<dot.path>`},
		{"hmac id no colon", hmacWith(func(c *provider.HMACConfig) { c.ID = "id" }), `hmac.id: "id"`},
		{"hmac type empty path", hmacWith(func(c *provider.HMACConfig) { c.Type = "json:" }), `hmac.type: "json:"`},
		{"hmac subject empty key", hmacWith(func(c *provider.HMACConfig) { c.Subject = "json:a..b" }), `hmac.subject: "json:a..b"`},
		{"hmac subject key of U+FFFD", hmacWith(func(c *provider.HMACConfig) { c.Subject = "json:data.\ufffd" }), "hmac.subject: \"json:data.\ufffd\": key \"\ufffd\" cannot be told from a key of invalid UTF-8"},
		{"hmac subject trailing dot", hmacWith(func(c *provider.HMACConfig) { c.Subject = "json:a." }), `hmac.subject:`},
		{"hmac time empty header", hmacWith(func(c *provider.HMACConfig) { c.Time = "header:" }), `hmac.time: "header:"`},
		{"hmac source bad header", hmacWith(func(c *provider.HMACConfig) { c.Source = "header:X Shop" }), `hmac.source:`},
		{"hmac locator upper case", hmacWith(func(c *provider.HMACConfig) { c.ID = "JSON:id" }), `hmac.id:`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := provider.New(c.cfg)
			if err == nil {
				t.Fatalf("New = %v, want an error", p)
			}
			if !strings.HasPrefix(err.Error(), c.want) {
				t.Fatalf("err = %q, want it to start with %q", err, c.want)
			}
			if countSentinels(err) != 0 {
				t.Fatalf("config error %q wraps a delivery sentinel", err)
			}
			checkNoLeak(t, err, secret)
			for _, s := range c.cfg.Secrets {
				checkNoLeak(t, err, s)
			}
		})
	}
}

func TestNewDefaults(t *testing.T) {
	// Tolerance 0 is DefaultTolerance and a nil Now is the wall clock: a
	// Stripe delivery signed now passes, one signed DefaultTolerance+1s
	// ago does not.
	p := mustNew(t, provider.Config{Kind: "stripe", Secrets: []string{"whsec_x"}})
	body := []byte(`{}`)
	h := http.Header{}
	if err := p.Sign(body, h, time.Now()); err != nil {
		t.Fatal(err)
	}
	checkSentinel(t, p.Verify(body, h), nil)
	if err := p.Sign(body, h, time.Now().Add(-provider.DefaultTolerance-2*time.Second)); err != nil {
		t.Fatal(err)
	}
	checkSentinel(t, p.Verify(body, h), provider.ErrStale)
}

func TestKindAndCEType(t *testing.T) {
	cases := []struct {
		cfg       provider.Config
		eventType string
		want      string
	}{
		{provider.Config{Kind: "shopify"}, "orders/create", "com.shopify.orders.create"},
		{provider.Config{Kind: "woocommerce"}, "order.created", "com.woocommerce.order.created"},
		{provider.Config{Kind: "stripe"}, "payment_intent.succeeded", "com.stripe.payment_intent.succeeded"},
		{provider.Config{Kind: "github"}, "pull_request.opened", "com.github.pull_request.opened"},
		{provider.Config{Kind: "paddle"}, "transaction.completed", "com.paddle.transaction.completed"},
		{provider.Config{Kind: "recurly"}, "charge_invoice.paid", "com.recurly.charge_invoice.paid"},
		{provider.Config{Kind: "razorpay"}, "payment.captured", "com.razorpay.payment.captured"},
		{provider.Config{Kind: "square", NotificationURL: "http://localhost:8080/webhooks/sq"}, "order.created", "com.square.order.created"},
		{provider.Config{Kind: "adyen"}, "AUTHORISATION", "com.adyen.AUTHORISATION"},
		{provider.Config{Kind: "lemonsqueezy"}, "order_created", "com.lemonsqueezy.order_created"},
		{provider.Config{Kind: "mollie"}, "payment-link.paid", "com.mollie.payment-link.paid"},
		{provider.Config{Kind: "ecwid"}, "order.created", "com.ecwid.order.created"},
		{provider.Config{Kind: "saleor", APIURL: "https://shop.example/graphql/"}, "order_fully_paid", "com.saleor.order_fully_paid"},
		{provider.Config{Kind: "standardwebhooks", TypePrefix: "com.bigcommerce."}, "store/order/statusUpdated", "com.bigcommerce.store.order.statusUpdated"},
		{provider.Config{Kind: "standardwebhooks"}, "invoice.paid", "invoice.paid"},
		{provider.Config{Kind: "hmac", TypePrefix: "com.lemonsqueezy.", HMAC: provider.HMACConfig{Header: "X-Signature", ID: "json:id", Type: "json:meta.event_name"}}, "order_created", "com.lemonsqueezy.order_created"},
	}
	for _, c := range cases {
		if c.cfg.Kind != "saleor" {
			c.cfg.Secrets = []string{"secret"}
		}
		if c.cfg.Kind == "adyen" {
			c.cfg.Secrets = []string{adyenKey}
		}
		if c.cfg.Kind == "standardwebhooks" {
			c.cfg.Secrets = []string{swOld}
		}
		p := mustNew(t, c.cfg)
		if p.Kind() != c.cfg.Kind {
			t.Errorf("Kind() = %q, want %q", p.Kind(), c.cfg.Kind)
		}
		if got := p.CEType(c.eventType); got != c.want {
			t.Errorf("%s: CEType(%q) = %q, want %q", c.cfg.Kind, c.eventType, got, c.want)
		}
	}
}

// TestProviderConcurrentUse exercises one Provider from several
// goroutines; run with -race.
func TestProviderConcurrentUse(t *testing.T) {
	for _, kc := range kindCases() {
		p := mustNew(t, kc.cfg(kc.old, kc.new))
		done := make(chan error)
		for range 4 {
			go func() {
				h := kc.header.Clone()
				if h == nil {
					h = http.Header{}
				}
				body, err := signAt(p, kc.body, h)
				if err != nil {
					done <- err
					return
				}
				if err := p.Verify(body, h); err != nil {
					done <- err
					return
				}
				_, err = p.Extract(body, h)
				done <- err
			}()
		}
		for range 4 {
			if err := <-done; err != nil {
				t.Errorf("%s: %v", kc.kind, err)
			}
		}
	}
}

// TestSignsBody: only ecwid's signature leaves the body unauthenticated,
// and only paypal's covers it through a CRC.
func TestSignsBody(t *testing.T) {
	for _, kc := range kindCases() {
		p := mustNew(t, kc.cfg(kc.old))
		if got, want := p.SignsBody(), kc.kind != "ecwid"; got != want {
			t.Errorf("%s: SignsBody() = %v, want %v", kc.kind, got, want)
		}
		if got, want := p.SignsBodyWeakly(), kc.kind == "paypal"; got != want {
			t.Errorf("%s: SignsBodyWeakly() = %v, want %v", kc.kind, got, want)
		}
	}
}
