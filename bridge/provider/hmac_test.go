package provider_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/hookbridge/hookbridge/bridge/provider"
)

// TestHMACReproducesGitHub: the generic kind configured as GitHub signs
// passes GitHub's public vector.
func TestHMACReproducesGitHub(t *testing.T) {
	p := mustNew(t, provider.Config{Kind: "hmac", Secrets: []string{githubSecret}, TypePrefix: "com.github.", HMAC: provider.HMACConfig{
		Header: "X-Hub-Signature-256", Algorithm: "sha256", Encoding: "hex", Prefix: "sha256=",
		ID: "header:X-GitHub-Delivery", Type: "header:X-GitHub-Event",
	}})
	set := func(v string) func(d *delivery) { return func(d *delivery) { d.h.Set("X-Hub-Signature-256", v) } }
	runMutations(t, p, githubDelivery(), []string{githubSecret, githubSig[7:]}, []mutation{
		{name: "vector", want: nil},
		{name: "header missing", edit: func(d *delivery) { d.h.Del("X-Hub-Signature-256") }, want: provider.ErrMissingSignature},
		{name: "prefix missing", edit: set(githubSig[7:]), want: provider.ErrMalformedSignature},
		{name: "base64 instead of hex", edit: set("sha256=dXEH6g6yUJ/CESIczphLijdXC21YbCLEb0N5yLBD4Xc="), want: provider.ErrMalformedSignature},
		{name: "body changed by one byte", edit: func(d *delivery) { d.body = flipByte(d.body, 12) }, want: provider.ErrBadSignature},
	})
	e, err := p.Extract([]byte(githubBody), githubDelivery().h)
	checkSentinel(t, err, nil)
	if e.ID != "d1" || e.Type != "ping" {
		t.Fatalf("Extract = %+v", e)
	}
}

// razorpayBody is the payload of razorpay-go resources/verify_payment_test.go
// (PLATFORMS.md section 6, vector 6a), byte for byte: 778 bytes, no
// trailing newline. Signed with "123456" it gives razorpaySig.
const (
	razorpayBody = `{"entity":"event","account_id":"acc_HVFD0PFnHPAzKj","event":"payment.authorized","contains":["payment"],"payload":{"payment":{"entity":{"id":"pay_JUEM4c0pSLpFEW","entity":"payment","amount":12300,"currency":"INR","status":"authorized","order_id":"order_JUELuT6cFaHkvd","invoice_id":null,"international":false,"method":"netbanking","amount_refunded":0,"refund_status":null,"captured":false,"description":"#JUELZ1z1EC0pwi","card_id":null,"bank":"SBIN","wallet":null,"vpa":null,"email":"prathmesh.bijjargi@razorpay.com","contact":"+917411714931","notes":[],"fee":null,"tax":null,"error_code":null,"error_description":null,"error_source":null,"error_step":null,"error_reason":null,"acquirer_data":{"bank_transaction_id":"6416615"},"created_at":1652339804}}},"created_at":1652339806}`
	razorpaySig  = "ea962f3a2a8090aa14ef10fc178306edcb46ee7ccadae8afe2275cda26f3d2a6"
)

// TestHMACRazorpay: the public Razorpay vector, and every locator form.
func TestHMACRazorpay(t *testing.T) {
	if len(razorpayBody) != 778 {
		t.Fatalf("razorpayBody is %d bytes, want 778", len(razorpayBody))
	}
	p := mustNew(t, provider.Config{Kind: "hmac", Secrets: []string{"123456"}, TypePrefix: "com.razorpay.", HMAC: provider.HMACConfig{
		Header: "X-Razorpay-Signature",
		ID:     "header:x-razorpay-event-id", Type: "json:event", Source: "json:account_id",
		Subject: "json:payload.payment.entity.id", Time: "json:created_at",
	}})
	h := header("X-Razorpay-Signature", razorpaySig, "X-Razorpay-Event-Id", "JUEM5LhOKBsnre")
	checkSentinel(t, p.Verify([]byte(razorpayBody), h), nil)
	e, err := p.Extract([]byte(razorpayBody), h)
	checkSentinel(t, err, nil)
	want := provider.Event{ID: "JUEM5LhOKBsnre", Type: "payment.authorized", Source: "acc_HVFD0PFnHPAzKj", Subject: "pay_JUEM4c0pSLpFEW", Time: time.Unix(1652339806, 0)}
	if !eventEqual(e, want) {
		t.Fatalf("Extract = %+v, want %+v", e, want)
	}
	if got := p.CEType(e.Type); got != "com.razorpay.payment.authorized" {
		t.Fatalf("CEType = %q", got)
	}
}

