package jsview_test

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookbridge/hookbridge/cmd/internal/console/jsview"
	"github.com/hookbridge/hookbridge/consumers"
	"github.com/hookbridge/hookbridge/internal/natstest"
)

func TestConsumersProgressAndLag(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	st, err := e.js.Stream(ctx, "WEBHOOKS")
	if err != nil {
		t.Fatal(err)
	}
	c, err := st.CreateConsumer(ctx, jetstream.ConsumerConfig{
		Durable: "orders", FilterSubjects: []string{"webhooks.shopify.*.orders.>"}, AckPolicy: jetstream.AckExplicitPolicy,
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"a", "b", "c", "d"} {
		e.publish("webhooks.shopify.acme.orders.create", id)
	}
	e.publish("webhooks.stripe.acme.charge.succeeded", "not-for-orders")
	batch, err := c.Fetch(2, jetstream.FetchMaxWait(natstest.Patience))
	if err != nil {
		t.Fatal(err)
	}
	var fetched []jetstream.Msg
	for m := range batch.Messages() {
		fetched = append(fetched, m)
	}
	if len(fetched) != 2 {
		t.Fatalf("fetched %d, want 2", len(fetched))
	}
	if err := fetched[0].DoubleAck(ctx); err != nil {
		t.Fatal(err)
	}
	// An ordered consumer (as a page's live view might make) is not one to list.
	oc, err := e.js.OrderedConsumer(ctx, "WEBHOOKS", jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	it, err := oc.Messages() // creates the server's consumer
	if err != nil {
		t.Fatal(err)
	}
	defer it.Stop()

	got, err := jsview.New(e.js, jsview.Options{}).Consumers(ctx, "WEBHOOKS", "COMMERCE")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("%d consumers, want only the durable one: %+v", len(got), got)
	}
	o := got[0]
	if o.Stream != "WEBHOOKS" || o.Name != "orders" || !slices.Equal(o.Filters, []string{"webhooks.shopify.*.orders.>"}) {
		t.Errorf("consumer %s/%s filters %v", o.Stream, o.Name, o.Filters)
	}
	// 4 orders: 1 acked, 1 in flight, 2 not delivered; the stripe event is
	// not the consumer's and is no lag.
	if o.Pending != 2 || o.AckPending != 1 || o.Lag != 3 || o.Delivered != 2 || o.AckFloor != 1 || o.Redelivered != 0 {
		t.Errorf("pending %d, ack pending %d, lag %d, delivered %d, ack floor %d, redelivered %d; want 2, 1, 3, 2, 1, 0",
			o.Pending, o.AckPending, o.Lag, o.Delivered, o.AckFloor, o.Redelivered)
	}
	if o.LastActive.IsZero() {
		t.Error("no last activity after a delivery")
	}
}

// deadLetters makes dead letters of consumer, one per id, through the
// consumers library's own path, and returns their sequences in the
// dead-letter stream by ce-id, and the switch that makes the consumer's
// handler fail.
func (e *env) deadLetters(consumer string, ids ...string) (map[string]uint64, *atomic.Bool) {
	e.t.Helper()
	var fail atomic.Bool
	fail.Store(true)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- consumers.Run(ctx, e.js, consumers.Config{Name: consumer, FilterSubjects: []string{"webhooks.shopify.*.orders.>"}},
			func(context.Context, event.Event) error {
				if fail.Load() {
					return consumers.Permanent(errors.New("cannot parse the order"))
				}
				return nil
			})
	}()
	e.t.Cleanup(func() { cancel(); <-done })
	for _, id := range ids {
		e.publish("webhooks.shopify.acme.orders.create", id)
	}
	v := jsview.New(e.js, jsview.Options{})
	seq := map[string]uint64{}
	natstest.Eventually(e.t, natstest.Patience, "the dead letters", func() bool {
		page, err := v.DeadLetters(context.Background(), consumer, 0, 0)
		if err != nil || len(page.DeadLetters) != len(ids) {
			return false
		}
		for _, d := range page.DeadLetters {
			seq[d.Event.ID] = d.Seq
		}
		return true
	})
	return seq, &fail
}

