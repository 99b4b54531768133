package provider_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hookbridge/hookbridge/bridge/provider"
)

// Square's public vectors: square/square-python-sdk
// tests/integration/test_webhooks_helper.py (PLATFORMS.md section 6,
// vector 4), commit ef5c175f. squareBody is REQUEST_BODY byte for byte.
const (
	squareKey  = "Ibxx_5AKakO-3qeNVR61Dw"
	squareURL  = "https://webhook.site/679a4f3a-dcfa-49ee-bac5-9d0edad886b9"
	squareBody = `{"merchant_id":"MLEFBHHSJGVHD","type":"webhooks.test_notification","event_id":"ac3ac95b-f97d-458c-a6e6-18981597e05f","created_at":"2022-07-13T20:30:59.037339943Z","data":{"type":"webhooks","id":"bc368e64-01aa-407e-b46e-3231809b1129"}}`
	squareSig  = "GF4YkrJgGBDZ9NIYbNXBnMzqb2HoL4RW/S6vkZ9/2N4="
)

// squarePrettyBody is the same file's test_signature_validation_body_formatted
// body: the vector's event pretty-printed, which must not verify.
const squarePrettyBody = `
        {
            "merchant_id": "MLEFBHHSJGVHD",
            "type": "webhooks.test_notification",
            "event_id": "ac3ac95b-f97d-458c-a6e6-18981597e05f",
            "created_at": "2022-07-13T20:30:59.037339943Z",
            "data": {
              "type": "webhooks",
              "id": "bc368e64-01aa-407e-b46e-3231809b1129"
            }
        }
        `

func squareConfig(url string, secrets ...string) provider.Config {
	return provider.Config{Kind: "square", Secrets: secrets, NotificationURL: url}
}

func squareDelivery() delivery {
	return delivery{body: []byte(squareBody), h: header("X-Square-HmacSha256-Signature", squareSig)}
}

func TestSquareVerify(t *testing.T) {
	p := mustNew(t, squareConfig(squareURL, squareKey))
	// The python SDK's wrong key, signing the same URL and body.
	wrongKey := "MCmhFRxGX82xMwg5FsaoQA"
	otherSig := func() string {
		h := http.Header{}
		if err := mustNew(t, squareConfig(squareURL, wrongKey)).Sign([]byte(squareBody), h, time.Time{}); err != nil {
			t.Fatal(err)
		}
		return h.Get("X-Square-Hmacsha256-Signature")
	}()
	runMutations(t, p, squareDelivery(), []string{squareKey, wrongKey, otherSig}, []mutation{
		{name: "public vector", want: nil},
		{name: "header name in lower case", edit: func(d *delivery) {
			d.h = http.Header{}
			d.h.Set("x-square-hmacsha256-signature", squareSig)
		}},
		{name: "header missing", edit: func(d *delivery) { d.h.Del("X-Square-Hmacsha256-Signature") }, want: provider.ErrMissingSignature},
		{name: "header empty", edit: func(d *delivery) { d.h.Set("X-Square-Hmacsha256-Signature", "") }, want: provider.ErrMissingSignature},
		{name: "only the legacy SHA-1 header", edit: func(d *delivery) {
			d.h.Del("X-Square-Hmacsha256-Signature")
			d.h.Set("X-Square-Signature", "1z2n3DEJJiUPKcPzQo1ftvbxGdw=")
		}, want: provider.ErrMissingSignature},
		{name: "legacy header beside a good one", edit: func(d *delivery) { d.h.Set("X-Square-Signature", "1z2n3DEJJiUPKcPzQo1ftvbxGdw=") }},
		// The python SDK's invalid signature header: a SHA-1-sized digest.
		{name: "SHA-1 sized value", edit: func(d *delivery) { d.h.Set("X-Square-Hmacsha256-Signature", "1z2n3DEJJiUPKcPzQo1ftvbxGdw=") }, want: provider.ErrMalformedSignature},
		{name: "not base64", edit: func(d *delivery) { d.h.Set("X-Square-Hmacsha256-Signature", squareSig[:43]+"!") }, want: provider.ErrMalformedSignature},
		{name: "unpadded", edit: func(d *delivery) { d.h.Set("X-Square-Hmacsha256-Signature", squareSig[:43]) }, want: provider.ErrMalformedSignature},
		{name: "hex instead of base64", edit: func(d *delivery) {
			d.h.Set("X-Square-Hmacsha256-Signature", "185e1892b2601810d9f4d2186cd5c19cccea6f61e82f8456fd2eaf919f7fd8de")
		}, want: provider.ErrMalformedSignature},
		{name: "sha256= prefix", edit: func(d *delivery) { d.h.Set("X-Square-Hmacsha256-Signature", "sha256="+squareSig) }, want: provider.ErrMalformedSignature},
		{name: "wrong key (python SDK)", edit: func(d *delivery) { d.h.Set("X-Square-Hmacsha256-Signature", otherSig) }, want: provider.ErrBadSignature},
		{name: "body changed by one byte", edit: func(d *delivery) { d.body = flipByte(d.body, 20) }, want: provider.ErrBadSignature},
		{name: "body pretty-printed (python SDK)", edit: func(d *delivery) { d.body = []byte(squarePrettyBody) }, want: provider.ErrBadSignature},
		{name: "trailing newline", edit: func(d *delivery) { d.body = append(d.body, '\n') }, want: provider.ErrBadSignature},
		{name: "URL prepended to the body as received", edit: func(d *delivery) { d.body = append([]byte(squareURL), d.body...) }, want: provider.ErrBadSignature},
	})
}

