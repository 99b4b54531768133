package bridge

import (
	"bytes"
	"context"
	"maps"
	"testing"
	"time"

	cejs "github.com/cloudevents/sdk-go/protocol/nats_jetstream/v2"
	"github.com/cloudevents/sdk-go/v2/binding"
	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookbridge/hookbridge/bridge/provider"
)

// sdkHeaders encodes the same event with sdk-go's nats_jetstream codec.
func sdkHeaders(t *testing.T, ev provider.Event, ceType, src, contentType string, at time.Time, body []byte) (map[string][]string, []byte) {
	t.Helper()
	e := event.New()
	e.SetID(ev.ID)
	e.SetType(ceType)
	e.SetSource(src)
	if ev.Subject != "" {
		e.SetSubject(ev.Subject)
	}
	e.SetTime(at.UTC())
	if contentType != "" {
		e.SetDataContentType(contentType)
	}
	for name, v := range ev.Extensions {
		if v == "" {
			continue // absent
		}
		if err := e.Context.SetExtension(name, v); err != nil {
			t.Fatalf("we accepted an extension sdk-go refuses: %v", err)
		}
	}
	e.DataEncoded = body
	if err := e.Validate(); err != nil {
		t.Fatalf("we accepted an event sdk-go finds invalid: %v", err)
	}
	var payload bytes.Buffer
	hdr, err := cejs.WriteMsg(context.Background(), binding.ToMessage(&e), &payload)
	if err != nil {
		t.Fatal(err)
	}
	return hdr, payload.Bytes()
}

// shopRoute is a route of a Shopify source named "shop".
func shopRoute(t testing.TB) *route {
	t.Helper()
	p, err := provider.New(provider.Config{Kind: "shopify", Secrets: []string{"x"}})
	if err != nil {
		t.Fatal(err)
	}
	return &route{Source: Source{Name: "shop", Provider: p}, subjectBase: "webhooks.shopify.shop"}
}

// checkSameAsSDK encodes an event on rt, which may have encoded others
// before (it keeps the last source and content type it saw), and holds
// the message to sdk-go's encoding of the same event.
func checkSameAsSDK(t *testing.T, rt *route, id, typ, source, subject, contentType string, ext map[string]string, at time.Time, body []byte) {
	t.Helper()
	p := rt.Provider
	s := &server{}
	ev := provider.Event{ID: id, Type: typ, Source: source, Subject: subject, Time: at, Extensions: ext}
	msg, err := s.message(rt, delivery{body: body, contentType: contentType, received: at, event: ev})
	if err != nil {
		return // refused: nothing is published
	}
	src := source
	if src == "" {
		src = "/shopify/shop"
	}
	ct := msg.Header.Get(hdrDataContentType)
	want, payload := sdkHeaders(t, ev, p.CEType(typ), src, ct, at, body)
	got := maps.Clone(map[string][]string(msg.Header))
	if got[jetstream.MsgIDHeader][0] != "shop:"+id {
		t.Errorf("Nats-Msg-Id = %q", got[jetstream.MsgIDHeader])
	}
	delete(got, jetstream.MsgIDHeader)
	if !maps.EqualFunc(got, want, func(a, b []string) bool { return len(a) == 1 && len(b) == 1 && a[0] == b[0] }) {
		t.Errorf("headers differ from sdk-go's:\n got %v\nwant %v", got, want)
	}
	if !bytes.Equal(msg.Data, payload) {
		t.Errorf("payload differs from sdk-go's")
	}
}

