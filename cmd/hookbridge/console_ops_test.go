package main

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/hookbridge/hookbridge/cmd/internal/console/browsertest"
	"github.com/hookbridge/hookbridge/consumers"
	"github.com/hookbridge/hookbridge/internal/natstest"
)

// TestConsoleDeadLetterAndReplayInBrowser: a team's consumer (consumers.Run, as a program
// runs it) refuses an order permanently; in headless Chromium the Consumers page shows the
// consumer with its dead letter, and another, whose program is not running, marked stuck; the
// Dead letters page lists the order with its reason; one opens it, redrives it through the
// confirmation and sees it leave while the consumer, fixed, takes it; then a replay started
// from the form is listed among the consumers.
func TestConsoleDeadLetterAndReplayInBrowser(t *testing.T) {
	ctx := browsertest.New(t, natstest.Within(startupWait))
	in := newInstance(t)
	in.serveUntilEnd(t)
	js := jsOf(t, in)
	var refuse atomic.Bool
	refuse.Store(true)
	var handled atomic.Int32
	stop := runConsumer(t, js, consumers.Config{Name: "orders", FilterSubjects: []string{"webhooks.shopify.shop.>"}},
		func(_ context.Context, ev event.Event) error {
			if refuse.Load() {
				return consumers.Permanent(errors.New("quantity out of bounds"))
			}
			handled.Add(1)
			return nil
		})
	defer stop()
	// billing's program is not running: the order waits for it.
	if _, err := js.CreateOrUpdateConsumer(t.Context(), "WEBHOOKS", consumers.Config{Name: "billing", FilterSubjects: []string{"webhooks.shopify.shop.>"}}.ConsumerConfig()); err != nil {
		t.Fatal(err)
	}
	sendOrder(t, in, "poison-1", "orders/create")
	base := "http://" + in.admin

	wait := func(what, js string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(natstest.Patience))); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(sel))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}

	// Consumers: the page refreshes itself; the dead letter shows once it is written.
	do("opening the consumers", chromedp.Navigate(base+"/consumers"), chromedp.WaitVisible(`#consumer-WEBHOOKS-orders`))
	wait("the consumer's dead letter count", `document.querySelector('#consumer-WEBHOOKS-orders a.dead')?.textContent === "1"`)
	if row := text(`#consumer-WEBHOOKS-orders`); !strings.Contains(row, "webhooks.shopify.shop.>") {
		t.Errorf("the consumer's row lacks its filter: %s", row)
	}
	wait("the stalled consumer marked", `document.querySelector('#consumer-WEBHOOKS-billing.stuck')?.textContent.includes("messages waiting, never active")`)
	browsertest.Screenshots(t, ctx, "consumers")

	do("opening its dead letters", chromedp.Navigate(base+"/deadletters?consumer=orders"), chromedp.WaitVisible(`table.deadletters tbody tr`))
	if row := text(`table.deadletters tbody tr`); !strings.Contains(row, "permanent: quantity out of bounds") || !strings.Contains(row, "webhooks.shopify.shop.orders.create") {
		t.Errorf("the dead letter's row: %s", row)
	}
	browsertest.Screenshots(t, ctx, "deadletters")

	do("inspecting it", chromedp.Click(`table.deadletters tbody tr td a`), chromedp.WaitVisible(`#reason`))
	if body := text(`#body`); !strings.Contains(body, `"line_items"`) {
		t.Errorf("the dead letter's body: %s", body)
	}
	browsertest.Screenshots(t, ctx, "deadletter")

	refuse.Store(false) // the team's fix is out: the redriven order goes through
	do("asking to redrive it", chromedp.Click(`#redrive`), chromedp.WaitVisible(`#confirm`))
	browsertest.Screenshots(t, ctx, "redrive-confirm")
	do("redriving it", chromedp.Click(`#confirm`), chromedp.WaitVisible(`#notice`))
	if n := text(`#notice`); !strings.Contains(n, "Redrove 1 dead letter of orders") {
		t.Errorf("the notice: %s", n)
	}
	do("seeing it gone", chromedp.WaitVisible(`#no-deadletters`))
	browsertest.Screenshots(t, ctx, "deadletters-redriven")
	natstest.Eventually(t, natstest.Patience, "the redriven order handled", func() bool { return handled.Load() == 1 })

	// Replay: the form's start is an hour ago, before the order.
	do("filling the replay form", chromedp.Navigate(base+"/replay"), chromedp.WaitVisible(`#review`),
		chromedp.SetValue(`input[name="name"]`, "orders-replay"),
		chromedp.SetValue(`input[name="source"]`, "shop"),
		chromedp.SetValue(`input[name="type"]`, "orders/create"))
	browsertest.Screenshots(t, ctx, "replay")
	do("reviewing the replay", chromedp.Click(`#review`), chromedp.WaitVisible(`#confirm`))
	if c := text(`main`); !strings.Contains(c, "webhooks.*.shop.orders.create") {
		t.Errorf("the confirmation lacks the filter: %s", c)
	}
	browsertest.Screenshots(t, ctx, "replay-confirm")
	do("starting the replay", chromedp.Click(`#confirm`), chromedp.WaitVisible(`#created`))
	if c := text(`#created`); !strings.Contains(c, "orders-replay") || !strings.Contains(c, "2 messages to replay") {
		t.Errorf("what was created: %s", c)
	}
	browsertest.Screenshots(t, ctx, "replay-created")
	do("seeing it among the consumers", chromedp.Navigate(base+"/consumers"), chromedp.WaitVisible(`#consumer-WEBHOOKS-orders-replay`))
}
