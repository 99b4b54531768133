package commerce_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/hookbridge/hookbridge/consumers/commerce"
	"github.com/hookbridge/hookbridge/consumers/commerce/commercetest"
	"github.com/hookbridge/hookbridge/internal/natstest"
	"github.com/hookbridge/hookbridge/internal/sample"
)

// startSpread starts a server with sources spread over two raw streams as the bridge sets them
// up when source eu-shop names WEBHOOKS_EU: each stream captures its own sources' subjects.
func startSpread(t *testing.T) jetstream.JetStream {
	t.Helper()
	_, js := natstest.Start(t).Connect(t)
	for name, subject := range map[string]string{"WEBHOOKS": "webhooks.*.acme-shop.>", "WEBHOOKS_EU": "webhooks.*.eu-shop.>"} {
		if _, err := js.CreateStream(t.Context(), jetstream.StreamConfig{Name: name, Subjects: []string{subject}, Duplicates: time.Hour}); err != nil {
			t.Fatal(err)
		}
	}
	return js
}

// TestNormaliserReadsEveryStream: one durable consumer per raw stream, of the same name, side
// by side; the orders of both streams become canonical events on the one COMMERCE.
func TestNormaliserReadsEveryStream(t *testing.T) {
	js := startSpread(t)
	commercetest.RunNormaliser(t, js, commerce.Config{InStreams: []string{"WEBHOOKS", "WEBHOOKS_EU"}, Registerer: prometheus.NewRegistry()})
	for i, source := range []string{"acme-shop", "eu-shop"} {
		id, order := "d"+source, "100"+string(rune('1'+i))
		body, _, err := sample.DeliveryForOrder("shopify", sample.Locators{}, "orders/create", id, order, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		rawPublish(t, js, "shopify", source, source+":"+id, id, "com.shopify.orders.create", body)
	}
	var subjects []string
	natstest.Eventually(t, natstest.Patience, "an order from each stream on COMMERCE", func() bool {
		s, err := js.Stream(t.Context(), commerce.Stream)
		if err != nil {
			return false
		}
		info, err := s.Info(t.Context())
		return err == nil && info.State.Msgs == 2
	})
	for _, m := range readAll(t, js, commerce.Stream) {
		subjects = append(subjects, m.subject)
		commercetest.CheckEvent(t, m.ev)
	}
	slices.Sort(subjects)
	if want := []string{"commerce.order.created.shopify.acme-shop", "commerce.order.created.shopify.eu-shop"}; !slices.Equal(subjects, want) {
		t.Errorf("COMMERCE holds %v, want %v", subjects, want)
	}
	for _, stream := range []string{"WEBHOOKS", "WEBHOOKS_EU"} {
		c, err := js.Consumer(t.Context(), stream, commerce.DefaultName)
		if err != nil {
			t.Fatalf("no normaliser consumer on %s: %v", stream, err)
		}
		natstest.Eventually(t, natstest.Patience, stream+" acknowledged", func() bool {
			info, err := c.Info(t.Context())
			return err == nil && info.AckFloor.Stream == 1 && info.NumPending == 0
		})
	}
}

// TestNormaliserStopsWhenAStreamIsMissing: a raw stream that cannot be read stops the
// normaliser with an error that names it, and the consumer of the other stream with it: a
// normaliser that reads some streams only would look healthy while orders go unread.
func TestNormaliserStopsWhenAStreamIsMissing(t *testing.T) {
	js := startSpread(t)
	n, err := commerce.New(js, commerce.Config{InStreams: []string{"WEBHOOKS", "WEBHOOKS_US"}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), natstest.Patience)
	defer cancel()
	err = n.Run(ctx)
	if err == nil || !strings.Contains(err.Error(), "WEBHOOKS_US") {
		t.Fatalf("Run = %v, want an error naming WEBHOOKS_US", err)
	}
	if ctx.Err() != nil {
		t.Errorf("Run returned only at the deadline: %v", err)
	}
}
