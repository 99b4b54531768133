package provider_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hookbridge/hookbridge/bridge/provider"
)

// Ecwid publishes no test vector. PLATFORMS.md section 6 computed one from
// the documented algorithm (base64 HMAC-SHA256 of "<eventCreated>.<eventId>"
// under the app's client_secret): secret test_client_secret, eventCreated
// 1614265330, eventId abc123. ecwidBody carries those two fields in an
// order.created body shaped as Ecwid's docs show one ("Event data in
// webhooks").
const (
	ecwidSecret  = "test_client_secret"
	ecwidCreated = 1614265330
	ecwidSig     = "Mh8UcTHKnVUo4Y8a39uS9W3hHH7S7fzPB0a9Pbv7cMM="
	ecwidBody    = `{"eventId":"abc123","eventCreated":1614265330,"storeId":1003,"entityId":103878161,"eventType":"order.created","data":{"orderId":"XJ12H","newPaymentStatus":"PAID","newFulfillmentStatus":"AWAITING_PROCESSING"}}`
)

// ecwidSign is an independent base64 HMAC-SHA256 of "<created>.<id>".
func ecwidSign(secret, created, id string) string { return ecwidMAC(secret, created+"."+id) }

// ecwidMAC is base64 HMAC-SHA256 of msg.
func ecwidMAC(secret, msg string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(msg))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func ecwidDelivery() delivery {
	return delivery{body: []byte(ecwidBody), h: header("Content-Type", "application/json; charset=UTF-8", "X-Ecwid-Webhook-Signature", ecwidSig)}
}

