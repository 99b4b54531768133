package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookbridge/hookbridge/consumers"
	"github.com/hookbridge/hookbridge/consumers/commerce"
	"github.com/hookbridge/hookbridge/internal/logtest"
	"github.com/hookbridge/hookbridge/internal/natstest"
)

// euSource is a second Shopify source; stream, when not "", is the stream it names.
func euSource(stream string) string {
	s := "  - name: eu-shop\n    provider: shopify\n    secrets: [\"eu-secret\"]\n"
	if stream != "" {
		s += "    stream: " + stream + "\n"
	}
	return s
}

// sendTo signs and posts an order for source through `hookbridge send` and returns the
// bridge's answer.
func sendTo(t *testing.T, in instance, source, id string) map[string]any {
	t.Helper()
	var out bytes.Buffer
	if err := run(context.Background(), []string{"send", "--config", in.cfgPath, "--event", "orders/create", "--id", id, source}, noEnv, &out, &out); err != nil {
		t.Fatalf("send %s: %v\n%s", source, err, out.String())
	}
	i := strings.LastIndex(out.String(), "{")
	var a map[string]any
	if i < 0 || json.Unmarshal([]byte(strings.TrimSpace(out.String()[i:])), &a) != nil {
		t.Fatalf("send %s: no JSON answer in %q", source, out.String())
	}
	return a
}

// streamSubjects connects to in's embedded server and returns the stream's subjects and the
// subject of each message it holds.
func streamSubjects(t *testing.T, in instance, name string) (captures, held []string) {
	t.Helper()
	nc, err := nats.Connect("nats://" + in.nats)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx := t.Context()
	st, err := js.Stream(ctx, name)
	if err != nil {
		t.Fatalf("stream %s: %v", name, err)
	}
	info := st.CachedInfo()
	for seq := info.State.FirstSeq; info.State.Msgs > 0 && seq <= info.State.LastSeq; seq++ {
		m, err := st.GetMsg(ctx, seq)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, m.Subject)
	}
	return info.Config.Subjects, held
}

// serve with a source on a stream of its own: the source's deliveries land in that stream, the
// others' in WEBHOOKS, narrowed to them; the normaliser beside the bridge reads both; readiness
// and the console cover both.
func TestServeSpreadsSourcesOverStreams(t *testing.T) {
	in := newInstance(t).withSources(t, euSource("WEBHOOKS_EU")).withCommerce(t, `{enabled: true}`)
	logs := in.serveUntilEnd(t)

	for _, src := range []string{"shop", "eu-shop"} {
		if a := sendTo(t, in, src, "o-"+src); a["status"] != "published" {
			t.Errorf("%s: %v, want published", src, a)
		}
	}
	captures, held := streamSubjects(t, in, "WEBHOOKS")
	if !slices.Equal(captures, []string{"webhooks.*.shop.>"}) || !slices.Equal(held, []string{"webhooks.shopify.shop.orders.create"}) {
		t.Errorf("WEBHOOKS captures %v and holds %v", captures, held)
	}
	captures, held = streamSubjects(t, in, "WEBHOOKS_EU")
	if !slices.Equal(captures, []string{"webhooks.*.eu-shop.>"}) || !slices.Equal(held, []string{"webhooks.shopify.eu-shop.orders.create"}) {
		t.Errorf("WEBHOOKS_EU captures %v and holds %v", captures, held)
	}
	var got []string
	for _, m := range canonical(t, in.nats, 2) {
		got = append(got, m.Subject())
	}
	slices.Sort(got)
	if want := []string{"commerce.order.created.shopify.eu-shop", "commerce.order.created.shopify.shop"}; !slices.Equal(got, want) {
		t.Errorf("COMMERCE holds %v, want %v", got, want)
	}
	natstest.Eventually(t, natstest.Patience, "the start-up line of WEBHOOKS_EU", func() bool {
		return strings.Contains(logs.String(), "stream=WEBHOOKS_EU subjects=webhooks.*.eu-shop.>")
	})

	// The console: a tab per stream, each stream's state, the normaliser's consumer on both.
	deliveries := get(t, in.admin, "/deliveries?stream=WEBHOOKS_EU")
	for _, want := range []string{`href="/deliveries?stream=WEBHOOKS"`, `href="/deliveries?stream=WEBHOOKS_EU"`, `href="/deliveries?stream=COMMERCE"`, "webhooks.shopify.eu-shop.orders.create"} {
		if !strings.Contains(deliveries, want) {
			t.Errorf("deliveries page of WEBHOOKS_EU lacks %s", want)
		}
	}
	if strings.Contains(deliveries, "webhooks.shopify.shop.orders.create") {
		t.Errorf("deliveries page of WEBHOOKS_EU shows a delivery of WEBHOOKS")
	}
	overview := get(t, in.admin, "/")
	for _, id := range []string{`id="stream-WEBHOOKS"`, `id="stream-WEBHOOKS_EU"`, `id="stream-COMMERCE"`} {
		if !strings.Contains(overview, id) {
			t.Errorf("overview lacks %s", id)
		}
	}
	consumersPage := get(t, in.admin, "/consumers")
	for _, id := range []string{`id="consumer-WEBHOOKS-` + commerce.DefaultName + `"`, `id="consumer-WEBHOOKS_EU-` + commerce.DefaultName + `"`} {
		if !strings.Contains(consumersPage, id) {
			t.Errorf("consumers page lacks %s", id)
		}
	}
}

