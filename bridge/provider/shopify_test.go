package provider_test

import (
	"bytes"
	"maps"
	"net/http"
	"testing"
	"time"

	"github.com/hookbridge/hookbridge/bridge/provider"
)

// Shopify's public vector: shopify-app-js lib/webhooks/__tests__/validate.test.ts
// (PLATFORMS.md section 6, vector 2).
const (
	shopifySecret = "test_secret_key"
	shopifyBody   = `{"foo": "bar"}`
	shopifyHMAC   = "B23tXN681gZ0qIWNRrgtzBE9XSDo5yaUu6wfmhu3a7g="
)

func shopifyDelivery() delivery {
	return delivery{
		body: []byte(shopifyBody),
		h: header(
			"X-Shopify-Hmac-Sha256", shopifyHMAC,
			"X-Shopify-Topic", "products/create",
			"X-Shopify-Shop-Domain", "shop1.myshopify.io",
			"X-Shopify-API-Version", "2023-01",
			"X-Shopify-Webhook-Id", "123456789",
		),
	}
}

func TestShopifyVerify(t *testing.T) {
	p := mustNew(t, provider.Config{Kind: "shopify", Secrets: []string{shopifySecret}})
	other := mustNew(t, provider.Config{Kind: "shopify", Secrets: []string{"another_secret"}})
	otherHMAC := func() string {
		h := http.Header{}
		if err := other.Sign([]byte(shopifyBody), h, time.Time{}); err != nil {
			t.Fatal(err)
		}
		return h.Get("X-Shopify-Hmac-Sha256")
	}()
	runMutations(t, p, shopifyDelivery(), []string{shopifySecret, "another_secret", otherHMAC}, []mutation{
		{name: "public vector", want: nil},
		{name: "Shopify Events header name", edit: func(d *delivery) {
			d.h.Del("X-Shopify-Hmac-Sha256")
			d.h.Set("shopify-hmac-sha256", shopifyHMAC)
		}},
		{name: "header missing", edit: func(d *delivery) { d.h.Del("X-Shopify-Hmac-Sha256") }, want: provider.ErrMissingSignature},
		{name: "header empty", edit: func(d *delivery) { d.h.Set("X-Shopify-Hmac-Sha256", "") }, want: provider.ErrMissingSignature},
		{name: "not base64", edit: func(d *delivery) { d.h.Set("X-Shopify-Hmac-Sha256", "B23tXN681gZ0qIWNRrgtzBE9XSDo5yaUu6wfmhu3a7g!") }, want: provider.ErrMalformedSignature},
		{name: "unpadded", edit: func(d *delivery) { d.h.Set("X-Shopify-Hmac-Sha256", shopifyHMAC[:43]) }, want: provider.ErrMalformedSignature},
		{name: "too short", edit: func(d *delivery) { d.h.Set("X-Shopify-Hmac-Sha256", shopifyHMAC[:40]+"==") }, want: provider.ErrMalformedSignature},
		{name: "hex instead of base64", edit: func(d *delivery) {
			d.h.Set("X-Shopify-Hmac-Sha256", "076ded5cdebcd606748a858d46b82dcc113d5d20e8e7269abbac1f9a1bb76bb8")
		}, want: provider.ErrMalformedSignature},
		{name: "line break inside", edit: func(d *delivery) { d.h.Set("X-Shopify-Hmac-Sha256", shopifyHMAC[:20]+"\n"+shopifyHMAC[21:]) }, want: provider.ErrMalformedSignature},
		{name: "wrong secret", edit: func(d *delivery) { d.h.Set("X-Shopify-Hmac-Sha256", otherHMAC) }, want: provider.ErrBadSignature},
		{name: "body changed by one byte", edit: func(d *delivery) { d.body = flipByte(d.body, 9) }, want: provider.ErrBadSignature},
		{name: "body re-serialised", edit: func(d *delivery) { d.body = []byte(`{"foo":"bar"}`) }, want: provider.ErrBadSignature},
		{name: "trailing newline", edit: func(d *delivery) { d.body = append(d.body, '\n') }, want: provider.ErrBadSignature},
		{name: "X- header wins over the Events one", edit: func(d *delivery) {
			d.h.Set("X-Shopify-Hmac-Sha256", otherHMAC)
			d.h.Set("Shopify-Hmac-Sha256", shopifyHMAC)
		}, want: provider.ErrBadSignature},
	})
}

