package consumers_test

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookbridge/hookbridge/consumers"
	"github.com/hookbridge/hookbridge/internal/natsserver"
)

// A team's consumer of Shopify orders: one config literal and a handler.
func Example() {
	url, cleanup := exampleBridge() // a JetStream server with one order in the WEBHOOKS stream
	defer cleanup()

	nc, err := nats.Connect(url)
	if err != nil {
		log.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)

	ctx, stop := context.WithCancel(context.Background())
	err = consumers.Run(ctx, js, consumers.Config{
		Name:           "order-mailer",
		FilterSubjects: []string{"webhooks.shopify.*.orders.create"},
		MaxDeliver:     5,
	}, func(ctx context.Context, ev event.Event) error {
		fmt.Println(ev.Type(), ev.Subject(), string(ev.Data()))
		stop() // a real consumer runs until SIGTERM
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
	// Output: com.shopify.orders.create 1001 {"id":1001}
}

// A team's consumer of a bridge whose sources are spread over two streams (source eu-shop
// names WEBHOOKS_EU): a consumer belongs to one stream, so it runs one per stream, the same
// config but for Stream, side by side.
func Example_streams() {
	url, cleanup := exampleSpread() // WEBHOOKS holds acme-shop's order, WEBHOOKS_EU eu-shop's
	defer cleanup()
	nc, err := nats.Connect(url)
	if err != nil {
		log.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)

	ctx, stop := context.WithCancel(context.Background())
	var mu sync.Mutex
	var seen []string
	handle := func(ctx context.Context, ev event.Event) error {
		d, _ := consumers.DeliveryFrom(ctx)
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, d.Stream+" "+d.Subject)
		if len(seen) == 2 {
			stop() // a real consumer runs until SIGTERM
		}
		return nil
	}
	var wg sync.WaitGroup
	for _, stream := range []string{"WEBHOOKS", "WEBHOOKS_EU"} {
		wg.Go(func() {
			err := consumers.Run(ctx, js, consumers.Config{
				Stream:         stream,
				Name:           "order-mailer", // the same durable name on each stream
				FilterSubjects: []string{"webhooks.shopify.*.orders.create"},
			}, handle)
			if err != nil {
				log.Fatal(err)
			}
		})
	}
	wg.Wait()
	slices.Sort(seen)
	fmt.Println(strings.Join(seen, "\n"))
	// Output:
	// WEBHOOKS webhooks.shopify.acme-shop.orders.create
	// WEBHOOKS_EU webhooks.shopify.eu-shop.orders.create
}

// exampleSpread starts a JetStream server with the two streams a bridge sets up when source
// eu-shop names WEBHOOKS_EU, and stores an order in each.
func exampleSpread() (string, func()) {
	return exampleServer([]jetstream.StreamConfig{
		{Name: "WEBHOOKS", Subjects: []string{"webhooks.*.acme-shop.>"}},
		{Name: "WEBHOOKS_EU", Subjects: []string{"webhooks.*.eu-shop.>"}},
	}, "acme-shop", "eu-shop")
}

// exampleBridge starts a JetStream server and stores one order as hookbridge would.
func exampleBridge() (string, func()) {
	return exampleServer([]jetstream.StreamConfig{{Name: "WEBHOOKS", Subjects: []string{"webhooks.>"}}}, "acme-shop")
}

// exampleServer starts a JetStream server with streams and stores one order of each source as
// hookbridge would.
func exampleServer(streams []jetstream.StreamConfig, sources ...string) (string, func()) {
	dir, _ := os.MkdirTemp("", "example")
	ns, err := natsserver.Start(natsserver.Config{Listen: "127.0.0.1:0", StoreDir: dir}, nil)
	if err != nil {
		log.Fatal(err)
	}
	nc, _ := nats.Connect(ns.ClientURL())
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx := context.Background()
	for _, sc := range streams {
		if _, err := js.CreateStream(ctx, sc); err != nil {
			log.Fatal(err)
		}
	}
	for _, source := range sources {
		ev := event.New()
		ev.SetID("evt-1001")
		ev.SetType("com.shopify.orders.create")
		ev.SetSource("acme.myshopify.com")
		ev.SetSubject("1001")
		ev.SetTime(time.Now())
		ev.SetDataContentType(event.ApplicationJSON)
		ev.DataEncoded = []byte(`{"id":1001}`)
		if _, err := consumers.PublishEvent(ctx, js, "webhooks.shopify."+source+".orders.create", ev); err != nil {
			log.Fatal(err)
		}
	}
	return ns.ClientURL(), func() { ns.Shutdown(); ns.WaitForShutdown(); os.RemoveAll(dir) }
}

// A handler's own log lines lead to its trace: log with the handler's ctx
// through a logger on LogHandler, and each line carries the trace_id and
// span_id of the delivery's consumer span (nothing when tracing is off).
func ExampleLogHandler() {
	logger := slog.New(consumers.LogHandler(slog.NewJSONHandler(os.Stdout, nil)))
	handle := func(ctx context.Context, ev event.Event) error {
		logger.InfoContext(ctx, "stock reserved", "id", ev.ID())
		return nil
	}
	_ = consumers.Config{Stream: "COMMERCE", Name: "stock", Logger: logger}
	_ = consumers.Handler(handle)
}
