package consumers_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookbridge/hookbridge/consumers"
	"github.com/hookbridge/hookbridge/internal/natstest"
)

// TestOneConsumerPerStream: with sources spread over two streams (as the bridge sets them up
// for a source that names a stream of its own), a team runs one consumer per stream, of the
// same name; each reads its own stream only, and a dead letter of either is redriven to its
// original subject, so it lands in the stream it came from.
func TestOneConsumerPerStream(t *testing.T) {
	ns := natstest.Start(t)
	_, js := ns.Connect(t)
	for name, subject := range map[string]string{"WEBHOOKS": "webhooks.*.us.>", "WEBHOOKS_EU": "webhooks.*.eu.>"} {
		if _, err := js.CreateStream(context.Background(), jetstream.StreamConfig{Name: name, Subjects: []string{subject}, Duplicates: time.Hour}); err != nil {
			t.Fatal(err)
		}
	}
	e := &env{ns: ns, js: js, t: t}
	var mu sync.Mutex
	var fixed bool
	handled := map[string]string{} // event id -> the stream that handled it
	for _, stream := range []string{"WEBHOOKS", "WEBHOOKS_EU"} {
		cfg := baseConfig("mailer")
		cfg.Stream = stream
		e.run(cfg, func(ctx context.Context, ev event.Event) error {
			d, _ := consumers.DeliveryFrom(ctx)
			mu.Lock()
			defer mu.Unlock()
			if ev.ID() == "eu-1" && !fixed {
				return consumers.Permanent(errors.New("bug"))
			}
			handled[ev.ID()] = d.Stream
			return nil
		})
	}
	e.publish("webhooks.shopify.us.orders.create", "us-1")
	e.publish("webhooks.shopify.eu.orders.create", "eu-1")
	e.publish("webhooks.shopify.eu.orders.create", "eu-2")
	natstest.Eventually(t, natstest.Patience, "us-1 and eu-2 handled, eu-1 dead-lettered", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(handled) == 2 && len(e.deadLetters("deadletter.mailer")) == 1
	})

	mu.Lock()
	fixed = true
	mu.Unlock()
	if n, err := consumers.Redrive(context.Background(), js, "", "mailer"); err != nil || n != 1 {
		t.Fatalf("Redrive = %d, %v; want 1", n, err)
	}
	natstest.Eventually(t, natstest.Patience, "eu-1 handled after the redrive", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return handled["eu-1"] != ""
	})
	mu.Lock()
	defer mu.Unlock()
	for id, want := range map[string]string{"us-1": "WEBHOOKS", "eu-1": "WEBHOOKS_EU", "eu-2": "WEBHOOKS_EU"} {
		if handled[id] != want {
			t.Errorf("%s handled by the consumer on %q, want %s", id, handled[id], want)
		}
	}
}
