package inventory

import (
	"context"
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookbridge/hookbridge/consumers"
	"github.com/hookbridge/hookbridge/internal/natstest"
)

// These tests stop a handler part-way, by running a prefix of its steps
// by hand, and then let the redelivery run the whole handler: the stock must
// come out as if the first run had never stopped.

const shop = "acme.myshopify.com"

type crashEnv struct {
	s  *Service
	js jetstream.JetStream
}

func newCrashEnv(t *testing.T, seed map[string]int) crashEnv {
	t.Helper()
	_, js := natstest.Start(t).Connect(t)
	s, err := New(t.Context(), js, Config{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Seed(t.Context(), seed); err != nil {
		t.Fatal(err)
	}
	return crashEnv{s, js}
}

// crashEvent is the one canonical event a raw Shopify delivery means.
func crashEvent(t *testing.T, rawType, file, id string) event.Event {
	t.Helper()
	evs := rawFixture(t, rawType, file, shop, id)
	if len(evs) != 1 {
		t.Fatalf("%s: %d canonical events, want 1", rawType, len(evs))
	}
	return evs[0]
}

func (c crashEnv) resolve(t *testing.T, ev event.Event) order {
	t.Helper()
	o, _, _, err := resolve(ev)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// writeRecord is step 1 of reserve or release, alone.
func (c crashEnv) writeRecord(t *testing.T, o order, state orderState) {
	t.Helper()
	_, err := update(t.Context(), c.s.kv, orderPrefix+o.key, func(r *orderRecord, exists bool) (bool, error) {
		if exists {
			r.State = state
		} else {
			*r = o.record(state)
		}
		return true, nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// writeReservation is one SKU's reservation write, without the publish of
// its backorder.
func (c crashEnv) writeReservation(t *testing.T, o order, sku string) {
	t.Helper()
	if _, err := c.s.updateSKU(t.Context(), sku, reserveChange(o.key, sku, o.lines[sku])); err != nil {
		t.Fatal(err)
	}
}

func (c crashEnv) handle(t *testing.T, ev event.Event) {
	t.Helper()
	if err := c.s.Handle(t.Context(), ev); err != nil {
		t.Fatal(err)
	}
}

func (c crashEnv) want(t *testing.T, available map[string]int) {
	t.Helper()
	for sku, n := range available {
		st, err := c.s.Stock(t.Context(), sku)
		if err != nil {
			t.Fatal(err)
		}
		if st.Available != n {
			t.Errorf("%s: %+v, want available %d", sku, st, n)
		}
	}
}

func (c crashEnv) backorders(t *testing.T) uint64 {
	t.Helper()
	st, err := c.js.Stream(t.Context(), "INVENTORY_EVENTS")
	if err != nil {
		t.Fatal(err)
	}
	return st.CachedInfo().State.Msgs
}

func TestCrashDuringReserve(t *testing.T) {
	seed := map[string]int{"HB-MUG-01": 100, "HB-TEE-BLK-M": 10}
	reserved := map[string]int{"HB-MUG-01": 98, "HB-TEE-BLK-M": 9}
	for _, c := range []struct {
		name  string
		crash func(t *testing.T, c crashEnv, o order)
	}{
		{"after the order record", func(t *testing.T, c crashEnv, o order) {
			c.writeRecord(t, o, stateReserved)
		}},
		{"after the first SKU", func(t *testing.T, c crashEnv, o order) {
			c.writeRecord(t, o, stateReserved)
			c.writeReservation(t, o, "HB-MUG-01")
		}},
		{"after every SKU, before the re-check", func(t *testing.T, c crashEnv, o order) {
			c.writeRecord(t, o, stateReserved)
			c.writeReservation(t, o, "HB-MUG-01")
			c.writeReservation(t, o, "HB-TEE-BLK-M")
		}},
		// Not a prefix of this design's steps (the record comes first), but
		// the state a SKU-first design would crash into: harmless too.
		{"SKU written, no order record", func(t *testing.T, c crashEnv, o order) {
			c.writeReservation(t, o, "HB-MUG-01")
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newCrashEnv(t, seed)
			ev := crashEvent(t, "com.shopify.orders.create", "orders-create.json", "evt-1")
			c.crash(t, e, e.resolve(t, ev))
			e.handle(t, ev) // the redelivery
			e.want(t, reserved)
			e.handle(t, crashEvent(t, "com.shopify.orders.create", "orders-create.json", "evt-1-sub2"))
			e.want(t, reserved)
			// And the order can still be cancelled exactly.
			e.handle(t, crashEvent(t, "com.shopify.orders.cancelled", "orders-cancelled.json", "evt-2"))
			e.want(t, seed)
		})
	}
}

func TestCrashDuringRelease(t *testing.T) {
	seed := map[string]int{"HB-MUG-01": 100, "HB-TEE-BLK-M": 10}
	for _, redelivered := range []struct{ typ, file string }{
		{"com.shopify.orders.cancelled", "orders-cancelled.json"}, // the cancel's redelivery
		{"com.shopify.orders.create", "orders-create.json"},       // or a late replay of the create
	} {
		t.Run(redelivered.typ, func(t *testing.T) {
			e := newCrashEnv(t, seed)
			e.handle(t, crashEvent(t, "com.shopify.orders.create", "orders-create.json", "evt-1"))
			cancel := crashEvent(t, "com.shopify.orders.cancelled", "orders-cancelled.json", "evt-2")
			o := e.resolve(t, cancel)
			e.writeRecord(t, o, stateReleased) // released, but no SKU updated yet
			if err := e.s.releaseLine(t.Context(), o.key, "HB-MUG-01"); err != nil {
				t.Fatal(err) // and one of the two SKUs
			}
			e.handle(t, crashEvent(t, redelivered.typ, redelivered.file, "evt-3"))
			e.want(t, seed)
		})
	}
}

// A create that races a cancel: the create wrote its record, the cancel
// then ran in full (there was nothing to remove yet), the create added its
// reservations and crashed before re-reading the record. Its redelivery,
// or a replay of the cancel, removes them.
func TestCrashAfterRaceWithCancel(t *testing.T) {
	seed := map[string]int{"HB-MUG-01": 100, "HB-TEE-BLK-M": 10}
	for _, redelivered := range []string{"com.shopify.orders.create", "com.shopify.orders.cancelled"} {
		t.Run(redelivered, func(t *testing.T) {
			e := newCrashEnv(t, seed)
			create := crashEvent(t, "com.shopify.orders.create", "orders-create.json", "evt-1")
			o := e.resolve(t, create)
			e.writeRecord(t, o, stateReserved)
			e.handle(t, crashEvent(t, "com.shopify.orders.cancelled", "orders-cancelled.json", "evt-2"))
			e.writeReservation(t, o, "HB-MUG-01")
			e.writeReservation(t, o, "HB-TEE-BLK-M")
			e.want(t, map[string]int{"HB-MUG-01": 98}) // wrong until the redelivery

			e.handle(t, crashEvent(t, redelivered, "orders-create.json", "evt-3"))
			e.want(t, seed)
		})
	}
}

// A cancel that commits while a create is between its record and its
// reservations: the create's own re-check removes what it added, without any
// crash or redelivery.
func TestCancelDuringReserve(t *testing.T) {
	seed := map[string]int{"HB-MUG-01": 100, "HB-TEE-BLK-M": 10}
	e := newCrashEnv(t, seed)
	cancel := crashEvent(t, "com.shopify.orders.cancelled", "orders-cancelled.json", "evt-2")
	e.s.hook = func(point string) {
		if point == "reserve: record written" {
			e.s.hook = nil
			e.handle(t, cancel)
		}
	}
	e.handle(t, crashEvent(t, "com.shopify.orders.create", "orders-create.json", "evt-1"))
	e.want(t, seed)
}

// The backorder is decided in the reservation's write and published after
// it. A crash before the publish, or after it but before the outbox entry
// is removed, still ends with exactly one backorder event.
func TestCrashAroundBackorder(t *testing.T) {
	ctx := context.Background()
	for _, published := range []bool{false, true} {
		name := map[bool]string{false: "before publish", true: "after publish"}[published]
		t.Run(name, func(t *testing.T) {
			e := newCrashEnv(t, map[string]int{"HB-MUG-01": 1, "HB-TEE-BLK-M": 10})
			ev := crashEvent(t, "com.shopify.orders.create", "orders-create.json", "evt-1")
			o := e.resolve(t, ev)
			e.writeRecord(t, o, stateReserved)
			e.writeReservation(t, o, "HB-MUG-01") // 2 ordered, 1 on hand
			if published {
				v, err := read[skuValue](ctx, e.s.kv, skuKey("HB-MUG-01"))
				if err != nil {
					t.Fatal(err)
				}
				bev, err := e.s.backorderEvent(o.key, o.record(stateReserved), "HB-MUG-01", v.Backorders[o.key])
				if err != nil {
					t.Fatal(err)
				}
				if _, err := consumers.PublishEvent(ctx, e.js, "inventory.backorder.HB-MUG-01", bev); err != nil {
					t.Fatal(err)
				}
			}
			e.handle(t, ev)
			e.handle(t, crashEvent(t, "com.shopify.orders.create", "orders-create.json", "evt-1-sub2"))
			e.want(t, map[string]int{"HB-MUG-01": -1, "HB-TEE-BLK-M": 9})
			if n := e.backorders(t); n != 1 {
				t.Errorf("%d backorder events, want 1", n)
			}
			v, err := read[skuValue](ctx, e.s.kv, skuKey("HB-MUG-01"))
			if err != nil {
				t.Fatal(err)
			}
			if len(v.Backorders) != 0 {
				t.Errorf("outbox not emptied: %+v", v.Backorders)
			}
		})
	}
}
