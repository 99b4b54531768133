package inventory_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookbridge/hookbridge/consumers"
	"github.com/hookbridge/hookbridge/consumers/commerce"
	"github.com/hookbridge/hookbridge/consumers/inventory"
	"github.com/hookbridge/hookbridge/internal/natstest"
)

const (
	shop = "acme.myshopify.com"
	site = "https://shop.example.test/"

	// The raw types of the platform deliveries the tests start from; the
	// service sees only the canonical events the normaliser makes of them.
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

// newEvent builds a CloudEvent as it is stored on subject and passes it
// through the wire codec, so the handler sees what consumers.Run hands it.
func newEvent(t testing.TB, subject, ceType, source, id string, data []byte) event.Event {
	t.Helper()
	ev := event.New()
	ev.SetID(id)
	ev.SetType(ceType)
	ev.SetSource(source)
	ev.SetTime(time.Date(2025, 11, 3, 15, 41, 7, 0, time.UTC))
	if err := ev.SetData(event.ApplicationJSON, data); err != nil {
		t.Fatal(err)
	}
	return delivered(t, subject, ev)
}

// delivered is ev after the wire codec: stored on subject, then read.
func delivered(t testing.TB, subject string, ev event.Event) event.Event {
	t.Helper()
	msg, err := consumers.EncodeEvent(context.Background(), subject, ev)
	if err != nil {
		t.Fatal(err)
	}
	got, err := consumers.DecodeEvent(context.Background(), msg.Subject, msg.Header, msg.Data)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// canonical is what the service receives for one raw platform delivery:
// the canonical events the normaliser publishes for it (none, one or
// several), each through the wire codec. rawType is the delivery's
// CloudEvent type (com.shopify.orders.create), source the shop, id the
// delivery's id.
func canonical(t testing.TB, rawType, source, id string, data []byte) []event.Event {
	t.Helper()
	provider, _, _ := strings.Cut(strings.TrimPrefix(rawType, "com."), ".")
	out, err := commerce.Events(commerce.Raw{
		Provider: provider, Source: "acme-shop", ID: id, Type: rawType, EvSource: source,
		Time: time.Date(2025, 11, 3, 15, 41, 7, 0, time.UTC), Data: data,
	})
	if err != nil {
		t.Fatal(err)
	}
	evs := make([]event.Event, len(out))
	for i, p := range out {
		evs[i] = delivered(t, p.Subject, p.Event)
	}
	return evs
}

// orderEvent is a canonical order event carrying data as it is: what no
// normaliser would write, for the cases that must be refused.
func orderEvent(t testing.TB, action, id string, data []byte) event.Event {
	t.Helper()
	return newEvent(t, commerce.Subject(commerce.EntityOrder, action, "test", "acme-shop"),
		commerce.Type(commerce.EntityOrder, action), shop, id, data)
}

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fixtureEvents is canonical for the raw delivery in testdata/name.
func fixtureEvents(t testing.TB, name, rawType, source, id string) []event.Event {
	t.Helper()
	return canonical(t, rawType, source, id, fixture(t, name))
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

// handle hands each event to the service, in order, and fails on an error.
func (e env) handle(t testing.TB, evs ...event.Event) {
	t.Helper()
	for _, ev := range evs {
		if err := e.svc.Handle(t.Context(), ev); err != nil {
			t.Fatalf("Handle(%s %s): %v", ev.Type(), ev.ID(), err)
		}
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

// wantRecord asserts that the bucket holds one order record, in state.
func (e env) wantRecord(t testing.TB, state string) {
	t.Helper()
	var records []string
	for _, k := range e.keys(t) {
		if !strings.HasPrefix(k, "order.") {
			continue
		}
		entry, err := e.kv.Get(t.Context(), k)
		if err != nil {
			t.Fatal(err)
		}
		var r struct{ State string }
		if err := json.Unmarshal(entry.Value(), &r); err != nil {
			t.Fatal(err)
		}
		records = append(records, r.State)
	}
	if len(records) != 1 || records[0] != state {
		t.Errorf("order records in states %v, want one %s", records, state)
	}
}
