package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookbridge/hookbridge/bridge"
	"github.com/hookbridge/hookbridge/cmd/internal/settings"
)

// benchFlags are the bench command's settings.
type benchFlags struct {
	duration   time.Duration
	warmup     time.Duration
	conns      int
	body       int
	sources    string
	replay     float64
	window     int
	maxPool    int
	only       string
	rounds     int
	markdown   bool
	bridgeLog  string
	natsBin    string
	bridgeBin  string
	logDir     string
	stopGrace  time.Duration
	readyLimit time.Duration
}

type variantKind int

const (
	kindPlain    variantKind = iota // (a) plain net/http
	kindRaw                         // (b) raw JetStream async publishing, in this process
	kindExternal                    // (c) hookbridge with an external nats-server
	kindEmbedded                    // (d) hookbridge with its embedded server
)

type variant struct {
	key  string
	name string
	kind variantKind
	sync bool // fsync before the PubAck
}

// variants run in this order, one after another.
var variants = []variant{
	{"a", "plain net/http", kindPlain, false},
	{"b", "raw JetStream publish", kindRaw, false},
	{"c", "hookbridge + external nats-server", kindExternal, false},
	{"d", "hookbridge, embedded nats", kindEmbedded, false},
	{"b-sync", "raw JetStream publish, fsync", kindRaw, true},
	{"c-sync", "hookbridge + external nats-server, fsync", kindExternal, true},
	{"d-sync", "hookbridge, embedded nats, fsync", kindEmbedded, true},
}

// procFigures is one process's share of a measured window.
type procFigures struct {
	label string
	cpu   time.Duration
	hwm   uint64 // peak RSS; 0 for the load tool
}

// benchRow is one variant's figures.
type benchRow struct {
	v          variant
	round      int
	requests   uint64
	elapsed    time.Duration
	rate       float64
	lat        histogram
	procs      []procFigures
	status     string
	unexpected uint64
	check      *checkReport
	stored     string // raw variants: what the stream holds
	notes      []string
	err        error
}

func (r *benchRow) cpuPerReq(label string) (time.Duration, bool) {
	for _, p := range r.procs {
		if p.label == label && r.requests > 0 {
			return p.cpu / time.Duration(r.requests), true
		}
	}
	return 0, false
}

