package bridge_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	cejs "github.com/cloudevents/sdk-go/protocol/nats_jetstream/v2"
	"github.com/cloudevents/sdk-go/v2/binding"
	"github.com/nats-io/nats.go"

	"github.com/hookbridge/hookbridge/bridge"
	"github.com/hookbridge/hookbridge/internal/natstest"
	"github.com/hookbridge/hookbridge/internal/sample"
)

// adyenItem is one notification item: its pspReference and eventCode.
type adyenItem struct{ psp, code string }

// adyenBatch is an Adyen delivery to source "ady" carrying one sample item
// per item, in order, signed by SignBody; edit, when not nil, changes the
// decoded items before they are signed.
func (h *harness) adyenBatch(items []adyenItem, edit func(items []any)) ([]byte, http.Header) {
	h.t.Helper()
	var list []any
	var hdr http.Header
	for _, it := range items {
		body, hh, err := sample.Delivery("adyen", sample.Locators{}, it.code, it.psp, testNow)
		if err != nil {
			h.t.Fatal(err)
		}
		var doc struct{ NotificationItems []any }
		if err := json.Unmarshal(body, &doc); err != nil {
			h.t.Fatal(err)
		}
		list, hdr = append(list, doc.NotificationItems...), hh
	}
	if edit != nil {
		edit(list)
	}
	body, err := json.Marshal(map[string]any{"live": "false", "notificationItems": list})
	if err != nil {
		h.t.Fatal(err)
	}
	if body, err = h.providers["ady"].SignBody(body); err != nil {
		h.t.Fatal(err)
	}
	return body, hdr
}

// checkAccepted fails unless a is Adyen's success answer.
func checkAccepted(t *testing.T, a answer) {
	t.Helper()
	if a.code != 200 || a.raw != "[accepted]" || a.header.Get("Content-Type") != "text/plain; charset=utf-8" {
		t.Fatalf("answer %d %q (%s), want 200 [accepted] as text/plain", a.code, a.raw, a.header.Get("Content-Type"))
	}
}

// TestAdyenBatchStoresEveryItem: each item of a delivery is its own
// CloudEvent, all stored before the answer, which is exactly
// "[accepted]"; Adyen's retry of the batch, or a batch repeating an item,
// stores nothing twice.
func TestAdyenBatchStoresEveryItem(t *testing.T) {
	h := newHarnessWith(t, batchSources())
	body, hdr := h.adyenBatch([]adyenItem{{"8815000000000001", "AUTHORISATION"}, {"8815000000000002", "CAPTURE"}}, nil)
	checkAccepted(t, h.post(http.MethodPost, "ady", body, hdr))
	if n := h.stored(); n != 2 {
		t.Fatalf("%d messages stored, want 2", n)
	}
	var batch struct {
		NotificationItems []struct{ NotificationRequestItem json.RawMessage }
	}
	if err := json.Unmarshal(body, &batch); err != nil {
		t.Fatal(err)
	}
	items := batch.NotificationItems
	for i, want := range []struct{ subject, id string }{
		{"webhooks.adyen.ady.authorisation", "8815000000000001:AUTHORISATION"},
		{"webhooks.adyen.ady.capture", "8815000000000002:CAPTURE"},
	} {
		m := h.last(want.subject)
		ev, err := binding.ToEvent(context.Background(), cejs.NewMessage(&nats.Msg{Subject: m.Subject, Header: m.Header, Data: m.Data}))
		if err != nil {
			t.Fatalf("sdk-go cannot decode %s: %v", want.subject, err)
		}
		if ev.ID() != want.id || m.Header.Get("Nats-Msg-Id") != "ady:"+want.id || !bytes.Equal(ev.Data(), items[i].NotificationRequestItem) {
			t.Errorf("%s: event %s with data %s, want id %s and the item's own object", want.subject, ev, ev.Data(), want.id)
		}
	}
	if !strings.Contains(h.logs.String(), `"events":2`) {
		t.Errorf("the delivery's log line does not count its events:\n%s", h.logs.String())
	}

	checkAccepted(t, h.post(http.MethodPost, "ady", body, hdr))
	again, againHdr := h.adyenBatch([]adyenItem{{"8815000000000002", "CAPTURE"}, {"8815000000000003", "REFUND"}}, nil)
	checkAccepted(t, h.post(http.MethodPost, "ady", again, againHdr))
	if n := h.stored(); n != 3 {
		t.Fatalf("%d messages stored after a retry and an overlapping batch, want 3", n)
	}
}

// TestAdyenBatchAllOrNothing: one item that does not verify, or cannot
// make an event, refuses the whole delivery and stores none of it.
func TestAdyenBatchAllOrNothing(t *testing.T) {
	h := newHarnessWith(t, batchSources())
	items := []adyenItem{{"8815000000000001", "AUTHORISATION"}, {"8815000000000002", "CAPTURE"}}
	item := func(list []any, i int) map[string]any {
		return list[i].(map[string]any)["NotificationRequestItem"].(map[string]any)
	}
	forged, forgedHdr := h.adyenBatch(items, nil)
	i := bytes.LastIndex(forged, []byte(`"value":2400`)) // the second item's amount
	forged = append(forged[:i:i], append([]byte(`"value":9400`), forged[i+len(`"value":2400`):]...)...)
	noCode, noCodeHdr := h.adyenBatch(items, func(list []any) { delete(item(list, 1), "eventCode") })
	for _, c := range []struct {
		name string
		body []byte
		hdr  http.Header
		code int
	}{
		{"second item forged", forged, forgedHdr, 401},
		{"second item has no eventCode", noCode, noCodeHdr, 400},
	} {
		a := h.post(http.MethodPost, "ady", c.body, c.hdr)
		if a.code != c.code || a.body["error"] == nil {
			t.Errorf("%s: %d %s, want %d with an error", c.name, a.code, a.raw, c.code)
		}
	}
	if n := h.stored(); n != 0 {
		t.Fatalf("%d messages stored, want none", n)
	}
}

// TestAdyenBrokerGoesAway: a batch that cannot be stored is a 503 with
// Retry-After, and Adyen's retry of it once the broker is back stores
// each item once.
func TestAdyenBrokerGoesAway(t *testing.T) {
	const publishTimeout = 500 * time.Millisecond
	h := newHarnessWith(t, batchSources(), withPublishTimeout(publishTimeout))
	body, hdr := h.adyenBatch([]adyenItem{{"8815000000000001", "AUTHORISATION"}, {"8815000000000002", "CAPTURE"}}, nil)
	h.ns.Stop()
	a := h.post(http.MethodPost, "ady", body, hdr)
	if ra, err := strconv.Atoi(a.header.Get("Retry-After")); a.code != http.StatusServiceUnavailable || err != nil || ra <= 0 {
		t.Fatalf("broker down: %d %s (Retry-After %q), want 503 with Retry-After", a.code, a.raw, a.header.Get("Retry-After"))
	}
	h.ns.Restart(t)
	ready := bridge.Ready(bridge.Readiness{Conn: h.nc, JS: h.js, Streams: []string{"WEBHOOKS"}})
	natstest.Eventually(t, natstest.Patience, "connected and the stream back", func() bool {
		return ready(context.Background()) == nil
	})
	checkAccepted(t, h.postUntilOK("ady", body, hdr))
	checkAccepted(t, h.postUntilOK("ady", body, hdr))
	if n := h.stored(); n != 2 {
		t.Fatalf("%d messages stored, want 2", n)
	}
}
