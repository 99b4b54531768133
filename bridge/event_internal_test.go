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

func checkSameAsSDK(t *testing.T, id, typ, source, subject, contentType string, at time.Time, body []byte) {
	t.Helper()
	p, err := provider.New(provider.Config{Kind: "shopify", Secrets: []string{"x"}})
	if err != nil {
		t.Fatal(err)
	}
	s := &server{}
	rt := &route{Source: Source{Name: "shop", Provider: p}, subjectBase: "webhooks.shopify.shop"}
	ev := provider.Event{ID: id, Type: typ, Source: source, Subject: subject, Time: at}
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
	checkSameAsSDK(t, "evt_1", "orders/create", "acme.myshopify.com", "1001", "application/json", at, body)
	checkSameAsSDK(t, "evt_2", "orders/paid", "", "", "", at, body)
	checkSameAsSDK(t, "evt_3", "x", "https://shop.example.test/", "", "application/json; charset=utf-8", at, nil)
	checkSameAsSDK(t, "é ü", "Tÿpe", "/a b/é", "sübject", "text/plain", at, body)
}

// FuzzEncodingMatchesSDK: whatever attributes a delivery brings, an event
// the bridge accepts is encoded exactly as sdk-go would, and is valid.
func FuzzEncodingMatchesSDK(f *testing.F) {
	f.Add("evt_1", "orders/create", "acme.myshopify.com", "1001", "application/json", int64(1795780800123456789), []byte(`{}`))
	f.Add("id", "t", "%zz", "", "bad/ct/x", int64(0), []byte(nil))
	f.Add("id", "t", "http://[::1]:80/p?q#f", "s", "text/plain; charset=\"utf-8\"", int64(-1), []byte("x"))
	f.Fuzz(func(t *testing.T, id, typ, source, subject, contentType string, nanos int64, body []byte) {
		at := time.Unix(0, nanos)
		if at.Year() < 1 || at.Year() > 9999 {
			return // not an RFC 3339 time either way
		}
		checkSameAsSDK(t, id, typ, source, subject, contentType, at, body)
	})
}
