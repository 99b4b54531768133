package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookbridge/hookbridge/cmd/internal/service"
	"github.com/hookbridge/hookbridge/consumers"
	"github.com/hookbridge/hookbridge/consumers/commerce"
	"github.com/hookbridge/hookbridge/consumers/commerce/commercetest"
	"github.com/hookbridge/hookbridge/consumers/inventory"
	"github.com/hookbridge/hookbridge/internal/logtest"
	"github.com/hookbridge/hookbridge/internal/natstest"
	"github.com/hookbridge/hookbridge/internal/sample"
)

func noEnv(string) string { return "" }

func TestRunFlags(t *testing.T) {
	var stderr bytes.Buffer
	if err := run(t.Context(), []string{"--help"}, noEnv, io.Discard, &stderr); err != nil {
		t.Errorf("--help: %v", err)
	}
	for _, f := range []string{"-nats", "INVENTORY_NATS_URL", "-stock", "-seed", "-listen", "-concurrency"} {
		if !strings.Contains(stderr.String(), f) {
			t.Errorf("usage does not mention %s:\n%s", f, stderr.String())
		}
	}
	for _, args := range [][]string{
		{"--bogus"}, {"--concurrency", "0"}, {"extra"},
		{"--seed", "HB-MUG-01"}, {"--seed", "HB-MUG-01=-1"}, {"--seed", "=3"}, {"--seed", "A=1,,B=2"},
		{"--stock", filepath.Join(t.TempDir(), "missing.json")},
	} {
		if err := run(t.Context(), args, noEnv, io.Discard, io.Discard); err == nil {
			t.Errorf("run(%q) = nil, want an error", args)
		}
	}
	// INVENTORY_NATS_URL is the default of --nats; nothing listens there.
	env := func(k string) string {
		if k == "INVENTORY_NATS_URL" {
			return "nats://127.0.0.1:1"
		}
		return ""
	}
	err := run(t.Context(), nil, env, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "nats://127.0.0.1:1") {
		t.Errorf("unreachable nats: %v", err)
	}
}

