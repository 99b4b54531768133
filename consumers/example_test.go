package consumers_test

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"os"
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

// exampleBridge starts a JetStream server and stores one order as hookbridge would.
func exampleBridge() (string, func()) {
	dir, _ := os.MkdirTemp("", "example")
	ns, err := natsserver.Start(natsserver.Config{Listen: "127.0.0.1:0", StoreDir: dir}, nil)
	if err != nil {
		log.Fatal(err)
	}
	nc, _ := nats.Connect(ns.ClientURL())
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx := context.Background()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "WEBHOOKS", Subjects: []string{"webhooks.>"}}); err != nil {
		log.Fatal(err)
	}
	ev := event.New()
	ev.SetID("evt-1001")
	ev.SetType("com.shopify.orders.create")
	ev.SetSource("acme.myshopify.com")
	ev.SetSubject("1001")
	ev.SetTime(time.Now())
	ev.SetDataContentType(event.ApplicationJSON)
	ev.DataEncoded = []byte(`{"id":1001}`)
	if _, err := consumers.PublishEvent(ctx, js, "webhooks.shopify.acme-shop.orders.create", ev); err != nil {
		log.Fatal(err)
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
