package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hookbridge/hookbridge/bridge/provider"
	"github.com/hookbridge/hookbridge/cmd/internal/console/browsertest"
	"github.com/hookbridge/hookbridge/internal/logtest"
	"github.com/hookbridge/hookbridge/internal/natstest"
	"github.com/hookbridge/hookbridge/internal/sample"
)

// TestConsoleOverviewInBrowser: a real bridge serves the console at / of
// its admin listener; in headless Chromium the overview lists the source
// with its provider, the stream and readiness, and, without a reload, the
// source's published count moves after `hookbridge send`.
func TestConsoleOverviewInBrowser(t *testing.T) {
	ctx := browsertest.New(t, natstest.Within(startupWait))
	in := newInstance(t)
	in.serveUntilEnd(t)

	published := `document.querySelector('[data-count="shop/published"]')`
	if err := chromedp.Do(ctx,
		chromedp.Navigate("http://"+in.admin+"/"),
		chromedp.WaitVisible(`[data-count="shop/published"]`),
	); err != nil {
		t.Fatalf("opening the overview: %v", err)
	}
	text, err := chromedp.Run(ctx, chromedp.Text(`main`))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"shop", "shopify", "WEBHOOKS", "Ready"} {
		if !strings.Contains(text, want) {
			t.Errorf("the overview lacks %q:\n%s", want, text)
		}
	}
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[string](published+".textContent")); err != nil || n != "0" {
		t.Fatalf("published before any delivery: %q, %v", n, err)
	}

	sendOrder(t, in, "console-1", "orders/create")
	// The page brings itself up to date every few seconds; wait on the DOM.
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](published+`.textContent === "1"`, chromedp.WithPollingTimeout(natstest.Patience))); err != nil {
		t.Fatalf("the published count did not move to 1 without a reload: %v", err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelector('#stream-WEBHOOKS').textContent.includes("1 – 1")`, chromedp.WithPollingTimeout(natstest.Patience))); err != nil {
		t.Errorf("the stream's sequences did not show the stored delivery: %v", err)
	}
	browsertest.Screenshots(t, ctx, "overview")
}

// TestConsoleLeavesProbesAlone: with the console on, /healthz, /readyz and
// /metrics answer as before, without credentials, while the console itself
// asks for them.
func TestConsoleLeavesProbesAlone(t *testing.T) {
	in := newInstance(t)
	editAdmin(t, in, `console: {token: "console-token-value"}`)
	logs := in.serveUntilEnd(t)
	for path, want := range map[string]int{"/healthz": 200, "/readyz": 200, "/metrics": 200, "/": 401, "/static/console.css": 401} {
		if got := status(in.admin, path); got != want {
			t.Errorf("%s: %d, want %d", path, got, want)
		}
	}
	req, err := http.NewRequest(http.MethodGet, "http://"+in.admin+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer console-token-value")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("the console with its token: %d", resp.StatusCode)
	}
	if strings.Contains(logs.String(), "console-token-value") {
		t.Error("the token was logged")
	}
}

// editAdmin adds settings to in's admin section.
func editAdmin(t *testing.T, in instance, settings string) {
	t.Helper()
	cfg, err := os.ReadFile(in.cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	line := fmt.Sprintf("admin: {listen: %q}", in.admin)
	if !bytes.Contains(cfg, []byte(line)) {
		t.Fatalf("the config has no %s", line)
	}
	cfg = bytes.Replace(cfg, []byte(line), fmt.Appendf(nil, "admin: {listen: %q, %s}", in.admin, settings), 1)
	if err := os.WriteFile(in.cfgPath, cfg, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestConsoleSwitchedOff: with admin.console.enabled false the admin
// listener serves its three paths and nothing else.
func TestConsoleSwitchedOff(t *testing.T) {
	in := newInstance(t)
	editAdmin(t, in, "console: {enabled: false}")
	in.serveUntilEnd(t)
	for path, want := range map[string]int{"/healthz": 200, "/readyz": 200, "/metrics": 200, "/": 404, "/static/console.css": 404} {
		if got := status(in.admin, path); got != want {
			t.Errorf("%s: %d, want %d", path, got, want)
		}
	}
}

// TestConsoleDeliveriesInBrowser: in headless Chromium the Deliveries page of a real bridge
// goes live, a delivery sent with `hookbridge send` appears at its top without a reload, and
// its detail shows the CloudEvent's attributes, headers and body.
func TestConsoleDeliveriesInBrowser(t *testing.T) {
	ctx := browsertest.New(t, natstest.Within(startupWait))
	in := newInstance(t)
	in.serveUntilEnd(t)

	if err := chromedp.Do(ctx,
		chromedp.Navigate("http://"+in.admin+"/deliveries"),
		chromedp.WaitVisible(`#no-deliveries`),
	); err != nil {
		t.Fatalf("opening the deliveries: %v", err)
	}
	// The page's live view is open once the server has its consumer: only then send.
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelector('#live-status').classList.contains('on')`, chromedp.WithPollingTimeout(natstest.Patience))); err != nil {
		t.Fatalf("the live view did not open: %v", err)
	}
	sendOrder(t, in, "console-live-1", "orders/create")
	firstRow := `document.querySelector('#deliveries tbody tr')`
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](firstRow+`?.textContent.includes("console-live-1") ?? false`, chromedp.WithPollingTimeout(natstest.Patience))); err != nil {
		t.Fatalf("the delivery did not appear without a reload: %v", err)
	}
	row, err := chromedp.Run(ctx, chromedp.Evaluate[string](firstRow+`.innerText`))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"shop", "shopify", "orders.create", "webhooks.shopify.shop.orders.create"} {
		if !strings.Contains(row, want) {
			t.Errorf("the live row lacks %q: %s", want, row)
		}
	}
	if hidden, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('#no-deliveries').hidden`)); err != nil || !hidden {
		t.Errorf("the page still says there are no deliveries (%v)", err)
	}
	browsertest.Screenshots(t, ctx, "deliveries")

	if err := chromedp.Do(ctx,
		chromedp.Click(`#deliveries tbody tr a`),
		chromedp.WaitVisible(`#attributes`),
	); err != nil {
		t.Fatalf("opening the delivery: %v", err)
	}
	text, err := chromedp.Run(ctx, chromedp.Text(`main`))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"WEBHOOKS #1", "console-live-1", "com.shopify.orders.create", "specversion", "Nats-Msg-Id", "Body"} {
		if !strings.Contains(text, want) {
			t.Errorf("the detail lacks %q:\n%s", want, text)
		}
	}
	if kind, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#body')?.dataset.kind ?? ""`)); err != nil || kind != "JSON" {
		t.Errorf("the body is shown as %q, want JSON (%v)", kind, err)
	}
	browsertest.Screenshots(t, ctx, "delivery")
}