// A restart that moves a source from WEBHOOKS to a stream of its own: WEBHOOKS is narrowed to
// the sources that stay and keeps what it stored; the platform's retry of a delivery stored
// before the move is stored again, in the new stream, as a new message (the duplicate window
// belongs to a stream); a retry of a source that stayed is still a duplicate.
func TestRestartMovesASourceToItsOwnStream(t *testing.T) {
	in := newInstance(t)
	base, err := os.ReadFile(in.cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	in.withSources(t, euSource(""))
	var logs logtest.Buffer
	cancel, wait := in.start(t, &logs)
	for _, src := range []string{"shop", "eu-shop"} {
		sendTo(t, in, src, "o-"+src)
	}
	cancel()
	if err := wait(); err != nil {
		t.Fatalf("run: %v\n%s", err, logs.String())
	}

	if err := os.WriteFile(in.cfgPath, append(base, euSource("WEBHOOKS_EU")...), 0o600); err != nil {
		t.Fatal(err)
	}
	cancel, wait = in.start(t, &logs)
	defer func() {
		cancel()
		if err := wait(); err != nil {
			t.Errorf("run: %v", err)
		}
	}()
	captures, held := streamSubjects(t, in, "WEBHOOKS")
	if !slices.Equal(captures, []string{"webhooks.*.shop.>"}) || len(held) != 2 {
		t.Errorf("WEBHOOKS after the move captures %v and holds %v, want webhooks.*.shop.> and both deliveries stored before", captures, held)
	}
	if a := sendTo(t, in, "shop", "o-shop"); a["duplicate"] != true {
		t.Errorf("shop's retry after the move: %v, want a duplicate", a)
	}
	if a := sendTo(t, in, "eu-shop", "o-eu-shop"); a["status"] != "published" || a["seq"] != float64(1) {
		t.Errorf("eu-shop's retry after the move: %v, want published as WEBHOOKS_EU's first message", a)
	}
}

// hookbridge normalise, run apart, reads every stream of the config it shares with the bridge.
func TestNormaliseReadsEveryStream(t *testing.T) {
	in := newInstance(t).withSources(t, euSource("WEBHOOKS_EU"))
	in.serveUntilEnd(t)
	for _, src := range []string{"shop", "eu-shop"} {
		sendTo(t, in, src, "o-"+src)
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var nlogs logtest.Buffer
	go func() {
		done <- run(ctx, []string{"normalise", "--config", in.cfgPath, "--nats", "nats://" + in.nats}, noEnv, &nlogs, &nlogs)
	}()
	var got []string
	for _, m := range canonical(t, in.nats, 2) {
		got = append(got, m.Subject())
	}
	stop()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("normalise: %v\n%s", err, nlogs.String())
		}
	case <-time.After(natstest.Within(consumers.DefaultShutdownGrace)):
		t.Fatal("normalise did not return after cancel")
	}
	slices.Sort(got)
	if want := []string{"commerce.order.created.shopify.eu-shop", "commerce.order.created.shopify.shop"}; !slices.Equal(got, want) {
		t.Errorf("COMMERCE holds %v, want %v", got, want)
	}
}
