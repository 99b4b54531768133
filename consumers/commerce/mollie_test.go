package commerce_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/hookbridge/hookbridge/consumers/commerce"
	"github.com/hookbridge/hookbridge/internal/sample"
)

// mollieRaw is a Mollie next-gen event of type typ as the normaliser reads
// it: an event names no organisation, so the bridge's CloudEvent source
// is its own /mollie/<source name>; the subject is entityId.
func mollieRaw(typ string, body []byte) commerce.Raw {
	return commerce.Raw{
		Provider: "mollie", Source: "acme-mollie", ID: "event_GvJ8WHrp5isUdRub9CJyH",
		Type: "com.mollie." + typ, EvSource: "/mollie/acme-mollie", Subject: "pl_qng5gbbv8NAZ5gpM5ZYgx",
		Time: time.Date(2024, 12, 16, 15, 57, 4, 0, time.UTC), Data: body,
	}
}

// mollieLink edits the embedded payment link of an event.
func mollieLink(edit func(l map[string]any)) func(map[string]any) {
	return func(m map[string]any) { edit(m["_embedded"].(map[string]any)["payment-link"].(map[string]any)) }
}

// TestMollieMoney: amounts are decimal strings kept as written, whatever
// the currency; an amount that is not one, or has no currency, is
// unusable, as is an event without the link it names.
func TestMollieMoney(t *testing.T) {
	amount := func(v any, currency string) func(map[string]any) {
		return mollieLink(func(l map[string]any) { l["amount"] = map[string]any{"currency": currency, "value": v} })
	}
	for _, c := range []struct {
		name      string
		edit      func(map[string]any)
		wantErr   bool
		wantTotal string
	}{
		{name: "EUR", edit: amount("10.00", "EUR"), wantTotal: "10.00"},
		{name: "JPY as written", edit: amount("1000", "JPY"), wantTotal: "1000"},
		{name: "lower-case currency", edit: amount("0.01", "eur"), wantTotal: "0.01"},
		{name: "a comma", edit: amount("10,00", "EUR"), wantErr: true},
		{name: "an exponent", edit: amount("1e3", "EUR"), wantErr: true},
		{name: "no currency", edit: amount("10.00", ""), wantErr: true},
		{name: "bad currency", edit: amount("10.00", "EURO"), wantErr: true},
		{name: "another link", edit: mollieLink(func(l map[string]any) { l["id"] = "pl_other" }), wantErr: true},
		{name: "no entityId", edit: func(m map[string]any) { delete(m, "entityId") }, wantErr: true},
		{name: "bad createdAt", edit: func(m map[string]any) { m["createdAt"] = "today" }, wantErr: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			evs, err := commerce.Map(mollieRaw("payment-link.paid", editedFixture(t, "mollie", "payment-link.paid", c.edit)))
			if c.wantErr {
				if !errors.Is(err, commerce.ErrUnusable) || evs != nil {
					t.Fatalf("Map = %v, %v; want an error wrapping ErrUnusable", evs, err)
				}
				return
			}
			if err != nil || len(evs) != 1 {
				t.Fatalf("Map = %v, %v", evs, err)
			}
			if o := evs[0].Data.(*commerce.Order); o.Total != c.wantTotal {
				t.Errorf("total %q, want %q", o.Total, c.wantTotal)
			}
		})
	}
}

// TestMollieEventsAPIEntity: an event as Mollie's Events API returns it,
// the link under _embedded.entity, maps as a delivery does, and a paidAt
// in the snapshot is the order's last change.
func TestMollieEventsAPIEntity(t *testing.T) {
	body := editedFixture(t, "mollie", "payment-link.paid", func(m map[string]any) {
		e := m["_embedded"].(map[string]any)
		link := e["payment-link"].(map[string]any)
		link["paidAt"] = "2024-12-16T15:57:03.0Z"
		m["_embedded"] = map[string]any{"entity": link}
	})
	evs, err := commerce.Map(mollieRaw("payment-link.paid", body))
	if err != nil || len(evs) != 1 {
		t.Fatalf("Map = %v, %v", evs, err)
	}
	if o := evs[0].Data.(*commerce.Order); o.Total != "24.95" || o.UpdatedAt != "2024-12-16T15:57:03Z" {
		t.Errorf("order %+v: want 24.95, updated at the paidAt", o)
	}
}

// TestMollieSkipped: a type that means no canonical event is skipped even
// when its payload cannot be read.
func TestMollieSkipped(t *testing.T) {
	for _, typ := range []string{"profile.created", "profile.verified", "profile.blocked", "payment-link"} {
		if evs, err := commerce.Map(mollieRaw(typ, []byte("not json"))); err != nil || evs != nil {
			t.Errorf("%s: Map = %v, %v; want nothing", typ, evs, err)
		}
	}
}

// FuzzMollieMapping holds the Mollie mapping to its contract on any body
// under any mapped type (see checkFuzzedEvents).
func FuzzMollieMapping(f *testing.F) {
	types := []string{"payment-link.paid", "profile.created"}
	for name, body := range fixtures(f, "mollie") {
		f.Add(uint8(slices.Index(types, fixtureType(name))), body)
	}
	f.Add(uint8(0), []byte(`{"entityId":"pl_1","_embedded":{"entity":{"amount":{"value":1}}}}`))
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		raw := mollieRaw(types[int(which)%len(types)], body)
		evs, err := commerce.Map(raw)
		checkFuzzedEvents(t, raw, evs, err)
	})
}

// The bridge's Mollie sample (what `hookbridge send` posts) is shaped like
// a real delivery: the paid link embedded under its resource name, so the
// order carries the link's amount, not just its id.
func TestMollieSample(t *testing.T) {
	body, _, err := sample.Delivery("mollie", sample.Locators{}, "payment-link.paid", "m-1", time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	evs, err := commerce.Map(mollieRaw("payment-link.paid", body))
	if err != nil || len(evs) != 1 || evs[0].Action != commerce.ActionPaid {
		t.Fatalf("Map = %v, %v; want one order.paid", evs, err)
	}
	if o := evs[0].Data.(*commerce.Order); o.Total != "24.00" || o.Currency != "EUR" {
		t.Errorf("order %+v, want the embedded link's 24.00 EUR", o)
	}
}