func TestEcwidVerify(t *testing.T) {
	if got := ecwidSign(ecwidSecret, "1614265330", "abc123"); got != ecwidSig {
		t.Fatalf("vector self-check: %s", got)
	}
	p := mustNew(t, provider.Config{Kind: "ecwid", Secrets: []string{ecwidSecret}, Now: at(ecwidCreated)})
	other := ecwidSign("other_client_secret", "1614265330", "abc123")
	set := func(v string) func(d *delivery) { return func(d *delivery) { d.h.Set("X-Ecwid-Webhook-Signature", v) } }
	body := func(old, new string) func(d *delivery) {
		return func(d *delivery) { d.body = []byte(strings.Replace(ecwidBody, old, new, 1)) }
	}
	runMutations(t, p, ecwidDelivery(), []string{ecwidSecret, ecwidSig, other}, []mutation{
		{name: "vector", want: nil},
		// What the signature does not cover: accepted, as Ecwid's own
		// check would. This is why consumers must re-fetch the entity.
		{name: "unsigned: eventType changed", edit: body("order.created", "order.deleted"), want: nil},
		{name: "unsigned: storeId changed", edit: body(`"storeId":1003`, `"storeId":1004`), want: nil},
		{name: "unsigned: entityId changed", edit: body(`103878161`, `103878162`), want: nil},
		{name: "unsigned: data changed", edit: body(`"PAID"`, `"REFUNDED"`), want: nil},
		{name: "unsigned: white space and order", edit: func(d *delivery) {
			d.body = []byte(`{ "eventType": "order.created", "eventCreated": 1614265330, "eventId": "abc123" }`)
		}, want: nil},
		{name: "eventCreated as a string", edit: body(`1614265330`, `"1614265330"`), want: nil},
		{name: "header missing", edit: func(d *delivery) { d.h.Del("X-Ecwid-Webhook-Signature") }, want: provider.ErrMissingSignature},
		{name: "header empty", edit: set(""), want: provider.ErrMissingSignature},
		{name: "eventId missing", edit: body(`"eventId":"abc123",`, ``), want: provider.ErrMissingSignature},
		{name: "eventCreated missing", edit: body(`"eventCreated":1614265330,`, ``), want: provider.ErrMissingSignature},
		{name: "eventId null", edit: body(`"abc123"`, `null`), want: provider.ErrMissingSignature},
		{name: "eventId an object", edit: body(`"abc123"`, `{"id":"abc123"}`), want: provider.ErrMissingSignature},
		{name: "body not JSON", edit: func(d *delivery) { d.body = []byte("eventCreated=1614265330&eventId=abc123") }, want: provider.ErrMissingSignature},
		{name: "body empty", edit: func(d *delivery) { d.body = nil }, want: provider.ErrMissingSignature},
		{name: "not base64", edit: set("%%%"), want: provider.ErrMalformedSignature},
		{name: "hex instead of base64", edit: set(strings.Repeat("3f", 32)), want: provider.ErrMalformedSignature},
		{name: "base64 without padding", edit: set(strings.TrimSuffix(ecwidSig, "=")), want: provider.ErrMalformedSignature},
		{name: "eventCreated with a fraction", edit: body(`1614265330`, `1614265330.0`), want: provider.ErrMalformedSignature},
		{name: "eventCreated negative", edit: body(`1614265330`, `-1614265330`), want: provider.ErrMalformedSignature},
		{name: "eventCreated in exponent form", edit: body(`1614265330`, `1.61426533e9`), want: provider.ErrMalformedSignature},
		{name: "eventId twice", edit: body(`"eventId":"abc123",`, `"eventId":"abc123","eventId":"other",`), want: provider.ErrMalformedSignature},
		{name: "EventId beside eventId", edit: body(`"eventId":"abc123",`, `"EventId":"other","eventId":"abc123",`), want: provider.ErrMalformedSignature},
		{name: "eventCreated twice", edit: body(`"eventCreated":1614265330,`, `"eventCreated":1614265330,"eventCreated":1614265331,`), want: provider.ErrMalformedSignature},
		{name: "wrong secret", edit: set(other), want: provider.ErrBadSignature},
		{name: "eventId changed", edit: body(`"abc123"`, `"abc124"`), want: provider.ErrBadSignature},
		{name: "eventId with a space", edit: body(`"abc123"`, `" abc123"`), want: provider.ErrBadSignature},
		{name: "eventCreated changed", edit: body(`1614265330`, `1614265331`), want: provider.ErrBadSignature},
		{name: "eventCreated with a leading zero as a string", edit: body(`1614265330`, `"01614265330"`), want: provider.ErrBadSignature},
		{name: "signed over the body", edit: set(ecwidMAC(ecwidSecret, ecwidBody)), want: provider.ErrBadSignature},
		{name: "signed without the dot", edit: set(ecwidMAC(ecwidSecret, "1614265330abc123")), want: provider.ErrBadSignature},
	})
}

// TestEcwidTolerance: eventCreated is the signed time; the MAC is checked
// before it. An unset tolerance is 24 hours, Ecwid's retry period, not
// DefaultTolerance; an explicit one wins.
func TestEcwidTolerance(t *testing.T) {
	const day = 24 * time.Hour
	created := time.Unix(ecwidCreated, 0)
	cases := []struct {
		name      string
		tolerance time.Duration
		now       time.Time
		sig       string
		want      error
	}{
		{"now", 0, created, ecwidSig, nil},
		{"a retry 24 h later, tolerance unset", 0, created.Add(day), ecwidSig, nil},
		{"24 h and a second later, tolerance unset", 0, created.Add(day + time.Second), ecwidSig, provider.ErrStale},
		{"future, at 24 h, tolerance unset", 0, created.Add(-day), ecwidSig, nil},
		{"future, a second past 24 h, tolerance unset", 0, created.Add(-day - time.Second), ecwidSig, provider.ErrStale},
		{"old, at an explicit 5m", 5 * time.Minute, created.Add(5 * time.Minute), ecwidSig, nil},
		{"old, a second past an explicit 5m", 5 * time.Minute, created.Add(5*time.Minute + time.Second), ecwidSig, provider.ErrStale},
		{"a retry 24 h later, explicit 5m", 5 * time.Minute, created.Add(day), ecwidSig, provider.ErrStale},
		{"a retry 30 h later, explicit 48h", 48 * time.Hour, created.Add(30 * time.Hour), ecwidSig, nil},
		{"stale and forged", 0, created.Add(day + time.Hour), ecwidSign("other", "1614265330", "abc123"), provider.ErrBadSignature},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			now := c.now
			p := mustNew(t, provider.Config{Kind: "ecwid", Secrets: []string{ecwidSecret}, Tolerance: c.tolerance, Now: func() time.Time { return now }})
			err := p.Verify([]byte(ecwidBody), header("X-Ecwid-Webhook-Signature", c.sig))
			checkSentinel(t, err, c.want)
			checkNoLeak(t, err, ecwidSecret, c.sig)
		})
	}
}