// TestSquareNotificationURL: the URL is signed byte for byte, so a
// verifier configured with any other spelling of it refuses the vector.
func TestSquareNotificationURL(t *testing.T) {
	d := squareDelivery()
	for _, c := range []struct {
		name, url string
		want      error
	}{
		{"as subscribed", squareURL, nil},
		// The python SDK's url mismatch: one character missing.
		{"one char missing (python SDK)", "https://webhook.site/79a4f3a-dcfa-49ee-bac5-9d0edad886b9", provider.ErrBadSignature},
		{"trailing slash", squareURL + "/", provider.ErrBadSignature},
		{"http instead of https", "http" + strings.TrimPrefix(squareURL, "https"), provider.ErrBadSignature},
		{"host in upper case", strings.Replace(squareURL, "webhook.site", "WEBHOOK.SITE", 1), provider.ErrBadSignature},
		{"explicit port", strings.Replace(squareURL, "webhook.site", "webhook.site:443", 1), provider.ErrBadSignature},
		{"query added", squareURL + "?a=1", provider.ErrBadSignature},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := mustNew(t, squareConfig(c.url, squareKey))
			checkSentinel(t, p.Verify(d.body, d.h), c.want)
		})
	}
}

// TestSquareEscapedVector is the python SDK's second vector, whose body
// has characters that HTML-escaping JSON encoders would rewrite.
func TestSquareEscapedVector(t *testing.T) {
	p := mustNew(t, squareConfig("https://webhook.site/webhooks", "signature-key"))
	body := []byte(`{"data":{"type":"webhooks","id":">id<"}}`)
	h := header("X-Square-Hmacsha256-Signature", "Cxt7+aTi4rKgcA0bC4g9EHdVtLSDWdqccmL5MvihU4U=")
	checkSentinel(t, p.Verify(body, h), nil)
	checkSentinel(t, p.Verify([]byte(`{"data":{"type":"webhooks","id":"\u003eid\u003c"}}`), h), provider.ErrBadSignature)
	signed := http.Header{}
	if err := p.Sign(body, signed, time.Time{}); err != nil || signed.Get("X-Square-Hmacsha256-Signature") != h.Get("X-Square-Hmacsha256-Signature") {
		t.Fatalf("Sign = %v, %v; want the vector's signature", signed, err)
	}
}

func TestSquareExtract(t *testing.T) {
	p := mustNew(t, squareConfig(squareURL, squareKey))
	cases := []struct {
		name string
		body string
		want provider.Event
		err  error
	}{
		{
			name: "public vector", body: squareBody,
			want: provider.Event{
				ID: "ac3ac95b-f97d-458c-a6e6-18981597e05f", Type: "webhooks.test_notification", Source: "MLEFBHHSJGVHD",
				Subject: "bc368e64-01aa-407e-b46e-3231809b1129", Time: time.Date(2022, 7, 13, 20, 30, 59, 37339943, time.UTC),
			},
		},
		{
			name: "order, no time, no merchant", body: `{"type":"order.created","event_id":"e1","data":{"type":"order","id":"ORD1","object":{}}}`,
			want: provider.Event{ID: "e1", Type: "order.created", Subject: "ORD1"},
		},
		{
			name: "bad time, no data", body: `{"type":"payment.updated","event_id":"e2","merchant_id":"M1","created_at":"yesterday"}`,
			want: provider.Event{ID: "e2", Type: "payment.updated", Source: "M1"},
		},
		{name: "no event id", body: `{"type":"order.created"}`, err: provider.ErrUnusable},
		{name: "numeric event id", body: `{"type":"order.created","event_id":1}`, err: provider.ErrUnusable},
		{name: "no type", body: `{"event_id":"e1"}`, err: provider.ErrUnusable},
		{name: "not JSON", body: `event_id=e1`, err: provider.ErrUnusable},
		{name: "event id repeated", body: `{"type":"t","event_id":"e1","event_id":"e2"}`, err: provider.ErrUnusable},
		{name: "event id in another case too", body: `{"type":"t","event_id":"e1","Event_Id":"e2"}`, err: provider.ErrUnusable},
		{name: "data.id repeated", body: `{"type":"t","event_id":"e1","data":{"id":"a","id":"b"}}`, err: provider.ErrUnusable},
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
