package provider_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hookbridge/hookbridge/bridge/provider"
)

// Lemon Squeezy publishes no test vector. Two are computed from the
// published algorithm (hex HMAC-SHA256 of the raw body, docs "Signing
// requests"):
//
//   - lsMinimal: PLATFORMS.md section 6, recomputed with Python's hmac.
//   - lsOrder: the order_created example of Lemon Squeezy's webhook docs
//     (https://docs.lemonsqueezy.com/help/webhooks, as reproduced byte for
//     byte in NdoleStudio/lemonsqueezy-go internal/stubs/webhook.go) with
//     its white space removed; the signature was computed with
//     `openssl dgst -sha256 -hmac test_signing_secret`.
const (
	lsSecret     = "test_signing_secret"
	lsMinimal    = `{"meta":{"event_name":"order_created"}}`
	lsMinimalSig = "fb08b2b92b36d9191e7018398f3c7515b04e9cc724ba738148fda24461eae53c"
	lsOrder      = `{"meta":{"event_name":"order_created"},"data":{"type":"orders","id":"1","attributes":{"store_id":1,"identifier":"636f855c-1fb9-4c07-b75c-3a10afef010a","order_number":1,"user_name":"Darlene Daugherty","user_email":"gernser@yahoo.com","currency":"USD","currency_rate":"1.0000","subtotal":999,"discount_total":0,"tax":200,"total":1199,"subtotal_usd":999,"discount_total_usd":0,"tax_usd":200,"total_usd":1199,"tax_name":"VAT","tax_rate":"20.00","status":"paid","status_formatted":"Paid","refunded":false,"refunded_at":null,"created_at":"2021-08-11T13:47:29.000000Z","updated_at":"2021-08-11T13:54:54.000000Z"},"relationships":{"store":{"links":{"related":"https://api.lemonsqueezy.com/v1/orders/1/store","self":"https://api.lemonsqueezy.com/v1/orders/1/relationships/store"}},"order-items":{"links":{"related":"https://api.lemonsqueezy.com/v1/orders/1/order-items","self":"https://api.lemonsqueezy.com/v1/orders/1/relationships/order-items"}},"subscriptions":{"links":{"related":"https://api.lemonsqueezy.com/v1/orders/1/subscriptions","self":"https://api.lemonsqueezy.com/v1/orders/1/relationships/subscriptions"}},"license-keys":{"links":{"related":"https://api.lemonsqueezy.com/v1/orders/1/license-keys","self":"https://api.lemonsqueezy.com/v1/orders/1/relationships/license-keys"}}},"links":{"self":"https://api.lemonsqueezy.com/v1/orders/1"}}}`
	lsOrderSig   = "26dd5ec06164b9e504d72b70aa533c9a424fa19335e1b4bf2cfd230ebf53d07d"
	// lsOrderID is the documented ID recipe for lsOrder, computed with
	// Python: sha256(b"order_created\n" + body).hexdigest()[:32].
	lsOrderID = "0b9ae7631eb71e06a5f2317191a74b33"
)

func lsSig(secret, body string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(body))
	return hex.EncodeToString(m.Sum(nil))
}

func lsDelivery() delivery {
	return delivery{body: []byte(lsOrder), h: header("Content-Type", "application/json", "X-Event-Name", "order_created", "X-Signature", lsOrderSig)}
}

func TestLemonSqueezyVectors(t *testing.T) {
	if len(lsOrder) != 1344 {
		t.Fatalf("lsOrder is %d bytes, want 1344", len(lsOrder))
	}
	p := mustNew(t, provider.Config{Kind: "lemonsqueezy", Secrets: []string{lsSecret}})
	for _, v := range []struct{ body, sig string }{{lsMinimal, lsMinimalSig}, {lsOrder, lsOrderSig}} {
		if got := lsSig(lsSecret, v.body); got != v.sig {
			t.Fatalf("vector self-check: %s", got)
		}
		checkSentinel(t, p.Verify([]byte(v.body), header("X-Signature", v.sig)), nil)
		h := http.Header{}
		if err := p.Sign([]byte(v.body), h, time.Time{}); err != nil || h.Get("X-Signature") != v.sig {
			t.Fatalf("Sign = %q, %v; want %q", h.Get("X-Signature"), err, v.sig)
		}
	}
}

