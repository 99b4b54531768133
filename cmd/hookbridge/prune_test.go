package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookbridge/hookbridge/consumers/commerce"
	"github.com/hookbridge/hookbridge/internal/natstest"
	"github.com/hookbridge/hookbridge/internal/wire"
)

// pruneRun runs prune-bodies with in's config against in's broker and
// returns what it printed.
func pruneRun(t *testing.T, in instance, grace string) string {
	t.Helper()
	var out, errs bytes.Buffer
	if err := run(context.Background(), []string{"prune-bodies", "--config", in.cfgPath, "--nats", "nats://" + in.nats, "--grace", grace}, noEnv, &out, &errs); err != nil {
		t.Fatalf("prune-bodies: %v\n%s", err, errs.String())
	}
	return out.String()
}

// replaceConfig puts with in place of old, which must occur, in in's config.
func (in instance) replaceConfig(t *testing.T, old, with string) instance {
	t.Helper()
	b, err := os.ReadFile(in.cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(old)) {
		t.Fatalf("the config lacks %q", old)
	}
	if err := os.WriteFile(in.cfgPath, bytes.Replace(b, []byte(old), []byte(with), 1), 0o600); err != nil {
		t.Fatal(err)
	}
	return in
}

// copyConfig is in with a copy of its config, to change apart.
func (in instance) copyConfig(t *testing.T) instance {
	t.Helper()
	b, err := os.ReadFile(in.cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	in.cfgPath = filepath.Join(t.TempDir(), "hookbridge.yaml")
	if err := os.WriteFile(in.cfgPath, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return in
}

const webhooksPruned = "WEBHOOKS_BODIES: 0 objects removed, chunks of 0 cut-off uploads removed\n"

// prune-bodies runs against the serving bridge's broker and reports, per
// body bucket, the objects and the cut-off uploads' chunks it removed. A
// bridge without the normaliser, whose server has no COMMERCE_BODIES, hears
// nothing of it.
func TestPruneBodiesReportsPerBucket(t *testing.T) {
	in := newInstance(t)
	in.serveUntilEnd(t)
	if got := pruneRun(t, in, "20s"); got != webhooksPruned {
		t.Errorf("prune-bodies printed %q, want %q", got, webhooksPruned)
	}
}

// With commerce.enabled, prune-bodies also prunes the normaliser's bucket
// COMMERCE_BODIES by the rule of the webhook buckets, with COMMERCE's
// duplicate window (the config's duplicate_window, as the normaliser sets
// it): an object whose canonical event was deleted from COMMERCE goes, with
// the chunks of a cut-off upload; the object of an event still stored
// stays, and so does one without an event stored within the window before
// COMMERCE's first (a failed publish whose redelivery may still reuse it).
func TestPruneBodiesPrunesCommerceBodies(t *testing.T) {
	const window, grace = 2 * time.Second, 200 * time.Millisecond
	in := newInstance(t).replaceConfig(t, "publish_timeout: 10s", "publish_timeout: 100ms\n  duplicate_window: 2s").withCommerce(t, "{enabled: true}")
	in.serveUntilEnd(t)
	js := jsOf(t, in)
	ctx := t.Context()
	s, err := js.Stream(ctx, commerce.Stream)
	if err != nil {
		t.Fatal(err)
	}
	if d := s.CachedInfo().Config.Duplicates; d != window {
		t.Fatalf("COMMERCE's duplicate window is %s, want the config's %s", d, window)
	}
	obs, err := js.ObjectStore(ctx, "COMMERCE_BODIES")
	if err != nil {
		t.Fatal(err)
	}
	objects, err := js.Stream(ctx, "OBJ_COMMERCE_BODIES")
	if err != nil {
		t.Fatal(err)
	}
	// claimCheck stores an object and publishes its canonical event.
	claimCheck := func(id string) (*jetstream.ObjectInfo, *jetstream.PubAck) {
		t.Helper()
		info, err := obs.PutBytes(ctx, id, []byte("canonical event "+id))
		if err != nil {
			t.Fatal(err)
		}
		m := nats.NewMsg("commerce.order.paid.shop")
		m.Header.Set(jetstream.MsgIDHeader, id)
		m.Header.Set(wire.HeaderDataRef, wire.DataRef("COMMERCE_BODIES", id))
		ack, err := js.PublishMsg(ctx, m)
		if err != nil {
			t.Fatal(err)
		}
		return info, ack
	}

	deleted, deletedAck := claimCheck("shop:deleted")
	const cut = "$O.COMMERCE_BODIES.C.CutOffUpload"
	if _, err := js.Publish(ctx, cut, []byte("first chunk")); err != nil {
		t.Fatal(err)
	}
	// age waits until the server's clock is more than d past t.
	age := func(what string, t0 time.Time, d time.Duration) {
		t.Helper()
		natstest.Eventually(t, natstest.Patience, what, func() bool {
			info, err := s.Info(ctx)
			return err == nil && info.TimeStamp.Sub(t0) > d
		})
	}
	age("the duplicate window and the grace past the first object", deleted.ModTime, window+grace+time.Second)
	retried, err := obs.PutBytes(ctx, "shop:retried", []byte("canonical event shop:retried"))
	if err != nil {
		t.Fatal(err)
	}
	// Past the grace, well within the window: a second's margin both ways.
	age("the grace past the retried event's object", retried.ModTime, grace+window/2)
	claimCheck("shop:kept")
	if err := s.DeleteMsg(ctx, deletedAck.Sequence); err != nil {
		t.Fatal(err)
	}

	want := webhooksPruned + "COMMERCE_BODIES: 1 objects removed, chunks of 1 cut-off uploads removed\n"
	if got := pruneRun(t, in, grace.String()); got != want {
		t.Errorf("prune-bodies printed %q, want %q", got, want)
	}
	if _, err := obs.GetInfo(ctx, "shop:deleted"); !errors.Is(err, jetstream.ErrObjectNotFound) {
		t.Errorf("the object of the deleted event: %v, want it removed", err)
	}
	if got, err := obs.GetBytes(ctx, "shop:kept"); err != nil || string(got) != "canonical event shop:kept" {
		t.Errorf("the object of the stored event reads %q (%v), want it kept", got, err)
	}
	if _, err := obs.GetInfo(ctx, "shop:retried"); err != nil {
		t.Errorf("the object of a publish that may yet be retried: %v, want it kept", err)
	}
	if _, err := objects.GetLastMsgForSubject(ctx, cut); !errors.Is(err, jetstream.ErrMsgNotFound) {
		t.Errorf("the cut-off upload's chunk: %v, want it removed", err)
	}
}

// Without a COMMERCE_BODIES on the server, prune-bodies says so when
// commerce.enabled promises the normaliser (it has not run there yet) and
// still succeeds; once a normaliser run apart (hookbridge normalise, with
// commerce.enabled false) has set the bucket up, it is pruned too.
func TestPruneBodiesWithoutCommerceBodies(t *testing.T) {
	in := newInstance(t)
	in.serveUntilEnd(t)
	enabled := in.copyConfig(t).withCommerce(t, "{enabled: true}")
	want := webhooksPruned + "COMMERCE_BODIES: no such bucket on this server (no normaliser has set it up yet), nothing to prune\n"
	if got := pruneRun(t, enabled, "20s"); got != want {
		t.Errorf("with commerce.enabled, prune-bodies printed %q, want %q", got, want)
	}

	n, err := commerce.New(jsOf(t, in), commerce.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.SetUp(t.Context()); err != nil {
		t.Fatal(err)
	}
	want = webhooksPruned + "COMMERCE_BODIES: 0 objects removed, chunks of 0 cut-off uploads removed\n"
	if got := pruneRun(t, in, "20s"); got != want {
		t.Errorf("with a normaliser run apart, prune-bodies printed %q, want %q", got, want)
	}
}

// prune-bodies -h and hookbridge help say that it covers COMMERCE_BODIES.
func TestPruneBodiesHelp(t *testing.T) {
	var out, errs bytes.Buffer
	if err := run(context.Background(), []string{"prune-bodies", "-h"}, noEnv, &out, &errs); err != nil {
		t.Fatalf("prune-bodies -h: %v", err)
	}
	if !strings.Contains(errs.String(), "COMMERCE_BODIES") || !strings.Contains(errs.String(), "-grace") {
		t.Errorf("prune-bodies -h printed %q", errs.String())
	}
	out.Reset()
	if err := run(context.Background(), []string{"help"}, noEnv, &out, &errs); err != nil {
		t.Fatal(err)
	}
	_, entry, _ := strings.Cut(out.String(), "hookbridge prune-bodies")
	entry, _, _ = strings.Cut(entry, "hookbridge healthcheck")
	if !strings.Contains(entry, "COMMERCE_BODIES") {
		t.Errorf("hookbridge help does not say prune-bodies covers COMMERCE_BODIES:\n%s", out.String())
	}
}

// A bucket whose stream is gone (deleted, say, to be rebuilt by replay)
// fails prune-bodies, naming the stream, but does not keep the other
// buckets from being pruned.
func TestPruneBodiesGoesOnPastAMissingStream(t *testing.T) {
	in := newInstance(t).withCommerce(t, "{enabled: true}")
	in.serveUntilEnd(t)
	js := jsOf(t, in)
	if err := js.DeleteStream(t.Context(), "WEBHOOKS"); err != nil {
		t.Fatal(err)
	}
	var out, errs bytes.Buffer
	err := run(context.Background(), []string{"prune-bodies", "--config", in.cfgPath, "--nats", "nats://" + in.nats, "--grace", "20s"}, noEnv, &out, &errs)
	if err == nil || !strings.Contains(err.Error(), "stream WEBHOOKS") || !errors.Is(err, jetstream.ErrStreamNotFound) {
		t.Errorf("prune-bodies with WEBHOOKS gone: %v, want an error naming the stream", err)
	}
	if want := "COMMERCE_BODIES: 0 objects removed, chunks of 0 cut-off uploads removed\n"; !strings.HasSuffix(out.String(), want) {
		t.Errorf("prune-bodies printed %q, want COMMERCE_BODIES pruned after WEBHOOKS failed", out.String())
	}
}
