package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookbridge/hookbridge/bridge/provider"
	"github.com/hookbridge/hookbridge/cmd/internal/settings"
	"github.com/hookbridge/hookbridge/internal/config"
)

// loadFlags are the load command's settings.
type loadFlags struct {
	config   string
	url      string
	target   string
	sources  string
	conns    int
	duration time.Duration
	requests int
	warmup   time.Duration
	replay   float64
	body     int
	timeout  time.Duration
	maxPool  int
	natsURL  string
	check    bool
	stream   string
	markdown bool

	trickle      int
	trickleEvery time.Duration
	admin        string
	maxRSS       int
}

func (f *loadFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.config, "config", "", "the bridge's config file, read as hookbridge send reads it (default $HOOKBRIDGE_CONFIG, else hookbridge.yaml)")
	fs.StringVar(&f.url, "url", "", "bridge base URL (default http://<http.listen from the config>)")
	fs.StringVar(&f.target, "target", "", "drive a plain HTTP endpoint at this base URL instead of the bridge: any 2xx is fine, no stream check")
	fs.StringVar(&f.sources, "sources", "", "provider mix: source names from the config, round-robin, each optionally weighted (acme-shop=3,billing); default every source")
	fs.IntVar(&f.conns, "conns", 64, "keep-alive connections, one goroutine each")
	fs.DurationVar(&f.duration, "duration", 10*time.Second, "how long to send (with --requests: a cap, default 10m)")
	fs.IntVar(&f.requests, "requests", 0, "send this many deliveries (first sends; replays come on top), then stop")
	fs.DurationVar(&f.warmup, "warmup", 2*time.Second, "warm the target up for this long first, with other deliveries; without --requests it also sizes the pre-generated pool")
	fs.Float64Var(&f.replay, "replay", 0, "share of 200-answered deliveries sent again as platform retries (same headers and body; expect 200 duplicate)")
	fs.IntVar(&f.body, "body", 1024, "pad each body to this many bytes")
	fs.DurationVar(&f.timeout, "timeout", 30*time.Second, "per-request timeout")
	fs.IntVar(&f.maxPool, "max-pool", 1_000_000, "most deliveries pre-generated for one run (about 2 KiB each)")
	fs.StringVar(&f.natsURL, "nats", "", "NATS URL of the bridge's broker, for the stream check (e.g. nats://127.0.0.1:4222)")
	fs.BoolVar(&f.check, "check", false, "check the stream after the run (default: on when --nats is given)")
	fs.StringVar(&f.stream, "stream", "", "stream to check (default nats.stream from the config)")
	fs.BoolVar(&f.markdown, "markdown", false, "print the result as a markdown table")
	fs.IntVar(&f.trickle, "trickle", 0, "also hold this many hostile connections during the run: each announces a body of http.max_body_bytes and sends a byte per --trickle-every (redialled when cut off)")
	fs.DurationVar(&f.trickleEvery, "trickle-every", time.Second, "with --trickle: the interval between a hostile connection's bytes")
	fs.StringVar(&f.admin, "admin", "", "the bridge's admin base URL, to sample its memory during the run (default http://<admin.listen from the config> with --trickle)")
	fs.IntVar(&f.maxRSS, "max-rss", 0, "fail when the bridge's resident memory (from --admin) goes above this many MiB")
}

