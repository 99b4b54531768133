package inventory_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/hookbridge/hookbridge/consumers/inventory"
)

const hotOrders = 200

// hotOrder i orders 1 + i%3 of HB-MUG-01 and one HB-TEE-BLK-M.
func hotOrder(i int) []byte { return shopifyOrder(1000+i, "HB-MUG-01", 1+i%3, "HB-TEE-BLK-M", 1) }

// workers is how many events each Service handles at once, as
// consumers.Run with that Concurrency would: enough writers to collide on
// the hot SKUs all the time, but not so many that the requests queue past
// the client's request timeout on a loaded machine (a thousand at once
// did), which no deployment asks of one process either.
const workers = 16

// runAll hands every event to a service, in a random order, workers at a
// time per service, and fails on any error. The events alternate between two
// Services with their own connections, as two processes would run them: the
// store alone keeps them from losing each other's writes.
func (e env) runAll(t *testing.T, events []event.Event) {
	t.Helper()
	services := []*inventory.Service{e.svc, e.another(t)}
	events = slices.Clone(events)
	rand.Shuffle(len(events), func(i, j int) { events[i], events[j] = events[j], events[i] })
	queues := make([]chan event.Event, len(services))
	for i := range queues {
		queues[i] = make(chan event.Event, len(events))
	}
	for i, ev := range events {
		queues[i%len(queues)] <- ev
	}
	errs := make(chan error, len(events))
	var wg sync.WaitGroup
	for i, svc := range services {
		close(queues[i])
		for range workers {
			wg.Go(func() {
				for ev := range queues[i] {
					if err := svc.Handle(t.Context(), ev); err != nil {
						errs <- fmt.Errorf("%s %s: %w", ev.Type(), ev.ID(), err)
					}
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// Two hundred orders for the same SKUs at once, each also redelivered
// (same CloudEvent id) and duplicated by a second subscription (new id),
// all concurrently: every order counts exactly once.
func TestConcurrentOrdersAndReplays(t *testing.T) {
	e := newEnv(t, map[string]int{"HB-MUG-01": 1000, "HB-TEE-BLK-M": 500})
	var events []event.Event
	mugs := 0
	for i := range hotOrders {
		mugs += 1 + i%3
		body := hotOrder(i)
		id := fmt.Sprintf("evt-%d", i)
		events = slices.Concat(events,
			canonical(t, shopifyCreate, shop, id, body),
			canonical(t, shopifyCreate, shop, id, body),         // redelivery
			canonical(t, shopifyCreate, shop, id+"-sub2", body), // second subscription
		)
	}
	e.runAll(t, events)
	e.want(t, map[string]int{"HB-MUG-01": 1000 - mugs, "HB-TEE-BLK-M": 500 - hotOrders})
	if st, _ := e.svc.Stock(t.Context(), "HB-MUG-01"); st.Orders != hotOrders {
		t.Errorf("%d orders hold HB-MUG-01, want %d", st.Orders, hotOrders)
	}

	// A full replay afterwards (a new consumer from the stream's start)
	// changes nothing either.
	e.runAll(t, events[:hotOrders])
	e.want(t, map[string]int{"HB-MUG-01": 1000 - mugs, "HB-TEE-BLK-M": 500 - hotOrders})
	if n := e.backorders(t); n != 0 {
		t.Errorf("%d backorder events, want 0", n)
	}
}

// The same, with every second order also cancelled (twice, under two ids),
// the cancels running among the creates in any order: cancel before create
// included.
func TestConcurrentOrdersWithCancels(t *testing.T) {
	e := newEnv(t, map[string]int{"HB-MUG-01": 1000, "HB-TEE-BLK-M": 500})
	var events []event.Event
	mugs, tees := 0, 0
	for i := range hotOrders {
		body := hotOrder(i)
		id := fmt.Sprintf("evt-%d", i)
		events = slices.Concat(events,
			canonical(t, shopifyCreate, shop, id, body),
			canonical(t, shopifyCreate, shop, id, body),
			canonical(t, shopifyCreate, shop, id+"-sub2", body),
		)
		if i%2 == 0 {
			events = slices.Concat(events,
				canonical(t, shopifyCancel, shop, id+"-cancel", body),
				canonical(t, shopifyCancel, shop, id+"-cancel-sub2", body),
			)
			continue
		}
		mugs += 1 + i%3
		tees++
	}
	e.runAll(t, events)
	e.want(t, map[string]int{"HB-MUG-01": 1000 - mugs, "HB-TEE-BLK-M": 500 - tees})
	if st, _ := e.svc.Stock(t.Context(), "HB-MUG-01"); st.Orders != hotOrders/2 {
		t.Errorf("%d orders hold HB-MUG-01, want %d", st.Orders, hotOrders/2)
	}
}

// Concurrent orders beyond the stock: the reservations all count, and each
// order that went below zero is backordered exactly once, replays or not.
func TestConcurrentOversell(t *testing.T) {
	e := newEnv(t, map[string]int{"HB-MUG-01": 10})
	var events []event.Event
	for i := range 30 {
		body := shopifyOrder(2000+i, "HB-MUG-01", 1)
		id := fmt.Sprintf("evt-%d", i)
		events = slices.Concat(events,
			canonical(t, shopifyCreate, shop, id, body),
			canonical(t, shopifyCreate, shop, id+"-sub2", body),
		)
	}
	e.runAll(t, events)
	e.want(t, map[string]int{"HB-MUG-01": -20})
	if n := e.backorders(t); n != 20 {
		t.Errorf("%d backorder events, want 20", n)
	}
}