func TestEncodingMatchesSDK(t *testing.T) {
	at := time.Date(2026, 11, 27, 12, 0, 0, 123456789, time.FixedZone("x", 3600))
	body := []byte(`{"id":1}`)
	rt := shopRoute(t)
	// Each case twice, on one route: the second time the route has just
	// seen its source and content type, and the next case brings others.
	for range 2 {
		checkSameAsSDK(t, rt, "evt_1", "orders/create", "acme.myshopify.com", "1001", "application/json", nil, at, body)
		checkSameAsSDK(t, rt, "evt_1", "orders/create", "acme.myshopify.com", "1001", "application/json", nil, at, body)
		checkSameAsSDK(t, rt, "evt_2", "orders/paid", "", "", "", nil, at, body)
		checkSameAsSDK(t, rt, "evt_3", "x", "https://shop.example.test/", "", "application/json; charset=utf-8", nil, at, nil)
		checkSameAsSDK(t, rt, "evt_3", "x", "https://shop.example.test/", "", " application/json; charset=utf-8 ", nil, at, nil)
		checkSameAsSDK(t, rt, "é ü", "Tÿpe", "/a b/é", "sübject", "text/plain", nil, at, body)
		checkSameAsSDK(t, rt, "evt_5", "x", "%zz", "", "bad/ct/x", nil, at, body)
		checkSameAsSDK(t, rt, "evt_5", "x", "/a b/é", "", "bad/ct/x", nil, at, body)
		// Extension attributes (Shopware's sequence), and an empty one: absent.
		checkSameAsSDK(t, rt, "evt_4", "product.written", "dgrH7nLU6tlE", "0190ab12", "application/json",
			map[string]string{"sequence": "00000000000000000042", "x2": "é", "empty": ""}, at, body)
	}
}

// TestExtensionsWritten: an extension is a ce-<name> header, and what
// sdk-go would refuse (or read back differently) is refused.
func TestExtensionsWritten(t *testing.T) {
	p, err := provider.New(provider.Config{Kind: "shopify", Secrets: []string{"x"}})
	if err != nil {
		t.Fatal(err)
	}
	rt := &route{Source: Source{Name: "shop", Provider: p}, subjectBase: "webhooks.shopify.shop"}
	at := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	msg := func(ext map[string]string) (map[string][]string, error) {
		m, err := (&server{}).message(rt, delivery{received: at, event: provider.Event{ID: "e", Type: "t", Extensions: ext}})
		if err != nil {
			return nil, err
		}
		return m.Header, nil
	}
	h, err := msg(map[string]string{"sequence": "00000000000000000042"})
	if err != nil || len(h["ce-sequence"]) != 1 || h["ce-sequence"][0] != "00000000000000000042" {
		t.Fatalf("headers %v, %v; want ce-sequence", h, err)
	}
	for _, ext := range []map[string]string{
		{"Sequence": "1"}, {"seq-no": "1"}, {"": "1"}, {"id": "1"}, {"data": "1"}, {"abcdefghijklmnopqrstu": "1"},
		{"sequence": " 1"}, {"sequence": "1\n"}, {"sequence": "\xff"},
	} {
		if h, err := msg(ext); err == nil {
			t.Errorf("extension %q accepted: %v", ext, h)
		}
	}
}

// FuzzEncodingMatchesSDK: whatever attributes a delivery brings, an event
// the bridge accepts is encoded exactly as sdk-go would, and is valid.
func FuzzEncodingMatchesSDK(f *testing.F) {
	f.Add("evt_1", "orders/create", "acme.myshopify.com", "1001", "application/json", int64(1795780800123456789), []byte(`{}`), "", "")
	f.Add("id", "t", "%zz", "", "bad/ct/x", int64(0), []byte(nil), "sequence", "00000000000000000042")
	f.Add("id", "t", "http://[::1]:80/p?q#f", "s", "text/plain; charset=\"utf-8\"", int64(-1), []byte("x"), "Sequence", " 7")
	f.Add("id", "t", "s", "", "", int64(0), []byte("x"), "time", "x")
	// One route for every input, as a running bridge has: what it keeps
	// of one delivery must not leak into the next.
	rt := shopRoute(f)
	f.Fuzz(func(t *testing.T, id, typ, source, subject, contentType string, nanos int64, body []byte, extName, extValue string) {
		at := time.Unix(0, nanos)
		if at.Year() < 1 || at.Year() > 9999 {
			return // not an RFC 3339 time either way
		}
		var ext map[string]string
		if extName != "" || extValue != "" {
			ext = map[string]string{extName: extValue}
		}
		checkSameAsSDK(t, rt, id, typ, source, subject, contentType, ext, at, body)
		checkSameAsSDK(t, rt, id, typ, source, subject, contentType, ext, at, body)
	})
}
