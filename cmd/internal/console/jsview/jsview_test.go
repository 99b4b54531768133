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

// TestSince: a poll returns only what was stored after its bound, the
// newest first cut to the limit and sent oldest first, says how many
// sequences it passed over, and moves its bound to the stream's last
// sequence; a poll of a stream that did not move reads nothing, and one
// whose bound is past the stream's end says so.
func TestSince(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	v := jsview.New(e.js, jsview.Options{HideBodies: true})
	s := jsview.Webhooks("", "")
	e.publish("webhooks.shopify.acme.orders.create", "before")
	after, err := v.Last(ctx, s)
	if err != nil || after != 1 {
		t.Fatalf("last %d, %v; want 1", after, err)
	}
	var seqs []uint64
	for _, id := range []string{"a", "b", "c", "d", "e"} {
		seqs = append(seqs, e.publish("webhooks.shopify.acme.orders.create", id))
	}
	last := e.publish("webhooks.shopify.other.orders.create", "filtered-out")

	all, err := v.Since(ctx, s, jsview.Filter{}, 2, after)
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(all.Messages); !slices.Equal(got, []string{"e", "filtered-out"}) || all.Last != last || all.Passed != 4 {
		t.Errorf("whole stream: %v, last %d, passed %d; want [e filtered-out], %d, 4", got, all.Last, all.Passed, last)
	}
	acme, err := v.Since(ctx, s, jsview.Filter{Source: "acme"}, 2, after)
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(acme.Messages); !slices.Equal(got, []string{"d", "e"}) || acme.Messages[0].Seq != seqs[3] || acme.Messages[0].Body != nil || acme.Passed != 3 {
		t.Errorf("filtered: %v, passed %d, first body %q; want [d e] from %d, passed 3, no body", got, acme.Passed, acme.Messages[0].Body, seqs[3])
	}
	all, err = v.Since(ctx, s, jsview.Filter{}, 10, after)
	if err != nil || len(all.Messages) != 6 || all.Passed != 0 {
		t.Errorf("within the limit: %d messages, passed %d, %v; want 6, 0", len(all.Messages), all.Passed, err)
	}
	still, err := v.Since(ctx, s, jsview.Filter{}, 2, last)
	if err != nil || len(still.Messages) != 0 || still.Last != last || still.Passed != 0 || still.First != 1 || still.Behind {
		t.Errorf("no move: %+v, %v", still, err)
	}
	ahead, err := v.Since(ctx, s, jsview.Filter{}, 2, last+5)
	if err != nil || len(ahead.Messages) != 0 || ahead.Last != last+5 || !ahead.Behind {
		t.Errorf("a bound past the stream's end (a stream made anew): %+v, %v; want Behind", ahead, err)
	}
	if _, err := v.Since(ctx, jsview.Commerce(""), jsview.Filter{}, 2, 0); !errors.Is(err, jetstream.ErrStreamNotFound) {
		t.Errorf("missing stream: %v, want ErrStreamNotFound", err)
	}
}

// TestSinceScanBound: a sparse filter is looked for over at most
// TailMaxScan sequences, whatever was stored since the last poll; the rest
// count as passed over.
func TestSinceScanBound(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	v := jsview.New(e.js, jsview.Options{})
	s := jsview.Webhooks("", "")
	old := e.publish("webhooks.shopify.acme.orders.create", "too-old")
	const n = jsview.TailMaxScan + 100
	for i := range n {
		e.publish("webhooks.shopify.other.orders.create", fmt.Sprint("o-", i))
	}
	tail, err := v.Since(ctx, s, jsview.Filter{Source: "acme"}, 2, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(tail.Messages) != 0 || tail.Passed != old+n-jsview.TailMaxScan {
		t.Errorf("%d messages, passed %d; want none, %d", len(tail.Messages), tail.Passed, old+n-jsview.TailMaxScan)
	}
}

func ids(ms []jsview.Message) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Event.ID)
	}
	return out
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
