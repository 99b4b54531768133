package consumers_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/hookbridge/hookbridge/consumers"
	"github.com/hookbridge/hookbridge/internal/natstest"
)

// A handler learns the subject it was published on (which names the
// provider and hookbridge's source) and how often it has been delivered.
func TestDeliveryFromContext(t *testing.T) {
	e := newEnv(t)
	var mu sync.Mutex
	var seen []consumers.Delivery
	e.run(baseConfig("delivery"), func(ctx context.Context, _ event.Event) error {
		d, ok := consumers.DeliveryFrom(ctx)
		if !ok {
			return consumers.Permanent(errors.New("no delivery in the handler's context"))
		}
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, d)
		if len(seen) == 1 {
			return errors.New("once more")
		}
		return nil
	})
	e.publish("webhooks.shopify.acme-shop.orders.create", "d1")
	natstest.Eventually(t, natstest.Patience, "acked after one retry", func() bool { return e.settled("delivery") })
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 2 {
		t.Fatalf("handler saw %d deliveries, want 2: %+v", len(seen), seen)
	}
	for i, d := range seen {
		if d.Subject != "webhooks.shopify.acme-shop.orders.create" || d.Stream != "WEBHOOKS" || d.Sequence != 1 || d.NumDelivered != i+1 {
			t.Errorf("delivery %d: %+v", i+1, d)
		}
	}
	if _, ok := consumers.DeliveryFrom(context.Background()); ok {
		t.Error("a context Run did not make claims a delivery")
	}
}
