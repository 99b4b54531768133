package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/hookbridge/hookbridge/bridge"
	"github.com/hookbridge/hookbridge/cmd/internal/settings"
	"github.com/hookbridge/hookbridge/internal/cputime"
	"github.com/hookbridge/hookbridge/internal/natstest"
)

func noEnv(string) string { return "" }

// testBridge is a bridge served in-process from the same building blocks
// as hookbridge serve: an embedded JetStream server, EnsureStream and
// bridge.NewServer, behind a loopback HTTP server.
type testBridge struct {
	cfgPath string
	cfg     *settings.Config
	url     string // http://127.0.0.1:port
	// adminURL serves the bridge's /metrics.
	adminURL string
	natsURL  string
	js       jetstream.JetStream
}

const testConfig = `
http: {listen: "127.0.0.1:0"}
admin: {listen: "127.0.0.1:0"}
sources:
  - {name: shop, provider: shopify, secrets: ["test-shopify-secret"]}
  - {name: woo, provider: woocommerce, secrets: ["test-woo-secret"]}
  - {name: pay, provider: stripe, secrets: ["whsec_test-stripe-secret"]}
`

func startBridge(t *testing.T) *testBridge {
	t.Helper()
	ns := natstest.Start(t)
	nc, js := ns.Connect(t)
	ctx := context.Background()
	if _, err := bridge.EnsureStream(ctx, js, bridge.StreamConfig{Name: "WEBHOOKS", SubjectPrefix: "webhooks", Replicas: 1, Duplicates: time.Hour}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "hookbridge.yaml")
	if err := os.WriteFile(path, []byte(testConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := settings.Load(path, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	srcs, err := settings.BridgeSources(cfg.Sources)
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	h, err := bridge.NewServer(bridge.Config{Stream: "WEBHOOKS", SubjectPrefix: "webhooks", PublishTimeout: 5 * time.Second}, srcs, bridge.NewStreamPublisher(nc), nil, bridge.NewMetrics(reg))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Listener = bridge.GuardFraming(srv.Config, srv.Listener)
	srv.Start()
	t.Cleanup(srv.Close)
	admin := httptest.NewServer(bridge.NewAdmin(func(context.Context) error { return nil }, reg))
	t.Cleanup(admin.Close)
	return &testBridge{cfgPath: path, cfg: cfg, url: srv.URL, adminURL: admin.URL, natsURL: "nats://" + ns.Listen, js: js}
}

// TestLoadChecksTheStream is the smoke run: a few hundred signed deliveries
// of three providers with replays, and a stream check that passes.
func TestLoadChecksTheStream(t *testing.T) {
	b := startBridge(t)
	var out bytes.Buffer
	err := run(context.Background(), []string{"load",
		"--config", b.cfgPath, "--url", b.url, "--nats", b.natsURL,
		"--conns", "4", "--requests", "300", "--warmup", "0", "--replay", "0.2", "--markdown",
	}, noEnv, &out, &out)
	t.Log(out.String())
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	for _, want := range []string{
		"200 published 300",
		"200 duplicate (replay)",
		"check    PASS",
		"300 deliveries answered 2xx, 300 of them stored exactly once; lost 0, duplicated 0",
		"over 4 connections",
		"| 4 | ", // the markdown row
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q", want)
		}
	}

	// A second run against the same stream does not collide with the first.
	out.Reset()
	if err := run(context.Background(), []string{"load",
		"--config", b.cfgPath, "--url", b.url, "--nats", b.natsURL,
		"--conns", "2", "--requests", "50", "--warmup", "0", "--sources", "shop=2,pay",
	}, noEnv, &out, &out); err != nil {
		t.Fatalf("second run: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "check    PASS") || !strings.Contains(out.String(), "seq 301..350") {
		t.Errorf("second run:\n%s", out.String())
	}
}

// TestTrickle holds hostile connections open (each announcing the body
// limit and sending a byte at a time) while real deliveries go on: the
// deliveries are all stored, and the bridge's memory is sampled.
func TestTrickle(t *testing.T) {
	b := startBridge(t)
	var out bytes.Buffer
	err := run(context.Background(), []string{"load",
		"--config", b.cfgPath, "--url", b.url, "--nats", b.natsURL, "--admin", b.adminURL,
		"--conns", "2", "--requests", "200", "--warmup", "0", "--sources", "shop",
		"--trickle", "100", "--trickle-every", "100ms", "--max-rss", "4096",
	}, noEnv, &out, &out)
	t.Log(out.String())
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	for _, want := range []string{
		fmt.Sprintf("trickle  100 connections held open to /webhooks/shop, each announcing %d bytes", bridge.DefaultMaxBodyBytes),
		"200 published 200",
		"check    PASS",
		"peak RSS ",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q", want)
		}
	}
}

// TestUnexpectedStatusFails: a target that answers 503 now and then makes
// the run fail, and the status counts say why.
func TestUnexpectedStatusFails(t *testing.T) {
	b := startBridge(t) // for its config only
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1)%10 == 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	var out bytes.Buffer
	err := run(context.Background(), []string{"--config", b.cfgPath, "--target", srv.URL,
		"--conns", "2", "--requests", "40", "--warmup", "0"}, noEnv, &out, &out)
	if err == nil || !strings.Contains(err.Error(), "4 requests were not answered as expected") {
		t.Fatalf("err = %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "200 36, 503 4") {
		t.Errorf("status counts:\n%s", out.String())
	}
}

// TestPlainTarget drives the bench's plain handler for a bounded time, with
// a warm-up that sizes the pool; a plain target gets the deliveries again
// when they run out.
func TestPlainTarget(t *testing.T) {
	b := startBridge(t)
	srv := httptest.NewServer(newPlainServer().Handler)
	defer srv.Close()
	var out bytes.Buffer
	err := run(context.Background(), []string{"--config", b.cfgPath, "--target", srv.URL,
		"--conns", "3", "--duration", "300ms", "--warmup", "100ms", "--max-pool", "1000"}, noEnv, &out, &out)
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "over 3 connections") || strings.Contains(out.String(), "check") {
		t.Errorf("output:\n%s", out.String())
	}
}

func TestParseMix(t *testing.T) {
	b := startBridge(t)
	m, err := parseMix("shop=3, pay", b.cfg)
	if err != nil {
		t.Fatal(err)
	}
	if m.String() != "shop=3,pay" || !slices.Equal(m.schedule, []int{0, 0, 0, 1}) {
		t.Errorf("mix %s %v", m, m.schedule)
	}
	for _, bad := range []string{"nope", "shop=0", "shop=x"} {
		if _, err := parseMix(bad, b.cfg); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if m, err := parseMix("", b.cfg); err != nil || m.String() != "shop,woo,pay" {
		t.Errorf("default mix %v %v", m, err)
	}
}

func TestProcCounters(t *testing.T) {
	// Burn a little CPU: /proc counts in 10ms ticks.
	busy := 0
	for i := 0; i < 1e10 && cputime.Self() < 50*time.Millisecond; i++ {
		for j := range 10_000 {
			busy += j % 7
		}
	}
	_ = busy
	if cpu, err := procCPU(os.Getpid()); err != nil || cpu <= 0 {
		t.Errorf("procCPU = %v, %v", cpu, err)
	}
	if rss, err := peakRSS(os.Getpid()); err != nil || rss < 1<<20 {
		t.Errorf("peakRSS = %v, %v", rss, err)
	}
	if cputime.Self() <= 0 {
		t.Error("selfCPU")
	}
}

func TestWarnStale(t *testing.T) {
	b := startBridge(t)
	m, err := parseMix("shop,pay", b.cfg)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	warnStale(&out, b.cfg, m, 10*time.Second)
	if out.Len() != 0 {
		t.Errorf("a 10s run warned: %q", out.String())
	}
	warnStale(&out, b.cfg, m, 6*time.Minute)
	if !strings.Contains(out.String(), "source pay") || strings.Contains(out.String(), "source shop") {
		t.Errorf("a 6m run with a stripe source: %q", out.String())
	}
}