// bench runs every variant with the same load, one after another, and
// prints each one's figures and their ratios against plain net/http.
// Children (the plain server, nats-server, hookbridge) are stopped, and the
// work directory removed, on every way out; the children's logs are kept.
func bench(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, `Usage: hookload bench [flags]

Measures, one after another and with the same load tool and deliveries:
  a       a plain net/http handler that reads the body and answers 200 (hookload plain-server)
  b       raw JetStream publishing of the same bodies (PublishMsgAsync, bounded window, WithMsgID)
  c       hookbridge with an external nats-server
  d       hookbridge with its embedded nats-server
  b-sync, c-sync, d-sync: the same with an fsync before every PubAck
Run it from the hookbridge checkout: it builds nats-server and ./cmd/hookbridge.

Flags:`)
		fs.PrintDefaults()
	}
	var f benchFlags
	fs.DurationVar(&f.duration, "duration", 15*time.Second, "measured time per variant")
	fs.DurationVar(&f.warmup, "warmup", 2*time.Second, "warm-up per variant, before the measured time")
	fs.IntVar(&f.conns, "conns", 64, "keep-alive connections")
	fs.IntVar(&f.body, "body", 1024, "body size in bytes")
	fs.StringVar(&f.sources, "sources", "acme-shop,acme-woo,billing", "provider mix (shopify, woocommerce, stripe by default); the bench config has acme-shop, acme-woo, billing, invoices, github, razorpay")
	fs.Float64Var(&f.replay, "replay", 0, "share of answered deliveries re-sent as platform retries")
	fs.IntVar(&f.window, "window", 256, "raw JetStream: publishes awaiting their PubAck at most")
	fs.IntVar(&f.maxPool, "max-pool", 1_000_000, "most deliveries pre-generated (about 2 KiB each)")
	fs.IntVar(&f.rounds, "rounds", 1, "run the variants this many times, interleaved (a b c d ... a b c d ...); the summary gives medians, which a shared machine needs")
	fs.StringVar(&f.only, "only", "", "run only these variants, comma-separated (e.g. a,c,d); default all")
	fs.BoolVar(&f.markdown, "markdown", false, "print the summary as markdown, to paste into BENCHMARKS.md")
	fs.StringVar(&f.bridgeLog, "bridge-log-level", "info", "hookbridge's log.level (info logs one line per delivery, as shipped)")
	fs.StringVar(&f.natsBin, "nats-server", "", "nats-server binary (default: go build github.com/nats-io/nats-server/v2 from this module)")
	fs.StringVar(&f.bridgeBin, "hookbridge", "", "hookbridge binary (default: go build ./cmd/hookbridge)")
	fs.StringVar(&f.logDir, "logs", "", "directory for the children's logs (default: a new temporary directory, kept)")
	f.stopGrace = 15 * time.Second
	f.readyLimit = 30 * time.Second
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("bench: unexpected argument %q", fs.Arg(0))
	}
	if f.window < 1 || f.window > 4096 {
		return fmt.Errorf("bench: --window %d: want 1 to 4096", f.window)
	}
	if f.rounds < 1 || f.rounds > 20 {
		return fmt.Errorf("bench: --rounds %d: want 1 to 20", f.rounds)
	}
	selected, err := selectVariants(f.only)
	if err != nil {
		return err
	}

	work, err := os.MkdirTemp("", "hookload-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	if f.logDir == "" {
		if f.logDir, err = os.MkdirTemp("", "hookload-bench-logs-"); err != nil {
			return err
		}
	} else if err := os.MkdirAll(f.logDir, 0o755); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "children's logs: %s\n", f.logDir)

	b := &benchRun{f: f, work: work, out: stdout}
	defer b.stopAll()
	if err := b.prepare(ctx, selected, getenv); err != nil {
		return err
	}
	b.printHeader(append([]string{"bench"}, args...))

	for round := 1; round <= f.rounds; round++ {
		for _, v := range selected {
			if ctx.Err() != nil {
				break
			}
			if f.rounds > 1 {
				fmt.Fprintf(stdout, "\n== %s: %s (round %d of %d) ==\n", v.key, v.name, round, f.rounds)
			} else {
				fmt.Fprintf(stdout, "\n== %s: %s ==\n", v.key, v.name)
			}
			// A fresh store per variant and round, removed once its
			// children have stopped (a raw run stores a gigabyte).
			dir := filepath.Join(b.work, fmt.Sprintf("%s-%d", v.key, round))
			row := b.runVariant(ctx, v, dir)
			row.round = round
			b.stopAll()
			if err := os.RemoveAll(dir); err != nil {
				fmt.Fprintf(stdout, "note     %v\n", err)
			}
			if row.err != nil {
				fmt.Fprintf(stdout, "ERROR    %v\n", row.err)
			}
			b.rows = append(b.rows, row)
		}
	}
	if ctx.Err() != nil {
		return fmt.Errorf("bench interrupted: %w", ctx.Err())
	}
	fmt.Fprintln(stdout)
	if f.markdown {
		b.printMarkdown(stdout)
	} else {
		b.printSummary(stdout)
	}
	fmt.Fprintf(stdout, "\nchildren's logs: %s (%s; kept: remove them when done)\n", f.logDir, dirSize(f.logDir))
	var errs []error
	for _, r := range b.rows {
		switch {
		case r.err != nil:
			errs = append(errs, fmt.Errorf("%s: %w", r.v.key, r.err))
		case r.unexpected > 0:
			errs = append(errs, fmt.Errorf("%s: %d requests not answered as expected", r.v.key, r.unexpected))
		case r.check != nil && !r.check.ok():
			errs = append(errs, fmt.Errorf("%s: %w", r.v.key, errCheckFailed))
		}
	}
	return errors.Join(errs...)
}

