package bridge_test

import (
	"net/http"
	"testing"
)

// TestSvixHeadersDelivery: a Standard Webhooks delivery under Svix's header
// names is published, with svix-id as the CloudEvent id and dedup key.
func TestSvixHeadersDelivery(t *testing.T) {
	h := newHarness(t)
	body, hdr := h.delivery("std", "invoice.paid", "svix-1")
	svix := http.Header{"Content-Type": {"application/json"}}
	for _, n := range []string{"id", "timestamp", "signature"} {
		svix.Set("svix-"+n, hdr.Get("webhook-"+n))
	}
	a := h.post(http.MethodPost, "std", body, svix)
	if a.code != 200 || a.body["status"] != "published" {
		t.Fatalf("svix-* delivery: %d %s", a.code, a.raw)
	}
	m := h.last(a.body["subject"].(string))
	if got, want := m.Header.Get("ce-id"), hdr.Get("webhook-id"); got != want {
		t.Errorf("ce-id = %q, want the svix-id %q", got, want)
	}
	if a := h.post(http.MethodPost, "std", body, svix); a.code != 200 || a.body["duplicate"] != true {
		t.Errorf("svix-* retry: %d %s, want a duplicate", a.code, a.raw)
	}
}