// TestHMACBase64SHA512: a base64 HMAC-SHA512 with a prefix. The expected
// value was computed with `openssl dgst -sha512 -hmac sha512-test-secret
// -binary | base64`.
func TestHMACBase64SHA512(t *testing.T) {
	const (
		secret = "sha512-test-secret"
		body   = `{"event":"order.paid","id":"ev_1"}`
		sig    = "Q3z26KrrDnoQW/du9ezT3GPuKTJ7Rc1U++zR3O4dlfysHDT2KHLAYAMle1N+5FRlzCsEFDzQ6CjYWANOFfH1pQ=="
	)
	cfg := provider.Config{Kind: "hmac", Secrets: []string{secret}, HMAC: provider.HMACConfig{
		Header: "X-Webhook-Signature", Algorithm: "sha512", Encoding: "base64", Prefix: "sha512=",
		ID: "json:id", Type: "json:event",
	}}
	p := mustNew(t, cfg)
	valid := delivery{body: []byte(body), h: header("X-Webhook-Signature", "sha512="+sig)}
	set := func(v string) func(d *delivery) { return func(d *delivery) { d.h.Set("X-Webhook-Signature", v) } }
	runMutations(t, p, valid, []string{secret, sig}, []mutation{
		{name: "computed vector", want: nil},
		{name: "prefix missing", edit: set(sig), want: provider.ErrMalformedSignature},
		{name: "sha256-sized digest", edit: set("sha512=B23tXN681gZ0qIWNRrgtzBE9XSDo5yaUu6wfmhu3a7g="), want: provider.ErrMalformedSignature},
		{name: "hex digest", edit: set("sha512=437cf6e8aaeb0e7a105bf76ef5ecd3dc63ee29327b45cd54fbecd1dcee1d95fcac1c34f62872c06003257b537ee454659c2b04143cd0e828d858034e15f1f5a5"), want: provider.ErrMalformedSignature},
		{name: "url-safe alphabet", edit: set("sha512=Q3z26KrrDnoQW_du9ezT3GPuKTJ7Rc1U--zR3O4dlfysHDT2KHLAYAMle1N-5FRlzCsEFDzQ6CjYWANOFfH1pQ=="), want: provider.ErrMalformedSignature},
		{name: "wrong secret", edit: func(d *delivery) {
			other := cfg
			other.Secrets = []string{"other"}
			if err := mustNew(t, other).Sign(d.body, d.h, time.Time{}); err != nil {
				t.Fatal(err)
			}
		}, want: provider.ErrBadSignature},
		{name: "body changed by one byte", edit: func(d *delivery) { d.body = flipByte(d.body, 5) }, want: provider.ErrBadSignature},
	})
	h := http.Header{}
	if err := p.Sign([]byte(body), h, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if got := h.Get("X-Webhook-Signature"); got != "sha512="+sig {
		t.Fatalf("Sign = %q, want %q", got, "sha512="+sig)
	}
}

// TestHMACLemonSqueezy: the self-computed Lemon Squeezy row of PLATFORMS.md
// section 6, with the defaults (sha256, hex, no prefix).
func TestHMACLemonSqueezy(t *testing.T) {
	p := mustNew(t, provider.Config{Kind: "hmac", Secrets: []string{"test_signing_secret"}, HMAC: provider.HMACConfig{
		Header: "X-Signature", ID: "header:X-Delivery", Type: "json:meta.event_name",
	}})
	body := []byte(`{"meta":{"event_name":"order_created"}}`)
	h := header("X-Signature", "fb08b2b92b36d9191e7018398f3c7515b04e9cc724ba738148fda24461eae53c")
	checkSentinel(t, p.Verify(body, h), nil)
}

func TestHMACExtractLocators(t *testing.T) {
	p := mustNew(t, provider.Config{Kind: "hmac", Secrets: []string{"s"}, HMAC: provider.HMACConfig{
		Header: "X-Sig", ID: "json:data.id", Type: "header:X-Event", Source: "header:X-Shop",
		Subject: "json:data.object.number", Time: "json:at",
	}})
	cases := []struct {
		name string
		body string
		h    http.Header
		want provider.Event
		err  error
	}{
		{
			name: "all found", body: `{"data":{"id":"d_1","object":{"number":12345678901234567890}},"at":"2024-01-02T03:04:05+02:00"}`,
			h:    header("X-Event", "thing.done", "X-Shop", "shop-9"),
			want: provider.Event{ID: "d_1", Type: "thing.done", Source: "shop-9", Subject: "12345678901234567890", Time: time.Date(2024, 1, 2, 1, 4, 5, 0, time.UTC)},
		},
		{
			name: "numbers as written, unix time as a number", body: `{"data":{"id":1e3,"object":{"number":-0.5}},"at":1700000000}`,
			h:    header("X-Event", "t"),
			want: provider.Event{ID: "1e3", Type: "t", Subject: "-0.5", Time: time.Unix(1700000000, 0)},
		},
		{
			name: "unix time as a string", body: `{"data":{"id":"x"},"at":"1700000000"}`,
			h:    header("X-Event", "t"),
			want: provider.Event{ID: "x", Type: "t", Time: time.Unix(1700000000, 0)},
		},
		{
			name: "unparseable time, object subject", body: `{"data":{"id":"x","object":{"number":{"n":1}}},"at":"tomorrow"}`,
			h:    header("X-Event", "t"),
			want: provider.Event{ID: "x", Type: "t"},
		},
		{
			name: "fractional unix time", body: `{"data":{"id":"x"},"at":1700000000.5}`,
			h:    header("X-Event", "t"),
			want: provider.Event{ID: "x", Type: "t"},
		},
		{
			name: "duplicate key on the path: readers differ on which wins", body: `{"data":{"id":"first"},"data":{"id":"second"}}`,
			h:   header("X-Event", "t"),
			err: provider.ErrUnusable,
		},
		{
			name: "duplicate key off the path", body: `{"data":{"id":"x"},"note":1,"note":2}`,
			h:    header("X-Event", "t"),
			want: provider.Event{ID: "x", Type: "t"},
		},
		{
			name: "escaped string", body: `{"data":{"id":"a\u00e9\"b"}}`,
			h:    header("X-Event", "t"),
			want: provider.Event{ID: "aé\"b", Type: "t"},
		},
		{name: "id is null", body: `{"data":{"id":null}}`, h: header("X-Event", "t"), err: provider.ErrUnusable},
		{name: "id is true", body: `{"data":{"id":true}}`, h: header("X-Event", "t"), err: provider.ErrUnusable},
		{name: "id is empty", body: `{"data":{"id":""}}`, h: header("X-Event", "t"), err: provider.ErrUnusable},
		{name: "data is an array", body: `{"data":[{"id":"x"}]}`, h: header("X-Event", "t"), err: provider.ErrUnusable},
		{name: "invalid JSON", body: `{"data":{"id":"x"}`, h: header("X-Event", "t"), err: provider.ErrUnusable},
		{name: "trailing data", body: `{"data":{"id":"x"}} {}`, h: header("X-Event", "t"), err: provider.ErrUnusable},
		{name: "type header missing", body: `{"data":{"id":"x"}}`, h: http.Header{}, err: provider.ErrUnusable},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := p.Extract([]byte(c.body), c.h)
			checkSentinel(t, err, c.err)
			if !eventEqual(got, c.want) {
				t.Fatalf("Extract = %+v, want %+v", got, c.want)
			}
		})
	}
}

func TestHMACTimestampIgnoresTolerance(t *testing.T) {
	// hmac signs no time: a delivery verifies whatever the clock says.
	p := mustNew(t, provider.Config{Kind: "hmac", Secrets: []string{githubSecret}, Tolerance: time.Second, Now: at(0), HMAC: provider.HMACConfig{
		Header: "X-Hub-Signature-256", Prefix: "sha256=", ID: "json:id", Type: "json:type",
	}})
	d := githubDelivery()
	checkSentinel(t, p.Verify(d.body, d.h), nil)
}