func selectVariants(only string) ([]variant, error) {
	if strings.TrimSpace(only) == "" {
		return variants, nil
	}
	var keys []string
	for _, v := range variants {
		keys = append(keys, v.key)
	}
	want := map[string]bool{}
	for k := range strings.SplitSeq(only, ",") {
		k = strings.TrimSpace(k)
		if !slices.Contains(keys, k) {
			return nil, fmt.Errorf("bench: --only: no variant %q (have %s)", k, strings.Join(keys, ", "))
		}
		want[k] = true
	}
	var out []variant
	for _, v := range variants {
		if want[v.key] {
			out = append(out, v)
		}
	}
	return out, nil
}

// benchRun is one bench invocation's state.
type benchRun struct {
	f        benchFlags
	work     string
	out      io.Writer
	self     string // this program, for plain-server
	natsBin  string
	hbBin    string
	modRoot  string
	mix      *mix
	sigCfg   string // the config the deliveries are signed from
	pool     []delivery
	runID    string
	children []*child
	rows     []*benchRow
	info     []string // header lines
}

func (b *benchRun) stopAll() {
	// hookbridge before its broker, so that it drains cleanly.
	for i := len(b.children) - 1; i >= 0; i-- {
		b.children[i].stop(b.f.stopGrace)
	}
	b.children = nil
}

func (b *benchRun) start(name, bin string, args ...string) (*child, error) {
	c, err := startChild(name, b.f.logDir, bin, args...)
	if err != nil {
		return nil, err
	}
	b.children = append(b.children, c)
	return c, nil
}

// prepare builds the binaries the selected variants need and the signing
// config, and gathers the header facts.
func (b *benchRun) prepare(ctx context.Context, selected []variant, getenv func(string) string) error {
	var err error
	if b.self, err = os.Executable(); err != nil {
		return err
	}
	needNats, needBridge := false, false
	for _, v := range selected {
		needNats = needNats || v.kind == kindRaw || v.kind == kindExternal
		needBridge = needBridge || v.kind == kindExternal || v.kind == kindEmbedded
	}
	if needNats || needBridge {
		out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
		if err != nil {
			return fmt.Errorf("bench: go env GOMOD: %w", err)
		}
		gomod := strings.TrimSpace(string(out))
		if gomod == "" || gomod == os.DevNull {
			return errors.New("bench: run it from the hookbridge checkout (it builds nats-server and ./cmd/hookbridge from the module)")
		}
		b.modRoot = filepath.Dir(gomod)
	}
	b.natsBin, b.hbBin = b.f.natsBin, b.f.bridgeBin
	if needNats && b.natsBin == "" {
		b.natsBin = filepath.Join(b.work, "nats-server")
		if err := b.goBuild(ctx, b.natsBin, "github.com/nats-io/nats-server/v2"); err != nil {
			return err
		}
	}
	if needBridge && b.hbBin == "" {
		b.hbBin = filepath.Join(b.work, "hookbridge")
		if err := b.goBuild(ctx, b.hbBin, "./cmd/hookbridge"); err != nil {
			return err
		}
	}

	b.sigCfg = filepath.Join(b.work, "sources.yaml")
	if err := os.WriteFile(b.sigCfg, []byte(benchConfig(benchPorts{1, 2, 3}, "", b.work, false, "warn")), 0o600); err != nil {
		return err
	}
	cfg, err := settings.Load(b.sigCfg, getenv)
	if err != nil {
		return fmt.Errorf("bench: the generated config: %w", err)
	}
	if b.mix, err = parseMix(b.f.sources, cfg); err != nil {
		return err
	}
	b.runID = newRunID()

	b.info = append(b.info, "date: "+time.Now().UTC().Format("2006-01-02 15:04 MST"))
	b.info = append(b.info, fmt.Sprintf("machine: %d cores (%s), %s RAM, load average before: %s",
		runtime.NumCPU(), cpuModel(), memTotal(), loadAvg()))
	b.info = append(b.info, "go: "+runtime.Version())
	if b.natsBin != "" {
		v, _ := exec.CommandContext(ctx, b.natsBin, "--version").Output()
		b.info = append(b.info, "nats-server: "+strings.TrimPrefix(strings.TrimSpace(string(v)), "nats-server: "))
	}
	if b.modRoot != "" {
		b.info = append(b.info, "hookbridge: commit "+gitDescribe(ctx, b.modRoot))
	}
	b.info = append(b.info, fmt.Sprintf("load: %d connections, %d B bodies, sources %s, replay %.2f, warm-up %s + %s measured per variant, %d round(s), file storage",
		b.f.conns, b.f.body, b.mix, b.f.replay, b.f.warmup, b.f.duration, b.f.rounds))
	return nil
}

