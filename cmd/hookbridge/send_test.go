package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hookbridge/hookbridge/bridge/provider"
	"github.com/hookbridge/hookbridge/internal/logtest"
)

// TestSendForm: `send --form` posts a github source's delivery form-encoded
// and signed over the form, as GitHub does for a webhook whose content type
// is "form"; the provider reads the same event from it.
func TestSendForm(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "hookbridge.yaml")
	if err := os.WriteFile(cfg, []byte(`
sources:
  - name: gh
    provider: github
    secrets: ["gh-send-secret"]
  - name: shop
    provider: shopify
    secrets: ["shop-send-secret"]
`), 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"send", "--config", cfg, "--dry-run", "--form", "--id", "f1", "gh"}, noEnv, &out, &out); err != nil {
		t.Fatalf("send --form: %v\n%s", err, out.String())
	}
	// --dry-run prints "POST <url>\n", the headers, "\n", the body and "\n".
	head, body, ok := strings.Cut(out.String(), "\r\n\n")
	if !ok {
		t.Fatalf("unexpected dry-run output %q", out.String())
	}
	body = strings.TrimSuffix(body, "\n")
	h := http.Header{}
	_, head, _ = strings.Cut(head, "\n") // the POST line
	for _, line := range strings.Split(head, "\r\n") {
		k, v, _ := strings.Cut(line, ": ")
		h.Add(k, v)
	}
	if ct := h.Get("Content-Type"); ct != "application/x-www-form-urlencoded" || !strings.HasPrefix(body, "payload=%7B") {
		t.Fatalf("Content-Type %q, body %q: want a form body", ct, body)
	}
	p, err := provider.New(provider.Config{Kind: "github", Secrets: []string{"gh-send-secret"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Verify([]byte(body), h); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	e, err := p.Extract([]byte(body), h)
	if err != nil || e.ID != "f1" || e.Type != "issues.opened" || e.DataContentType != "application/json" {
		t.Fatalf("Extract = %+v, %v", e, err)
	}

	err = run(context.Background(), []string{"send", "--config", cfg, "--dry-run", "--form", "shop"}, noEnv, &out, &out)
	if want := `send: --form is for github sources only ("shop" is shopify)`; err == nil || err.Error() != want {
		t.Fatalf("send --form shop = %v, want %q", err, want)
	}
}

// TestSendPaddleRecurlyRazorpay: `send` signs each platform's sample as
// the platform would, and a running bridge verifies and publishes it
// (200, "published", on the platform's subject); the same --id again is a
// platform retry, which the broker drops.
func TestSendPaddleRecurlyRazorpay(t *testing.T) {
	in := serveSources(t, `  - {name: billing, provider: paddle, secrets: [pdl_ntfset_01hv6y1jedq4p1n0yqn5ba3ky4_dev-paddle-secret]}
  - {name: subs, provider: recurly, secrets: [0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0], tolerance: 5m}
  - {name: rzp, provider: razorpay, secrets: [dev-razorpay-secret]}
`)

	for _, c := range []struct{ source, subject string }{
		{"billing", "webhooks.paddle.billing.transaction.completed"},
		{"subs", "webhooks.recurly.subs.charge_invoice.paid"},
		{"rzp", "webhooks.razorpay.rzp.payment.captured"},
	} {
		var out bytes.Buffer
		args := []string{"send", "--config", in.cfgPath, "--id", "s1", c.source}
		if err := run(context.Background(), args, noEnv, &out, &out); err != nil {
			t.Fatalf("send %s: %v\n%s", c.source, err, out.String())
		}
		if s := out.String(); !strings.Contains(s, "200 OK") || !strings.Contains(s, `"status":"published"`) || !strings.Contains(s, c.subject) {
			t.Errorf("send %s printed %q, want 200 published on %s", c.source, s, c.subject)
		}
		out.Reset()
		if err := run(context.Background(), args, noEnv, &out, &out); err != nil {
			t.Fatalf("send %s again: %v\n%s", c.source, err, out.String())
		}
		if !strings.Contains(out.String(), `"duplicate":true`) {
			t.Errorf("send %s again was not a duplicate: %q", c.source, out.String())
		}
	}
}

// TestServeAndSendSquare: `send` to a running bridge with a square source
// signs the notification URL configured for it, whatever URL it posts to
// (here the bridge's own address), and the bridge publishes the event.
func TestServeAndSendSquare(t *testing.T) {
	in := serveSources(t, `  - name: sq
    provider: square
    secrets: ["square-send-signature-key"]
    notification_url: https://hooks.example.com/webhooks/sq
`)
	var out bytes.Buffer
	if err := run(context.Background(), []string{"send", "--config", in.cfgPath, "--id", "sq-1", "sq"}, noEnv, &out, &out); err != nil {
		t.Fatalf("send: %v\n%s", err, out.String())
	}
	for _, want := range []string{"200 OK", `"status":"published"`, `"id":"sq-1"`, "webhooks.square.sq.order.created"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("send printed %q, want %s in it", out.String(), want)
		}
	}
}

// TestServeAndSendAdyen: `send` signs an adyen source's notification item
// inside the body, and the bridge stores it and answers as Adyen wants.
func TestServeAndSendAdyen(t *testing.T) {
	in := serveSources(t, `  - name: ady
    provider: adyen
    secrets: ["44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056"]
`)
	var out bytes.Buffer
	if err := run(context.Background(), []string{"send", "--config", in.cfgPath, "--id", "8815000000000001", "ady"}, noEnv, &out, &out); err != nil {
		t.Fatalf("send: %v\n%s", err, out.String())
	}
	if !strings.HasSuffix(out.String(), "200 OK\n[accepted]") {
		t.Errorf("send printed %q, want 200 OK and [accepted]", out.String())
	}
}

// serveSources runs a bridge until the test ends, with the sources in yaml
// (list items, indented as under sources:) beside the usual shop source.
func serveSources(t *testing.T, yaml string) instance {
	t.Helper()
	in := newInstance(t)
	cfg, err := os.ReadFile(in.cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(in.cfgPath, append(cfg, yaml...), 0o600); err != nil {
		t.Fatal(err)
	}
	var logs logtest.Buffer
	cancel, wait := in.start(t, &logs)
	t.Cleanup(func() { cancel(); _ = wait() })
	return in
}

// TestSendNewKinds: `hookbridge send` signs a bigcommerce, shopware and
// chargebee source's sample delivery as the platform would, and a running
// bridge publishes each (200, published, on the platform's subject).
func TestSendNewKinds(t *testing.T) {
	in := newInstance(t)
	cfg, err := os.ReadFile(in.cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	cfg = append(cfg, `  - {name: bc, provider: bigcommerce, secrets: [bc-send-client-secret]}
  - {name: sware, provider: shopware, secrets: [sw-send-shop-secret]}
  - {name: cb, provider: chargebee, secrets: ["cb-user:cb-send-password"]}
`...)
	if err := os.WriteFile(in.cfgPath, cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	var logs logtest.Buffer
	cancel, wait := in.start(t, &logs)
	for _, c := range []struct{ source, subject string }{
		{"bc", "webhooks.bigcommerce.bc.store.order.created"},
		{"sware", "webhooks.shopware.sware.checkout.order.placed"},
		{"cb", "webhooks.chargebee.cb.subscription_created"},
	} {
		var out bytes.Buffer
		if err := run(context.Background(), []string{"send", "--config", in.cfgPath, c.source}, noEnv, &out, &out); err != nil {
			t.Fatalf("send %s: %v\n%s", c.source, err, out.String())
		}
		if s := out.String(); !strings.Contains(s, "200 OK") || !strings.Contains(s, `"status":"published"`) || !strings.Contains(s, c.subject) {
			t.Errorf("send %s printed %q, want 200 published on %s", c.source, s, c.subject)
		}
	}
	cancel()
	if err := wait(); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(logs.String(), "cb-send-password") {
		t.Error("the chargebee password appears in the logs")
	}
}

// TestSendLemonSqueezyMollieEcwid: `send` signs each new platform's sample
// as the platform would and a running bridge publishes it; a second send
// of the same delivery is a duplicate (Lemon Squeezy's id is derived from
// the body, so there the same body is sent twice). Start-up warns about
// the ecwid source's unsigned body, and only about it.
func TestSendLemonSqueezyMollieEcwid(t *testing.T) {
	in := newInstance(t).withSources(t, `  - {name: lemon, provider: lemonsqueezy, secrets: [dev-lemon-secret]}
  - {name: mollie, provider: mollie, secrets: [dev-mollie-secret]}
  - {name: ecwid, provider: ecwid, secrets: [dev-ecwid-client-secret]}
`)
	lemonBody := filepath.Join(t.TempDir(), "order.json")
	if err := os.WriteFile(lemonBody, []byte(`{"meta":{"event_name":"order_created"},"data":{"type":"orders","id":"1001","attributes":{"store_id":1,"updated_at":"2026-01-01T00:00:00.000000Z"}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	var logs logtest.Buffer
	cancel, wait := in.start(t, &logs)

	sends := []struct {
		args          []string
		subject, want string
	}{
		{[]string{"lemon", "--id", "s1", "--order", "1001"}, "webhooks.lemonsqueezy.lemon.order_created", `"status":"published"`},
		{[]string{"lemon", "--file", lemonBody}, "webhooks.lemonsqueezy.lemon.order_created", `"status":"published"`},
		{[]string{"lemon", "--file", lemonBody}, "webhooks.lemonsqueezy.lemon.order_created", `"duplicate":true`},
		{[]string{"mollie", "--id", "s2"}, "webhooks.mollie.mollie.payment-link.paid", `"status":"published"`},
		{[]string{"mollie", "--id", "s2"}, "webhooks.mollie.mollie.payment-link.paid", `"duplicate":true`},
		{[]string{"ecwid", "--id", "s3", "--order", "1003"}, "webhooks.ecwid.ecwid.order.created", `"status":"published"`},
		{[]string{"ecwid", "--id", "s3", "--order", "1003"}, "webhooks.ecwid.ecwid.order.created", `"duplicate":true`},
	}
	for _, c := range sends {
		var out bytes.Buffer
		if err := run(context.Background(), append([]string{"send", "--config", in.cfgPath}, c.args...), noEnv, &out, &out); err != nil {
			t.Fatalf("send %v: %v\n%s", c.args, err, out.String())
		}
		if !strings.Contains(out.String(), "200 OK") || !strings.Contains(out.String(), c.want) || !strings.Contains(out.String(), c.subject) {
			t.Errorf("send %v printed %q, want 200 with %s on %s", c.args, out.String(), c.want, c.subject)
		}
	}
	cancel()
	if err := wait(); err != nil {
		t.Fatal(err)
	}
	warned := 0
	for _, line := range strings.Split(logs.String(), "\n") {
		if strings.Contains(line, "UNSIGNED BODY") {
			warned++
			if !strings.Contains(line, "source=ecwid") {
				t.Errorf("unsigned-body warning for another source: %s", line)
			}
		}
	}
	if warned != 1 {
		t.Errorf("%d unsigned-body warnings at start-up, want 1 (the ecwid source)", warned)
	}
}

// TestServeAndSendBraintree: `send` posts a braintree source's sample
// notification as Braintree does (a form with bt_payload and
// bt_signature), and the bridge publishes it on the notification kind's
// subject.
func TestServeAndSendBraintree(t *testing.T) {
	in := serveSources(t, `  - name: bt
    provider: braintree
    secrets: ["send_public_key:send_private_key"]
`)
	for _, c := range []struct{ kind, subject string }{
		{"", "webhooks.braintree.bt.subscription_charged_successfully"},
		{"transaction_settled", "webhooks.braintree.bt.transaction_settled"},
	} {
		args := []string{"send", "--config", in.cfgPath, "--id", "sub_1", "bt"}
		if c.kind != "" {
			args = append(args, "--event", c.kind)
		}
		var out bytes.Buffer
		if err := run(context.Background(), args, noEnv, &out, &out); err != nil {
			t.Fatalf("send: %v\n%s", err, out.String())
		}
		for _, want := range []string{"200 OK", `"status":"published"`, c.subject} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("send printed %q, want %s in it", out.String(), want)
			}
		}
	}
}

// TestServeAndSendPayPal: `send` signs a paypal source's sample with the
// development key, as PayPal would sign with its own (the five PAYPAL-*
// headers), when the source trusts development keys; the bridge verifies
// it without fetching a certificate and publishes it on the event type's
// subject, and the same --id again is a duplicate. For a source that
// trusts PayPal's keys, send refuses and says why.
func TestServeAndSendPayPal(t *testing.T) {
	in := serveSources(t, `  - {name: pp, provider: paypal, webhook_id: 5GP028458E2496506, development_keys: true}
  - {name: live, provider: paypal, webhook_id: 1JE4291016473214C}
`)
	for _, c := range []struct {
		args          []string
		subject, want string
	}{
		{[]string{"pp", "--id", "pp1"}, "webhooks.paypal.pp.payment.capture.completed", `"status":"published"`},
		{[]string{"pp", "--id", "pp1"}, "webhooks.paypal.pp.payment.capture.completed", `"duplicate":true`},
		{[]string{"pp", "--id", "pp2", "--event", "CHECKOUT.ORDER.COMPLETED", "--order", "1001"}, "webhooks.paypal.pp.checkout.order.completed", `"status":"published"`},
	} {
		var out bytes.Buffer
		if err := run(context.Background(), append([]string{"send", "--config", in.cfgPath}, c.args...), noEnv, &out, &out); err != nil {
			t.Fatalf("send %v: %v\n%s", c.args, err, out.String())
		}
		if !strings.Contains(out.String(), "200 OK") || !strings.Contains(out.String(), c.want) || !strings.Contains(out.String(), c.subject) {
			t.Errorf("send %v printed %q, want 200 with %s on %s", c.args, out.String(), c.want, c.subject)
		}
	}
	var out bytes.Buffer
	err := run(context.Background(), []string{"send", "--config", in.cfgPath, "--dry-run", "live"}, noEnv, &out, &out)
	if err == nil || !strings.Contains(err.Error(), "development_keys: true") {
		t.Fatalf("send to a source trusting PayPal's keys = %v, want an error naming development_keys", err)
	}
}

// TestServeWarnsAboutKeysAndWeakBodies: start-up says loudly which sources
// trust the published development key (anybody can forge for them) and
// which platforms sign the body only through a CRC (PayPal), once per
// source, naming it.
func TestServeWarnsAboutKeysAndWeakBodies(t *testing.T) {
	in := newInstance(t).withSources(t, `  - {name: pp, provider: paypal, webhook_id: 5GP028458E2496506, development_keys: true}
  - {name: live, provider: paypal, webhook_id: 1JE4291016473214C}
`)
	var logs logtest.Buffer
	cancel, wait := in.start(t, &logs)
	cancel()
	if err := wait(); err != nil {
		t.Fatal(err)
	}
	count := func(what string) []string {
		var sources []string
		for line := range strings.SplitSeq(logs.String(), "\n") {
			if strings.Contains(line, what) {
				_, src, _ := strings.Cut(line, "source=")
				src, _, _ = strings.Cut(src, " ")
				sources = append(sources, src)
			}
		}
		return sources
	}
	if got := count("DEVELOPMENT KEYS"); !slices.Equal(got, []string{"pp"}) {
		t.Errorf("development-key warnings for %v, want [pp]", got)
	}
	if got := count("WEAK BODY SIGNATURE"); !slices.Equal(got, []string{"pp", "live"}) {
		t.Errorf("weak-body warnings for %v, want [pp live]", got)
	}
}

// TestServeAndSendSaleor: `send` signs a saleor source's sample with the
// development key when the source trusts it, and the bridge publishes it
// on the event's subject; the same body sent again is a duplicate (Saleor
// sends no delivery id, so it is derived from the event and the body). A
// source that does not trust the development key cannot be sent to, and
// send says why.
func TestServeAndSendSaleor(t *testing.T) {
	in := serveSources(t, `  - {name: saleor-dev, provider: saleor, api_url: "https://shop.example.test/graphql/", development_keys: true}
  - {name: saleor-live, provider: saleor, api_url: "https://live.example.test/graphql/"}
`)
	body := filepath.Join(t.TempDir(), "paid.json")
	if err := os.WriteFile(body, []byte(`{"__typename": "OrderFullyPaid", "order": {"id": "T3JkZXI6MQ=="}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args          []string
		subject, want string
	}{
		{[]string{"saleor-dev", "--id", "s1"}, "webhooks.saleor.saleor-dev.order_created", `"status":"published"`},
		{[]string{"saleor-dev", "--event", "order_fulfilled", "--order", "1001"}, "webhooks.saleor.saleor-dev.order_fulfilled", `"status":"published"`},
		{[]string{"saleor-dev", "--event", "order_fully_paid", "--file", body}, "webhooks.saleor.saleor-dev.order_fully_paid", `"status":"published"`},
		{[]string{"saleor-dev", "--event", "order_fully_paid", "--file", body}, "webhooks.saleor.saleor-dev.order_fully_paid", `"duplicate":true`},
	} {
		var out bytes.Buffer
		if err := run(context.Background(), append([]string{"send", "--config", in.cfgPath}, c.args...), noEnv, &out, &out); err != nil {
			t.Fatalf("send %v: %v\n%s", c.args, err, out.String())
		}
		for _, want := range []string{"200 OK", c.want, c.subject} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("send %v printed %q, want %s in it", c.args, out.String(), want)
			}
		}
	}
	var out bytes.Buffer
	err := run(context.Background(), []string{"send", "--config", in.cfgPath, "saleor-live"}, noEnv, &out, &out)
	if err == nil || !strings.Contains(err.Error(), "development_keys: true") {
		t.Fatalf("send to a source without development keys: %v, want an error naming development_keys", err)
	}
}

// TestServeAndSendAdobe: `send` signs an adobe source's sample event with
// the development key, addressed to the source's client id as I/O Events
// addresses it, and the bridge publishes it; a second send of the same
// event id is a duplicate. A source that fetches Adobe's keys cannot be
// signed for, and send says why before posting anything.
func TestServeAndSendAdobe(t *testing.T) {
	in := serveSources(t, `  - name: commerce
    provider: adobe
    client_id: 5f4a2b0c3d1e4f6a8b9c0d1e2f3a4b5c
    development_keys: true
  - name: commerce-live
    provider: adobe
    client_id: 5f4a2b0c3d1e4f6a8b9c0d1e2f3a4b5c
`)
	for _, c := range []struct {
		event, subject, want string
	}{
		{"", "webhooks.adobe.commerce.commerce.observer.sales_order_save_after", `"status":"published"`},
		{"", "webhooks.adobe.commerce.commerce.observer.sales_order_save_after", `"duplicate":true`},
		{"com.adobe.commerce.observer.sales_order_invoice_save_after", "webhooks.adobe.commerce.commerce.observer.sales_order_invoice_save_after", `"status":"published"`},
	} {
		args := []string{"send", "--config", in.cfgPath, "--id", "evt-" + c.event, "--order", "1001", "commerce"}
		if c.event != "" {
			args = append(args, "--event", c.event)
		}
		var out bytes.Buffer
		if err := run(context.Background(), args, noEnv, &out, &out); err != nil {
			t.Fatalf("send %v: %v\n%s", args, err, out.String())
		}
		for _, want := range []string{"200 OK", c.want, c.subject} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("send %v printed %q, want %s in it", args, out.String(), want)
			}
		}
	}
	var out bytes.Buffer
	err := run(context.Background(), []string{"send", "--config", in.cfgPath, "commerce-live"}, noEnv, &out, &out)
	if err == nil || !strings.Contains(err.Error(), "development_keys: true") || strings.Contains(out.String(), "POST") {
		t.Errorf("send to a source without development keys: %v, %q; want an error naming development_keys and no request", err, out.String())
	}
}
