package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

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
	f, err := parseLoadFlags(args, stderr)
	if err != nil {
		return err
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
	rc := f.runConfig(cfg)
	var chk *streamCheck
	if f.check {
		if chk, err = f.openCheck(ctx, cfg); err != nil {
			return err
		}
		defer chk.close()
	}
	runID := newRunID()
	fmt.Fprintf(stdout, "hookload run %s: %s/webhooks/{%s}, %d conns, body %d B, replay %.2f\n",
		runID, rc.BaseURL, m, f.conns, f.body, f.replay)
	lr, memErr, err := f.drive(ctx, cfg, m, rc, runID, stdout)
	if err != nil {
		return err
	}
	var rep *checkReport
	if chk != nil {
		if rep, err = chk.finish(ctx, runID, lr.sets(), stdout); err != nil {
			return err
		}
	}
	if f.markdown {
		fmt.Fprintln(stdout)
		printLoadMarkdown(stdout, rc, lr, rep)
	}
	return errors.Join(verdict(lr, rep), memErr)
}

// parseLoadFlags reads the load command's flags and the defaults that hang
// on which flags were given.
func parseLoadFlags(args []string, stderr io.Writer) (*loadFlags, error) {
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: hookload [load] [flags]\n\nSends correctly signed deliveries over --conns keep-alive connections for --duration or --requests,\nthen prints req/s, latency quantiles and status counts, and (with --nats) checks the stream.\n\nFlags:")
		fs.PrintDefaults()
	}
	var f loadFlags
	f.register(fs)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("load: unexpected argument %q", fs.Arg(0))
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
		return nil, errors.New("load: --check needs the bridge: a --target is not checked")
	}
	if f.replay < 0 || f.replay > 1 {
		return nil, fmt.Errorf("load: --replay %v: want a share from 0 to 1", f.replay)
	}
	if f.requests == 0 && f.warmup <= 0 {
		return nil, errors.New("load: without --requests, a --warmup is needed to size the pre-generated deliveries")
	}
	return &f, nil
}

// runConfig is how hard and where the flags say to drive.
func (f *loadFlags) runConfig(cfg *settings.Config) runConfig {
	rc := runConfig{Conns: f.conns, Duration: f.duration, Replay: f.replay, Timeout: f.timeout, Bridge: f.target == "", Stores: f.target == ""}
	switch {
	case f.target != "":
		rc.BaseURL = strings.TrimSuffix(f.target, "/")
	case f.url != "":
		rc.BaseURL = strings.TrimSuffix(f.url, "/")
	default:
		rc.BaseURL = "http://" + cfg.HTTP.Listen
	}
	return rc
}

// openCheck connects to --nats and notes where the run's messages will
// start in the stream.
func (f *loadFlags) openCheck(ctx context.Context, cfg *settings.Config) (*streamCheck, error) {
	if f.natsURL == "" {
		return nil, errors.New("load: --check needs --nats URL")
	}
	stream := f.stream
	if stream == "" {
		stream = cfg.NATS.Stream.Name
	}
	chk, err := dialCheck(f.natsURL, "hookload")
	if err != nil {
		return nil, fmt.Errorf("load: connecting to %s: %w", f.natsURL, err)
	}
	if err := chk.begin(ctx, stream); err != nil {
		chk.close()
		return nil, fmt.Errorf("load: %w (is the bridge running against this server?)", err)
	}
	return chk, nil
}

// drive runs the load, with the hostile connections and the memory
// sampler around the whole of it, and prints the figures. memErr is the
// memory bound's verdict; err says the run could not be made.
func (f *loadFlags) drive(ctx context.Context, cfg *settings.Config, m *mix, rc runConfig, runID string, stdout io.Writer) (lr *loadRun, memErr, err error) {
	if f.admin == "" && (f.trickle > 0 || f.maxRSS > 0) && f.target == "" {
		f.admin = "http://" + cfg.Admin.Listen
	}
	bg := startBackground(ctx, f.admin)
	defer bg.stop()
	if f.trickle > 0 {
		if err := bg.trickle(rc.BaseURL, m.sources[0].name, f.trickle, cfg.HTTP.MaxBodyBytes, f.trickleEvery, stdout); err != nil {
			return nil, nil, err
		}
	}
	lr, err = measure(ctx, m, rc, measureConfig{
		RunID: runID, Warmup: f.warmup, Requests: f.requests, MaxPool: f.maxPool, Body: f.body,
		Margin: margin(rc),
	}, stdout)
	if err != nil {
		return nil, nil, err
	}
	printRun(stdout, "run", rc, lr.main)
	return lr, bg.report(stdout, f.maxRSS), nil
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

// warnStale says when deliveries signed before the run will be older than a
// source's timestamp tolerance by the time they are sent: the bridge then
// refuses them as stale (401), which is right, but not what a load run
// means to measure.
func warnStale(w io.Writer, cfg *settings.Config, m *mix, run time.Duration) {
	for _, s := range m.sources {
		tolerance := provider.DefaultTolerance
		switch s.kind { // the kinds that sign a timestamp
		case "stripe", "standardwebhooks", "paddle", "recurly", "bigcommerce", "paypal":
		case "ecwid":
			tolerance = provider.EcwidDefaultTolerance
		default:
			continue
		}
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