func (b *benchRun) goBuild(ctx context.Context, out, pkg string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, pkg)
	cmd.Dir = b.modRoot
	if msg, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("bench: go build %s: %w\n%s", pkg, err, msg)
	}
	return nil
}

func (b *benchRun) printHeader(cmdline []string) {
	fmt.Fprintln(b.out, "command: go run ./cmd/hookload "+strings.Join(cmdline, " "))
	for _, l := range b.info {
		fmt.Fprintln(b.out, l)
	}
	fmt.Fprintln(b.out, "the machine is shared: compare ratios taken in the same run, not absolute figures across runs")
}

// benchPorts are one variant's loopback ports.
type benchPorts struct{ http, admin, nats int }

func newPorts() (benchPorts, error) {
	var p benchPorts
	var errs [3]error
	p.http, errs[0] = freePort()
	p.admin, errs[1] = freePort()
	p.nats, errs[2] = freePort()
	return p, errors.Join(errs[:]...)
}

// benchConfig is hookbridge's config for one variant: natsURL empty means
// the embedded server at p.nats with its store in storeDir. Every source
// signs with a fixed bench secret; the timestamp tolerance is an hour so
// that deliveries signed at the start stay valid through the whole bench.
func benchConfig(p benchPorts, natsURL, storeDir string, sync bool, logLevel string) string {
	return fmt.Sprintf(`# generated by hookload bench
log: {level: %s, format: json}
http: {listen: "127.0.0.1:%d"}
admin: {listen: "127.0.0.1:%d"}
nats:
  url: %q
  embedded: {listen: "127.0.0.1:%d", store_dir: %q, sync_always: %t}
  stream: WEBHOOKS
  subject_prefix: webhooks
  replicas: 1
  duplicate_window: 24h
  publish_timeout: 3s
sources:
  - {name: acme-shop, provider: shopify, secrets: ["bench-shopify-secret"]}
  - {name: acme-woo, provider: woocommerce, secrets: ["bench-woocommerce-secret"]}
  - {name: billing, provider: stripe, secrets: ["whsec_bench-stripe-secret"], tolerance: 1h}
  - {name: invoices, provider: standardwebhooks, secrets: ["whsec_YmVuY2gtc3RhbmRhcmQtd2ViaG9va3Mtc2VjcmV0"], tolerance: 1h}
  - {name: github, provider: github, secrets: ["bench-github-secret"]}
  - name: razorpay
    provider: hmac
    secrets: ["bench-razorpay-secret"]
    hmac: {header: X-Razorpay-Signature, algorithm: sha256, encoding: hex, id: "header:X-Razorpay-Event-Id", type: "json:event", source: "json:account_id", time: "json:created_at"}
`, logLevel, p.http, p.admin, natsURL, p.nats, storeDir, sync)
}

// natsServerConfig is the external nats-server's config: loopback only,
// JetStream in storeDir, and with sync an fsync before every PubAck
// (jetstream { sync_interval: always }, which has no command-line flag).
func natsServerConfig(port int, storeDir string, sync bool) string {
	js := fmt.Sprintf("store_dir: %q", storeDir)
	if sync {
		js += "\n  sync_interval: always"
	}
	return fmt.Sprintf("# generated by hookload bench\nserver_name: bench\nlisten: \"127.0.0.1:%d\"\nmax_payload: %d\njetstream {\n  %s\n}\n",
		port, 1<<20+16<<10, js)
}

