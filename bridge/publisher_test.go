package bridge_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookbridge/hookbridge/bridge"
	"github.com/hookbridge/hookbridge/internal/natstest"
)

// pubFixture is a WEBHOOKS stream (webhooks.>, messages up to 1 KiB) on a
// real server, with the bridge's publisher and jetstream's on one connection.
type pubFixture struct {
	nc  *nats.Conn
	js  jetstream.JetStream
	pub *bridge.StreamPublisher
}

func newPubFixture(t *testing.T) pubFixture {
	t.Helper()
	nc, js := natstest.Start(t).Connect(t)
	ctx, cancel := context.WithTimeout(t.Context(), natstest.Patience)
	defer cancel()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{
		Name: "WEBHOOKS", Subjects: []string{"webhooks.>"}, MaxMsgSize: 1024, Duplicates: time.Hour,
	}); err != nil {
		t.Fatal(err)
	}
	return pubFixture{nc: nc, js: js, pub: bridge.NewStreamPublisher(nc)}
}

func withID(subject, id string, data []byte) *nats.Msg {
	m := nats.NewMsg(subject)
	m.Header.Set(jetstream.MsgIDHeader, id)
	m.Data = data
	return m
}

func patient(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), natstest.Patience)
	t.Cleanup(cancel)
	return ctx
}

func TestStreamPublisherStoresAndReportsDuplicates(t *testing.T) {
	f := newPubFixture(t)
	ctx := patient(t)
	steps := []struct {
		id   string
		want jetstream.PubAck
	}{
		{"a", jetstream.PubAck{Stream: "WEBHOOKS", Sequence: 1}},
		{"b", jetstream.PubAck{Stream: "WEBHOOKS", Sequence: 2}},
		{"a", jetstream.PubAck{Stream: "WEBHOOKS", Sequence: 1, Duplicate: true}},
	}
	for _, s := range steps {
		ack, err := f.pub.PublishMsg(ctx, withID("webhooks.shopify.acme", s.id, []byte(`{}`)))
		if err != nil {
			t.Fatalf("publish %s: %v", s.id, err)
		}
		if *ack != s.want {
			t.Errorf("publish %s: ack %+v, want %+v", s.id, *ack, s.want)
		}
	}
	// jetstream reads the same answer to the same duplicate the same way.
	ack, err := f.js.PublishMsg(ctx, withID("webhooks.shopify.acme", "b", []byte(`{}`)))
	if err != nil || *ack != (jetstream.PubAck{Stream: "WEBHOOKS", Sequence: 2, Duplicate: true}) {
		t.Errorf("jetstream's duplicate: %+v, %v", ack, err)
	}
	info, err := f.js.Stream(ctx, "WEBHOOKS")
	if err != nil {
		t.Fatal(err)
	}
	if n := info.CachedInfo().State.Msgs; n != 2 {
		t.Errorf("stream holds %d messages, want 2", n)
	}
}

func TestStreamPublisherNoStreamAfterRetries(t *testing.T) {
	f := newPubFixture(t)
	start := time.Now()
	_, err := f.pub.PublishMsg(patient(t), withID("elsewhere.x", "a", nil))
	if !errors.Is(err, jetstream.ErrNoStreamResponse) {
		t.Fatalf("err %v, want ErrNoStreamResponse", err)
	}
	// Two retries, each after DefaultPubRetryWait.
	if took := time.Since(start); took < jetstream.DefaultPubRetryAttempts*jetstream.DefaultPubRetryWait {
		t.Errorf("gave up after %v: the retries were not waited for", took)
	}
	_, jsErr := f.js.PublishMsg(patient(t), withID("elsewhere.x", "a", nil))
	if !errors.Is(jsErr, jetstream.ErrNoStreamResponse) {
		t.Errorf("jetstream says %v", jsErr)
	}
}

func TestStreamPublisherNoStreamStopsAtDeadline(t *testing.T) {
	f := newPubFixture(t)
	// The deadline comes while the first retry waits its turn.
	ctx, cancel := context.WithTimeout(t.Context(), jetstream.DefaultPubRetryWait/5)
	defer cancel()
	_, err := f.pub.PublishMsg(ctx, withID("elsewhere.x", "a", nil))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v, want the deadline's", err)
	}
}

func TestStreamPublisherRefusals(t *testing.T) {
	f := newPubFixture(t)
	ctx := patient(t)
	cases := []struct {
		name string
		msg  func() *nats.Msg
		code jetstream.ErrorCode
	}{
		{"over max_msg_size", func() *nats.Msg {
			return withID("webhooks.shopify.acme", "big", []byte(strings.Repeat("x", 2048)))
		}, jetstream.JSErrCodeStreamMessageExceedsMaximum},
		{"expected stream mismatch", func() *nats.Msg {
			m := withID("webhooks.shopify.acme", "x", nil)
			m.Header.Set(jetstream.ExpectedStreamHeader, "OTHER")
			return m
		}, 10060}, // JSStreamNotMatchErr
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := f.pub.PublishMsg(ctx, c.msg())
			var apiErr *jetstream.APIError
			if !errors.As(err, &apiErr) || apiErr.ErrorCode != c.code {
				t.Fatalf("err %v, want API error %d", err, c.code)
			}
			if !strings.HasPrefix(err.Error(), "nats: ") {
				t.Errorf("err %q lacks jetstream's prefix", err)
			}
			_, jsErr := f.js.PublishMsg(ctx, c.msg())
			if jsErr == nil || jsErr.Error() != err.Error() {
				t.Errorf("jetstream says %v, the publisher %v", jsErr, err)
			}
		})
	}
}

func TestStreamPublisherDeadline(t *testing.T) {
	f := newPubFixture(t)
	// A responder that never answers: the request waits for ctx.
	sub, err := f.nc.SubscribeSync("silent.>")
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	if err := f.nc.Flush(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if _, err := f.pub.PublishMsg(ctx, withID("silent.x", "a", nil)); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v, want the deadline's", err)
	}
	// Without a deadline, jetstream's default of 5 s bounds the wait.
	start := time.Now()
	if _, err := f.pub.PublishMsg(t.Context(), withID("silent.x", "b", nil)); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v, want the default deadline's", err)
	}
	if took := time.Since(start); took < 5*time.Second {
		t.Errorf("gave up after %v, before the default 5 s", took)
	}
}

func TestStreamPublisherRefusesOptions(t *testing.T) {
	f := newPubFixture(t)
	ctx := patient(t)
	_, err := f.pub.PublishMsg(ctx, nats.NewMsg("webhooks.shopify.acme"), jetstream.WithMsgID("a"))
	if !errors.Is(err, jetstream.ErrInvalidOption) {
		t.Fatalf("err %v, want ErrInvalidOption", err)
	}
	info, err := f.js.Stream(ctx, "WEBHOOKS")
	if err != nil {
		t.Fatal(err)
	}
	if n := info.CachedInfo().State.Msgs; n != 0 {
		t.Errorf("stream holds %d messages, want none", n)
	}
}
