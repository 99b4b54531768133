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

// TestSendPaddleRecurlyRazorpay: `send` signs each platform's sample as
// the platform would, and a running bridge verifies and publishes it
// (200, "published", on the platform's subject); the same --id again is a
// platform retry, which the broker drops.
func TestSendPaddleRecurlyRazorpay(t *testing.T) {
	in := newInstance(t)
	appendSources(t, in.cfgPath, `  - {name: billing, provider: paddle, secrets: [pdl_ntfset_01hv6y1jedq4p1n0yqn5ba3ky4_dev-paddle-secret]}
  - {name: subs, provider: recurly, secrets: [0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0], tolerance: 5m}
  - {name: rzp, provider: razorpay, secrets: [dev-razorpay-secret]}
`)
	var logs logtest.Buffer
	cancel, wait := in.start(t, &logs)
	defer func() { cancel(); _ = wait() }()

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

// appendSources adds YAML source entries to the sources list that ends
// the config file at path.
func appendSources(t *testing.T, path, sources string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.WriteString(sources)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
}
