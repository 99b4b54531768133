package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookbridge/hookbridge/consumers"
	"github.com/hookbridge/hookbridge/internal/natstest"
)

func TestListAndRedrive(t *testing.T) {
	ns := natstest.Start(t)
	_, js := ns.Connect(t)
	ctx := context.Background()
	for _, cfg := range []jetstream.StreamConfig{
		{Name: "WEBHOOKS", Subjects: []string{"webhooks.>"}},
		consumers.DeadLetterStreamConfig(consumers.DefaultDeadLetterStream),
	} {
		if _, err := js.CreateStream(ctx, cfg); err != nil {
			t.Fatal(err)
		}
	}
	dl := nats.NewMsg("deadletter.inventory")
	dl.Header.Set("ce-id", "evt-1")
	dl.Header.Set("ce-specversion", "1.0")
	dl.Header.Set(consumers.HeaderConsumer, "inventory")
	dl.Header.Set(consumers.HeaderReason, "permanent: no order id")
	dl.Header.Set(consumers.HeaderOriginalSubject, "webhooks.shopify.acme.orders.create")
	dl.Data = []byte(`{}`)
	if _, err := js.PublishMsg(ctx, dl); err != nil {
		t.Fatal(err)
	}
	env := func(string) string { return "" }
	url := "nats://" + ns.Listen

	var out bytes.Buffer
	if err := run(ctx, []string{"--nats", url, "list"}, env, &out, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "permanent: no order id") || !strings.Contains(out.String(), "evt-1") {
		t.Errorf("list printed %q", out.String())
	}
	out.Reset()
	if err := run(ctx, []string{"--nats", url, "redrive", "inventory"}, env, &out, &out); err != nil {
		t.Fatal(err)
	}
	s, _ := js.Stream(ctx, "WEBHOOKS")
	m, err := s.GetLastMsgForSubject(ctx, "webhooks.shopify.acme.orders.create")
	if err != nil || m.Header.Get("ce-id") != "evt-1" || m.Header.Get(consumers.HeaderReason) != "" {
		t.Fatalf("redriven message: %v %v", m, err)
	}
	out.Reset()
	if err := run(ctx, []string{"--nats", url, "list", "inventory"}, env, &out, &out); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "evt-1") {
		t.Errorf("the dead letter is still listed after the redrive: %q", out.String())
	}
}
