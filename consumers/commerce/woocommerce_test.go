package commerce_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hookbridge/hookbridge/consumers/commerce"
)

const wooDir = "testdata/woocommerce"

// wooRaw is a WooCommerce delivery of topic as the normaliser reads it.
func wooRaw(topic string, body []byte) commerce.Raw {
	return commerce.Raw{
		Provider: "woocommerce",
		Source:   "acme-woo",
		ID:       "1-4f6c0e3a9d2b7c815e0a4b6d3c2f1e0a",
		Type:     "com.woocommerce." + topic,
		EvSource: "https://example.com/",
		Time:     time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC),
		Data:     body,
	}
}

// wooDelete in a wooOrder mutation removes the key.
type wooDeleteKey struct{}

var wooDelete = wooDeleteKey{}

// wooOrder is the published order 727 (processing, paid) with set applied
// to its top-level keys.
func wooOrder(t testing.TB, set map[string]any) []byte {
	t.Helper()
	body, err := os.ReadFile(filepath.Join(wooDir, "order.created.json"))
	if err != nil {
		t.Fatal(err)
	}
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	var o map[string]any
	if err := d.Decode(&o); err != nil {
		t.Fatal(err)
	}
	for k, v := range set {
		if v == wooDelete {
			delete(o, k)
			continue
		}
		o[k] = v
	}
	out, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// wooMapOrder maps body under topic and returns the actions in order and
// the order's data, which every event of one delivery shares.
func wooMapOrder(t *testing.T, topic string, body []byte) ([]string, *commerce.Order) {
	t.Helper()
	evs, err := commerce.Map(wooRaw(topic, body))
	if err != nil {
		t.Fatalf("Map: %v", err)
	}
	var actions []string
	var order *commerce.Order
	for _, c := range evs {
		o, ok := c.Data.(*commerce.Order)
		if !ok || c.Entity != commerce.EntityOrder || c.Subject != o.ID {
			t.Fatalf("%s.%s for %q: data %T", c.Entity, c.Action, c.Subject, c.Data)
		}
		if order != nil && !reflect.DeepEqual(o, order) {
			t.Errorf("%s carries other data than %s", c.Action, actions[0])
		}
		order = o
		actions = append(actions, c.Action)
	}
	return actions, order
}

// FuzzWooCommerceMapping feeds the mapping any topic and body: it must
// never panic, and either refuse the body as unusable or give events a
// consumer can read.
func FuzzWooCommerceMapping(f *testing.F) {
	fuzzMappingWith(f, "woocommerce", wooRaw, func(t *testing.T, c commerce.Canonical) {
		o, ok := c.Data.(*commerce.Order)
		if !ok || c.Entity != commerce.EntityOrder || o.ID == "" || c.Subject != o.ID {
			t.Fatalf("%s.%s for %q: data %T", c.Entity, c.Action, c.Subject, c.Data)
		}
		if o.Platform != "woocommerce" || o.Source != "acme-woo" {
			t.Fatalf("platform %q, source %q", o.Platform, o.Source)
		}
		if !c.Time.IsZero() && c.Time.Location() != time.UTC {
			t.Fatalf("time %v is not UTC", c.Time)
		}
		amounts := []string{o.Total, o.Subtotal, o.Tax, o.Shipping, o.Discount}
		for _, li := range o.LineItems {
			amounts = append(amounts, li.UnitPrice)
		}
		for _, m := range amounts {
			if m != "" && !schemaDecimal.MatchString(m) {
				t.Fatalf("amount %q is not a decimal", m)
			}
		}
		for _, ts := range []string{o.CreatedAt, o.UpdatedAt} {
			if _, err := time.Parse(time.RFC3339, ts); ts != "" && (err != nil || !strings.HasSuffix(ts, "Z")) {
				t.Fatalf("time %q is not RFC 3339 UTC", ts)
			}
		}
		if !slices.Contains([]string{"", commerce.OrderPending, commerce.OrderPaid, commerce.OrderPartiallyRefunded,
			commerce.OrderRefunded, commerce.OrderFulfilled, commerce.OrderCancelled, commerce.OrderFailed}, o.Status) {
			t.Fatalf("status %q", o.Status)
		}
	}, nil)
}
