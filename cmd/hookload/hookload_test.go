package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/hookbridge/hookbridge/bridge"
	"github.com/hookbridge/hookbridge/cmd/internal/settings"
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
	_, js := ns.Connect(t)
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
	h, err := bridge.NewServer(bridge.Config{Stream: "WEBHOOKS", SubjectPrefix: "webhooks", PublishTimeout: 5 * time.Second}, srcs, js, nil, bridge.NewMetrics(reg))
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
		"trickle  100 connections held open to /webhooks/shop, each announcing 1048576 bytes",
		"200 published 200",
		"check    PASS",
		"peak RSS ",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q", want)
		}
	}
}

// TestCheckFindsLostAndDuplicated feeds the check a stream where one
// answered delivery is missing, then one where one is stored twice.
func TestCheckFindsLostAndDuplicated(t *testing.T) {
	b := startBridge(t)
	ctx := context.Background()
	m, err := parseMix("shop,woo,pay", b.cfg)
	if err != nil {
		t.Fatal(err)
	}
	fromSeq, err := streamStart(ctx, b.js, "WEBHOOKS")
	if err != nil {
		t.Fatal(err)
	}
	runID := newRunID()
	rc := runConfig{BaseURL: b.url, Conns: 3, Duration: time.Minute, Bridge: true}
	lr, err := measure(ctx, m, rc, measureConfig{RunID: runID, Requests: 30, Body: 512, MaxPool: 100}, t.Output())
	if err != nil {
		t.Fatal(err)
	}
	rep, err := checkStream(ctx, b.js, "WEBHOOKS", fromSeq, runID, lr.sets()...)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.ok() || rep.Answered != 30 || rep.Once != 30 {
		t.Fatalf("untouched stream: %s", rep)
	}
	if err := verdict(lr, rep); err != nil {
		t.Fatalf("verdict of a clean run: %v", err)
	}

	str, err := b.js.Stream(ctx, "WEBHOOKS")
	if err != nil {
		t.Fatal(err)
	}
	// Missing: delete one stored delivery.
	if err := str.DeleteMsg(ctx, fromSeq+7); err != nil {
		t.Fatal(err)
	}
	rep, err = checkStream(ctx, b.js, "WEBHOOKS", fromSeq, runID, lr.sets()...)
	if err != nil {
		t.Fatal(err)
	}
	if rep.ok() || rep.Lost != 1 || rep.Duplicated != 0 || rep.Once != 29 {
		t.Fatalf("one deleted: %s", rep)
	}
	if err := verdict(lr, rep); !errors.Is(err, errCheckFailed) {
		t.Fatalf("verdict with a lost delivery: %v", err)
	}

	// Duplicated: shrink the dedup window so that one delivery can be
	// stored a second time under its own Nats-Msg-Id.
	orig, err := str.GetMsg(ctx, fromSeq+8)
	if err != nil {
		t.Fatal(err)
	}
	cfg := str.CachedInfo().Config
	cfg.Duplicates = 100 * time.Millisecond
	if _, err := b.js.UpdateStream(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	id := orig.Header.Get(jetstream.MsgIDHeader)
	natstest.Eventually(t, natstest.Patience, "the dedup window to forget "+id, func() bool {
		ack, err := b.js.PublishMsg(ctx, &nats.Msg{Subject: orig.Subject, Header: orig.Header, Data: orig.Data}, jetstream.WithMsgID(id))
		return err == nil && !ack.Duplicate
	})
	rep, err = checkStream(ctx, b.js, "WEBHOOKS", fromSeq, runID, lr.sets()...)
	if err != nil {
		t.Fatal(err)
	}
	if rep.ok() || rep.Lost != 1 || rep.Duplicated != 1 || !strings.Contains(rep.String(), id+" stored 2 times") {
		t.Fatalf("one deleted, one stored twice: %s", rep)
	}

	// A message with this run's id that is none of its deliveries.
	if _, err := b.js.PublishMsg(ctx, &nats.Msg{Subject: "webhooks.shopify.shop.x", Data: []byte("{}")}, jetstream.WithMsgID("shop:"+runID+"-stray")); err != nil {
		t.Fatal(err)
	}
	rep, err = checkStream(ctx, b.js, "WEBHOOKS", fromSeq, runID, lr.sets()...)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Unknown != 1 {
		t.Fatalf("stray message: %s", rep)
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

func TestHistogramQuantilesAreExactInRank(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var h histogram
	var values []uint64
	for range 200_000 {
		// Log-normal around 3ms, with a tail into seconds.
		us := uint64(math.Exp(rng.NormFloat64()*1.2 + math.Log(3000)))
		h.record(time.Duration(us) * time.Microsecond)
		values = append(values, us)
	}
	slices.Sort(values)
	for _, q := range []float64{0.5, 0.9, 0.99, 0.999, 1} {
		rank := int(math.Ceil(q * float64(len(values))))
		exact := values[rank-1]
		got := uint64(h.quantile(q) / time.Microsecond)
		if got < exact || float64(got-exact) > float64(exact)/1024 {
			t.Errorf("q%v = %dµs, exact %dµs", q, got, exact)
		}
	}
	if h.maxValue() != time.Duration(values[len(values)-1])*time.Microsecond {
		t.Errorf("max %s", h.maxValue())
	}
	for i := range histBuckets {
		if histIndex(histHighest(i)) != i || (i > 0 && histIndex(histHighest(i-1)+1) != i) {
			t.Fatalf("bucket %d: highest %d maps to %d", i, histHighest(i), histIndex(histHighest(i)))
		}
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

// TestBenchConfigs: the configs the bench writes are valid for hookbridge
// and for nats-server.
func TestBenchConfigs(t *testing.T) {
	dir := t.TempDir()
	for _, url := range []string{"", "nats://127.0.0.1:4222"} {
		cfg, err := settings.Parse([]byte(benchConfig(benchPorts{8080, 9090, 4222}, url, dir, true, "info")), dir, noEnv)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.NATS.URL != url || !cfg.NATS.Embedded.SyncAlways || len(cfg.Sources) != 6 {
			t.Errorf("config %+v", cfg.NATS)
		}
	}
	for _, sync := range []bool{false, true} {
		path := filepath.Join(dir, fmt.Sprintf("nats-%t.conf", sync))
		if err := os.WriteFile(path, []byte(natsServerConfig(4222, filepath.Join(dir, "js"), sync)), 0o600); err != nil {
			t.Fatal(err)
		}
		opts, err := server.ProcessConfigFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if opts.SyncAlways != sync || opts.StoreDir != filepath.Join(dir, "js") || opts.Host != "127.0.0.1" || opts.Port != 4222 {
			t.Errorf("sync %t: %+v", sync, opts)
		}
	}
}

func TestProcCounters(t *testing.T) {
	// Burn a little CPU: /proc counts in 10ms ticks.
	busy := 0
	for i := 0; i < 1e10 && selfCPU() < 50*time.Millisecond; i++ {
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
	if selfCPU() <= 0 {
		t.Error("selfCPU")
	}
}

// TestMain lets the bench run this test binary as its plain-server child.
func TestMain(m *testing.M) {
	if os.Getenv("HOOKLOAD_TEST_AS_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// TestBenchSmoke runs the whole bench briefly: it builds nats-server and
// hookbridge, starts every child, measures, checks, and cleans up.
func TestBenchSmoke(t *testing.T) {
	if os.Getenv("HOOKLOAD_BENCH_SMOKE") == "" {
		t.Skip("set HOOKLOAD_BENCH_SMOKE=1 to run the bench briefly (builds nats-server and hookbridge, ~15s)")
	}
	t.Setenv("HOOKLOAD_TEST_AS_MAIN", "1") // for the plain-server child
	logs := t.TempDir()
	var out bytes.Buffer
	err := run(t.Context(), []string{"bench", "--duration", "400ms", "--warmup", "200ms", "--conns", "4",
		"--only", "a,b,c,d-sync", "--bridge-log-level", "warn", "--logs", logs, "--markdown"}, noEnv, &out, &out)
	t.Log(out.String())
	if err != nil {
		t.Fatalf("bench: %v", err)
	}
	for _, want := range []string{
		"| a plain net/http | ", "| b raw JetStream publish | ", "| c hookbridge + external nats-server | ",
		"| d-sync hookbridge, embedded nats, fsync | ", "| zero lost / duplicated | lost 0, duplicated 0",
		"nats-server: v2.15.2",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q", want)
		}
	}
	for _, name := range []string{"a-plain-server.log", "b-nats-server.log", "c-hookbridge.log", "d-sync-hookbridge.log"} {
		if _, err := os.Stat(filepath.Join(logs, name)); err != nil {
			t.Errorf("log: %v", err)
		}
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
