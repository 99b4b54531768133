package shipping

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestReadHandler(t *testing.T) {
	svc, _ := newService(t)
	h := svc.ReadHandler()
	get := func(method, path string) *httptest.ResponseRecorder {
		t.Helper()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
		return rec
	}

	rec := get("GET", "/shipments")
	if rec.Code != http.StatusOK || strings.TrimSpace(rec.Body.String()) != `{"shipments":[]}` {
		t.Fatalf("empty list: %d %s", rec.Code, rec.Body)
	}

	deliver(t, svc, wooOrder(t, "created", "processing"), wooSite, "w1")
	handle(t, svc, shopifyEvent(t, "paid", shopDomain, "s1"),
		shopifyEvent(t, "cancelled", "gone.myshopify.com", "s2")) // a tombstone
	skey := mustKey(t, "shopify", shopDomain, "820982911946154508")

	rec = get("GET", "/shipments")
	var list struct{ Shipments []Shipment }
	if err := json.Unmarshal(rec.Body.Bytes(), &list); err != nil || rec.Code != http.StatusOK {
		t.Fatalf("list: %d %s %v", rec.Code, rec.Body, err)
	}
	var got []string
	for _, s := range list.Shipments {
		got = append(got, s.Key+" "+string(s.Status))
	}
	want := []string{
		skey + " created",
		mustKey(t, "shopify", "gone.myshopify.com", "820982911946154508") + " cancelled",
		mustKey(t, "woocommerce", wooSite, "727") + " created",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("list = %q, want %q", got, want)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}

	rec = get("GET", "/shipments/"+skey)
	var one Shipment
	if err := json.Unmarshal(rec.Body.Bytes(), &one); err != nil || rec.Code != http.StatusOK {
		t.Fatalf("one: %d %s %v", rec.Code, rec.Body, err)
	}
	assertShipment(t, one, mustShipment(t, svc, skey))
	if strings.Contains(rec.Body.String(), "outbox") {
		t.Errorf("the outbox leaks into the read path: %s", rec.Body)
	}

	for _, c := range []struct {
		method, path string
		code         int
	}{
		{"GET", "/shipments/shopify.nobody.1", http.StatusNotFound},
		{"GET", "/shipments/not-a-key", http.StatusNotFound},
		{"GET", "/shipments/shopify..1", http.StatusNotFound},
		{"GET", "/shipments/shopify.a*b.1", http.StatusNotFound},
		{"POST", "/shipments", http.StatusMethodNotAllowed},
		{"DELETE", "/shipments/" + skey, http.StatusMethodNotAllowed},
		{"GET", "/", http.StatusNotFound},
	} {
		if rec := get(c.method, c.path); rec.Code != c.code {
			t.Errorf("%s %s = %d %s, want %d", c.method, c.path, rec.Code, rec.Body, c.code)
		}
	}
}