// TestConsoleLiveViewLeavesShutdownAlone: a live view left open does not hold the bridge's
// shutdown for its grace period: the console ends it as the admin listener shuts down.
func TestConsoleLiveViewLeavesShutdownAlone(t *testing.T) {
	in := newInstanceWith(t, "shutdown_grace: 2m") // longer than wait allows
	cancel, wait := in.start(t, new(logtest.Buffer))
	ctx, stop := context.WithTimeout(context.Background(), natstest.Patience)
	defer stop()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+in.admin+"/deliveries/live", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	lines := bufio.NewScanner(resp.Body)
	if !lines.Scan() || resp.StatusCode != 200 {
		t.Fatalf("the live view did not open: %d %v", resp.StatusCode, lines.Err())
	}
	cancel()
	if err := wait(); err != nil {
		t.Fatalf("run: %v", err)
	}
	for lines.Scan() {
	}
	if err := lines.Err(); err != nil {
		t.Errorf("the live view was cut rather than ended: %v", err)
	}
}

// TestConsoleSourceActivity: the overview's row of a source says when its
// last delivery was answered with success and what its last failure was,
// outcome, status and reason, as serve answered them.
func TestConsoleSourceActivity(t *testing.T) {
	in := newInstance(t)
	in.serveUntilEnd(t)
	row := func() string {
		page := get(t, in.admin, "/")
		i := strings.Index(page, `<th scope="row">shop</th>`)
		if i < 0 {
			t.Fatalf("the overview has no row for shop:\n%s", page)
		}
		return page[i : i+strings.Index(page[i:], "</tr>")]
	}
	if r := row(); strings.Count(r, "none since start") != 2 {
		t.Fatalf("before any delivery the row says:\n%s", r)
	}
	p, err := provider.New(provider.Config{Kind: "shopify", Secrets: []string{"dev-secret"}})
	if err != nil {
		t.Fatal(err)
	}
	body, hdr, err := sample.Delivery("shopify", sample.Locators{}, "", "activity-1", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Sign(body, hdr, time.Now()); err != nil {
		t.Fatal(err)
	}
	post := func(hdr http.Header) int {
		req, err := http.NewRequest(http.MethodPost, "http://"+in.hook+"/webhooks/shop", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header = hdr
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post(hdr); code != 200 {
		t.Fatalf("signed delivery: %d", code)
	}
	r := row()
	if !strings.Contains(r, `class="last-success">`) || strings.Contains(r, `class="last-success">none since start`) {
		t.Errorf("after a success the row says:\n%s", r)
	}
	forged := hdr.Clone()
	forged.Set("X-Shopify-Hmac-Sha256", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
	if code := post(forged); code != 401 {
		t.Fatalf("forged delivery: %d", code)
	}
	if r := row(); !strings.Contains(r, "unauthorized (401, mismatch)") {
		t.Errorf("after a forged delivery the row says:\n%s", r)
	}
}