// runVariant starts the variant's children, warms up, measures, reads the
// processes' counters, checks the stream and returns the figures.
func (b *benchRun) runVariant(ctx context.Context, v variant, dir string) *benchRow {
	row := &benchRow{v: v}
	if row.err = os.MkdirAll(dir, 0o755); row.err != nil {
		return row
	}
	p, err := newPorts()
	if err != nil {
		row.err = err
		return row
	}
	natsURL := fmt.Sprintf("nats://127.0.0.1:%d", p.nats)
	var procs []*child
	var labels []string

	if v.kind == kindRaw || v.kind == kindExternal {
		conf := filepath.Join(dir, "nats-server.conf")
		if row.err = os.WriteFile(conf, []byte(natsServerConfig(p.nats, filepath.Join(dir, "nats"), v.sync)), 0o600); row.err != nil {
			return row
		}
		ns, err := b.start(v.key+"-nats-server", b.natsBin, "-c", conf)
		if err != nil {
			row.err = err
			return row
		}
		fmt.Fprintf(b.out, "started  nats-server -c %s (pid %d, JetStream on %s)\n", conf, ns.pid(), natsURL)
		if row.err = ns.waitReady(ctx, b.f.readyLimit, "JetStream", func() bool { return jetStreamUp(ctx, natsURL) }); row.err != nil {
			return row
		}
		procs, labels = append(procs, ns), append(labels, "nats-server")
	}
	switch v.kind {
	case kindPlain:
		addr := fmt.Sprintf("127.0.0.1:%d", p.http)
		c, err := b.start(v.key+"-plain-server", b.self, "plain-server", "--listen", addr)
		if err != nil {
			row.err = err
			return row
		}
		fmt.Fprintf(b.out, "started  hookload plain-server --listen %s (pid %d)\n", addr, c.pid())
		if row.err = c.waitReady(ctx, b.f.readyLimit, "/healthz 200", func() bool { return httpOK("http://" + addr + "/healthz") }); row.err != nil {
			return row
		}
		procs, labels = append(procs, c), append(labels, "plain-server")
	case kindExternal, kindEmbedded:
		url := natsURL
		if v.kind == kindEmbedded {
			url = ""
		}
		cfgPath := filepath.Join(dir, "hookbridge.yaml")
		if row.err = os.WriteFile(cfgPath, []byte(benchConfig(p, url, filepath.Join(dir, "jetstream"), v.sync, b.f.bridgeLog)), 0o600); row.err != nil {
			return row
		}
		hb, err := b.start(v.key+"-hookbridge", b.hbBin, "--config", cfgPath)
		if err != nil {
			row.err = err
			return row
		}
		fmt.Fprintf(b.out, "started  hookbridge --config %s (pid %d)\n", cfgPath, hb.pid())
		readyz := fmt.Sprintf("http://127.0.0.1:%d/readyz", p.admin)
		if row.err = hb.waitReady(ctx, b.f.readyLimit, "/readyz 200", func() bool { return httpOK(readyz) }); row.err != nil {
			return row
		}
		procs, labels = append(procs, hb), append(labels, "hookbridge")
	}

	var before []time.Duration
	var selfBefore time.Duration
	snapshot := func() {
		before = before[:0]
		for _, c := range procs {
			cpu, _ := procCPU(c.pid())
			before = append(before, cpu)
		}
		selfBefore = selfCPU()
	}
	collect := func() {
		selfAfter := selfCPU()
		for i, c := range procs {
			cpu, err := procCPU(c.pid())
			if err != nil {
				row.notes = append(row.notes, fmt.Sprintf("%s CPU: %v", labels[i], err))
			}
			hwm, _ := peakRSS(c.pid())
			row.procs = append(row.procs, procFigures{label: labels[i], cpu: cpu - before[i], hwm: hwm})
		}
		row.procs = append(row.procs, procFigures{label: "hookload", cpu: selfAfter - selfBefore})
	}

	if v.kind == kindRaw {
		b.measureRaw(ctx, row, natsURL, snapshot, collect)
	} else {
		b.measureHTTP(ctx, row, p, natsURL, snapshot, collect)
	}
	if row.err == nil {
		b.printRow(row)
	}
	return row
}

