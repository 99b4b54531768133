package commerce_test

import (
	"testing"
	"time"

	"github.com/hookbridge/hookbridge/consumers/commerce"
)

// A canonical event carries the contract's attributes, traces back to its
// raw event, and has the same id however often it is derived.
func TestEventAttributes(t *testing.T) {
	raw := rawEvent()
	changed := time.Date(2026, 11, 30, 11, 59, 0, 0, time.FixedZone("EST", -5*3600))
	c := commerce.Canonical{Entity: "order", Action: "paid", Subject: "450789469", Time: changed, Data: fullOrder()}
	ev, subject, err := commerce.Event(raw, c)
	if err != nil {
		t.Fatal(err)
	}
	if subject != "commerce.order.paid.shopify.acme-shop" {
		t.Errorf("subject %q", subject)
	}
	for name, got := range map[string]string{
		"type":       ev.Type(),
		"source":     ev.Source(),
		"subject":    ev.Subject(),
		"dataschema": ev.DataSchema(),
		"rawid":      ev.Extensions()[commerce.ExtRawID].(string),
	} {
		want := map[string]string{
			"type": "com.hookbridge.commerce.order.paid", "source": "acme.myshopify.com", "subject": "450789469",
			"dataschema": "urn:hookbridge:commerce:order:v1", "rawid": "b1e5c6a0-raw",
		}[name]
		if got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if !ev.Time().Equal(changed) || ev.Time().Location() != time.UTC {
		t.Errorf("time %s, want the platform's time of the change in UTC", ev.Time())
	}

	again, _, _ := commerce.Event(raw, c)
	if again.ID() != ev.ID() {
		t.Errorf("the same raw event gave ids %s and %s", ev.ID(), again.ID())
	}
	// An update's id is its raw event's: any other part changes it.
	u := c
	u.Action = "updated"
	base := commerce.ID(raw, u)
	for name, other := range map[string]func() (commerce.Raw, commerce.Canonical){
		"another raw event":      func() (commerce.Raw, commerce.Canonical) { r := raw; r.ID = "other"; return r, u },
		"another source":         func() (commerce.Raw, commerce.Canonical) { r := raw; r.Source = "acme-eu"; return r, u },
		"another canonical type": func() (commerce.Raw, commerce.Canonical) { o := u; o.Action = "created"; return raw, o },
		"another entity id":      func() (commerce.Raw, commerce.Canonical) { o := u; o.Subject = "1"; return raw, o },
	} {
		r, o := other()
		if commerce.ID(r, o) == base {
			t.Errorf("%s: same id %s", name, base)
		}
	}
	// No part can run into the next: ("ab", "c") and ("a", "bc") differ.
	r1, r2 := raw, raw
	r1.Source, r1.ID = "ab", "c"
	r2.Source, r2.ID = "a", "bc"
	if commerce.ID(r1, u) == commerce.ID(r2, u) {
		t.Error("the id's parts run into each other")
	}

	// Without a platform time of the change, the raw event's time.
	c.Time = time.Time{}
	ev, _, _ = commerce.Event(raw, c)
	if !ev.Time().Equal(raw.Time) {
		t.Errorf("time %s, want the raw event's %s", ev.Time(), raw.Time)
	}
}

// The id of a canonical event never changes from one release to the next:
// a normaliser upgraded during a replay must derive the ids its
// predecessor stored, or the stream's dedup would let duplicates through.
func TestIDIsStable(t *testing.T) {
	raw := rawEvent()
	if got := commerce.ID(raw, commerce.Canonical{Entity: "order", Action: "paid", Subject: "450789469"}); got != "16e6879f7a1e3da86d70ba058aa411ee" {
		t.Errorf("id %s, want 16e6879f7a1e3da86d70ba058aa411ee", got)
	}
	raw.Source, raw.ID = "é:\n", ""
	if got := commerce.ID(raw, commerce.Canonical{Entity: "refund", Action: "created", Subject: "re_1 x"}); got != "e8ac0ef6b971381828e31294563b2657" {
		t.Errorf("id %s, want e8ac0ef6b971381828e31294563b2657", got)
	}
	if got := commerce.DataSchema(commerce.EntityPayment); got != "urn:hookbridge:commerce:payment:v1" {
		t.Errorf("dataschema %s", got)
	}
}

// An order's milestone (paid, fulfilled, cancelled, refunded) with the
// platform's time of that change has one id whichever raw event it came
// from: a platform that sends the whole order with every change
// (WooCommerce) yields it once. Without that time, or for any other
// event, each raw event has its own.
func TestMilestoneID(t *testing.T) {
	raw := rawEvent()
	paidAt := time.Date(2026, 11, 30, 11, 59, 0, 0, time.UTC)
	paid := commerce.Canonical{Entity: "order", Action: "paid", Subject: "727", Time: paidAt}
	later := raw
	later.ID, later.Time = "a later delivery of the order", raw.Time.Add(time.Hour)
	if commerce.ID(raw, paid) != commerce.ID(later, paid) {
		t.Error("one payment of one order, delivered twice: two ids")
	}
	for _, action := range []string{"fulfilled", "cancelled", "refunded"} {
		m := paid
		m.Action = action
		if commerce.ID(raw, m) != commerce.ID(later, m) {
			t.Errorf("%s, delivered twice: two ids", action)
		}
		if commerce.ID(raw, m) == commerce.ID(raw, paid) {
			t.Errorf("%s and paid of one order share an id", action)
		}
	}
	for name, other := range map[string]commerce.Canonical{
		"paid at another time": {Entity: "order", Action: "paid", Subject: "727", Time: paidAt.Add(time.Second)},
		"another order":        {Entity: "order", Action: "paid", Subject: "728", Time: paidAt},
	} {
		if commerce.ID(raw, other) == commerce.ID(raw, paid) {
			t.Errorf("%s: the same id", name)
		}
	}
	moved := raw
	moved.Source = "acme-eu"
	if commerce.ID(moved, paid) == commerce.ID(raw, paid) {
		t.Error("another source: the same id")
	}
	for name, c := range map[string]commerce.Canonical{
		"without the time of the change": {Entity: "order", Action: "paid", Subject: "727"},
		"an update":                      {Entity: "order", Action: "updated", Subject: "727", Time: paidAt},
		"a payment":                      {Entity: "payment", Action: "succeeded", Subject: "pi_1", Time: paidAt},
		"a refund":                       {Entity: "refund", Action: "created", Subject: "re_1", Time: paidAt},
	} {
		if commerce.ID(raw, c) == commerce.ID(later, c) {
			t.Errorf("%s: two raw events gave one id", name)
		}
	}
	// Pinned, as the raw-event ids are (TestIDIsStable): a release that
	// changed it would let a replay's milestones through the dedup again.
	if got := commerce.ID(raw, paid); got != "3e6792cb4e074ba0e0ba1feda793fa5c" {
		t.Errorf("id %s, want 3e6792cb4e074ba0e0ba1feda793fa5c", got)
	}
}