// load drives a bridge (or a plain --target) and, with --nats, checks that
// the stream holds exactly what was acknowledged. It fails when a request
// got an unexpected answer or the check fails.
func load(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: hookload [load] [flags]\n\nSends correctly signed deliveries over --conns keep-alive connections for --duration or --requests,\nthen prints req/s, latency quantiles and status counts, and (with --nats) checks the stream.\n\nFlags:")
		fs.PrintDefaults()
	}
	var f loadFlags
	f.register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("load: unexpected argument %q", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	if !set["check"] {
		f.check = f.natsURL != "" && f.target == ""
	}
	if f.requests > 0 && !set["duration"] {
		f.duration = 10 * time.Minute
	}
	if f.check && f.target != "" {
		return errors.New("load: --check needs the bridge: a --target is not checked")
	}
	if f.replay < 0 || f.replay > 1 {
		return fmt.Errorf("load: --replay %v: want a share from 0 to 1", f.replay)
	}
	if f.requests == 0 && f.warmup <= 0 {
		return errors.New("load: without --requests, a --warmup is needed to size the pre-generated deliveries")
	}

	cfg, err := settings.Load(config.Path(f.config, getenv), getenv)
	if err != nil {
		return err
	}
	m, err := parseMix(f.sources, cfg)
	if err != nil {
		return err
	}
	if f.target == "" {
		warnStale(stderr, cfg, m, f.warmup+f.duration)
	}
	rc := runConfig{Conns: f.conns, Duration: f.duration, Replay: f.replay, Timeout: f.timeout, Bridge: f.target == ""}
	switch {
	case f.target != "":
		rc.BaseURL = strings.TrimSuffix(f.target, "/")
	case f.url != "":
		rc.BaseURL = strings.TrimSuffix(f.url, "/")
	default:
		rc.BaseURL = "http://" + cfg.HTTP.Listen
	}
	stream := f.stream
	if stream == "" {
		stream = cfg.NATS.Stream.Name
	}

	var js jetstream.JetStream
	var fromSeq uint64
	if f.check {
		if f.natsURL == "" {
			return errors.New("load: --check needs --nats URL")
		}
		nc, err := nats.Connect(f.natsURL, nats.Name("hookload"), nats.Timeout(5*time.Second))
		if err != nil {
			return fmt.Errorf("load: connecting to %s: %w", f.natsURL, err)
		}
		defer nc.Close()
		if js, err = jetstream.New(nc); err != nil {
			return err
		}
		if fromSeq, err = streamStart(ctx, js, stream); err != nil {
			return fmt.Errorf("load: %w (is the bridge running against this server?)", err)
		}
	}

	runID := newRunID()
	fmt.Fprintf(stdout, "hookload run %s: %s/webhooks/{%s}, %d conns, body %d B, replay %.2f\n",
		runID, rc.BaseURL, m, f.conns, f.body, f.replay)

	// Hostile connections and the bridge's memory, around the whole run.
	bg, stopBg := context.WithCancel(ctx)
	defer stopBg()
	var mem *bridgeMemory
	if f.admin == "" && (f.trickle > 0 || f.maxRSS > 0) && f.target == "" {
		f.admin = "http://" + cfg.Admin.Listen
	}
	if f.admin != "" {
		mem = &bridgeMemory{url: strings.TrimSuffix(f.admin, "/") + "/metrics"}
		memDone := make(chan struct{})
		go func() {
			defer close(memDone)
			mem.run(bg, 500*time.Millisecond)
		}()
		defer func() { <-memDone }()
	}
	var tr *trickler
	if f.trickle > 0 {
		if tr, err = startTrickle(bg, rc.BaseURL, m.sources[0].name, f.trickle, cfg.HTTP.MaxBodyBytes, f.trickleEvery); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "trickle  %d connections held open to /webhooks/%s, each announcing %d bytes\n", tr.open.Load(), m.sources[0].name, cfg.HTTP.MaxBodyBytes)
	}
	lr, err := measure(ctx, m, rc, measureConfig{
		RunID: runID, Warmup: f.warmup, Requests: f.requests, MaxPool: f.maxPool, Body: f.body,
		Margin: margin(rc),
	}, stdout)
	if err != nil {
		return err
	}
	printRun(stdout, "run", rc, lr.main)
	var memErr error
	if tr != nil {
		fmt.Fprintf(stdout, "trickle  %d open at the end, %d at most, %d dials, %d refused\n", tr.open.Load(), tr.peak.Load(), tr.dials.Load(), tr.refused.Load())
	}
	if mem != nil {
		mem.once(&http.Client{Timeout: 5 * time.Second})
		memErr = mem.report(stdout, f.maxRSS)
	}
	stopBg()
	if tr != nil {
		tr.wg.Wait()
	}

	var rep *checkReport
	if f.check {
		checkCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		rep, err = checkStream(checkCtx, js, stream, fromSeq, runID, lr.sets()...)
		cancel()
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, "check    "+rep.String())
	}
	if f.markdown {
		fmt.Fprintln(stdout)
		printLoadMarkdown(stdout, rc, lr, rep)
	}
	return errors.Join(verdict(lr, rep), memErr)
}

// verdict is the run's exit status: an error when any request was not
// answered as expected or the stream check failed.
func verdict(lr *loadRun, rep *checkReport) error {
	var errs []error
	for _, r := range []*runResult{lr.warm, lr.main} {
		if r != nil && r.Unexpected > 0 {
			errs = append(errs, fmt.Errorf("%d requests were not answered as expected", r.Unexpected))
		}
	}
	if lr.main.Cancelled {
		errs = append(errs, errors.New("interrupted"))
	}
	if rep != nil && !rep.ok() {
		errs = append(errs, errCheckFailed)
	}
	return errors.Join(errs...)
}