func TestEcwidRotation(t *testing.T) {
	d := ecwidDelivery()
	for _, secrets := range [][]string{{"old_client_secret", ecwidSecret}, {ecwidSecret, "old_client_secret"}} {
		checkSentinel(t, mustNew(t, provider.Config{Kind: "ecwid", Secrets: secrets, Now: at(ecwidCreated)}).Verify(d.body, d.h), nil)
	}
}

// TestEcwidSign: the signature is over the body's own fields, whatever
// the time given; a body without them cannot be signed.
func TestEcwidSign(t *testing.T) {
	p := mustNew(t, provider.Config{Kind: "ecwid", Secrets: []string{ecwidSecret}})
	h := http.Header{}
	if err := p.Sign([]byte(ecwidBody), h, time.Unix(1, 0)); err != nil {
		t.Fatal(err)
	}
	if got := h.Get("X-Ecwid-Webhook-Signature"); got != ecwidSig {
		t.Fatalf("Sign = %q, want %q", got, ecwidSig)
	}
	for _, body := range []string{`{}`, `{"eventId":"abc123"}`, `{"eventId":"a","eventCreated":"soon"}`, "not json"} {
		h := http.Header{}
		if err := p.Sign([]byte(body), h, time.Unix(ecwidCreated, 0)); err == nil || len(h) != 0 {
			t.Errorf("Sign(%s) = %v, set %v; want an error and no header", body, err, h)
		}
	}
}

func TestEcwidExtract(t *testing.T) {
	p := mustNew(t, provider.Config{Kind: "ecwid", Secrets: []string{ecwidSecret}})
	cases := []struct {
		name string
		body string
		want provider.Event
		err  error
	}{
		{
			name: "order created", body: ecwidBody,
			want: provider.Event{ID: "abc123", Type: "order.created", Source: "1003", Subject: "103878161", Time: time.Unix(ecwidCreated, 0)},
		},
		{
			name: "unfinished order of an older store: entityId -1",
			body: `{"eventId":"80aece08-40e8-4145-8764-6c2f0d38678","eventCreated":1234567,"storeId":1003,"entityId":-1,"eventType":"unfinished_order.created"}`,
			want: provider.Event{ID: "80aece08-40e8-4145-8764-6c2f0d38678", Type: "unfinished_order.created", Source: "1003", Time: time.Unix(1234567, 0)},
		},
		{name: "numeric eventId as written", body: `{"eventId":42,"eventCreated":1,"eventType":"product.created"}`, want: provider.Event{ID: "42", Type: "product.created", Time: time.Unix(1, 0)}},
		{name: "no eventId", body: `{"eventCreated":1,"eventType":"product.created"}`, err: provider.ErrUnusable},
		{name: "no eventType", body: `{"eventId":"a","eventCreated":1}`, err: provider.ErrUnusable},
		{name: "eventType twice", body: `{"eventId":"a","eventType":"order.created","eventType":"order.deleted"}`, err: provider.ErrUnusable},
		{name: "storeId in two cases", body: `{"eventId":"a","eventType":"x","storeId":1,"StoreId":2}`, err: provider.ErrUnusable},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := p.Extract([]byte(c.body), http.Header{})
			checkSentinel(t, err, c.err)
			if !eventEqual(got, c.want) {
				t.Fatalf("Extract = %+v, want %+v", got, c.want)
			}
		})
	}
}
