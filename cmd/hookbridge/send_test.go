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

// TestSendNewKinds: `hookbridge send` signs a bigcommerce, shopware and
// chargebee source's sample delivery as the platform would, and a running
// bridge publishes each (200, published, on the platform's subject).
func TestSendNewKinds(t *testing.T) {
	in := newInstance(t)
	f, err := os.OpenFile(in.cfgPath, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.WriteString(`  - {name: bc, provider: bigcommerce, secrets: [bc-send-client-secret]}
  - {name: sware, provider: shopware, secrets: [sw-send-shop-secret]}
  - {name: cb, provider: chargebee, secrets: ["cb-user:cb-send-password"]}
`)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
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
