package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
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
