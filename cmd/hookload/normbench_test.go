package main

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookbridge/hookbridge/bridge"
	"github.com/hookbridge/hookbridge/consumers/commerce"
	"github.com/hookbridge/hookbridge/internal/natstest"
)

// TestNormaliserVerdict: the rate, kept-up and complete verdicts follow
// from the counts of a round.
func TestNormaliserVerdict(t *testing.T) {
	base := normFigures{window: 10 * time.Second, startCount: 1000, endCount: 31000, deliveries: 2000,
		drained: true, drain: 300 * time.Millisecond, finalCount: 32000, expected: 32000}
	for _, tc := range []struct {
		name             string
		edit             func(*normFigures)
		rate, raw        float64
		keptUp, complete bool
	}{
		{"in step", func(*normFigures) {}, 3000, 2000, true, true},
		{"a second behind at most", func(f *normFigures) { f.pendingEnd = 2000 }, 3000, 1800, true, true},
		{"more than a second behind", func(f *normFigures) { f.pendingEnd = 2001 }, 3000, 1799.9, false, true},
		{"catching up", func(f *normFigures) { f.pendingBeg = 500 }, 3000, 2050, true, true},
		{"never drained", func(f *normFigures) { f.drained = false }, 3000, 2000, false, false},
		{"an event missing", func(f *normFigures) { f.finalCount-- }, 3000, 2000, true, false},
		{"an event too many", func(f *normFigures) { f.finalCount++ }, 3000, 2000, true, false},
		{"no window", func(f *normFigures) { f.window = 0 }, 0, 0, true, true},
	} {
		f := base
		tc.edit(&f)
		if got, raw := f.rate(), f.rawRate(); got != tc.rate || math.Abs(raw-tc.raw) > 1e-9 {
			t.Errorf("%s: rates %v canonical, %v raw; want %v, %v", tc.name, got, raw, tc.rate, tc.raw)
		}
		if f.keptUp() != tc.keptUp || f.complete() != tc.complete {
			t.Errorf("%s: kept up %t, complete %t; want %t, %t", tc.name, f.keptUp(), f.complete(), tc.keptUp, tc.complete)
		}
	}
}

// TestCanonicalPerDelivery: the bench's default mix maps as the normaliser
// maps it, and the expected count follows the answered deliveries only.
func TestCanonicalPerDelivery(t *testing.T) {
	m := benchMix(t, "acme-shop,acme-woo,billing,github")
	per, err := canonicalPerDelivery(m, 1024)
	if err != nil {
		t.Fatal(err)
	}
	// orders/create: order.created; a processing order.created: order.created
	// and order.paid; payment_intent.succeeded: payment.succeeded; GitHub: none.
	want := map[string]int{"acme-shop": 1, "acme-woo": 2, "billing": 1, "github": 0}
	for name, n := range want {
		if per[name] != n {
			t.Errorf("%s: %d canonical events per delivery, want %d", name, per[name], n)
		}
	}
	ds, err := m.generate("t-", 8, 1024, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	states := make([]deliveryState, len(ds))
	for i := range states {
		states[i].answered = i != 1 // the one acme-woo delivery not answered
	}
	if got := expectedCanonical([]checkSet{{ds, states}}, per); got != 2*(1+2+1)-2 {
		t.Errorf("expected %d canonical events, want %d", got, 2*(1+2+1)-2)
	}
}

// TestNormaliserReadings: the readings are COMMERCE's count and the
// normaliser consumer's backlog (not yet delivered plus not yet acked) on
// a real server, and settle waits for the backlog to drain.
func TestNormaliserReadings(t *testing.T) {
	ctx := context.Background()
	_, js := natstest.Start(t).Connect(t)
	for _, sc := range []jetstream.StreamConfig{
		{Name: bridge.DefaultStream, Subjects: []string{"webhooks.>"}},
		{Name: commerce.Stream, Subjects: []string{"commerce.>"}},
	} {
		if _, err := js.CreateStream(ctx, sc); err != nil {
			t.Fatal(err)
		}
	}
	publish(t, js, "webhooks.shopify.acme-shop.orders.create", 5)
	publish(t, js, "commerce.order.created.shopify.acme-shop", 3)
	cons, err := js.CreateOrUpdateConsumer(ctx, bridge.DefaultStream, jetstream.ConsumerConfig{
		Durable: commerce.DefaultName, AckPolicy: jetstream.AckExplicitPolicy, AckWait: time.Minute,
	})
	if err != nil {
		t.Fatal(err)
	}
	held := fetch(t, cons, 2)
	if err := held[0].Ack(); err != nil {
		t.Fatal(err)
	}
	w := &normWatch{js: js}
	w.begin(ctx)
	w.finishWindow(ctx)
	if w.err != nil || w.end.stored != 3 || w.end.pending != 4 {
		t.Fatalf("reading: %d stored, %d pending, %v; want 3 stored, 4 pending (3 undelivered, 1 unacked)", w.end.stored, w.end.pending, w.err)
	}
	done := make(chan *normFigures)
	go func() {
		f, err := w.settle(ctx, 4, 100)
		if err != nil {
			t.Error(err)
		}
		done <- f
	}()
	// The normaliser publishes before it acks: once drained, COMMERCE holds
	// the last event.
	publish(t, js, "commerce.order.paid.shopify.acme-shop", 1)
	for _, m := range append(held[1:], fetch(t, cons, 3)...) {
		if err := m.DoubleAck(ctx); err != nil {
			t.Fatal(err)
		}
	}
	f := <-done
	if f == nil || !f.drained || !f.complete() || f.finalCount != 4 || f.pendingEnd != 4 {
		t.Fatalf("settled: %+v; want drained with 4 stored, 4 pending at the window's end", f)
	}
}

func publish(t *testing.T, js jetstream.JetStream, subject string, n int) {
	t.Helper()
	for range n {
		if _, err := js.Publish(context.Background(), subject, []byte("{}")); err != nil {
			t.Fatal(err)
		}
	}
}

func fetch(t *testing.T, c jetstream.Consumer, n int) []jetstream.Msg {
	t.Helper()
	b, err := c.FetchNoWait(n)
	if err != nil {
		t.Fatal(err)
	}
	var out []jetstream.Msg
	for m := range b.Messages() {
		out = append(out, m)
	}
	if len(out) != n {
		t.Fatalf("fetched %d messages, want %d", len(out), n)
	}
	return out
}

// TestSelectOptIn: the normaliser variant runs only when --only names it.
func TestSelectOptIn(t *testing.T) {
	all, _ := selectVariants("")
	for _, v := range all {
		if v.commerce {
			t.Errorf("the default bench runs %s", v.key)
		}
	}
	vs, err := selectVariants("n,d")
	if err != nil || len(vs) != 2 || vs[0].key != "d" || vs[1].key != "n" || !vs[1].commerce || vs[1].kind != kindEmbedded {
		t.Errorf("--only n,d: %+v, %v", vs, err)
	}
}
