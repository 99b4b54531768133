package consumers_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookbridge/hookbridge/consumers"
	"github.com/hookbridge/hookbridge/internal/natstest"
)

// publishClaim stores body as object name of bucket WEBHOOKS_BODIES and
// publishes its claim check on subject, as the wire contract says a
// producer does; digest is what the message claims (the body's own when
// empty).
func (e *env) publishClaim(subject, id, name string, body []byte, digest string) {
	e.t.Helper()
	ctx := context.Background()
	obs, err := e.js.CreateOrUpdateObjectStore(ctx, jetstream.ObjectStoreConfig{Bucket: "WEBHOOKS_BODIES", Storage: jetstream.FileStorage})
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := obs.PutBytes(ctx, name, body); err != nil {
		e.t.Fatal(err)
	}
	if digest == "" {
		sum := sha256.Sum256(body)
		digest = "SHA-256=" + base64.URLEncoding.EncodeToString(sum[:])
	}
	msg := nats.NewMsg(subject)
	for k, v := range map[string]string{
		"ce-specversion": "1.0", "ce-id": id, "ce-source": "/shopify/acme", "ce-type": "com.shopify.orders.create",
		"ce-datacontenttype": "application/json",
		"ce-dataref":         "nats-object://WEBHOOKS_BODIES/" + strings.ReplaceAll(name, "/", "%2F"),
		"ce-datasize":        strconv.Itoa(len(body)), "ce-datadigest": digest,
		jetstream.MsgIDHeader: "acme:" + id,
	} {
		msg.Header.Set(k, v)
	}
	if _, err := e.js.PublishMsg(ctx, msg); err != nil {
		e.t.Fatal(err)
	}
}

// TestClaimCheckResolved: the handler of a claim check sees the stored
// body as the event's data, checked against the message's size and
// digest; a body that does not match, or is gone, is dead-lettered
// without reaching the handler.
func TestClaimCheckResolved(t *testing.T) {
	e := newEnv(t)
	body := bytes.Repeat([]byte(`{"line_items":[{"sku":"A"}]},`), 100_000) // 2.9 MB
	e.publishClaim("webhooks.shopify.acme.orders.create", "big-1", "acme:big-1", body, "")
	e.publishClaim("webhooks.shopify.acme.orders.create", "tampered", "acme:tampered", []byte(`{"x":1}`), "SHA-256=AAAA")
	e.publish("webhooks.shopify.acme.orders.create", "small-1")

	var mu sync.Mutex
	got := map[string][]byte{}
	e.run(baseConfig("claims"), func(_ context.Context, ev event.Event) error {
		mu.Lock()
		defer mu.Unlock()
		got[ev.ID()] = ev.Data()
		return nil
	})
	natstest.Eventually(t, natstest.Within(consumers.DefaultAckWait), "all settled", func() bool {
		return e.settled("claims") && len(e.deadLetters("deadletter.claims")) == 1
	})
	mu.Lock()
	defer mu.Unlock()
	if !bytes.Equal(got["big-1"], body) {
		t.Errorf("handler saw %d bytes of data for the claim check, want the %d-byte body", len(got["big-1"]), len(body))
	}
	if string(got["small-1"]) != `{"id":"small-1"}` {
		t.Errorf("small event's data = %q", got["small-1"])
	}
	if _, ok := got["tampered"]; ok {
		t.Error("a body that does not match its digest reached the handler")
	}
}

// TestResolveDataErrors: what ResolveData makes of claim checks it cannot
// resolve, and which of those a retry cannot fix.
func TestResolveDataErrors(t *testing.T) {
	e := newEnv(t)
	e.publishClaim("webhooks.shopify.acme.orders.create", "present", "acme:present", []byte(`{"a":1}`), "")
	base := func(ref, size, digest string) event.Event {
		ev := event.New()
		ev.SetID("x")
		ev.SetExtension("dataref", ref)
		ev.SetExtension("datasize", size)
		ev.SetExtension("datadigest", digest)
		return ev
	}
	sum := sha256.Sum256([]byte(`{"a":1}`))
	okDigest := "SHA-256=" + base64.URLEncoding.EncodeToString(sum[:])
	for _, tc := range []struct {
		name string
		ev   event.Event
		want error
	}{
		{"object gone", base("nats-object://WEBHOOKS_BODIES/acme:gone", "7", okDigest), consumers.ErrDataGone},
		{"bucket gone", base("nats-object://NOPE_BODIES/acme:present", "7", okDigest), consumers.ErrDataGone},
		{"size differs", base("nats-object://WEBHOOKS_BODIES/acme:present", "8", okDigest), consumers.ErrDataMismatch},
		{"digest differs", base("nats-object://WEBHOOKS_BODIES/acme:present", "7", "SHA-256=AAAA"), consumers.ErrDataMismatch},
		{"bad ref", base("https://example.com/x", "7", okDigest), nil},
		{"bad size", base("nats-object://WEBHOOKS_BODIES/acme:present", "-1", okDigest), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := consumers.ResolveData(context.Background(), e.js, &tc.ev)
			if err == nil || !consumers.IsPermanent(err) {
				t.Fatalf("err = %v, want a permanent error", err)
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
		})
	}
	ev := base("nats-object://WEBHOOKS_BODIES/acme:present", "7", okDigest)
	if err := consumers.ResolveData(context.Background(), e.js, &ev); err != nil || string(ev.Data()) != `{"a":1}` {
		t.Fatalf("resolved: %v, data %q", err, ev.Data())
	}

	// The broker is away: not permanent, a retry may succeed.
	e.ns.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	ev = base("nats-object://WEBHOOKS_BODIES/acme:present", "7", okDigest)
	if err := consumers.ResolveData(ctx, e.js, &ev); err == nil || consumers.IsPermanent(err) {
		t.Errorf("broker down: err = %v, want a retryable error", err)
	}
}