func TestReadSeed(t *testing.T) {
	file := filepath.Join(t.TempDir(), "stock.json")
	if err := os.WriteFile(file, []byte(`{"HB-MUG-01": 100, "HB-TEE-BLK-M": 10}`), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := readSeed(file, []string{"HB-TEE-BLK-M=12, HB-CAP=3", "x=y=4"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"HB-MUG-01": 100, "HB-TEE-BLK-M": 12, "HB-CAP": 3, "x=y": 4}
	if len(got) != len(want) {
		t.Fatalf("readSeed = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("readSeed[%q] = %d, want %d", k, got[k], v)
		}
	}
	if err := os.WriteFile(file, []byte(`["HB-MUG-01"]`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := readSeed(file, nil); err == nil {
		t.Error("a stock file that is not an object: no error")
	}
}

// TestRun runs the program against an embedded server holding hookbridge's
// WEBHOOKS stream, then a real normaliser beside it, as `hookbridge
// normalise` would run; stores the order `hookbridge send acme-shop` sends
// on WEBHOOKS as the bridge does, and reads the stock back over HTTP; an
// order that inventory cannot account for goes to its dead letters. Then
// it stops the program.
func TestRun(t *testing.T) {
	ns := natstest.Start(t)
	_, js := ns.Connect(t)
	ctx := t.Context()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "WEBHOOKS", Subjects: []string{"webhooks.>"}}); err != nil {
		t.Fatal(err)
	}

	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	var stdout logtest.Buffer
	done := make(chan error, 1)
	go func() {
		done <- run(runCtx, []string{"--nats", "nats://" + ns.Listen, "--listen", "127.0.0.1:0",
			"--seed", "HB-MUG-01=100", "--concurrency", "2"}, noEnv, &stdout, io.Discard)
	}()

	addrRe := regexp.MustCompile(`"read":"http://([^"/]+)/stock"`)
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
	stock := func(sku string) (inventory.Stock, int) {
		t.Helper()
		resp, err := http.Get(base + "/stock/" + sku)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var st inventory.Stock
		_ = json.NewDecoder(resp.Body).Decode(&st)
		return st, resp.StatusCode
	}
	if st, code := stock("HB-MUG-01"); code != http.StatusOK || st.Available != 100 {
		t.Fatalf("seeded stock: %d %+v", code, st)
	}

	// The program started before any normaliser: it made COMMERCE, which
	// the normaliser now starting takes over.
	if _, err := js.Stream(ctx, commerce.Stream); err != nil {
		t.Fatalf("stream %s before any normaliser: %v", commerce.Stream, err)
	}
	commercetest.RunNormaliser(t, js, commerce.Config{})

	// What hookbridge stores for `hookbridge send acme-shop`, twice under
	// two ids (a second webhook subscription).
	body, hdr, err := sample.Delivery("shopify", sample.Locators{}, "", "demo-1", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	shop := hdr.Get("X-Shopify-Shop-Domain")
	for _, id := range []string{"demo-1", "demo-1-again"} {
		publishRaw(t, js, id, shop, body)
	}
	natstest.Eventually(t, natstest.Patience, "the reservation", func() bool {
		st, _ := stock("HB-MUG-01")
		return st.Reserved > 0
	})

	// An order the normaliser passes on but inventory cannot account for
	// (a quantity past its bound) is dead-lettered, not retried; the dead
	// letter leads back to the delivery.
	publishRaw(t, js, "bad-1", shop, []byte(`{"id":4242,"currency":"USD","line_items":[{"sku":"HB-MUG-01","quantity":9000000000}]}`))
	natstest.Eventually(t, natstest.Patience, "the dead letter", func() bool {
		s, err := js.Stream(ctx, "DEADLETTER")
		if err != nil {
			return false
		}
		m, err := s.GetLastMsgForSubject(ctx, "deadletter.inventory")
		return err == nil && m.Header.Get("ce-rawid") == "bad-1"
	})
	// The normaliser first, so that every canonical event is stored before
	// inventory's consumer is asked.
	natstest.Eventually(t, natstest.Patience, "every message settled", func() bool {
		return settled(ctx, js, "WEBHOOKS", commerce.DefaultName) && settled(ctx, js, commerce.Stream, "inventory")
	})
	if st, _ := stock("HB-MUG-01"); st.Available != 98 || st.Orders != 1 {
		t.Errorf("after the order, twice: %+v, want 98 available, 1 order", st)
	}
	for _, path := range []string{"/healthz", "/metrics", "/stock"} {
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

// publishRaw stores a Shopify orders/create delivery of shop on WEBHOOKS as
// the bridge does for the source acme-shop: in CloudEvents binary mode on
// the source's subject, with Nats-Msg-Id "<source>:<delivery id>".
func publishRaw(t *testing.T, js jetstream.JetStream, id, shop string, body []byte) {
	t.Helper()
	ev := event.New()
	ev.SetID(id)
	ev.SetType("com.shopify.orders.create")
	ev.SetSource(shop)
	ev.SetTime(time.Now())
	if err := ev.SetData(event.ApplicationJSON, body); err != nil {
		t.Fatal(err)
	}
	msg, err := consumers.EncodeEvent(t.Context(), "webhooks.shopify.acme-shop.orders.create", ev)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.PublishMsg(t.Context(), msg, jetstream.WithMsgID("acme-shop:"+id)); err != nil {
		t.Fatal(err)
	}
}

// settled tells whether the durable consumer name on stream has handed out
// and had settled every message.
func settled(ctx context.Context, js jetstream.JetStream, stream, name string) bool {
	c, err := js.Consumer(ctx, stream, name)
	if err != nil {
		return false
	}
	info, err := c.Info(ctx)
	return err == nil && info.NumPending == 0 && info.NumAckPending == 0
}
