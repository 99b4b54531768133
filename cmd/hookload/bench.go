package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"time"
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
	benthosBin string
	// benthosInFlight is the Benthos variants' nats_jetstream
	// max_in_flight: the publishes awaiting their PubAck at once; 0 is
	// conns.
	benthosInFlight int
	logDir          string
	// load is the load tool: "hookload" (its own runner) or "wrk".
	load       string
	wrkBin     string
	stopGrace  time.Duration
	readyLimit time.Duration
	// publishTimeout, when set, is the bridge's nats.publish_timeout, its
	// HTTP read and write timeouts a half again (see slowBridge); unset,
	// its defaults.
	publishTimeout time.Duration
}

const benchUsage = `Usage: hookload bench [flags]

Measures, one after another and with the same load tool and deliveries (hookload's own
runner, or with --load wrk the wrk binary sending them from a Lua script):
  a       a plain net/http handler that reads the body and answers 200 (hookload plain-server)
  b       raw JetStream publishing of the same bodies (PublishMsgAsync, bounded window, WithMsgID)
  c       hookbridge with an external nats-server
  d       hookbridge with its embedded nats-server
  b-sync, c-sync, d-sync: the same with an fsync before every PubAck
  n       (only with --only) d with the commerce normaliser running in it: its canonical
          events/s over the same window, its backlog at the window's end and its drain time
  c-traced, d-traced (only with --only) c and d traced, every delivery sampled, exporting
          over OTLP/HTTP to hookload otlp-receiver, a child whose CPU is counted apart
  c-sampled, d-sampled (only with --only) the same with 1 delivery in 10 sampled
          (parentbased_traceidratio 0.1)
  c-console, d-console (only with --only) c and d while a viewer in hookload keeps the
          bridge's console open: its pages reloaded every second, its live streams held
  c-r3    (only with --only) c with three nats-servers forming a cluster on 127.0.0.1, the
          stream at replicas 3: the nodes' CPU summed, the stream leader's and each follower's
  c-r3-leader (only with --only) c-r3 with the stream's leadership moved to the node the
          bridge is connected to, before the warm-up
  e       (only with --only) Benthos 4.27 doing hookbridge's work for the default sources
          (acme-shop, acme-woo, billing): http_server -> signature checked in Bloblang ->
          nats_jetstream with Nats-Msg-Id, answering 200 after the PubAck; an external
          nats-server, the stream created as hookbridge would
  e-plain (only with --only) Benthos 4.27 passing bodies through: http_server ->
          nats_jetstream, no verification, no msg id (checked by count only)
Run it from the hookbridge checkout: it builds nats-server and ./cmd/hookbridge, and for e
and e-plain the nested module ./cmd/hookload/benthos.

Flags:`

func (f *benchFlags) register(fs *flag.FlagSet) {
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
	fs.StringVar(&f.benthosBin, "benthos", "", "benthos binary for e and e-plain (default: go build the nested module ./cmd/hookload/benthos, Benthos "+benthosVersion+")")
	fs.IntVar(&f.benthosInFlight, "benthos-max-in-flight", 0, "e and e-plain: Benthos nats_jetstream's max_in_flight, the publishes awaiting their PubAck at once (default: --conns)")
	fs.StringVar(&f.load, "load", "hookload", "load tool: hookload (its own Go runner) or wrk (wrk 4 as a child, -t2, sending the same pre-generated signed deliveries from a Lua script; variants a, b, c, d, their -sync, e, e-plain; no --replay)")
	fs.StringVar(&f.wrkBin, "wrk", "wrk", "with --load wrk: the wrk binary")
	fs.StringVar(&f.logDir, "logs", "", "directory for the children's logs (default: a new temporary directory, kept)")
}

// parseBenchFlags reads the bench command's flags and the variants they
// select.
func parseBenchFlags(args []string, stderr io.Writer) (benchFlags, []variant, error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, benchUsage)
		fs.PrintDefaults()
	}
	f := benchFlags{stopGrace: 15 * time.Second, readyLimit: 30 * time.Second}
	f.register(fs)
	if err := fs.Parse(args); err != nil {
		return f, nil, err
	}
	if fs.NArg() > 0 {
		return f, nil, fmt.Errorf("bench: unexpected argument %q", fs.Arg(0))
	}
	if f.window < 1 || f.window > 4096 {
		return f, nil, fmt.Errorf("bench: --window %d: want 1 to 4096", f.window)
	}
	// Each connection has at most one request waiting for its PubAck, so
	// a max_in_flight above --conns changes nothing, and one below it
	// queues publishes that the other variants make at once (measured at
	// 64 connections: 1 gave e 0.4x the rate of 64; 256 the same as 64
	// within the machine's noise).
	if f.benthosInFlight == 0 {
		f.benthosInFlight = f.conns
	}
	if f.benthosInFlight < 1 || f.benthosInFlight > 4096 {
		return f, nil, fmt.Errorf("bench: --benthos-max-in-flight %d: want 1 to 4096", f.benthosInFlight)
	}
	if f.rounds < 1 || f.rounds > 20 {
		return f, nil, fmt.Errorf("bench: --rounds %d: want 1 to 20", f.rounds)
	}
	selected, err := selectVariants(f.only)
	if err != nil {
		return f, nil, err
	}
	if err := checkLoad(&f, selected); err != nil {
		return f, nil, err
	}
	return f, selected, benthosCovers(selected, f.sources)
}