// measureConfig sizes one measurement.
type measureConfig struct {
	RunID    string
	Warmup   time.Duration
	Requests int // 0: size the pool from the warm-up rate
	MaxPool  int
	Body     int
	// Margin multiplies the warm-up's rate to size the pool: large for a
	// bridge (a run that runs out stops early), 1 for a plain target
	// (which gets the deliveries again).
	Margin float64
	// Pool, when it holds enough deliveries, is used instead of generating
	// new ones (the bench sends the same deliveries to every variant).
	Pool []delivery
	// Before and After run just around the measured window (not the
	// warm-up, not the generation), e.g. to read CPU counters.
	Before, After func()
}

// loadRun is a warm-up and a measured run.
type loadRun struct {
	warm, main       *runResult
	warmDs, mainDs   []delivery
	generated        int
	generateDuration time.Duration
}

func (lr *loadRun) sets() []checkSet {
	var out []checkSet
	if lr.warm != nil {
		out = append(out, checkSet{lr.warmDs, lr.warm.States})
	}
	return append(out, checkSet{lr.mainDs, lr.main.States})
}

// measure warms the target up, pre-generates and signs the deliveries of the
// measured run (sized from the warm-up's rate unless mc.Requests says how
// many), and runs it.
func measure(ctx context.Context, m *mix, rc runConfig, mc measureConfig, log io.Writer) (*loadRun, error) {
	lr := &loadRun{}
	now := time.Now()
	rate := 0.0
	if mc.Warmup > 0 {
		// Enough for 15k req/s; a plain target gets them again, a bridge's
		// warm-up just ends early.
		n := min(max(rc.Conns*100, int(15_000*mc.Warmup.Seconds())), 100_000)
		ds, err := m.generate(mc.RunID+"-w", n, mc.Body, now)
		if err != nil {
			return nil, err
		}
		wc := rc
		wc.Duration = mc.Warmup
		wc.Wrap = !rc.Bridge
		// The rate that sizes the pool is the second half's: the first
		// includes connecting and the target's own warming up.
		var progress atomic.Uint64
		wc.Progress = &progress
		type mark struct {
			n  uint64
			at time.Time
		}
		half := make(chan mark, 1)
		timer := time.AfterFunc(mc.Warmup/2, func() { half <- mark{progress.Load(), time.Now()} })
		if lr.warm, err = runLoad(ctx, wc, ds); err != nil {
			return nil, err
		}
		timer.Stop()
		lr.warmDs = ds
		if lr.warm.Cancelled {
			return nil, ctx.Err()
		}
		rate = float64(lr.warm.Requests) / lr.warm.Elapsed.Seconds()
		select {
		case h := <-half:
			if el := lr.warm.End.Sub(h.at); el > 0 && lr.warm.Requests > h.n {
				rate = max(rate, float64(lr.warm.Requests-h.n)/el.Seconds())
			}
		default:
		}
		fmt.Fprintf(log, "warm-up  %d requests in %s (%.0f req/s), %s\n",
			lr.warm.Requests, lr.warm.Elapsed.Round(time.Millisecond), lr.warm.rate(), statusLine(lr.warm.Status))
	}
	n := mc.Requests
	if n == 0 {
		// Enough for the warm-up's rate with room to spare; a run that
		// still runs out stops early and says so.
		margin := mc.Margin
		if margin <= 0 {
			margin = 1.5
		}
		n = int(math.Ceil(rate*rc.Duration.Seconds()*margin)) + 8*rc.Conns
		n = min(max(n, 1000), mc.MaxPool)
		rc.Wrap = !rc.Bridge
	}
	if len(mc.Pool) >= n && mc.Requests == 0 {
		lr.mainDs = mc.Pool
	} else if len(mc.Pool) >= n {
		lr.mainDs = mc.Pool[:n]
	} else {
		start := time.Now()
		ds, err := m.generate(mc.RunID+"-", n, mc.Body, time.Now())
		if err != nil {
			return nil, err
		}
		lr.mainDs, lr.generated, lr.generateDuration = ds, n, time.Since(start)
		fmt.Fprintf(log, "prepared %d signed deliveries in %s\n", n, lr.generateDuration.Round(time.Millisecond))
	}
	runtime.GC() // not during the measured window
	if mc.Before != nil {
		mc.Before()
	}
	res, err := runLoad(ctx, rc, lr.mainDs)
	if mc.After != nil {
		mc.After()
	}
	if err != nil {
		return nil, err
	}
	if mc.Requests > 0 {
		res.Exhausted = false // that was the plan
	}
	lr.main = res
	return lr, nil
}

