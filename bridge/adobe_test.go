package bridge_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/hookbridge/hookbridge/bridge/provider"
)

// adobeBatchSource is an adobe source that takes batch deliveries, with the
// client id of the batch below; it trusts the development key.
func adobeBatchSource() []testSource {
	return []testSource{{"indesign", provider.Config{Kind: "adobe", ClientID: "7af7ab96045640b5a6e4724810145eb9", DevelopmentKeys: true}}}
}

// adobeBatch is a batch delivery as Adobe I/O Events sends one: the first
// two events of "Example Event (batch)", AdobeDocs/adobe-io-events, commit
// 3c0b8f6d6ba74cb720a9e03491ebc44bad728647,
// src/pages/guides/using/indesign-apis/indesign-apis-events-data-stream-setup.md,
// reindented onto one line each.
var adobeBatch = []string{
	`{"data":{"key":"ec1b9eaf-a0b2-4bcf-9f6d-bd394e2586d7","source":"indesign","value":{"jobId":"8b524c70-6779-47f1-ac2a-ce93c23b3f5f","eventId":"ec1b9eaf-a0b2-4bcf-9f6d-bd394e2586d7","state":"QUEUED","timestamp":1720631447943}},"id":"e414ef62-92f7-48f9-841b-b22d38f6141e","source":"urn:uuid:5c8f2d48-a2a7-4d0e-bb49-aabf9a72bd1e","specversion":"1.0","type":"QUEUED","datacontenttype":"application/json","time":"2024-07-10T17:10:48.985Z","eventid":"420c1092-a7fd-4132-9ee8-de7a41c01bcd","recipientclientid":"7af7ab96045640b5a6e4724810145eb9"}`,
	`{"data":{"key":"f1dbc354-3878-4273-8a9e-c2a6b57543cc","source":"indesign","value":{"jobId":"8b524c70-6779-47f1-ac2a-ce93c23b3f5f","eventId":"f1dbc354-3878-4273-8a9e-c2a6b57543cc","state":"ASSETS_DOWNLOAD_STARTED","timestamp":1720631448826}},"id":"70b8efcb-38f2-4781-84ee-036013d3f5bc","source":"urn:uuid:5c8f2d48-a2a7-4d0e-bb49-aabf9a72bd1e","specversion":"1.0","type":"ASSETS_DOWNLOAD_STARTED","datacontenttype":"application/json","time":"2024-07-10T17:10:49.165Z","eventid":"d1c47805-a971-4685-8e63-863ba4ecd325","recipientclientid":"7af7ab96045640b5a6e4724810145eb9"}`,
}

// TestAdobeChallenge: I/O Events' GET ?challenge= is answered with the
// value as text/plain, counted as a challenge, and nothing is stored.
func TestAdobeChallenge(t *testing.T) {
	h := newHarness(t)
	const challenge = "8ec8d794-e0ab-42df-9017-e3dada8e84f7"
	before := h.counter("hookbridge_deliveries_total", "outcome", "challenge")
	code, hdr, body := h.get("/webhooks/adobe?challenge=" + challenge)
	if code != 200 || body != challenge || hdr.Get("Content-Type") != "text/plain; charset=utf-8" {
		t.Fatalf("challenge answered %d %q (%s), want 200 and the challenge as text/plain", code, body, hdr.Get("Content-Type"))
	}
	if got := h.counter("hookbridge_deliveries_total", "outcome", "challenge") - before; got != 1 {
		t.Errorf("challenge counted %v times, want once", got)
	}
	for _, path := range []string{"/webhooks/adobe", "/webhooks/adobe?challenge=%3Cb%3E", "/webhooks/shop?challenge=" + challenge} {
		if code, _, body := h.get(path); code != 405 {
			t.Errorf("GET %s: %d %q, want 405", path, code, body)
		}
	}
	if n := h.stored(); n != 0 {
		t.Errorf("%d messages stored, want none", n)
	}
}

// TestAdobeBatchDelivery: a batch is stored as one CloudEvent per event,
// each with its event as data, and Adobe's retry of it stores nothing
// more; a batch one of whose events is for another client is refused
// whole.
func TestAdobeBatchDelivery(t *testing.T) {
	h := newHarnessWith(t, adobeBatchSource())
	p := h.providers["indesign"]
	body := []byte("[" + strings.Join(adobeBatch, ",") + "]")
	hdr := http.Header{"Content-Type": {"application/json"}}
	if err := p.Sign(body, hdr, testNow); err != nil {
		t.Fatal(err)
	}
	a := h.post(http.MethodPost, "indesign", body, hdr)
	if a.code != 200 || a.body["status"] != "published" {
		t.Fatalf("answer %d %s, want 200 published", a.code, a.raw)
	}
	if n := h.stored(); n != 2 {
		t.Fatalf("%d messages stored, want 2", n)
	}
	for i, c := range []struct{ subject, id, typ string }{
		{"webhooks.adobe.indesign.queued", "420c1092-a7fd-4132-9ee8-de7a41c01bcd", "com.adobe.QUEUED"},
		{"webhooks.adobe.indesign.assets_download_started", "d1c47805-a971-4685-8e63-863ba4ecd325", "com.adobe.ASSETS_DOWNLOAD_STARTED"},
	} {
		m := h.last(c.subject)
		if string(m.Data) != adobeBatch[i] || m.Header.Get("ce-id") != c.id || m.Header.Get("ce-type") != c.typ ||
			m.Header.Get("ce-datacontenttype") != "application/json" || m.Header.Get("Nats-Msg-Id") != "indesign:"+c.id {
			t.Errorf("event %d stored as %v with data %q", i, m.Header, m.Data)
		}
	}
	if a := h.post(http.MethodPost, "indesign", body, hdr); a.code != 200 || a.body["duplicate"] != true {
		t.Errorf("retry: %d %s, want 200 duplicate", a.code, a.raw)
	}
	other := []byte(strings.Replace(string(body), `"recipientclientid":"7af7ab96045640b5a6e4724810145eb9"}]`, `"recipientclientid":"0f13cce22f4645328e01b90262b3ee51"}]`, 1))
	oh := hdr.Clone()
	if err := p.Sign(other, oh, testNow); err != nil {
		t.Fatal(err)
	}
	if a := h.post(http.MethodPost, "indesign", other, oh); a.code != 401 {
		t.Errorf("an event for another client: %d %s, want 401", a.code, a.raw)
	}
	if n := h.stored(); n != 2 {
		t.Errorf("%d messages stored, want still 2", n)
	}
}

// TestAdobeKeysUnavailable: a source that fetches Adobe's keys and cannot
// get one answers 503 with Retry-After, so that Adobe retries.
func TestAdobeKeysUnavailable(t *testing.T) {
	h := newHarnessWith(t, []testSource{{"commerce", provider.Config{Kind: "adobe", ClientID: "ca7b36f23be94dcb9d2ebb97f0276e3f"}}})
	body, hdr := h.delivery("adobe", "", "keys-1") // signed with the development key, for the adobe source
	a := h.post(http.MethodPost, "commerce", body, hdr)
	if a.code != 503 || a.header.Get("Retry-After") == "" || a.body["error"] != provider.ErrKeyUnavailable.Error() {
		t.Fatalf("answer %d %s (Retry-After %q), want 503 %q", a.code, a.raw, a.header.Get("Retry-After"), provider.ErrKeyUnavailable)
	}
	if n := h.stored(); n != 0 {
		t.Errorf("%d messages stored", n)
	}
}
