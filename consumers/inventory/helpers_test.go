package inventory_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookbridge/hookbridge/consumers"
	"github.com/hookbridge/hookbridge/consumers/inventory"
	"github.com/hookbridge/hookbridge/internal/natstest"
)

const (
	shop = "acme.myshopify.com"
	site = "https://shop.example.test/"

	shopifyCreate   = "com.shopify.orders.create"
	shopifyCancel   = "com.shopify.orders.cancelled"
	wooCreated      = "com.woocommerce.order.created"
	wooUpdated      = "com.woocommerce.order.updated"
	eventsStream    = "INVENTORY_EVENTS"
	backorderFilter = "inventory.backorder.>"
)

type env struct {
	svc *inventory.Service
	js  jetstream.JetStream
	kv  jetstream.KeyValue
	ns  *natstest.Server
}

// newEnv starts an embedded JetStream server and a Service on it, seeded
// with seed.
func newEnv(t *testing.T, seed map[string]int) env {
	t.Helper()
	ns := natstest.Start(t)
	_, js := ns.Connect(t)
	ctx := t.Context()
	svc, err := inventory.New(ctx, js, inventory.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Seed(ctx, seed); err != nil {
		t.Fatal(err)
	}
	kv, err := js.KeyValue(ctx, "inventory")
	if err != nil {
		t.Fatal(err)
	}
	return env{svc: svc, js: js, kv: kv, ns: ns}
}

// another returns a second Service on the same bucket with its own
// connection, as another process would have.
func (e env) another(t *testing.T) *inventory.Service {
	t.Helper()
	_, js := e.ns.Connect(t)
	svc, err := inventory.New(t.Context(), js, inventory.Config{})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// newEvent builds a CloudEvent as hookbridge publishes it and passes it
// through the wire codec, so the handler sees what consumers.Run hands it.
func newEvent(t testing.TB, ceType, source, id string, data []byte) event.Event {
	t.Helper()
	ev := event.New()
	ev.SetID(id)
	ev.SetType(ceType)
	ev.SetSource(source)
	ev.SetTime(time.Date(2025, 11, 3, 15, 41, 7, 0, time.UTC))
	if err := ev.SetData(event.ApplicationJSON, data); err != nil {
		t.Fatal(err)
	}
	msg, err := consumers.EncodeEvent(context.Background(), "webhooks.test", ev)
	if err != nil {
		t.Fatal(err)
	}
	got, err := consumers.DecodeEvent(context.Background(), msg.Subject, msg.Header, msg.Data)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func fixtureEvent(t testing.TB, name, ceType, source, id string) event.Event {
	t.Helper()
	return newEvent(t, ceType, source, id, fixture(t, name))
}

// shopifyOrder is a small orders/create (or cancelled) body.
func shopifyOrder(id int, lines ...any) []byte {
	items := ""
	for i := 0; i+1 < len(lines); i += 2 {
		if items != "" {
			items += ","
		}
		items += fmt.Sprintf(`{"id":%d,"sku":%q,"quantity":%d,"variant_id":%d}`, id*10+i, lines[i], lines[i+1], 4650+i)
	}
	return fmt.Appendf(nil, `{"id":%d,"financial_status":"paid","line_items":[%s]}`, id, items)
}

func (e env) handle(t testing.TB, ev event.Event) {
	t.Helper()
	if err := e.svc.Handle(t.Context(), ev); err != nil {
		t.Fatalf("Handle(%s %s): %v", ev.Type(), ev.ID(), err)
	}
}

// want asserts the available stock per SKU.
func (e env) want(t testing.TB, available map[string]int) {
	t.Helper()
	for sku, n := range available {
		st, err := e.svc.Stock(t.Context(), sku)
		if err != nil {
			t.Fatalf("Stock(%s): %v", sku, err)
		}
		if st.Available != n || st.OnHand-st.Reserved != st.Available {
			t.Errorf("%s: %+v, want available %d", sku, st, n)
		}
	}
}

// backorders returns the number of messages in the backorder subjects.
func (e env) backorders(t testing.TB) uint64 {
	t.Helper()
	st, err := e.js.Stream(t.Context(), eventsStream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(t.Context(), jetstream.WithSubjectFilter(backorderFilter))
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Msgs
}

// keys returns the bucket's keys.
func (e env) keys(t testing.TB) []string {
	t.Helper()
	keys, err := e.kv.Keys(t.Context())
	if err != nil && err != jetstream.ErrNoKeysFound {
		t.Fatal(err)
	}
	return keys
}