// checkLoad holds --load against the variants: wrk drives the variants
// whose figures are its requests alone. It cannot replay answered
// deliveries (it does not tell the script which were answered), and the
// normaliser, tracing, console and cluster variants read hookload's
// per-delivery answers.
func checkLoad(f *benchFlags, selected []variant) error {
	switch f.load {
	case "hookload":
		return nil
	case "wrk":
	default:
		return fmt.Errorf("bench: --load %q: want hookload or wrk", f.load)
	}
	if f.replay != 0 {
		return errors.New("bench: --load wrk cannot --replay: wrk does not say which deliveries were answered")
	}
	if f.conns < wrkThreads {
		return fmt.Errorf("bench: --load wrk needs --conns of at least %d (its threads)", wrkThreads)
	}
	for _, v := range selected {
		if v.commerce || v.trace != nil || v.view != nil || v.cluster != nil {
			return fmt.Errorf("bench: --load wrk: variant %s needs hookload's load (wrk runs a, b, c, d, b-sync, c-sync, d-sync, e, e-plain)", v.key)
		}
	}
	bin, err := exec.LookPath(f.wrkBin)
	if err != nil {
		return fmt.Errorf("bench: --load wrk: %w", err)
	}
	f.wrkBin = bin
	return nil
}

// bench runs every variant with the same load, one after another, and
// prints each one's figures and their ratios against plain net/http.
// Children (the plain server, nats-server, hookbridge) are stopped, and the
// work directory removed, on every way out; the children's logs are kept.
func bench(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	f, selected, err := parseBenchFlags(args, stderr)
	if err != nil {
		return err
	}
	work, err := makeDirs("bench", &f.logDir, stdout)
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)

	b := &benchRun{f: f, work: work, out: stdout}
	defer b.stopAll()
	if err := b.prepare(ctx, selected, getenv); err != nil {
		return err
	}
	b.printHeader(append([]string{"bench"}, args...))
	for round := 1; round <= f.rounds && ctx.Err() == nil; round++ {
		for _, v := range selected {
			if ctx.Err() != nil {
				break
			}
			b.runRound(ctx, v, round)
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
	return b.failures()
}

// runRound measures v once, in a fresh store that is removed once its
// children have stopped (a raw run stores a gigabyte).
func (b *benchRun) runRound(ctx context.Context, v variant, round int) {
	if b.f.rounds > 1 {
		fmt.Fprintf(b.out, "\n== %s: %s (round %d of %d) ==\n", v.key, v.name, round, b.f.rounds)
	} else {
		fmt.Fprintf(b.out, "\n== %s: %s ==\n", v.key, v.name)
	}
	b.round = round
	dir := filepath.Join(b.work, fmt.Sprintf("%s-%d", v.key, round))
	row := b.runVariant(ctx, v, dir)
	row.round = round
	b.stopAll()
	if err := os.RemoveAll(dir); err != nil {
		fmt.Fprintf(b.out, "note     %v\n", err)
	}
	if row.err != nil {
		fmt.Fprintf(b.out, "ERROR    %v\n", row.err)
	}
	b.rows = append(b.rows, row)
}

// failures is the bench's exit status: an error for every round that could
// not measure, got an unexpected answer, or failed its stream check.
func (b *benchRun) failures() error {
	var errs []error
	for _, r := range b.rows {
		switch {
		case r.err != nil:
			errs = append(errs, fmt.Errorf("%s: %w", r.v.key, r.err))
		case r.unexpected > 0:
			errs = append(errs, fmt.Errorf("%s: %d requests not answered as expected", r.v.key, r.unexpected))
		case r.check != nil && !r.check.ok():
			errs = append(errs, fmt.Errorf("%s: %w", r.v.key, errCheckFailed))
		case r.norm != nil && !r.norm.complete():
			errs = append(errs, fmt.Errorf("%s: %w", r.v.key, errNormaliserIncomplete))
		}
	}
	return errors.Join(errs...)
}

// benchRun is one bench invocation's state.
type benchRun struct {
	f       benchFlags
	work    string
	out     io.Writer
	self    string // this program, for plain-server
	natsBin string
	hbBin   string
	// benthosBin is Benthos, for e and e-plain.
	benthosBin string
	modRoot    string
	mix        *mix
	// perDelivery is the canonical events one delivery of each source
	// means, when a selected variant runs the normaliser.
	perDelivery map[string]int
	sigCfg      string // the config the deliveries are signed from
	pool        []delivery
	runID       string
	children    []*child
	rows        []*benchRow
	info        []string // header lines
	round       int      // the round being run
	// wrk is, with --load wrk, the round's deliveries.
	wrk *wrkPools
}

func (b *benchRun) stopAll() {
	// hookbridge before its broker, so that it drains cleanly.
	for i := len(b.children) - 1; i >= 0; i-- {
		b.children[i].stop(b.f.stopGrace)
	}
	b.children = nil
}

func (b *benchRun) start(name string, env []string, bin string, args ...string) (*child, error) {
	c, err := startChild(name, b.f.logDir, env, bin, args...)
	if err != nil {
		return nil, err
	}
	b.children = append(b.children, c)
	return c, nil
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

// makeDirs makes a run's work directory, which the caller removes, and its
// children's logs' directory, which is kept: *logDir, or a new temporary
// directory stored there.
func makeDirs(name string, logDir *string, stdout io.Writer) (work string, err error) {
	if *logDir == "" {
		if *logDir, err = os.MkdirTemp("", "hookload-"+name+"-logs-"); err != nil {
			return "", err
		}
	} else if err := os.MkdirAll(*logDir, 0o755); err != nil {
		return "", err
	}
	fmt.Fprintf(stdout, "children's logs: %s\n", *logDir)
	return os.MkdirTemp("", "hookload-"+name+"-")
}
