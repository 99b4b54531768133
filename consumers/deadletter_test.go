package consumers_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookbridge/hookbridge/consumers"
	"github.com/hookbridge/hookbridge/internal/natstest"
)

func (e *env) deadLetters(subject string) []*jetstream.RawStreamMsg {
	e.t.Helper()
	ctx := context.Background()
	s, err := e.js.Stream(ctx, consumers.DefaultDeadLetterStream)
	if err != nil {
		return nil
	}
	info, err := s.Info(ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []*jetstream.RawStreamMsg
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		m, err := s.GetMsg(ctx, seq)
		if err == nil && m.Subject == subject {
			out = append(out, m)
		}
	}
	return out
}

func TestPermanentErrorIsDeadLetteredAtOnce(t *testing.T) {
	e := newEnv(t)
	var calls atomic.Int32
	e.run(baseConfig("perm"), func(context.Context, event.Event) error {
		calls.Add(1)
		return consumers.Permanent(errors.New("order has no line items"))
	})
	e.publish("webhooks.shopify.acme.orders.create", "p1")
	var dl []*jetstream.RawStreamMsg
	natstest.Eventually(t, natstest.Patience, "a dead letter", func() bool {
		dl = e.deadLetters("deadletter.perm")
		return len(dl) == 1 && e.settled("perm")
	})
	if n := calls.Load(); n != 1 {
		t.Errorf("handler called %d times, want 1 (no retry)", n)
	}
	h := dl[0].Header
	for k, want := range map[string]string{
		consumers.HeaderReason:          "permanent: order has no line items",
		consumers.HeaderDeliveries:      "1",
		consumers.HeaderConsumer:        "perm",
		consumers.HeaderStream:          "WEBHOOKS",
		consumers.HeaderOriginalSubject: "webhooks.shopify.acme.orders.create",
		consumers.HeaderOriginalMsgID:   "p1",
		"ce-id":                         "p1",
		"ce-type":                       "com.shopify.orders.create",
	} {
		if got := h.Get(k); got != want {
			t.Errorf("dead letter header %s = %q, want %q", k, got, want)
		}
	}
}

func TestExhaustedDeliveriesAreDeadLettered(t *testing.T) {
	e := newEnv(t)
	var calls atomic.Int32
	e.run(baseConfig("exh"), func(context.Context, event.Event) error {
		calls.Add(1)
		return errors.New("always failing")
	})
	e.publish("webhooks.shopify.acme.orders.create", "x1")
	natstest.Eventually(t, natstest.Patience, "a dead letter", func() bool {
		return len(e.deadLetters("deadletter.exh")) == 1 && e.settled("exh")
	})
	if n := calls.Load(); n != 3 {
		t.Errorf("handler called %d times, want MaxDeliver=3", n)
	}
	if got := e.deadLetters("deadletter.exh")[0].Header.Get(consumers.HeaderReason); got != "exhausted: always failing" {
		t.Errorf("reason %q", got)
	}
}

func TestUndecodableMessageIsDeadLettered(t *testing.T) {
	e := newEnv(t)
	var calls atomic.Int32
	e.run(baseConfig("bad"), func(context.Context, event.Event) error { calls.Add(1); return nil })
	if _, err := e.js.Publish(context.Background(), "webhooks.shopify.acme.orders.create", []byte("not a cloudevent")); err != nil {
		t.Fatal(err)
	}
	natstest.Eventually(t, natstest.Patience, "a dead letter", func() bool {
		return len(e.deadLetters("deadletter.bad")) == 1 && e.settled("bad")
	})
	if calls.Load() != 0 {
		t.Error("the handler saw a message that is not a CloudEvent")
	}
}

