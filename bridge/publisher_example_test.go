package bridge_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookbridge/hookbridge/bridge"
	"github.com/hookbridge/hookbridge/internal/natsserver"
)

// A platform's retry of a delivery carries the same Nats-Msg-Id: the stream
// reports it a duplicate of the message it stored.
func ExampleStreamPublisher() {
	dir, err := os.MkdirTemp("", "example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	ns, err := natsserver.Start(natsserver.Config{Listen: "127.0.0.1:0", StoreDir: dir}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer func() { ns.Shutdown(); ns.WaitForShutdown() }()
	nc, err := nats.Connect(ns.ClientURL(), nats.InProcessServer(ns))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := bridge.EnsureStream(ctx, js, bridge.StreamConfig{Name: "WEBHOOKS", SubjectPrefix: "webhooks", Replicas: 1, Duplicates: time.Hour}); err != nil {
		fmt.Println(err)
		return
	}

	pub := bridge.NewStreamPublisher(nc)
	for range 2 {
		msg := nats.NewMsg("webhooks.shopify.acme-shop.orders.create")
		msg.Header.Set(jetstream.MsgIDHeader, "acme-shop|b54557e4")
		msg.Data = []byte(`{"id":820982911946154508}`)
		ack, err := pub.PublishMsg(ctx, msg)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("stream %s seq %d duplicate %t\n", ack.Stream, ack.Sequence, ack.Duplicate)
	}
	// Output:
	// stream WEBHOOKS seq 1 duplicate false
	// stream WEBHOOKS seq 1 duplicate true
}
