package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookbridge/hookbridge/cmd/internal/service"
	"github.com/hookbridge/hookbridge/consumers"
	"github.com/hookbridge/hookbridge/consumers/commerce"
	"github.com/hookbridge/hookbridge/consumers/commerce/commercetest"
	"github.com/hookbridge/hookbridge/consumers/shipping"
	"github.com/hookbridge/hookbridge/internal/natstest"
)

// syncBuffer is a bytes.Buffer the program and the test may share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func noEnv(string) string { return "" }

func TestRunFlags(t *testing.T) {
	var stderr bytes.Buffer
	if err := run(t.Context(), []string{"--help"}, noEnv, io.Discard, &stderr); err != nil {
		t.Errorf("--help: %v", err)
	}
	for _, f := range []string{"-nats", "SHIPPING_NATS_URL", "-listen", "-concurrency"} {
		if !strings.Contains(stderr.String(), f) {
			t.Errorf("usage does not mention %s:\n%s", f, stderr.String())
		}
	}
	for _, args := range [][]string{{"--bogus"}, {"--concurrency", "0"}, {"extra"}} {
		if err := run(t.Context(), args, noEnv, io.Discard, io.Discard); err == nil {
			t.Errorf("run(%q) = nil, want an error", args)
		}
	}
	// SHIPPING_NATS_URL is the default of --nats; nothing listens there.
	env := func(k string) string {
		if k == "SHIPPING_NATS_URL" {
			return "nats://127.0.0.1:1"
		}
		return ""
	}
	err := run(t.Context(), nil, env, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "nats://127.0.0.1:1") {
		t.Errorf("unreachable nats: %v", err)
	}
}

// TestRun runs the program against an embedded server beside a real
// normaliser, as `hookbridge serve` with the commerce section on runs it:
// a paid Shopify order stored on WEBHOOKS as the bridge stores it becomes
// order.paid on COMMERCE, and the program turns that into a shipment read
// back over HTTP; then it stops.
func TestRun(t *testing.T) {
	ns := natstest.Start(t)
	_, js := ns.Connect(t)
	ctx := t.Context()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "WEBHOOKS", Subjects: []string{"webhooks.>"}}); err != nil {
		t.Fatal(err)
	}

	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	var stdout syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(runCtx, []string{"--nats", "nats://" + ns.Listen, "--listen", "127.0.0.1:0", "--concurrency", "2"}, noEnv, &stdout, io.Discard)
	}()

	addrRe := regexp.MustCompile(`"read":"http://([^"/]+)/shipments"`)
	var base string
	natstest.Eventually(t, natstest.Within(service.SetupWait), "the listening line", func() bool {
		select {
		case err := <-done:
			t.Fatalf("run returned early: %v\n%s", err, stdout.String())
		default:
		}
		m := addrRe.FindStringSubmatch(stdout.String())
		if m != nil {
			base = "http://" + m[1]
		}
		return m != nil
	})

	// The program started before any normaliser (it creates COMMERCE
	// itself); one starts now.
	commercetest.RunNormaliser(t, js, commerce.Config{})

	// What the bridge stores for `hookbridge send acme-shop --event orders/paid`.
	ev := event.New()
	ev.SetID("paid-1")
	ev.SetType("com.shopify.orders.paid")
	ev.SetSource("hookbridge-dev.myshopify.com")
	ev.SetSubject("1000000000000042")
	ev.SetTime(time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC))
	_ = ev.SetData(event.ApplicationJSON, []byte(`{"id":1000000000000042,"currency":"USD","line_items":[{"sku":"HB-MUG-01","quantity":2,"price":"12.00","name":"Mug"}]}`))
	msg, err := consumers.EncodeEvent(ctx, "webhooks.shopify.acme-shop.orders.paid", ev)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.PublishMsg(ctx, msg, jetstream.WithMsgID("acme-shop:paid-1")); err != nil {
		t.Fatal(err)
	}
	key, _ := shipping.Key("shopify", "hookbridge-dev.myshopify.com", "1000000000000042")
	var sh shipping.Shipment
	natstest.Eventually(t, natstest.Patience, "the shipment", func() bool {
		resp, err := http.Get(base + "/shipments/" + key)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		return resp.StatusCode == http.StatusOK && json.NewDecoder(resp.Body).Decode(&sh) == nil
	})
	// The sample order has no shipping address: a shipment all the same.
	if sh.Status != shipping.StatusCreated || len(sh.Items) != 1 || sh.Items[0].SKU != "HB-MUG-01" || sh.Address != (shipping.Address{}) {
		t.Errorf("shipment = %+v", sh)
	}
	s, err := js.Stream(ctx, "SHIPPING")
	if err != nil {
		t.Fatal(err)
	}
	// The shipment is written before its event is published (the outbox),
	// so the event may follow a moment later.
	natstest.Eventually(t, natstest.Patience, "the shipment.created event", func() bool {
		m, err := s.GetLastMsgForSubject(ctx, "shipping.shipment.created.shopify")
		return err == nil && m.Header.Get("ce-subject") == key
	})
	for _, path := range []string{"/healthz", "/metrics", "/shipments"} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s = %d", path, resp.StatusCode)
		}
	}

	stop()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run after cancel: %v", err)
		}
	case <-time.After(natstest.Within(consumers.DefaultShutdownGrace)): // handlers' grace, then the read path's
		t.Fatal("run did not return after cancel")
	}
	if resp, err := http.Get(base + "/healthz"); err == nil {
		resp.Body.Close()
		t.Error("the read path still serves after shutdown")
	}
}