func (b *benchRun) measureHTTP(ctx context.Context, row *benchRow, p benchPorts, natsURL string, snapshot, collect func()) {
	v := row.v
	isBridge := v.kind != kindPlain
	rc := runConfig{
		BaseURL: fmt.Sprintf("http://127.0.0.1:%d", p.http), Conns: b.f.conns, Duration: b.f.duration,
		Replay: b.f.replay, Timeout: 30 * time.Second, Bridge: isBridge,
	}
	var js jetstream.JetStream
	var fromSeq uint64
	if isBridge {
		nc, err := nats.Connect(natsURL, nats.Name("hookload-check"), nats.Timeout(5*time.Second))
		if err != nil {
			row.err = fmt.Errorf("connecting for the check: %w", err)
			return
		}
		defer nc.Close()
		if js, err = jetstream.New(nc); err != nil {
			row.err = err
			return
		}
		if fromSeq, err = streamStart(ctx, js, bridge.DefaultStream); err != nil {
			row.err = err
			return
		}
	}
	runID := b.runID + "-" + v.key
	lr, err := measure(ctx, b.mix, rc, measureConfig{
		RunID: runID, Warmup: b.f.warmup, MaxPool: b.f.maxPool, Body: b.f.body,
		Margin: margin(rc), Pool: b.pool, Before: snapshot, After: collect,
	}, b.out)
	if err != nil {
		row.err = err
		return
	}
	if lr.generated > 0 {
		b.pool = lr.mainDs
	}
	r := lr.main
	row.requests, row.elapsed, row.rate, row.lat = r.Requests, r.Elapsed, r.rate(), r.Latency
	row.status, row.unexpected = statusLine(r.Status), r.Unexpected
	if lr.warm != nil {
		row.unexpected += lr.warm.Unexpected
	}
	if r.Dials != uint64(rc.Conns) {
		row.notes = append(row.notes, fmt.Sprintf("%d connections dialled for %d workers", r.Dials, rc.Conns))
	}
	printRun(b.out, "run", rc, r)
	if isBridge {
		checkCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		defer cancel()
		rep, err := checkStream(checkCtx, js, bridge.DefaultStream, fromSeq, runID, lr.sets()...)
		if err != nil {
			row.err = err
			return
		}
		row.check = rep
		fmt.Fprintln(b.out, "check    "+rep.String())
	}
}

func (b *benchRun) measureRaw(ctx context.Context, row *benchRow, natsURL string, snapshot, collect func()) {
	if len(b.pool) == 0 {
		ds, err := b.mix.generate(b.runID+"-raw-", 50_000, b.f.body, time.Now())
		if err != nil {
			row.err = err
			return
		}
		b.pool = ds
	}
	nc, err := nats.Connect(natsURL, nats.Name("hookload-raw"), nats.Timeout(5*time.Second))
	if err != nil {
		row.err = err
		return
	}
	defer nc.Close()
	js, err := jetstream.New(nc,
		jetstream.WithPublishAsyncMaxPending(b.f.window),
		jetstream.WithPublishAsyncTimeout(10*time.Second))
	if err != nil {
		row.err = err
		return
	}
	// The very stream hookbridge creates.
	setup, cancel := context.WithTimeout(ctx, 10*time.Second)
	st, err := bridge.EnsureStream(setup, js, bridge.StreamConfig{Name: bridge.DefaultStream, SubjectPrefix: bridge.DefaultSubjectPrefix, Replicas: bridge.DefaultReplicas, Duplicates: bridge.DefaultDuplicateWindow})
	cancel()
	if err != nil {
		row.err = err
		return
	}
	if b.f.warmup > 0 {
		w := rawPublish(ctx, js, bridge.DefaultSubjectPrefix, "@w", b.pool, b.f.warmup, b.f.window)
		fmt.Fprintf(b.out, "warm-up  %s\n", w)
	}
	runtime.GC()
	snapshot()
	r := rawPublish(ctx, js, bridge.DefaultSubjectPrefix, "", b.pool, b.f.duration, b.f.window)
	collect()
	row.requests, row.elapsed, row.rate, row.lat = r.Published, r.Elapsed, r.rate(), r.Latency
	row.status = fmt.Sprintf("PubAck %d", r.Published)
	if r.Duplicates > 0 || r.Errors > 0 {
		row.status += fmt.Sprintf(" | duplicate %d | error %d", r.Duplicates, r.Errors)
		row.unexpected = r.Duplicates + r.Errors
	}
	fmt.Fprintf(b.out, "run      %s (window %d)\n", r, b.f.window)
	info, err := st.Info(ctx)
	if err != nil {
		row.err = err
		return
	}
	row.stored = fmt.Sprintf("%d messages stored (warm-up included)", info.State.Msgs)
	fmt.Fprintf(b.out, "stream   %s\n", row.stored)
}