func TestShopifyVerifyRotation(t *testing.T) {
	for _, secrets := range [][]string{{"old", shopifySecret}, {shopifySecret, "old"}} {
		p := mustNew(t, provider.Config{Kind: "shopify", Secrets: secrets})
		d := shopifyDelivery()
		checkSentinel(t, p.Verify(d.body, d.h), nil)
	}
}

func TestShopifyExtract(t *testing.T) {
	p := mustNew(t, provider.Config{Kind: "shopify", Secrets: []string{shopifySecret}})
	base := header(
		"X-Shopify-Topic", "orders/create",
		"X-Shopify-Shop-Domain", "shop1.myshopify.com",
		"X-Shopify-Webhook-Id", "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
		"X-Shopify-Event-Id", "98880550-7158-44d4-b7cd-2c97c8a091b5",
		"X-Shopify-Triggered-At", "2023-03-29T18:00:27.877041743Z",
	)
	orderBody := `{"id":820982911946154508,"admin_graphql_api_id":"gid://shopify/Order/820982911946154508","email":"jon@example.com"}`
	cases := []struct {
		name string
		body string
		edit func(h http.Header)
		want provider.Event
		err  error
	}{
		{
			name: "order", body: orderBody,
			want: provider.Event{
				ID: "98880550-7158-44d4-b7cd-2c97c8a091b5", Type: "orders/create", Source: "shop1.myshopify.com",
				Subject: "820982911946154508", Time: time.Date(2023, 3, 29, 18, 0, 27, 877041743, time.UTC),
			},
		},
		{
			name: "no event id: webhook id", body: orderBody, edit: func(h http.Header) { h.Del("X-Shopify-Event-Id") },
			want: provider.Event{
				ID: "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043", Type: "orders/create", Source: "shop1.myshopify.com",
				Subject: "820982911946154508", Time: time.Date(2023, 3, 29, 18, 0, 27, 877041743, time.UTC),
			},
		},
		{
			name: "string id, no time", body: `{"id":"abc"}`, edit: func(h http.Header) { h.Del("X-Shopify-Triggered-At") },
			want: provider.Event{ID: "98880550-7158-44d4-b7cd-2c97c8a091b5", Type: "orders/create", Source: "shop1.myshopify.com", Subject: "abc"},
		},
		{
			name: "graphql id only, bad time", body: `{"admin_graphql_api_id":"gid://shopify/Product/1"}`,
			edit: func(h http.Header) { h.Set("X-Shopify-Triggered-At", "yesterday") },
			want: provider.Event{ID: "98880550-7158-44d4-b7cd-2c97c8a091b5", Type: "orders/create", Source: "shop1.myshopify.com", Subject: "gid://shopify/Product/1"},
		},
		{
			name: "not JSON, no shop", body: `not json`, edit: func(h http.Header) { h.Del("X-Shopify-Shop-Domain") },
			want: provider.Event{ID: "98880550-7158-44d4-b7cd-2c97c8a091b5", Type: "orders/create", Time: time.Date(2023, 3, 29, 18, 0, 27, 877041743, time.UTC)},
		},
		{
			name: "no ids", body: orderBody, edit: func(h http.Header) { h.Del("X-Shopify-Event-Id"); h.Del("X-Shopify-Webhook-Id") },
			err: provider.ErrUnusable,
		},
		{name: "no topic", body: orderBody, edit: func(h http.Header) { h.Del("X-Shopify-Topic") }, err: provider.ErrUnusable},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := base.Clone()
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

// eventEqual compares events with time.Time.Equal, so the location does
// not matter. Data must be nil in both (the body is the data) or equal.
func eventEqual(a, b provider.Event) bool {
	return a.ID == b.ID && a.Type == b.Type && a.Source == b.Source && a.Subject == b.Subject && a.Time.Equal(b.Time) &&
		(a.Data == nil) == (b.Data == nil) && bytes.Equal(a.Data, b.Data) && a.DataContentType == b.DataContentType &&
		maps.Equal(a.Extensions, b.Extensions)
}
