package provider_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"testing"
	"time"

	"github.com/hookbridge/hookbridge/bridge/provider"
)

// WooCommerce's public vector (tests/legacy/unit-tests/webhooks/crud.php)
// signs with the empty secret, which New refuses; it is checked against
// the scheme itself in woocommerce_internal_test.go. Here the MAC is
// computed independently with crypto/hmac.
const wcSecret = "wc_secret_Zx9&amp;q&#039;7" // as WordPress stores it: HTML-escaped

// wcKey is wcSecret after wp_specialchars_decode(ENT_QUOTES).
const wcKey = "wc_secret_Zx9&q'7"

func wcSign(key string, body []byte) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write(body)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

const wcBody = `{"id":1234,"status":"processing","date_created_gmt":"2024-05-01T10:00:00","date_modified_gmt":"2024-05-01T10:00:05"}`

func wcDelivery() delivery {
	return delivery{
		body: []byte(wcBody),
		h: header(
			"X-WC-Webhook-Source", "https://shop.example.com/",
			"X-WC-Webhook-Topic", "order.updated",
			"X-WC-Webhook-Resource", "order",
			"X-WC-Webhook-Event", "updated",
			"X-WC-Webhook-Signature", wcSign(wcKey, []byte(wcBody)),
			"X-WC-Webhook-ID", "17",
			"X-WC-Webhook-Delivery-ID", "0b8d1b4c2d2c1e6b2a3f4e5d6c7b8a90",
		),
	}
}

func TestWooCommerceVerify(t *testing.T) {
	p := mustNew(t, provider.Config{Kind: "woocommerce", Secrets: []string{wcSecret}})
	runMutations(t, p, wcDelivery(), []string{wcSecret, wcKey}, []mutation{
		{name: "valid", want: nil},
		{name: "signed with the escaped secret", edit: func(d *delivery) {
			d.h.Set("X-WC-Webhook-Signature", wcSign(wcSecret, d.body))
		}, want: provider.ErrBadSignature},
		{name: "header missing", edit: func(d *delivery) { d.h.Del("X-WC-Webhook-Signature") }, want: provider.ErrMissingSignature},
		{name: "header empty", edit: func(d *delivery) { d.h.Set("X-WC-Webhook-Signature", "") }, want: provider.ErrMissingSignature},
		{name: "not base64", edit: func(d *delivery) { d.h.Set("X-WC-Webhook-Signature", "%%%") }, want: provider.ErrMalformedSignature},
		{name: "wrong secret", edit: func(d *delivery) { d.h.Set("X-WC-Webhook-Signature", wcSign("other", d.body)) }, want: provider.ErrBadSignature},
		{name: "body changed by one byte", edit: func(d *delivery) { d.body = flipByte(d.body, 7) }, want: provider.ErrBadSignature},
	})
}

func TestWooCommerceRotation(t *testing.T) {
	d := wcDelivery()
	for _, secrets := range [][]string{{"old", wcSecret}, {wcSecret, "old"}} {
		checkSentinel(t, mustNew(t, provider.Config{Kind: "woocommerce", Secrets: secrets}).Verify(d.body, d.h), nil)
	}
}

// TestWooCommercePing: the unsigned creation ping is ErrPing only in
// exactly its own form.
func TestWooCommercePing(t *testing.T) {
	p := mustNew(t, provider.Config{Kind: "woocommerce", Secrets: []string{wcSecret}})
	form := header("Content-Type", "application/x-www-form-urlencoded", "User-Agent", "WooCommerce/8.9.1 Hookshot (WordPress/6.5.3)")
	cases := []struct {
		name string
		body string
		h    http.Header
		want error
	}{
		{"ping", "webhook_id=17", form, provider.ErrPing},
		{"ping without headers", "webhook_id=17", http.Header{}, provider.ErrPing},
		{"ping with a trailing newline", "webhook_id=17\n", form, provider.ErrPing},
		{"two trailing newlines", "webhook_id=17\n\n", form, provider.ErrMissingSignature},
		{"trailing CRLF", "webhook_id=17\r\n", form, provider.ErrMissingSignature},
		{"leading space", " webhook_id=17", form, provider.ErrMissingSignature},
		{"no id", "webhook_id=", form, provider.ErrMissingSignature},
		{"id not digits", "webhook_id=17a", form, provider.ErrMissingSignature},
		{"negative id", "webhook_id=-1", form, provider.ErrMissingSignature},
		{"second field", "webhook_id=17&x=1", form, provider.ErrMissingSignature},
		{"upper case key", "WEBHOOK_ID=17", form, provider.ErrMissingSignature},
		{"id too long", "webhook_id=123456789012345678901", form, provider.ErrMissingSignature},
		{"JSON", `{"webhook_id":17}`, form, provider.ErrMissingSignature},
		{"with a topic header", "webhook_id=17", header("X-WC-Webhook-Topic", "order.created"), provider.ErrMissingSignature},
		{"with an empty topic header", "webhook_id=17", header("X-WC-Webhook-Topic", ""), provider.ErrMissingSignature},
		{"with an empty signature header", "webhook_id=17", header("X-WC-Webhook-Signature", ""), provider.ErrMissingSignature},
		{"with a wrong signature", "webhook_id=17", header("X-WC-Webhook-Signature", wcSign("other", []byte("webhook_id=17"))), provider.ErrBadSignature},
		{"signed ping-shaped body", "webhook_id=17", header("X-WC-Webhook-Signature", wcSign(wcKey, []byte("webhook_id=17"))), nil},
		{"empty body", "", form, provider.ErrMissingSignature},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			checkSentinel(t, p.Verify([]byte(c.body), c.h), c.want)
		})
	}
}

