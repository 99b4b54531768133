package jsview_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookbridge/hookbridge/cmd/internal/console/jsview"
	"github.com/hookbridge/hookbridge/internal/natstest"
)

// env is a real embedded server with a WEBHOOKS stream.
type env struct {
	t  *testing.T
	js jetstream.JetStream
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ns := natstest.Start(t)
	_, js := ns.Connect(t)
	if _, err := js.CreateStream(context.Background(), jetstreamConfig()); err != nil {
		t.Fatal(err)
	}
	return &env{t: t, js: js}
}

// jetstreamConfig is a WEBHOOKS stream as the bridge's, in what the
// console reads.
func jetstreamConfig() jetstream.StreamConfig {
	return jetstream.StreamConfig{Name: "WEBHOOKS", Subjects: []string{"webhooks.>"}, Storage: jetstream.FileStorage, Duplicates: time.Hour}
}

// publish stores a CloudEvent in binary mode on subject, as the bridge
// does, and returns its stream sequence.
func (e *env) publish(subject, id string) uint64 {
	e.t.Helper()
	m := nats.NewMsg(subject)
	m.Header.Set("ce-specversion", "1.0")
	m.Header.Set("ce-id", id)
	m.Header.Set("ce-type", "com.shopify.orders.create")
	m.Header.Set("ce-source", "acme.myshopify.com")
	m.Header.Set("ce-subject", "820982911946154508")
	m.Header.Set("ce-time", "2026-11-27T12:00:00.5Z")
	m.Header.Set("ce-datacontenttype", "application/json")
	m.Header.Set("ce-traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
	m.Header.Set("traceparent", "00-0af7651916cd43dd8448eb211c80319c-00f067aa0ba902b7-01")
	m.Header.Set(jetstream.MsgIDHeader, "src:"+id)
	m.Data = []byte(`{"id":"` + id + `","email":"someone@example.com"}`)
	pa, err := e.js.PublishMsg(context.Background(), m)
	if err != nil {
		e.t.Fatal(err)
	}
	return pa.Sequence
}

func seqs(ms []jsview.Message) []uint64 {
	var out []uint64
	for _, m := range ms {
		out = append(out, m.Seq)
	}
	return out
}

func TestSubject(t *testing.T) {
	wh, cm := jsview.Webhooks("", ""), jsview.Commerce("")
	for _, c := range []struct {
		s    jsview.Stream
		f    jsview.Filter
		want string
	}{
		{wh, jsview.Filter{}, "webhooks.*.*.>"},
		{wh, jsview.Filter{Provider: "shopify"}, "webhooks.shopify.*.>"},
		{wh, jsview.Filter{Source: "acme-shop", Type: "orders/create"}, "webhooks.*.acme-shop.orders.create"},
		{wh, jsview.Filter{Provider: "stripe", Source: "billing", Type: "Payment_Intent.Succeeded"}, "webhooks.stripe.billing.payment_intent.succeeded"},
		{wh, jsview.Filter{Type: "orders.>"}, "webhooks.*.*.orders._"},
		{jsview.Webhooks("RAW", "in.hooks"), jsview.Filter{Provider: "github"}, "in.hooks.github.*.>"},
		{cm, jsview.Filter{}, "commerce.*.*.*.*"},
		{cm, jsview.Filter{Type: "order"}, "commerce.order.*.*.*"},
		{cm, jsview.Filter{Type: "order.paid", Provider: "shopify", Source: "acme-shop"}, "commerce.order.paid.shopify.acme-shop"},
		{cm, jsview.Filter{Type: "com.hookbridge.commerce.refund.created"}, "commerce.refund.created.*.*"},
	} {
		got, err := c.s.Subject(c.f)
		if err != nil || got != c.want {
			t.Errorf("%s.Subject(%+v) = %q, %v; want %q", c.s.Name, c.f, got, err, c.want)
		}
	}
	for _, c := range []struct {
		s jsview.Stream
		f jsview.Filter
	}{
		{wh, jsview.Filter{Source: "*"}},
		{wh, jsview.Filter{Source: "acme.shop"}},
		{wh, jsview.Filter{Provider: ">"}},
		{wh, jsview.Filter{Provider: "Shopify"}},
		{wh, jsview.Filter{Type: "/."}},
		{cm, jsview.Filter{Type: "order.paid.extra"}},
		{cm, jsview.Filter{Type: "order.*"}},
		{cm, jsview.Filter{Type: ".paid"}},
		{cm, jsview.Filter{Type: "order."}},
	} {
		if got, err := c.s.Subject(c.f); !errors.Is(err, jsview.ErrBadFilter) {
			t.Errorf("%s.Subject(%+v) = %q, %v; want ErrBadFilter", c.s.Name, c.f, got, err)
		}
	}
}

func TestMessagesNewestFirstFilteredAndPaged(t *testing.T) {
	e := newEnv(t)
	var want []uint64 // the matches, oldest first
	for i := range 40 {
		subject := "webhooks.shopify.acme.orders.paid"
		switch i % 4 {
		case 0:
			subject = "webhooks.shopify.acme.orders.create"
		case 1:
			subject = "webhooks.stripe.acme.orders.create"
		}
		seq := e.publish(subject, fmt.Sprint("m", i))
		if i%4 == 0 {
			want = append(want, seq)
		}
	}
	slices.Reverse(want)
	v := jsview.New(e.js, jsview.Options{})
	ctx := context.Background()
	f := jsview.Filter{Provider: "shopify", Source: "acme", Type: "orders/create"}

	var got []uint64
	before := uint64(0)
	for range 10 {
		page, err := v.Messages(ctx, jsview.Webhooks("", ""), f, 3, before)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Messages) > 3 {
			t.Fatalf("page of %d, limit 3", len(page.Messages))
		}
		for _, m := range page.Messages {
			if m.Subject != "webhooks.shopify.acme.orders.create" {
				t.Errorf("message %d on %s passed the filter", m.Seq, m.Subject)
			}
		}
		got = append(got, seqs(page.Messages)...)
		if before = page.Before; before == 0 {
			break
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("pages gave %v, want %v", got, want)
	}

	all, err := v.Messages(ctx, jsview.Webhooks("", ""), jsview.Filter{}, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(all.Messages); n != 40 || all.Messages[0].Seq != 40 || all.Before != 0 {
		t.Errorf("unfiltered: %d messages from %d, before %d; want 40 from 40, before 0", n, all.Messages[0].Seq, all.Before)
	}
}

func TestMessagesStopsAtMaxScan(t *testing.T) {
	e := newEnv(t)
	e.publish("webhooks.shopify.rare.orders.create", "rare")
	for i := range 30 {
		e.publish("webhooks.shopify.busy.orders.create", fmt.Sprint("b", i))
	}
	v := jsview.New(e.js, jsview.Options{MaxScan: 10})
	ctx := context.Background()
	f := jsview.Filter{Source: "rare"}
	page, err := v.Messages(ctx, jsview.Webhooks("", ""), f, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Messages) != 0 || page.Before == 0 || page.Before > 31 {
		t.Fatalf("after scanning 10: %v, before %d; want none and where to go on", seqs(page.Messages), page.Before)
	}
	var found []uint64
	for before := page.Before; before != 0 && len(found) == 0; {
		page, err = v.Messages(ctx, jsview.Webhooks("", ""), f, 1, before)
		if err != nil {
			t.Fatal(err)
		}
		found, before = seqs(page.Messages), page.Before
	}
	if !slices.Equal(found, []uint64{1}) {
		t.Errorf("going on found %v, want [1]", found)
	}
}

func TestMessageAttributesHeadersAndHiddenBodies(t *testing.T) {
	e := newEnv(t)
	seq := e.publish("webhooks.shopify.acme.orders.create", "evt-1")
	ctx := context.Background()

	m, err := jsview.New(e.js, jsview.Options{}).Message(ctx, jsview.Webhooks("", ""), seq)
	if err != nil {
		t.Fatal(err)
	}
	ev := m.Event
	if ev.ID != "evt-1" || ev.Type != "com.shopify.orders.create" || ev.Source != "acme.myshopify.com" || ev.Subject != "820982911946154508" ||
		ev.SpecVersion != "1.0" || ev.DataContentType != "application/json" || !ev.Time.Equal(time.Date(2026, 11, 27, 12, 0, 0, 5e8, time.UTC)) {
		t.Errorf("attributes %+v", ev)
	}
	if got := ev.Extensions["traceparent"]; got != "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" {
		t.Errorf("traceparent extension %q", got)
	}
	if m.Header.Get("traceparent") == "" || m.Header.Get(jetstream.MsgIDHeader) != "src:evt-1" {
		t.Errorf("other headers %v", m.Header)
	}
	for k := range m.Header {
		if len(k) > 3 && k[:3] == "ce-" {
			t.Errorf("attribute header %s left among the others", k)
		}
	}
	if m.Seq != seq || m.Subject != "webhooks.shopify.acme.orders.create" || m.Stored.IsZero() || m.Stream != "WEBHOOKS" {
		t.Errorf("message %d %s %v %s", m.Seq, m.Subject, m.Stored, m.Stream)
	}
	if string(m.Body) != `{"id":"evt-1","email":"someone@example.com"}` || m.BodySize != len(m.Body) {
		t.Errorf("body %q (%d)", m.Body, m.BodySize)
	}

	hidden := jsview.New(e.js, jsview.Options{HideBodies: true})
	m, err = hidden.Message(ctx, jsview.Webhooks("", ""), seq)
	if err != nil {
		t.Fatal(err)
	}
	page, err := hidden.Messages(ctx, jsview.Webhooks("", ""), jsview.Filter{}, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range append(page.Messages, m) {
		if m.Body != nil || m.BodySize == 0 || m.Event.ID != "evt-1" {
			t.Errorf("hidden: body %q, size %d, id %q", m.Body, m.BodySize, m.Event.ID)
		}
	}

	if _, err := hidden.Message(ctx, jsview.Webhooks("", ""), 99); !errors.Is(err, jetstream.ErrMsgNotFound) {
		t.Errorf("missing sequence: %v, want ErrMsgNotFound", err)
	}
	if _, err := hidden.Messages(ctx, jsview.Commerce(""), jsview.Filter{}, 0, 0); !errors.Is(err, jetstream.ErrStreamNotFound) {
		t.Errorf("missing stream: %v, want ErrStreamNotFound", err)
	}
}

func TestLiveDeliversOnlyWhatComesAfter(t *testing.T) {
	e := newEnv(t)
	e.publish("webhooks.shopify.acme.orders.create", "before")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	v := jsview.New(e.js, jsview.Options{HideBodies: true})
	live, err := v.Live(ctx, jsview.Webhooks("", ""), jsview.Filter{Source: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	e.publish("webhooks.shopify.other.orders.create", "filtered-out")
	seq := e.publish("webhooks.shopify.acme.orders.create", "after")

	select {
	case m := <-live:
		if m.Event.ID != "after" || m.Seq != seq || m.Body != nil {
			t.Errorf("first live message %q (seq %d, body %q), want after (seq %d), no body", m.Event.ID, m.Seq, m.Body, seq)
		}
	case <-time.After(natstest.Patience):
		t.Fatal("no live message")
	}
	cancel()
	select {
	case _, ok := <-live:
		for ok {
			_, ok = <-live
		}
	case <-time.After(natstest.Patience):
		t.Fatal("the live channel stayed open after ctx ended")
	}
}

// TestOrigin: the provider and source come from where each stream's layout
// puts them; a subject of another layout gives neither.
func TestOrigin(t *testing.T) {
	for _, c := range []struct {
		s                     jsview.Stream
		subject               string
		wantProvider, wantSrc string
	}{
		{jsview.Webhooks("", ""), "webhooks.shopify.acme-shop.orders.create", "shopify", "acme-shop"},
		{jsview.Webhooks("", "hooks"), "hooks.stripe.pay.charge.succeeded", "stripe", "pay"},
		{jsview.Webhooks("", "hooks"), "webhooks.stripe.pay.charge", "", ""},
		{jsview.Webhooks("", ""), "webhooks.shopify", "", ""},
		{jsview.Commerce(""), "commerce.order.paid.shopify.acme-shop", "shopify", "acme-shop"},
		{jsview.Commerce(""), "commerce.order.paid.shopify", "", ""},
	} {
		p, s := c.s.Origin(c.subject)
		if p != c.wantProvider || s != c.wantSrc {
			t.Errorf("%s: provider %q source %q, want %q %q", c.subject, p, s, c.wantProvider, c.wantSrc)
		}
	}
}
