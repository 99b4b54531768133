package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookbridge/hookbridge/consumers/commerce"
	"github.com/hookbridge/hookbridge/consumers/inventory"
	"github.com/hookbridge/hookbridge/consumers/shipping"
)

// TestConsumerCrash: a platform sends a burst of 200 Shopify orders for
// three SKUs (one to four line items each, one SKU oversold) and pays half of
// them, while the bridge's normaliser turns them into canonical events and
// inventory and shipping consume those in containers. Each is killed
// (SIGKILL) mid-batch, with handlers in flight, and started again; its state
// is in NATS. Once everything is handled, the effects are exact: every
// order reserved once (order records, per-SKU reservations, on hand −
// reserved), one backorder event per oversold order, one shipment and one
// shipment.created event per paid order, nothing dead-lettered.
func TestConsumerCrash(t *testing.T) {
	RequireDocker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	const (
		orders = 200
		skuA   = "CRASH-A" // every order, 1 to 3
		skuB   = "CRASH-B" // every other order, 2
		skuC   = "CRASH-C" // every third order, 1: oversold
		seedA  = 1000
		seedB  = 1000
		seedC  = 20
	)

	nw := NewNetwork(ctx, t)
	broker := StartNATS(ctx, t, nw, "nats")
	bridge := StartBridge(ctx, t, nw, BridgeConfig{NATSURL: broker.InternalURL, Commerce: true})
	inv := StartService(ctx, t, nw, "inventory", broker.InternalURL,
		"--seed", fmt.Sprintf("%s=%d,%s=%d,%s=%d", skuA, seedA, skuB, seedB, skuC, seedC))
	ship := StartService(ctx, t, nw, "shipping", broker.InternalURL)
	_, js := Connect(t, broker)
	for _, name := range []string{"inventory", "shipping"} {
		poll(t, 30*time.Second, "consumer "+name+" to exist", func() (bool, string) {
			_, err := consumerInfo(ctx, js, commerce.Stream, name)
			return err == nil, fmt.Sprint(err)
		})
	}

	// The batch, and what it must come to.
	platform := NewPlatform(t, bridge)
	var deliveries []Delivery
	lines := map[string]map[string]int{} // order id -> SKU -> quantity
	total := map[string]int{}            // SKU -> Σ quantity
	holders := map[string]int{}          // SKU -> orders holding it
	var paid []Order
	for i := range orders {
		o := Order{ID: strconv.Itoa(3000 + i), Lines: []Line{{skuA, 1 + i%3}}}
		if i%2 == 0 {
			o.Lines = append(o.Lines, Line{skuB, 2})
		}
		if i%3 == 0 {
			o.Lines = append(o.Lines, Line{skuC, 1})
		}
		lines[o.ID] = map[string]int{}
		for _, l := range o.Lines {
			lines[o.ID][l.SKU] = l.Quantity
			total[l.SKU] += l.Quantity
			holders[l.SKU]++
		}
		d, err := platform.OrderDelivery(fmt.Sprintf("crash-create-%03d", i), "orders/create", o, "")
		if err != nil {
			t.Fatal(err)
		}
		deliveries = append(deliveries, d)
		if i%2 == 1 {
			paid = append(paid, o)
			d, err := platform.OrderDelivery(fmt.Sprintf("crash-paid-%03d", i), "orders/paid", o, "")
			if err != nil {
				t.Fatal(err)
			}
			deliveries = append(deliveries, d)
		}
	}

	// Send it as a burst: eight deliveries at a time, each retried until it
	// gets its 200.
	done := make(chan []Result, 1)
	go func() {
		results := make([]Result, len(deliveries))
		var wg sync.WaitGroup
		slots := make(chan struct{}, 8)
		for i, d := range deliveries {
			slots <- struct{}{}
			wg.Go(func() {
				defer func() { <-slots }()
				results[i] = platform.Deliver(ctx, d)
			})
		}
		wg.Wait()
		done <- results
	}()

	// Kill each consumer once it is part-way through its share, with
	// handlers in flight, and start it again. Both are watched at once: a
	// kill takes the engine a few hundred milliseconds.
	// Both read every canonical order event: one per delivery.
	victims := []*crashVictim{
		{svc: inv, after: len(deliveries) / 10, of: len(deliveries)},
		{svc: ship, after: len(deliveries) / 10, of: len(deliveries)},
	}
	errs := make(chan error, len(victims))
	for _, v := range victims {
		go func() { errs <- v.killPartWay(ctx, js, time.Minute) }()
	}
	for range victims {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for _, v := range victims {
		// Right after the kill: what the crash interrupted.
		info, err := consumerInfo(ctx, js, commerce.Stream, v.svc.Name)
		if err != nil {
			t.Fatal(err)
		}
		handled := int(info.Delivered.Consumer) - info.NumAckPending
		t.Logf("killed %s with %d of its %d events handled, %d in flight, %d not yet delivered",
			v.svc.Name, handled, v.of, info.NumAckPending, info.NumPending)
		if v.svc == inv {
			// More order records than handled events: a handler died
			// between its first write and its ack.
			t.Logf("inventory's bucket held %d order records at the kill", len(orderRecords(ctx, t, js)))
		}
		if handled >= v.of {
			t.Errorf("%s had handled all its %d events before it was killed: make the batch larger", v.svc.Name, v.of)
		}
		v.svc.Start(ctx, t)
	}

	var results []Result
	select {
	case results = <-done:
	case <-ctx.Done():
		t.Fatal("the platform did not finish")
	}
	tally := CheckDelivered(t, ReadStream(ctx, t, js, Stream), results)
	t.Logf("%s", tally)

	// Messages that were in flight come back after the ack wait (30s).
	WaitConsumed(ctx, t, js, Stream, commerce.DefaultName, time.Minute)
	for _, v := range victims {
		info := WaitConsumed(ctx, t, js, commerce.Stream, v.svc.Name, 2*time.Minute)
		t.Logf("%s handled everything %s after the kill: %d deliveries for its %d messages",
			v.svc.Name, time.Since(v.killedAt).Round(time.Second), info.Delivered.Consumer, v.of)
	}

	// Inventory: each SKU exact, each order reserved once, one backorder
	// event per order that found CRASH-C sold out.
	seed := map[string]int{skuA: seedA, skuB: seedB, skuC: seedC}
	want := map[string]inventory.Stock{}
	for sku, n := range seed {
		want[sku] = inventory.Stock{SKU: sku, OnHand: n, Reserved: total[sku], Available: n - total[sku], Orders: holders[sku]}
	}
	checkStock(ctx, t, inv, "after the crash", want)
	checkOrderRecords(ctx, t, js, lines)
	backorders := ReadStream(ctx, t, js, "INVENTORY_EVENTS")
	ids := map[string]bool{}
	for _, m := range backorders {
		if ids[m.CEID] || m.CEType != "com.hookbridge.inventory.backorder" || m.Subject != "inventory.backorder."+skuC {
			t.Errorf("INVENTORY_EVENTS: message %d, %s %s on %s: a repeat, or not a backorder of %s", m.Seq, m.CEType, m.CEID, m.Subject, skuC)
		}
		ids[m.CEID] = true
	}
	if want := holders[skuC] - seedC; len(backorders) != want {
		t.Errorf("INVENTORY_EVENTS holds %d backorders, want %d: one per order of %s beyond its %d in stock",
			len(backorders), want, skuC, seedC)
	}

	// Shipping: one shipment per paid order, announced once.
	shipments, err := ship.Shipments(ctx)
	if err != nil {
		t.Fatal(err)
	}
	byKey := map[string]shipping.Shipment{}
	for _, s := range shipments {
		byKey[s.Key] = s
	}
	wantEvents := map[string]string{}
	for _, o := range paid {
		key, err := shipping.Key("shopify", "hookbridge-dev.myshopify.com", o.ID)
		if err != nil {
			t.Fatal(err)
		}
		wantEvents[key+":created"] = "com.hookbridge.shipping.shipment.created"
		s, ok := byKey[key]
		delete(byKey, key)
		if !ok || s.Status != shipping.StatusCreated || !sameItems(s.Items, o.Lines) {
			t.Errorf("order %s: shipment %+v (found: %t), want created with %+v", o.ID, s, ok, o.Lines)
		}
	}
	for key := range byKey {
		t.Errorf("unexpected shipment %s", key)
	}
	checkEvents(t, "SHIPPING", ReadStream(ctx, t, js, "SHIPPING"), wantEvents)
	checkNoDeadLetters(ctx, t, js)
}

// crashVictim is a consumer service to kill once it has handled after
// messages of its of.
type crashVictim struct {
	svc       *Service
	after, of int
	killedAt  time.Time
}

// killPartWay polls v's consumer and kills v's service (SIGKILL) as soon as
// it has acknowledged v.after messages, none of them redelivered yet.
func (v *crashVictim) killPartWay(ctx context.Context, js jetstream.JetStream, d time.Duration) error {
	deadline := time.Now().Add(d)
	last := "no answer"
	for time.Now().Before(deadline) {
		callCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
		info, err := consumerInfo(callCtx, js, commerce.Stream, v.svc.Name)
		cancel()
		if err != nil {
			last = err.Error()
		} else if handled := int(info.Delivered.Consumer) - info.NumAckPending; handled >= v.after {
			if err := killContainer(ctx, v.svc.Container); err != nil {
				return fmt.Errorf("killing %s: %w", v.svc.Name, err)
			}
			v.killedAt = time.Now()
			return nil
		} else {
			last = fmt.Sprintf("%d handled, %d in flight", handled, info.NumAckPending)
		}
		time.Sleep(5 * time.Millisecond) // poll interval, bounded by the deadline
	}
	return fmt.Errorf("%s never handled %d of its %d events; last: %s", v.svc.Name, v.after, v.of, last)
}

// orderRecord is what the checks read of inventory's order.<key> entries.
type orderRecord struct {
	State   string         `json:"state"`
	OrderID string         `json:"order_id"`
	Lines   map[string]int `json:"lines"`
}

// orderRecords reads every order record of inventory's bucket, by key.
func orderRecords(ctx context.Context, t *testing.T, js jetstream.JetStream) map[string]orderRecord {
	t.Helper()
	kv, err := js.KeyValue(ctx, "inventory")
	if err != nil {
		t.Fatal(err)
	}
	keys, err := kv.ListKeysFiltered(ctx, "order.>")
	if err != nil {
		t.Fatal(err)
	}
	records := map[string]orderRecord{}
	for key := range keys.Keys() {
		e, err := kv.Get(ctx, key)
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		var rec orderRecord
		if err := json.Unmarshal(e.Value(), &rec); err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		records[key] = rec
	}
	return records
}

// checkOrderRecords asserts that inventory's bucket holds one order record
// per order, reserved, with the order's lines, and no other.
func checkOrderRecords(ctx context.Context, t *testing.T, js jetstream.JetStream, want map[string]map[string]int) {
	t.Helper()
	seen := map[string]bool{}
	for key, rec := range orderRecords(ctx, t, js) {
		w, ok := want[rec.OrderID]
		switch {
		case !ok || seen[rec.OrderID]:
			t.Errorf("%s: an order record for order %q, which is not one of the batch or has another record", key, rec.OrderID)
		case rec.State != "reserved" || !sameLines(rec.Lines, w):
			t.Errorf("%s: order %s is %s with %v, want reserved with %v", key, rec.OrderID, rec.State, rec.Lines, w)
		}
		seen[rec.OrderID] = true
	}
	if len(seen) != len(want) {
		var missing []string
		for id := range want {
			if !seen[id] {
				missing = append(missing, id)
			}
		}
		slices.Sort(missing)
		t.Errorf("%d order records, want %d; missing: %s", len(seen), len(want), strings.Join(missing, " "))
	}
}

func sameLines(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
