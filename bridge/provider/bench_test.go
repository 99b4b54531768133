package provider_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/hookbridge/hookbridge/bridge/provider"
	"github.com/hookbridge/hookbridge/internal/sample"
)

var benchNow = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

// benchCases is one realistic ~1 KiB delivery per provider kind.
func benchCases(b *testing.B) []struct {
	kind string
	p    *provider.Provider
	body []byte
	hdr  http.Header
} {
	b.Helper()
	loc := sample.Locators{ID: "header:X-Event-Id", Type: "json:event", Subject: "json:data.id", Time: "json:created_at"}
	cfgs := []provider.Config{
		{Kind: "shopify", Secrets: []string{"shopify-secret"}},
		{Kind: "woocommerce", Secrets: []string{"woo-secret"}},
		{Kind: "stripe", Secrets: []string{"whsec_stripe"}},
		{Kind: "standardwebhooks", Secrets: []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}},
		{Kind: "github", Secrets: []string{"github-secret"}},
		{Kind: "hmac", Secrets: []string{"hmac-secret"}, HMAC: provider.HMACConfig{
			Header: "X-Signature", ID: loc.ID, Type: loc.Type, Subject: loc.Subject, Time: loc.Time}},
		{Kind: "paddle", Secrets: []string{"pdl_ntfset_paddle-secret"}},
		{Kind: "recurly", Secrets: []string{"recurly-secret"}},
		{Kind: "razorpay", Secrets: []string{"razorpay-secret"}},
		{Kind: "square", Secrets: []string{"square-signature-key"}, NotificationURL: "https://hooks.example.com/webhooks/sq"},
		{Kind: "adyen", Secrets: []string{"44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056"}},
	}
	var out []struct {
		kind string
		p    *provider.Provider
		body []byte
		hdr  http.Header
	}
	for _, c := range cfgs {
		c.Now = func() time.Time { return benchNow }
		p, err := provider.New(c)
		if err != nil {
			b.Fatal(err)
		}
		body, hdr, err := sample.Delivery(c.Kind, loc, "", "bench-1", benchNow)
		if err != nil {
			b.Fatal(err)
		}
		body = sample.Pad(body, 1024)
		if body, err = p.SignBody(body); err != nil {
			b.Fatal(err)
		}
		if err := p.Sign(body, hdr, benchNow); err != nil {
			b.Fatal(err)
		}
		out = append(out, struct {
			kind string
			p    *provider.Provider
			body []byte
			hdr  http.Header
		}{c.Kind, p, body, hdr})
	}
	return out
}

// BenchmarkVerify: signature verification per provider, 1 KiB bodies.
func BenchmarkVerify(b *testing.B) {
	for _, c := range benchCases(b) {
		b.Run(c.kind, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(c.body)))
			for b.Loop() {
				if err := c.p.Verify(c.body, c.hdr); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkExtract: reading id, type, source, subject and time per provider.
func BenchmarkExtract(b *testing.B) {
	for _, c := range benchCases(b) {
		b.Run(c.kind, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.p.Extract(c.body, c.hdr); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func ExampleKinds() {
	fmt.Println(provider.Kinds())
	// Output: [shopify woocommerce stripe standardwebhooks github hmac paddle recurly razorpay square adyen bigcommerce shopware chargebee lemonsqueezy mollie ecwid braintree paypal saleor adobe]
}