// margin is how much bigger than the warm-up rate the pool is made.
func margin(rc runConfig) float64 {
	if rc.Bridge {
		return 1.5
	}
	return 1
}

// printRun prints one run's figures as text.
func printRun(w io.Writer, label string, rc runConfig, r *runResult) {
	fmt.Fprintf(w, "%-8s %d requests (%d first sends, %d replays) in %s = %.0f req/s over %d connections (%d dialled)\n",
		label, r.Requests, r.Firsts, r.Replays, r.Elapsed.Round(time.Millisecond), r.rate(), rc.Conns, r.Dials)
	fmt.Fprintf(w, "latency  p50 %s  p90 %s  p99 %s  max %s  (mean %s, %d answered)\n",
		fmtDur(r.Latency.quantile(0.50)), fmtDur(r.Latency.quantile(0.90)), fmtDur(r.Latency.quantile(0.99)),
		fmtDur(r.Latency.maxValue()), fmtDur(r.Latency.mean()), r.Latency.n)
	fmt.Fprintf(w, "status   %s\n", statusLine(r.Status))
	if r.Wrapped {
		fmt.Fprintf(w, "note     the %d pre-generated deliveries were sent more than once (a plain target does not dedup)\n", len(r.States))
	}
	if r.Exhausted {
		fmt.Fprintf(w, "note     the %d pre-generated deliveries ran out after %s: the figures are over that time (raise --max-pool or give --requests)\n",
			len(r.States), r.Elapsed.Round(time.Millisecond))
	}
	if r.Unexpected > 0 {
		fmt.Fprintf(w, "UNEXPECTED %d answers", r.Unexpected)
		if len(r.Errors) > 0 {
			fmt.Fprintf(w, "; e.g. %s", strings.Join(r.Errors, "; "))
		}
		fmt.Fprintln(w)
	}
}

func printLoadMarkdown(w io.Writer, rc runConfig, lr *loadRun, rep *checkReport) {
	r := lr.main
	fmt.Fprintln(w, "| conns | requests | duration | req/s | p50 | p90 | p99 | max | status | check |")
	fmt.Fprintln(w, "|---:|---:|---:|---:|---:|---:|---:|---:|---|---|")
	check := "off"
	if rep != nil {
		check = fmt.Sprintf("lost %d, duplicated %d, lost acks %d", rep.Lost, rep.Duplicated, rep.LostAck)
		if !rep.ok() {
			check = "**FAIL** " + check
		}
	}
	fmt.Fprintf(w, "| %d | %d | %s | %.0f | %s | %s | %s | %s | %s | %s |\n",
		rc.Conns, r.Requests, r.Elapsed.Round(time.Millisecond), r.rate(),
		fmtDur(r.Latency.quantile(0.5)), fmtDur(r.Latency.quantile(0.9)), fmtDur(r.Latency.quantile(0.99)),
		fmtDur(r.Latency.maxValue()), statusLine(r.Status), check)
}

// fmtDur prints a latency with three significant digits.
func fmtDur(d time.Duration) string {
	switch {
	case d >= time.Second:
		return fmt.Sprintf("%.3gs", d.Seconds())
	case d >= time.Millisecond:
		return fmt.Sprintf("%.3gms", float64(d)/float64(time.Millisecond))
	default:
		return fmt.Sprintf("%dµs", d/time.Microsecond)
	}
}

// warnStale says when deliveries signed before the run will be older than a
// source's timestamp tolerance by the time they are sent: the bridge then
// refuses them as stale (401), which is right, but not what a load run
// means to measure.
func warnStale(w io.Writer, cfg *settings.Config, m *mix, run time.Duration) {
	for _, s := range m.sources {
		if s.kind != "stripe" && s.kind != "standardwebhooks" {
			continue
		}
		tolerance := provider.DefaultTolerance
		for _, c := range cfg.Sources {
			if c.Name == s.name && c.Tolerance > 0 {
				tolerance = c.Tolerance
			}
		}
		if run >= tolerance {
			fmt.Fprintf(w, "warning: deliveries are signed before the run starts; a %s run outlasts source %s's %s timestamp tolerance, so its later deliveries will be refused as stale (shorten --duration, or raise tolerance in the config)\n", run, s.name, tolerance)
		}
	}
}