func (b *benchRun) printRow(r *benchRow) {
	var parts []string
	var total time.Duration
	for _, p := range r.procs {
		per, _ := r.cpuPerReq(p.label)
		total += per
		parts = append(parts, fmt.Sprintf("%s %s/req", p.label, fmtCPU(per)))
	}
	var busy time.Duration
	for _, p := range r.procs {
		busy += p.cpu
	}
	fmt.Fprintf(b.out, "cpu      %s (all %s/req; %.2f cores busy of %d)\n",
		strings.Join(parts, ", "), fmtCPU(total), busy.Seconds()/r.elapsed.Seconds(), runtime.NumCPU())
	var rss []string
	for _, p := range r.procs {
		if p.hwm > 0 {
			rss = append(rss, fmt.Sprintf("%s %s", p.label, fmtMiB(p.hwm)))
		}
	}
	fmt.Fprintf(b.out, "peak RSS %s\n", strings.Join(rss, ", "))
	for _, n := range r.notes {
		fmt.Fprintf(b.out, "note     %s\n", n)
	}
}

// jetStreamUp reports whether a JetStream server answers at url.
func jetStreamUp(ctx context.Context, url string) bool {
	nc, err := nats.Connect(url, nats.Timeout(time.Second), nats.MaxReconnects(0))
	if err != nil {
		return false
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return false
	}
	c, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	_, err = js.AccountInfo(c)
	return err == nil
}

var probe = &http.Client{Timeout: time.Second, Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}}

func httpOK(url string) bool {
	resp, err := probe.Get(url)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

func cpuModel() string {
	b, _ := os.ReadFile("/proc/cpuinfo")
	for line := range strings.SplitSeq(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

func memTotal() string {
	b, _ := os.ReadFile("/proc/meminfo")
	for line := range strings.SplitSeq(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			f := strings.Fields(rest)
			if kb, err := strconv.ParseUint(f[0], 10, 64); err == nil {
				return fmt.Sprintf("%.0f GiB", float64(kb)/(1<<20))
			}
		}
	}
	return "unknown"
}

func loadAvg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func gitDescribe(ctx context.Context, dir string) string {
	out, err := exec.CommandContext(ctx, "git", "-C", dir, "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return "unknown (not a git checkout)"
	}
	s := strings.TrimSpace(string(out))
	// The tree measured is the working tree: say when it differs from HEAD.
	st, err := exec.CommandContext(ctx, "git", "-C", dir, "status", "--porcelain", "--", "bridge", "cmd/hookbridge", "internal", "go.mod", "go.sum").Output()
	if err == nil && len(strings.TrimSpace(string(st))) > 0 {
		s += " + uncommitted changes in bridge/, cmd/hookbridge, internal/ or go.mod"
	}
	return s
}

func fmtCPU(d time.Duration) string {
	return fmt.Sprintf("%.1fµs", float64(d)/float64(time.Microsecond))
}

func fmtMiB(b uint64) string {
	return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
}

func dirSize(dir string) string {
	var total int64
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if fi, err := e.Info(); err == nil {
			total += fi.Size()
		}
	}
	return fmtMiB(uint64(total))
}
