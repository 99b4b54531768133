package commerce_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hookbridge/hookbridge/consumers/commerce"
)

// recurlyRaw is a Recurly notification of type typ as the normaliser reads
// it: the bridge takes the CloudEvent source from site_id and the subject
// from id.
func recurlyRaw(typ string, body []byte) commerce.Raw {
	return commerce.Raw{
		Provider: "recurly", Source: "acme-recurly", ID: "rafhdbbf41mc-0123456789abcdef0123456789abcdef",
		Type: "com.recurly." + typ, EvSource: "qc326l1hl8k9", Subject: "rafhdbbf41mc",
		Time: time.Date(2022, 7, 27, 21, 43, 53, 0, time.UTC), Data: body,
	}
}

// recurlyNotification is the docs' payment notification as Recurly would
// send it for typ: the same ids, its event_type that of typ.
func recurlyNotification(t *testing.T, typ string, edit func(map[string]any)) []byte {
	return editedFixture(t, "recurly", "payment.scheduled", func(m map[string]any) {
		m["object_type"], m["event_type"], _ = strings.Cut(typ, ".")
		if edit != nil {
			edit(m)
		}
	})
}

// TestRecurlyPayments: a payment notification is one payment or refund
// with the id it names, its state and the event's time, and nothing else.
func TestRecurlyPayments(t *testing.T) {
	at := "2022-07-27T21:43:53Z"
	for typ, want := range map[string]any{
		"payment.succeeded": &commerce.Payment{ID: "rafhdbbf41mc", Platform: "recurly", Source: "acme-recurly", Status: commerce.PaymentSucceeded, UpdatedAt: at},
		"payment.failed":    &commerce.Payment{ID: "rafhdbbf41mc", Platform: "recurly", Source: "acme-recurly", Status: commerce.PaymentFailed, UpdatedAt: at},
		"payment.refunded":  &commerce.Refund{ID: "rafhdbbf41mc", Platform: "recurly", Source: "acme-recurly", Status: commerce.RefundSucceeded, CreatedAt: at},
	} {
		raw := recurlyRaw(typ, recurlyNotification(t, typ, nil))
		evs, err := commerce.Map(raw)
		checkFuzzedEvents(t, raw, evs, err) // each encodes and meets the schema
		if err != nil || len(evs) != 1 {
			t.Fatalf("%s: Map = %v, %v; want one event", typ, evs, err)
		}
		checkEvent(t, typ, evs[0], want)
	}
}

// checkEvent compares the data of ev with want, and its subject and time
// with the notification's id and event_time.
func checkEvent(t *testing.T, typ string, ev commerce.Canonical, want any) {
	t.Helper()
	if ev.Subject != "rafhdbbf41mc" || !ev.Time.Equal(time.Date(2022, 7, 27, 21, 43, 53, 0, time.UTC)) {
		t.Errorf("%s: subject %q, time %v", typ, ev.Subject, ev.Time)
	}
	switch w := want.(type) {
	case *commerce.Payment:
		if p, ok := ev.Data.(*commerce.Payment); !ok || *p != *w || ev.Entity != commerce.EntityPayment {
			t.Errorf("%s: %s %+v, want payment %+v", typ, ev.Entity, ev.Data, w)
		}
	case *commerce.Refund:
		if r, ok := ev.Data.(*commerce.Refund); !ok || *r != *w || ev.Action != commerce.ActionCreated {
			t.Errorf("%s: %s.%s %+v, want refund.created %+v", typ, ev.Entity, ev.Action, ev.Data, w)
		}
	}
}

// TestRecurlyUnusable: a mapped notification without an id, or with a time
// that is not RFC 3339, is unusable.
func TestRecurlyUnusable(t *testing.T) {
	for name, edit := range map[string]func(map[string]any){
		"no id":            func(m map[string]any) { delete(m, "id") },
		"id as an object":  func(m map[string]any) { m["id"] = map[string]any{} },
		"bad event_time":   func(m map[string]any) { m["event_time"] = "27/07/2022" },
		"event_time a num": func(m map[string]any) { m["event_time"] = 1658958233 },
	} {
		evs, err := commerce.Map(recurlyRaw("payment.succeeded", recurlyNotification(t, "payment.succeeded", edit)))
		if !errors.Is(err, commerce.ErrUnusable) || evs != nil {
			t.Errorf("%s: Map = %v, %v; want an error wrapping ErrUnusable", name, evs, err)
		}
	}
}

// TestRecurlySkipped: a type that means no canonical event is skipped even
// when its payload cannot be read.
func TestRecurlySkipped(t *testing.T) {
	for _, typ := range []string{"payment.scheduled", "payment.processing", "payment.voided", "charge_invoice.paid", "credit_payment.created", "payment"} {
		if evs, err := commerce.Map(recurlyRaw(typ, []byte("not json"))); err != nil || evs != nil {
			t.Errorf("%s: Map = %v, %v; want nothing", typ, evs, err)
		}
	}
}

// FuzzRecurlyMapping holds the Recurly mapping to its contract on any body
// under any mapped type (see checkFuzzedEvents).
func FuzzRecurlyMapping(f *testing.F) {
	types := []string{"payment.succeeded", "payment.failed", "payment.refunded", "payment.scheduled"}
	for name, body := range fixtures(f, "recurly") {
		f.Add(uint8(max(slices.Index(types, fixtureType(name)), 0)), body)
	}
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		raw := recurlyRaw(types[int(which)%len(types)], body)
		evs, err := commerce.Map(raw)
		checkFuzzedEvents(t, raw, evs, err)
	})
}