func TestDeadLettersListInspectRedrive(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	v := jsview.New(e.js, jsview.Options{HideBodies: true})
	if n, err := v.DeadLetterCounts(ctx); err != nil || len(n) != 0 {
		t.Fatalf("before any dead letter: %v, %v", n, err)
	}
	if page, err := v.DeadLetters(ctx, "", 0, 0); err != nil || len(page.DeadLetters) != 0 {
		t.Fatalf("before any dead letter: %v, %v", page, err)
	}
	seq, fail := e.deadLetters("mailer", "dl1", "dl2", "dl3")

	n, err := v.DeadLetterCounts(ctx)
	if err != nil || n["mailer"] != 3 || len(n) != 1 {
		t.Fatalf("counts %v, %v; want mailer: 3", n, err)
	}
	page, err := v.DeadLetters(ctx, "", 0, 0)
	if err != nil || len(page.DeadLetters) != 3 || page.DeadLetters[0].Event.ID != "dl3" {
		t.Fatalf("every consumer's dead letters: %+v, %v; want 3, newest first", page, err)
	}
	d, err := v.DeadLetter(ctx, seq["dl2"])
	if err != nil {
		t.Fatal(err)
	}
	if d.Consumer != "mailer" || d.Reason != "permanent: cannot parse the order" || d.Deliveries != 1 ||
		d.OriginalSubject != "webhooks.shopify.acme.orders.create" || d.OriginalStream != "WEBHOOKS" || d.OriginalSeq != 2 ||
		d.Stored.IsZero() || d.Body != nil || d.BodySize == 0 || d.Event.Extensions["traceparent"] == "" {
		t.Errorf("dead letter %+v", d)
	}

	fail.Store(false) // fixed: what is redriven now is handled
	if err := v.Redrive(ctx, "mailer", seq["dl2"]); err != nil {
		t.Fatal(err)
	}
	if err := v.Redrive(ctx, "mailer", seq["dl2"]); !errors.Is(err, jetstream.ErrMsgNotFound) {
		t.Errorf("redriving it again: %v, want ErrMsgNotFound", err)
	}
	if err := v.Redrive(ctx, "other", seq["dl1"]); !errors.Is(err, consumers.ErrNotDeadLetterOf) {
		t.Errorf("redriving another's: %v, want ErrNotDeadLetterOf", err)
	}
	if err := v.Redrive(ctx, "bad.name", seq["dl1"]); !errors.Is(err, jsview.ErrBadName) {
		t.Errorf("redriving with a bad name: %v, want ErrBadName", err)
	}
	page, err = v.DeadLetters(ctx, "mailer", 0, 0)
	if err != nil || len(page.DeadLetters) != 3-1 {
		t.Fatalf("after redriving one: %d left, %v", len(page.DeadLetters), err)
	}
	copy, err := jsview.New(e.js, jsview.Options{}).Messages(ctx, jsview.Webhooks("", ""), jsview.Filter{}, 1, 0)
	if err != nil || len(copy.Messages) != 1 || copy.Messages[0].Event.ID != "dl2" || copy.Messages[0].Event.Extensions["traceparent"] != d.Event.Extensions["traceparent"] {
		t.Fatalf("the redriven copy: %+v, %v", copy, err)
	}

	moved, err := v.RedriveAll(ctx, "mailer")
	if err != nil || moved != 2 {
		t.Fatalf("RedriveAll = %d, %v; want 2", moved, err)
	}
	if n, err := v.DeadLetterCounts(ctx); err != nil || n["mailer"] != 0 {
		t.Errorf("after RedriveAll: %v, %v", n, err)
	}
}

func TestReplay(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.publish("webhooks.shopify.acme.orders.create", "old")
	older, err := jsview.New(e.js, jsview.Options{}).Message(ctx, jsview.Webhooks("", ""), 1)
	if err != nil {
		t.Fatal(err)
	}
	since := older.Stored.Add(time.Nanosecond)
	e.publish("webhooks.shopify.acme.orders.create", "new1")
	e.publish("webhooks.shopify.acme.orders.create", "new2")
	e.publish("webhooks.stripe.acme.orders.create", "not-shopify")
	now := func() time.Time { return since.Add(time.Hour) }
	v := jsview.New(e.js, jsview.Options{Now: now})
	r := jsview.Replay{Stream: jsview.Webhooks("", ""), Name: "mailer-replay", Filter: jsview.Filter{Provider: "shopify"}, Since: since}

	ci, err := v.Replay(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	want := consumers.Config{Name: "mailer-replay", FilterSubjects: []string{"webhooks.shopify.*.>"}, StartTime: since.UTC()}.ConsumerConfig()
	got := ci.Config
	if got.Durable != want.Durable || !slices.Equal(got.FilterSubjects, want.FilterSubjects) || got.DeliverPolicy != jetstream.DeliverByStartTimePolicy ||
		got.OptStartTime == nil || !got.OptStartTime.Equal(since) || got.AckPolicy != want.AckPolicy || got.MaxDeliver != want.MaxDeliver {
		t.Errorf("created %+v, want %+v", got, want)
	}
	if ci.NumPending != 2 {
		t.Errorf("replay has %d pending, want the 2 shopify messages since %s", ci.NumPending, since)
	}

	for _, c := range []struct {
		name   string
		change func(*jsview.Replay)
		want   error
	}{
		{"taken name", func(*jsview.Replay) {}, jsview.ErrConsumerExists},
		{"bad name", func(r *jsview.Replay) { r.Name = "a.b" }, jsview.ErrBadName},
		{"empty name", func(r *jsview.Replay) { r.Name = "" }, jsview.ErrBadName},
		{"no start", func(r *jsview.Replay) { r.Name, r.Since = "x", time.Time{} }, jsview.ErrBadStart},
		{"future start", func(r *jsview.Replay) { r.Name, r.Since = "x", now().Add(time.Second) }, jsview.ErrBadStart},
		{"bad filter", func(r *jsview.Replay) { r.Name, r.Filter.Source = "x", "*" }, jsview.ErrBadFilter},
		{"no stream", func(r *jsview.Replay) { r.Name, r.Stream = "x", jsview.Commerce("") }, jetstream.ErrStreamNotFound},
	} {
		bad := r
		c.change(&bad)
		if _, err := v.Replay(ctx, bad); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	list, err := v.Consumers(ctx, "WEBHOOKS")
	if err != nil || len(list) != 1 {
		t.Errorf("after refused replays: %d consumers, %v; want the one", len(list), err)
	}
}