func TestRedrive(t *testing.T) {
	e := newEnv(t)
	var fixed atomic.Bool
	var handled sync.Map
	e.run(baseConfig("redrive"), func(_ context.Context, ev event.Event) error {
		if !fixed.Load() {
			return consumers.Permanent(errors.New("bug"))
		}
		handled.Store(ev.ID(), true)
		return nil
	})
	e.publish("webhooks.shopify.acme.orders.create", "rd1")
	e.publish("webhooks.shopify.acme.orders.create", "rd2")
	natstest.Eventually(t, natstest.Patience, "two dead letters", func() bool { return len(e.deadLetters("deadletter.redrive")) == 2 })

	fixed.Store(true)
	n, err := consumers.Redrive(context.Background(), e.js, "", "redrive")
	if err != nil || n != 2 {
		t.Fatalf("Redrive = %d, %v; want 2", n, err)
	}
	natstest.Eventually(t, natstest.Patience, "both handled after the redrive", func() bool {
		_, a := handled.Load("rd1")
		_, b := handled.Load("rd2")
		return a && b
	})
	if dl := e.deadLetters("deadletter.redrive"); len(dl) != 0 {
		t.Errorf("%d dead letters left after the redrive", len(dl))
	}
}

func TestRedriveOne(t *testing.T) {
	e := newEnv(t)
	var fixed atomic.Bool
	var handled sync.Map
	e.run(baseConfig("redrive-one"), func(_ context.Context, ev event.Event) error {
		if !fixed.Load() {
			return consumers.Permanent(errors.New("bug"))
		}
		handled.Store(ev.ID(), true)
		return nil
	})
	e.publish("webhooks.shopify.acme.orders.create", "one1")
	e.publish("webhooks.shopify.acme.orders.paid", "one2")
	natstest.Eventually(t, natstest.Patience, "two dead letters", func() bool { return len(e.deadLetters("deadletter.redrive-one")) == 2 })
	dls := e.deadLetters("deadletter.redrive-one")
	var seq uint64
	for _, m := range dls {
		if m.Header.Get("ce-id") == "one2" {
			seq = m.Sequence
		}
	}

	ctx := context.Background()
	if err := consumers.RedriveOne(ctx, e.js, "", "someone-else", seq); !errors.Is(err, consumers.ErrNotDeadLetterOf) {
		t.Errorf("RedriveOne of another consumer's dead letter = %v, want ErrNotDeadLetterOf", err)
	}
	if err := consumers.RedriveOne(ctx, e.js, "", "redrive-one", 999); !errors.Is(err, jetstream.ErrMsgNotFound) {
		t.Errorf("RedriveOne of a missing sequence = %v, want ErrMsgNotFound", err)
	}
	fixed.Store(true)
	if err := consumers.RedriveOne(ctx, e.js, "", "redrive-one", seq); err != nil {
		t.Fatalf("RedriveOne: %v", err)
	}
	natstest.Eventually(t, natstest.Patience, "the redriven one handled", func() bool {
		_, ok := handled.Load("one2")
		return ok
	})
	left := e.deadLetters("deadletter.redrive-one")
	if len(left) != 1 || left[0].Header.Get("ce-id") != "one1" {
		t.Fatalf("dead letters left: %d, want only one1's", len(left))
	}
	if _, ok := handled.Load("one1"); ok {
		t.Error("the dead letter not redriven was handled")
	}
	s, err := e.js.Stream(ctx, "WEBHOOKS")
	if err != nil {
		t.Fatal(err)
	}
	copy, err := s.GetLastMsgForSubject(ctx, "webhooks.shopify.acme.orders.paid")
	if err != nil {
		t.Fatal(err)
	}
	if got := copy.Header.Get(jetstream.MsgIDHeader); got != fmt.Sprintf("redrive:%s:%d", consumers.DefaultDeadLetterStream, seq) {
		t.Errorf("redriven Nats-Msg-Id %q", got)
	}
	for k := range copy.Header {
		if strings.HasPrefix(k, "Hookbridge-") {
			t.Errorf("redriven copy keeps the dead-letter header %s", k)
		}
	}
}