// wcID is the documented ID recipe, computed independently.
func wcID(hook, topic, body string) string {
	sum := sha256.Sum256([]byte(topic + "\n" + body))
	return hook + "-" + hex.EncodeToString(sum[:])[:32]
}

func TestWooCommerceExtract(t *testing.T) {
	p := mustNew(t, provider.Config{Kind: "woocommerce", Secrets: []string{wcSecret}})
	cases := []struct {
		name string
		body string
		edit func(h http.Header)
		want provider.Event
		err  error
	}{
		{
			name: "order updated", body: wcBody,
			want: provider.Event{
				ID: wcID("17", "order.updated", wcBody), Type: "order.updated", Source: "https://shop.example.com/",
				Subject: "1234", Time: time.Date(2024, 5, 1, 10, 0, 5, 0, time.UTC),
			},
		},
		{
			name: "created time when there is no modified time",
			body: `{"id":"5","date_created_gmt":"2024-05-01T10:00:00","date_modified_gmt":null}`,
			want: provider.Event{
				ID: wcID("17", "order.updated", `{"id":"5","date_created_gmt":"2024-05-01T10:00:00","date_modified_gmt":null}`), Type: "order.updated",
				Source: "https://shop.example.com/", Subject: "5", Time: time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC),
			},
		},
		{
			name: "deleted resource: id only", body: `{"id":1234}`,
			edit: func(h http.Header) { h.Set("X-WC-Webhook-Topic", "order.deleted"); h.Del("X-WC-Webhook-Source") },
			want: provider.Event{ID: wcID("17", "order.deleted", `{"id":1234}`), Type: "order.deleted", Subject: "1234"},
		},
		{
			name: "action topic", body: `{"action":"woocommerce_payment_complete","arg":99}`,
			edit: func(h http.Header) { h.Set("X-WC-Webhook-Topic", "action.woocommerce_payment_complete") },
			want: provider.Event{
				ID:   wcID("17", "action.woocommerce_payment_complete", `{"action":"woocommerce_payment_complete","arg":99}`),
				Type: "action.woocommerce_payment_complete", Source: "https://shop.example.com/",
			},
		},
		{name: "no topic", body: wcBody, edit: func(h http.Header) { h.Del("X-WC-Webhook-Topic") }, err: provider.ErrUnusable},
		{name: "no webhook id", body: wcBody, edit: func(h http.Header) { h.Del("X-WC-Webhook-ID") }, err: provider.ErrUnusable},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := wcDelivery().h
			if c.edit != nil {
				c.edit(h)
			}
			got, err := p.Extract([]byte(c.body), h)
			checkSentinel(t, err, c.err)
			if !eventEqual(got, c.want) {
				t.Fatalf("Extract = %+v, want %+v", got, c.want)
			}
		})
	}
}

// TestWooCommerceIDDedup: the ID ignores X-WC-Webhook-Delivery-ID, so a
// re-send of the same payload keeps its ID, and two different payloads
// that WooCommerce gave the same delivery id (same webhook, same second)
// get different IDs.
func TestWooCommerceIDDedup(t *testing.T) {
	p := mustNew(t, provider.Config{Kind: "woocommerce", Secrets: []string{wcSecret}})
	id := func(body, deliveryID, topic, hook string) string {
		h := header("X-WC-Webhook-Topic", topic, "X-WC-Webhook-ID", hook, "X-WC-Webhook-Delivery-ID", deliveryID)
		e, err := p.Extract([]byte(body), h)
		if err != nil {
			t.Fatal(err)
		}
		return e.ID
	}
	a := id(`{"id":1}`, "d1", "order.created", "17")
	if b := id(`{"id":1}`, "d2", "order.created", "17"); a != b {
		t.Errorf("re-send with a new delivery id: ID %q, then %q; want the same", a, b)
	}
	if b := id(`{"id":2}`, "d1", "order.created", "17"); a == b {
		t.Errorf("two orders with one delivery id got the same ID %q", a)
	}
	if b := id(`{"id":1}`, "d1", "order.updated", "17"); a == b {
		t.Errorf("two topics got the same ID %q", a)
	}
	if b := id(`{"id":1}`, "d1", "order.created", "18"); a == b {
		t.Errorf("two webhooks got the same ID %q", a)
	}
}
