package bridge

import (
	"testing"
	"time"

	"github.com/hookbridge/hookbridge/bridge/provider"
	"github.com/hookbridge/hookbridge/internal/sample"
)

// BenchmarkSubject: building a subject from an untrusted event type.
func BenchmarkSubject(b *testing.B) {
	b.ReportAllocs()
	base := "webhooks.shopify.acme-shop"
	for b.Loop() {
		s := make([]byte, 0, len(base)+32)
		s = append(s, base...)
		if _, n := appendTypeTokens(s, "orders/create"); n != 2 {
			b.Fatal(n)
		}
	}
}

// BenchmarkEncode: a verified delivery to a NATS message in CloudEvents
// binary mode (attribute checks, subject, headers, payload).
func BenchmarkEncode(b *testing.B) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	p, err := provider.New(provider.Config{Kind: "shopify", Secrets: []string{"s"}})
	if err != nil {
		b.Fatal(err)
	}
	body, hdr, err := sample.Delivery("shopify", sample.Locators{}, "", "bench-1", now)
	if err != nil {
		b.Fatal(err)
	}
	body = sample.Pad(body, 1024)
	ev, err := p.Extract(body, hdr)
	if err != nil {
		b.Fatal(err)
	}
	s := &server{}
	rt := &route{Source: Source{Name: "acme-shop", Provider: p}, subjectBase: "webhooks.shopify.acme-shop"}
	d := delivery{body: body, contentType: "application/json", received: now, event: ev}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.message(rt, d); err != nil {
			b.Fatal(err)
		}
	}
}