func TestLemonSqueezyVerify(t *testing.T) {
	p := mustNew(t, provider.Config{Kind: "lemonsqueezy", Secrets: []string{lsSecret}})
	other := lsSig("other_signing_secret", lsOrder)
	set := func(v string) func(d *delivery) { return func(d *delivery) { d.h.Set("X-Signature", v) } }
	runMutations(t, p, lsDelivery(), []string{lsSecret, lsOrderSig, other}, []mutation{
		{name: "vector", want: nil},
		{name: "upper-case hex", edit: set(strings.ToUpper(lsOrderSig)), want: nil},
		{name: "X-Event-Name changed (not signed)", edit: func(d *delivery) { d.h.Set("X-Event-Name", "order_refunded") }, want: nil},
		{name: "header missing", edit: func(d *delivery) { d.h.Del("X-Signature") }, want: provider.ErrMissingSignature},
		{name: "header empty", edit: set(""), want: provider.ErrMissingSignature},
		{name: "GitHub-style prefix", edit: set("sha256=" + lsOrderSig), want: provider.ErrMalformedSignature},
		{name: "too short", edit: set(lsOrderSig[:62]), want: provider.ErrMalformedSignature},
		{name: "not hex", edit: set(lsOrderSig[:63] + "g"), want: provider.ErrMalformedSignature},
		{name: "base64 instead of hex", edit: set("Jt1ewGFkueUE1ytwqlM8mkJPoZM14bS/LP0jDr9T0H0="), want: provider.ErrMalformedSignature},
		{name: "wrong secret", edit: set(other), want: provider.ErrBadSignature},
		{name: "first body byte changed", edit: func(d *delivery) { d.body = flipByte(d.body, 0) }, want: provider.ErrBadSignature},
		{name: "store id changed", edit: func(d *delivery) {
			d.body = []byte(strings.Replace(lsOrder, `"store_id":1`, `"store_id":2`, 1))
		}, want: provider.ErrBadSignature},
		{name: "last body byte changed", edit: func(d *delivery) { d.body = flipByte(d.body, len(d.body)-1) }, want: provider.ErrBadSignature},
		{name: "trailing newline added", edit: func(d *delivery) { d.body = append(d.body, '\n') }, want: provider.ErrBadSignature},
		{name: "secret with a trailing newline", edit: set(lsSig(lsSecret+"\n", lsOrder)), want: provider.ErrBadSignature},
		{name: "secret in upper case", edit: set(lsSig(strings.ToUpper(lsSecret), lsOrder)), want: provider.ErrBadSignature},
	})
}

func TestLemonSqueezyRotation(t *testing.T) {
	d := lsDelivery()
	for _, secrets := range [][]string{{"old_secret", lsSecret}, {lsSecret, "old_secret"}} {
		checkSentinel(t, mustNew(t, provider.Config{Kind: "lemonsqueezy", Secrets: secrets}).Verify(d.body, d.h), nil)
	}
}

// lsID is the documented ID recipe, computed independently.
func lsID(eventName, body string) string {
	sum := sha256.Sum256([]byte(eventName + "\n" + body))
	return hex.EncodeToString(sum[:])[:32]
}

func TestLemonSqueezyExtract(t *testing.T) {
	p := mustNew(t, provider.Config{Kind: "lemonsqueezy", Secrets: []string{lsSecret}})
	const sub = `{"meta":{"test_mode":true,"event_name":"subscription_created","webhook_id":"5e3c4f2a"},"data":{"type":"subscriptions","id":"25","attributes":{"store_id":"7","updated_at":"2024-01-02T03:04:05Z"}}}`
	cases := []struct {
		name   string
		body   string
		header string // X-Event-Name, "" to leave it out
		want   provider.Event
		err    error
	}{
		{
			name: "docs order_created", body: lsOrder, header: "order_created",
			want: provider.Event{ID: lsOrderID, Type: "order_created", Source: "1", Subject: "orders/1", Time: time.Date(2021, 8, 11, 13, 54, 54, 0, time.UTC)},
		},
		{
			name: "no X-Event-Name", body: sub,
			want: provider.Event{ID: lsID("subscription_created", sub), Type: "subscription_created", Source: "7", Subject: "subscriptions/25", Time: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)},
		},
		{name: "minimal body", body: lsMinimal, header: "order_created", want: provider.Event{ID: lsID("order_created", lsMinimal), Type: "order_created"}},
		{name: "no data.type: no subject", body: `{"meta":{"event_name":"order_created"},"data":{"id":"1"}}`, want: provider.Event{
			ID: lsID("order_created", `{"meta":{"event_name":"order_created"},"data":{"id":"1"}}`), Type: "order_created",
		}},
		{name: "header names another event", body: lsOrder, header: "order_refunded", err: provider.ErrUnusable},
		{name: "only the header names the event", body: `{"data":{"type":"orders","id":"1"}}`, header: "order_created", err: provider.ErrUnusable},
		{name: "event name not a string", body: `{"meta":{"event_name":1}}`, header: "1", err: provider.ErrUnusable},
		{name: "event name twice", body: `{"meta":{"event_name":"order_created","event_name":"order_refunded"}}`, err: provider.ErrUnusable},
		{name: "Meta and meta", body: `{"Meta":{"event_name":"x"},"meta":{"event_name":"order_created"}}`, err: provider.ErrUnusable},
		{name: "not JSON", body: `event_name=order_created`, header: "order_created", err: provider.ErrUnusable},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := http.Header{}
			if c.header != "" {
				h.Set("X-Event-Name", c.header)
			}
			got, err := p.Extract([]byte(c.body), h)
			checkSentinel(t, err, c.err)
			if !eventEqual(got, c.want) {
				t.Fatalf("Extract = %+v, want %+v", got, c.want)
			}
		})
	}
}

// TestLemonSqueezyIDDedup: a retry (the same payload) keeps its ID; any
// change to the payload gives a new one.
func TestLemonSqueezyIDDedup(t *testing.T) {
	p := mustNew(t, provider.Config{Kind: "lemonsqueezy", Secrets: []string{lsSecret}})
	id := func(body string) string {
		e, err := p.Extract([]byte(body), header("X-Event-Name", "order_created"))
		if err != nil {
			t.Fatal(err)
		}
		return e.ID
	}
	if a, b := id(lsOrder), id(lsOrder); a != b {
		t.Errorf("a retry got ID %q, then %q", a, b)
	}
	updated := strings.Replace(lsOrder, "13:54:54", "13:54:55", 1)
	if id(lsOrder) == id(updated) {
		t.Errorf("two states of one order got the same ID")
	}
}
