package inventory

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/hookbridge/hookbridge/consumers"
	"github.com/hookbridge/hookbridge/consumers/commerce"
)

// rawFixture is the canonical events the normaliser publishes for the raw
// platform delivery in testdata/file, of type rawType from the shop
// source, each through the wire codec: what the service receives for it.
func rawFixture(t testing.TB, rawType, file, source, id string) []event.Event {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	provider, _, _ := strings.Cut(strings.TrimPrefix(rawType, "com."), ".")
	out, err := commerce.Events(commerce.Raw{Provider: provider, Source: "acme-shop", ID: id, Type: rawType, EvSource: source, Time: time.Now(), Data: data})
	if err != nil {
		t.Fatal(err)
	}
	evs := make([]event.Event, len(out))
	for i, p := range out {
		msg, err := consumers.EncodeEvent(t.Context(), p.Subject, p.Event)
		if err != nil {
			t.Fatal(err)
		}
		if evs[i], err = consumers.DecodeEvent(t.Context(), msg.Subject, msg.Header, msg.Data); err != nil {
			t.Fatal(err)
		}
	}
	return evs
}

// orderData is a canonical order event of action with data, as it reaches
// resolve.
func orderData(t testing.TB, action, data string) event.Event {
	t.Helper()
	ev := event.New()
	ev.SetID("1")
	ev.SetType(orderTypePrefix + action)
	ev.SetSource(shop)
	if err := ev.SetData(event.ApplicationJSON, []byte(data)); err != nil {
		t.Fatal(err)
	}
	return ev
}

// The reading rule, for every action and status: an order cancelled or
// refunded, by its action or its status, releases; created otherwise
// reserves; nothing else is about stock.
func TestEffectOf(t *testing.T) {
	statuses := []string{"", commerce.OrderPending, commerce.OrderPaid, commerce.OrderPartiallyRefunded,
		commerce.OrderRefunded, commerce.OrderFulfilled, commerce.OrderCancelled, commerce.OrderFailed}
	marks := map[byte]effect{'+': reserve, '-': release, '.': ignore}
	// One mark per status above, in that order.
	for action, want := range map[string]string{
		commerce.ActionCreated:   "++++-+-+",
		commerce.ActionUpdated:   "....-.-.",
		commerce.ActionPaid:      "....-.-.",
		commerce.ActionFulfilled: "....-.-.",
		commerce.ActionCancelled: "--------",
		commerce.ActionRefunded:  "--------",
		"restored":               "....-.-.", // an action this service does not know
	} {
		for i, status := range statuses {
			data := fmt.Sprintf(`{"id":"4711","platform":"woocommerce","status":%q,"line_items":[{"sku":"HB-MUG-01","quantity":1}]}`, status)
			_, got, _, err := resolve(orderData(t, action, data))
			if err != nil {
				t.Fatalf("%s %q: %v", action, status, err)
			}
			if got != marks[want[i]] {
				t.Errorf("order.%s with status %q: %s, want %s", action, status, got, marks[want[i]])
			}
		}
	}
}

// What each platform fixture becomes, read: the effect of each of its
// canonical events, and for those that act, the order and its lines.
func TestResolveFixtures(t *testing.T) {
	shopify := orderKey("shopify", shop, "5720334450777")
	woo := orderKey("woocommerce", shop, "4711")
	shopifyLines := map[string]int{"HB-MUG-01": 2, "HB-TEE-BLK-M": 1}
	wooLines := map[string]int{"HB-MUG-01": 3, "HB-CAP-NVY": 1}
	for _, c := range []struct {
		rawType, file string
		effects       []effect
		key           string
		lines         map[string]int
	}{
		{"com.shopify.orders.create", "orders-create.json", []effect{reserve}, shopify, shopifyLines},
		{"com.shopify.orders.cancelled", "orders-cancelled.json", []effect{release}, shopify, shopifyLines},
		{"com.woocommerce.order.created", "order-created.json", []effect{reserve, ignore}, woo, wooLines},
		{"com.woocommerce.order.updated", "order-updated-processing.json", []effect{ignore, ignore}, woo, wooLines},
		{"com.woocommerce.order.updated", "order-updated-cancelled.json", []effect{release, release}, woo, wooLines},
		{"com.woocommerce.order.updated", "order-updated-refunded.json", []effect{release, release}, woo, wooLines},
		// Created already cancelled: a release, which leaves a tombstone.
		{"com.woocommerce.order.created", "order-updated-cancelled.json", []effect{release, release}, woo, wooLines},
	} {
		t.Run(c.rawType+" "+c.file, func(t *testing.T) {
			var got []effect
			for _, ev := range rawFixture(t, c.rawType, c.file, shop, "1") {
				o, eff, skipped, err := resolve(ev)
				if err != nil {
					t.Fatalf("%s: %v", ev.Type(), err)
				}
				got = append(got, eff)
				if eff == ignore {
					continue
				}
				// Each fixture has one line without SKU.
				if o.key != c.key || skipped != 1 || !maps.Equal(o.lines, c.lines) {
					t.Errorf("%s: order %+v, skipped %d; want key %s, lines %v", ev.Type(), o, skipped, c.key, c.lines)
				}
			}
			if !slices.Equal(got, c.effects) {
				t.Errorf("effects %v, want %v", got, c.effects)
			}
		})
	}
}

// FuzzResolve feeds arbitrary data to the reading of every order action:
// it never panics, and what it accepts makes valid keys and subject tokens.
func FuzzResolve(f *testing.F) {
	for _, raw := range []struct{ typ, file string }{
		{"com.shopify.orders.create", "orders-create.json"},
		{"com.shopify.orders.cancelled", "orders-cancelled.json"},
		{"com.woocommerce.order.created", "order-created.json"},
		{"com.woocommerce.order.updated", "order-updated-refunded.json"},
	} {
		for _, ev := range rawFixture(f, raw.typ, raw.file, shop, "1") {
			f.Add(strings.TrimPrefix(ev.Type(), orderTypePrefix), ev.Data())
		}
	}
	f.Add(commerce.ActionCreated, []byte(`{"id":"7","platform":"x","line_items":[{"sku":"a.b c/=é","quantity":1}]}`))
	f.Add(commerce.ActionCancelled, []byte(`{"id":"7","platform":"a.b"}`))
	f.Add(commerce.ActionCreated, []byte(`{"id":"7","platform":"stripe"}`))
	f.Fuzz(func(t *testing.T, action string, data []byte) {
		o, eff, _, err := resolve(orderData(t, action, string(data)))
		if err != nil || eff == ignore {
			return
		}
		if strings.TrimSpace(o.id) == "" {
			t.Fatal("accepted an order without id")
		}
		if !tokenRe.MatchString(o.key) {
			t.Fatalf("order key %q is not one key token", o.key)
		}
		for sku, n := range o.lines {
			tok := token(sku)
			if !tokenRe.MatchString(tok) || untoken(t, tok) != sku {
				t.Fatalf("sku %q: token %q", sku, tok)
			}
			if n < 1 {
				t.Fatalf("sku %q: quantity %d", sku, n)
			}
		}
	})
}
