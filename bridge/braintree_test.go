package bridge_test

import (
	"encoding/base64"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/hookbridge/hookbridge/bridge/provider"
)

// braintreeSources is a braintree source under Braintree's published test
// key pair (braintree_node's webhook_notification_gateway_spec.js).
func braintreeSources() []testSource {
	return []testSource{{"bt", provider.Config{Kind: "braintree", Secrets: []string{"integration_public_key:integration_private_key"}}}}
}

// get is a GET of path with no body; the answer's body is returned raw.
func (h *harness) get(path string) (int, http.Header, string) {
	h.t.Helper()
	resp, err := http.Get(h.srv.URL + path)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(raw)
}

// TestBraintreeChallenge: Braintree's GET bt_challenge handshake is
// answered with the published vector's answer as text/plain, logged and
// counted as a challenge, and nothing is stored; any other GET stays a
// 405, for braintree and the other kinds alike.
func TestBraintreeChallenge(t *testing.T) {
	h := newHarnessWith(t, braintreeSources())
	before := h.counter("hookbridge_deliveries_total", "outcome", "challenge")
	code, hdr, body := h.get("/webhooks/bt?bt_challenge=20f9f8ed05f77439fe955c977e4c8a53")
	if code != 200 || body != "integration_public_key|d9b899556c966b3f06945ec21311865d35df3ce4" || hdr.Get("Content-Type") != "text/plain; charset=utf-8" {
		t.Fatalf("challenge answered %d %q (%s), want 200 and the published answer as text/plain", code, body, hdr.Get("Content-Type"))
	}
	if got := h.counter("hookbridge_deliveries_total", "outcome", "challenge") - before; got != 1 {
		t.Errorf("challenge counted %v times, want once", got)
	}
	if !strings.Contains(h.logs.String(), `"outcome":"challenge"`) || !strings.Contains(h.logs.String(), `"source":"bt"`) {
		t.Errorf("no log line for the challenge:\n%s", h.logs.String())
	}
	if strings.Contains(h.logs.String(), "d9b899556c966b3f06945ec21311865d35df3ce4") {
		t.Error("the challenge's answer is in the log")
	}
	for _, path := range []string{
		"/webhooks/bt", "/webhooks/bt?bt_challenge=", "/webhooks/bt?bt_challenge=NOT-HEX-0123456789abcdef",
		"/webhooks/shop?bt_challenge=20f9f8ed05f77439fe955c977e4c8a53", "/webhooks/nope?bt_challenge=20f9f8ed05f77439fe955c977e4c8a53",
	} {
		if code, hdr, body := h.get(path); code != 405 || hdr.Get("Allow") != http.MethodPost {
			t.Errorf("GET %s: %d %q (Allow %q), want 405 with Allow: POST", path, code, body, hdr.Get("Allow"))
		}
	}
	if n := h.stored(); n != 0 {
		t.Errorf("%d messages stored, want none", n)
	}
}

// TestBraintreeDelivery: a signed sample notification is stored as one
// CloudEvent whose data is the notification XML, and Braintree's retry of
// it is a duplicate; a forged one is refused.
func TestBraintreeDelivery(t *testing.T) {
	h := newHarnessWith(t, braintreeSources())
	body, hdr := h.delivery("bt", "", "sub_123")
	a := h.post(http.MethodPost, "bt", body, hdr)
	if a.code != 200 || a.body["status"] != "published" {
		t.Fatalf("answer %d %s, want 200 published", a.code, a.raw)
	}
	m := h.last("webhooks.braintree.bt.subscription_charged_successfully")
	form, err := url.ParseQuery(string(body))
	if err != nil {
		t.Fatal(err)
	}
	xml, err := base64.StdEncoding.DecodeString(form.Get("bt_payload"))
	if err != nil {
		t.Fatal(err)
	}
	if string(m.Data) != string(xml) || m.Header.Get("ce-datacontenttype") != "application/xml" ||
		m.Header.Get("ce-type") != "com.braintree.subscription_charged_successfully" || m.Header.Get("ce-subject") != "sub_123" {
		t.Errorf("stored %v with data %q, want the notification XML", m.Header, m.Data)
	}
	if a := h.post(http.MethodPost, "bt", body, hdr); a.code != 200 || a.body["duplicate"] != true {
		t.Errorf("retry: %d %s, want 200 duplicate", a.code, a.raw)
	}
	forged := []byte(strings.Replace(string(body), "bt_payload=P", "bt_payload=Q", 1))
	if a := h.post(http.MethodPost, "bt", forged, hdr); a.code != 401 {
		t.Errorf("forged: %d %s, want 401", a.code, a.raw)
	}
}
