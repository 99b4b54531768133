package commerce_test

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookbridge/hookbridge/consumers/commerce"
)

// shopifyDir holds Shopify's documented payloads (see its SOURCES.md), each
// named after its topic with '/' as '.', and "-variant" where one topic has
// several: orders.create.json, refunds.create-shipping.json.
var shopifyDir = filepath.Join("testdata", "shopify")

// shopifyRaw is a raw Shopify event of topic (dotted) as the normaliser
// reads it from WEBHOOKS.
func shopifyRaw(topic string, data []byte) commerce.Raw {
	return commerce.Raw{
		Provider: "shopify",
		Source:   "acme-shop",
		ID:       "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
		Type:     "com.shopify." + topic,
		EvSource: "acme.myshopify.com",
		Subject:  "820982911946154508",
		Time:     time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC),
		Data:     data,
	}
}

// shopifyPayload is fixture name's payload, with edit applied to it when
// edit is not nil. Numbers stay as written, so ids keep every digit.
func shopifyPayload(tb testing.TB, name string, edit func(map[string]any)) []byte {
	tb.Helper()
	return editedFixture(tb, "shopify", name, edit)
}

// TestShopifyTopics: each mapped topic means its one canonical event, and
// the topics that mean none of them are skipped, not refused.
func TestShopifyTopics(t *testing.T) {
	order := shopifyPayload(t, "orders.create", nil)
	for _, c := range []struct {
		topic, entityAction string
		data                []byte
	}{
		{"orders.create", "order.created", order},
		{"orders.updated", "order.updated", order},
		{"orders.paid", "order.paid", order},
		{"orders.cancelled", "order.cancelled", order},
		{"orders.fulfilled", "order.fulfilled", order},
		{"refunds.create", "refund.created", shopifyPayload(t, "refunds.create", nil)},
		{"order_transactions.create", "payment.succeeded", shopifyPayload(t, "order_transactions.create-capture", nil)},
		{"orders.partially_fulfilled", "", order},
		{"orders.delete", "", shopifyPayload(t, "orders.delete", nil)},
		{"orders.edited", "", []byte(`{"order_edit":{"id":78912328793123782}}`)},
		{"fulfillments.create", "", shopifyPayload(t, "fulfillments.create", nil)},
		{"checkouts.create", "", []byte(`{"token":"123123123"}`)},
		{"products.update", "", []byte(`not even JSON`)},
		{"", "", order},
	} {
		got, err := commerce.Map(shopifyRaw(c.topic, c.data))
		if err != nil {
			t.Errorf("%s: %v", c.topic, err)
			continue
		}
		var kinds []string
		for _, e := range got {
			kinds = append(kinds, e.Entity+"."+e.Action)
		}
		if strings.Join(kinds, " ") != c.entityAction {
			t.Errorf("%s means %q, want %q", c.topic, kinds, c.entityAction)
		}
	}
	// Another platform's type under the shopify provider is not Shopify's.
	if got, err := commerce.Map(commerce.Raw{Provider: "shopify", Type: "com.stripe.charge.succeeded", Data: order}); got != nil || err != nil {
		t.Errorf("com.stripe type: %v, %v; want skipped", got, err)
	}
}

// TestShopifyIDsKeepEveryDigit: Shopify's ids exceed float64's 53 bits; a
// float would turn order 820982911946154508 into ...500.
func TestShopifyIDsKeepEveryDigit(t *testing.T) {
	got, err := commerce.Map(shopifyRaw("orders.create", shopifyPayload(t, "orders.create", nil)))
	if err != nil {
		t.Fatal(err)
	}
	o := got[0].Data.(*commerce.Order)
	if got[0].Subject != "820982911946154508" || o.ID != "820982911946154508" ||
		o.Customer.ID != "115310627314723954" || o.LineItems[3].ID != "976318377106520349" {
		t.Errorf("ids: subject %s, order %s, customer %s, line %s", got[0].Subject, o.ID, o.Customer.ID, o.LineItems[3].ID)
	}
}

// TestShopifyUnusable: a mapped topic whose payload cannot be mapped is
// refused with ErrUnusable (and dead-lettered), never published half-read.
func TestShopifyUnusable(t *testing.T) {
	set := func(key string, v any) func(map[string]any) {
		return func(m map[string]any) { m[key] = v }
	}
	lineQuantity := func(v any) func(map[string]any) {
		return func(m map[string]any) { m["line_items"].([]any)[0].(map[string]any)["quantity"] = v }
	}
	for _, c := range []struct {
		name, topic, fixture string
		data                 []byte
		edit                 func(map[string]any)
	}{
		{name: "not JSON", topic: "orders.create", data: []byte(`{"id":820982911946154508,`)},
		{name: "an array", topic: "orders.paid", data: []byte(`[{"id":1}]`)},
		{name: "null", topic: "orders.paid", data: []byte(`null`)},
		{name: "empty body", topic: "refunds.create", data: []byte(``)},
		{name: "no id", topic: "orders.create", fixture: "orders.create", edit: func(m map[string]any) { delete(m, "id") }},
		{name: "null id", topic: "orders.create", fixture: "orders.create", edit: set("id", nil)},
		{name: "negative id", topic: "orders.create", fixture: "orders.create", edit: set("id", json.Number("-1"))},
		{name: "id true", topic: "orders.updated", fixture: "orders.create", edit: set("id", true)},
		{name: "name a number", topic: "orders.create", fixture: "orders.create", edit: set("name", 9999)},
		{name: "line_items an object", topic: "orders.create", fixture: "orders.create", edit: set("line_items", map[string]any{})},
		{name: "quantity a fraction", topic: "orders.create", fixture: "orders.create", edit: lineQuantity(json.Number("1.5"))},
		{name: "quantity a string", topic: "orders.create", fixture: "orders.create", edit: lineQuantity("1")},
		{name: "quantity negative", topic: "orders.create", fixture: "orders.create", edit: lineQuantity(json.Number("-1"))},
		{name: "quantity absent", topic: "orders.create", fixture: "orders.create", edit: lineQuantity(nil)},
		{name: "created_at not a time", topic: "orders.create", fixture: "orders.create", edit: set("created_at", "yesterday")},
		{name: "updated_at past 9999 in UTC", topic: "orders.create", fixture: "orders.create", edit: set("updated_at", "9999-12-31T23:00:00-05:00")},
		{name: "customer a string", topic: "orders.create", fixture: "orders.create", edit: set("customer", "john@example.com")},
		{name: "refund without id", topic: "refunds.create", fixture: "refunds.create", edit: func(m map[string]any) { delete(m, "id") }},
		{name: "transaction without id", topic: "order_transactions.create", fixture: "order_transactions.create", edit: set("id", "")},
		{name: "transaction amount an object", topic: "order_transactions.create", fixture: "order_transactions.create-capture", edit: set("amount", map[string]any{"amount": "10.00"})},
	} {
		data := c.data
		if c.fixture != "" {
			data = shopifyPayload(t, c.fixture, c.edit)
		}
		got, err := commerce.Map(shopifyRaw(c.topic, data))
		if !errors.Is(err, commerce.ErrUnusable) || got != nil {
			t.Errorf("%s: %v, %v; want ErrUnusable", c.name, got, err)
			continue
		}
		if strings.Contains(err.Error(), "example.com") {
			t.Errorf("%s: the reason %q quotes the payload", c.name, err)
		}
	}
}
