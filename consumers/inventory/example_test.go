package inventory_test

import (
	"context"
	"fmt"
	"os"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookbridge/hookbridge/consumers/commerce"
	"github.com/hookbridge/hookbridge/consumers/inventory"
	"github.com/hookbridge/hookbridge/internal/natsserver"
)

func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "inventory-example")
	defer os.RemoveAll(dir)
	ns, err := natsserver.Start(natsserver.Config{Listen: "127.0.0.1:0", StoreDir: dir}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer ns.WaitForShutdown()
	defer ns.Shutdown()
	nc, err := nats.Connect(ns.ClientURL())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)

	svc, err := inventory.New(ctx, js, inventory.Config{})
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := svc.Seed(ctx, map[string]int{"HB-MUG-01": 100}); err != nil {
		fmt.Println(err)
		return
	}

	// What consumers.Run hands the handler for a canonical order.created,
	// here the normaliser's event for a Shopify orders/create.
	ev := event.New()
	ev.SetID("4b1f3c5a9e0d2b7c8a6f1e3d5c7b9a0f")
	ev.SetType(commerce.Type(commerce.EntityOrder, commerce.ActionCreated)) // com.hookbridge.commerce.order.created
	ev.SetSource("acme.myshopify.com")
	ev.SetSubject("820982911946154508")
	_ = ev.SetData(event.ApplicationJSON, []byte(`{"id":"820982911946154508","platform":"shopify","source":"acme-shop",`+
		`"status":"paid","line_items":[{"sku":"HB-MUG-01","quantity":2}]}`))

	// Applying it twice (a redelivery) reserves once.
	for range 2 {
		if err := svc.Handle(ctx, ev); err != nil {
			fmt.Println(err)
			return
		}
	}
	st, _ := svc.Stock(ctx, "HB-MUG-01")
	fmt.Printf("on hand %d, reserved %d, available %d\n", st.OnHand, st.Reserved, st.Available)
	// Output: on hand 100, reserved 2, available 98
}
