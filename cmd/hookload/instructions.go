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
	"slices"
	"strings"
	"time"
)

// instrFlags are the instructions command's settings.
type instrFlags struct {
	bridges   []string // --hookbridge, split; empty: build ./cmd/hookbridge
	natsBin   string
	mode      string
	requests  int
	warmup    int
	conns     int
	rounds    int
	logDir    string
	sources   string
	body      int
	bridgeLog string
	markdown  bool
}

const instrUsage = `Usage: hookload instructions [flags]

Counts the instructions hookbridge executes per delivery, under valgrind's callgrind: a
figure that, unlike CPU time and req/s on a shared machine, does not move with the load
beside it (two runs agree within about 0.5%), so that a change of a few percent shows.

Each run starts hookbridge under callgrind (with an external nats-server, not counted, or
with its embedded one, counted with it), sends --warmup deliveries, has callgrind dump
(which zeroes its counters: start-up and warm-up are thrown away), sends --requests
deliveries over --conns connections, every one of which must be answered 200 published
and be in the stream, dumps again and divides. Several binaries (--hookbridge a,b) are
compared, interleaved within each round; the first is the baseline. The bridge's config is
the bench's, but for its timeouts: a 1m publish timeout, not 3s, since callgrind runs it
many times slower and pauses of seconds would turn deliveries into 503s.

Needs valgrind (the Debian package valgrind). Run it from the hookbridge checkout: it
builds nats-server and, unless --hookbridge names binaries, ./cmd/hookbridge.

Flags:`

func (f *instrFlags) register(fs *flag.FlagSet) {
	fs.Func("hookbridge", "hookbridge binaries, comma-separated, the first the baseline (default: go build ./cmd/hookbridge)", func(s string) error {
		for b := range strings.SplitSeq(s, ",") {
			if b = strings.TrimSpace(b); b == "" {
				return errors.New("an empty binary name")
			}
			f.bridges = append(f.bridges, b)
		}
		return nil
	})
	fs.StringVar(&f.natsBin, "nats-server", "", "nats-server binary (default: go build github.com/nats-io/nats-server/v2 from this module)")
	fs.StringVar(&f.mode, "mode", "both", "external (a nats-server child, not counted), embedded (the bridge's own server, counted with it) or both")
	fs.IntVar(&f.requests, "requests", 3000, "deliveries counted per run")
	fs.IntVar(&f.warmup, "warmup", 300, "deliveries sent before counting starts")
	fs.IntVar(&f.conns, "conns", 8, "keep-alive connections")
	fs.IntVar(&f.rounds, "rounds", 2, "run every mode and binary this many times, interleaved; the summary gives medians")
	fs.StringVar(&f.logDir, "logs", "", "directory for the children's logs (default: a new temporary directory, kept)")
	fs.StringVar(&f.sources, "sources", "acme-shop,acme-woo,billing", "provider mix, as for bench")
	fs.IntVar(&f.body, "body", 1024, "body size in bytes")
	fs.StringVar(&f.bridgeLog, "bridge-log-level", "info", "hookbridge's log.level (info logs one line per delivery, as shipped)")
	fs.BoolVar(&f.markdown, "markdown", false, "print the summary as markdown, to paste into BENCHMARKS.md")
}

// instrModes are the variants a --mode runs: hookbridge's external and
// embedded variants of the bench, so that the config is the bench's.
func instrModes(mode string) ([]variant, error) {
	var keys []string
	switch mode {
	case "external":
		keys = []string{"c"}
	case "embedded":
		keys = []string{"d"}
	case "both":
		keys = []string{"c", "d"}
	default:
		return nil, fmt.Errorf("instructions: --mode %q: want external, embedded or both", mode)
	}
	var out []variant
	for _, v := range variants {
		if slices.Contains(keys, v.key) {
			out = append(out, v)
		}
	}
	return out, nil
}

// modeName is what a run's mode is called in the output.
func modeName(v variant) string {
	if v.kind == kindEmbedded {
		return "embedded"
	}
	return "external"
}

func parseInstrFlags(args []string, stderr io.Writer) (instrFlags, []variant, error) {
	fs := flag.NewFlagSet("instructions", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, instrUsage)
		fs.PrintDefaults()
	}
	var f instrFlags
	f.register(fs)
	if err := fs.Parse(args); err != nil {
		return f, nil, err
	}
	if fs.NArg() > 0 {
		return f, nil, fmt.Errorf("instructions: unexpected argument %q", fs.Arg(0))
	}
	for _, c := range []struct {
		name     string
		v, lo, h int
	}{
		{"requests", f.requests, 1, 1_000_000},
		{"warmup", f.warmup, 0, 1_000_000},
		{"conns", f.conns, 1, 1024},
		{"rounds", f.rounds, 1, 20},
		{"body", f.body, 0, 1 << 20},
	} {
		if c.v < c.lo || c.v > c.h {
			return f, nil, fmt.Errorf("instructions: --%s %d: want %d to %d", c.name, c.v, c.lo, c.h)
		}
	}
	modes, err := instrModes(f.mode)
	return f, modes, err
}

// instrRow is one run: a mode, a binary, a round.
type instrRow struct {
	mode     string
	bin      int // index into the binaries
	round    int
	startup  uint64 // start-up and warm-up, the first dump
	counted  uint64 // the --requests deliveries, the second dump
	requests int
	err      error
}

func (r *instrRow) perDelivery() float64 { return float64(r.counted) / float64(r.requests) }

// instrRun is one instructions invocation's state: the bench's, for its
// children, config and deliveries, and the runs.
type instrRun struct {
	*benchRun
	f     instrFlags
	cg    callgrind
	bins  []string // the hookbridge binaries, the baseline first
	names []string // what each is called in the output
	rows  []*instrRow
}

// instructions counts, under callgrind, the instructions hookbridge
// executes per delivery. Children are stopped, and the work directory
// (callgrind's dumps, the stores) removed, on every way out; the children's
// logs are kept.
func instructions(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	f, modes, err := parseInstrFlags(args, stderr)
	if err != nil {
		return err
	}
	// A binary that is not there would only show as a bridge that never
	// gets ready, after the builds.
	for i, b := range f.bridges {
		if f.bridges[i], err = exec.LookPath(b); err != nil {
			return fmt.Errorf("instructions: --hookbridge: %w", err)
		}
	}
	cg, err := findCallgrind(exec.LookPath)
	if err != nil {
		return err
	}
	work, err := makeDirs("instructions", &f.logDir, stdout)
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)

	bf := benchFlags{conns: f.conns, body: f.body, sources: f.sources, rounds: f.rounds, bridgeLog: f.bridgeLog,
		natsBin: f.natsBin, logDir: f.logDir, load: "hookload",
		// callgrind runs the bridge many times slower: it takes
		// seconds to start, and may pause for seconds.
		stopGrace: 15 * time.Second, readyLimit: 2 * time.Minute, publishTimeout: time.Minute}
	if len(f.bridges) > 0 {
		bf.bridgeBin = f.bridges[0] // nothing to build
	}
	r := &instrRun{benchRun: &benchRun{f: bf, work: work, out: stdout}, f: f, cg: cg}
	defer r.stopAll()
	if err := r.prepare(ctx, modes, getenv); err != nil {
		return err
	}
	r.bins, r.names = f.bridges, f.bridges
	if len(f.bridges) == 0 {
		r.bins, r.names = []string{r.hbBin}, []string{"./cmd/hookbridge at " + gitDescribe(ctx, r.modRoot)}
	}
	r.describe(ctx)
	r.printHeader(append([]string{"instructions"}, args...))
	for round := 1; round <= f.rounds && ctx.Err() == nil; round++ {
		for _, v := range modes {
			for bin := range r.bins {
				if ctx.Err() != nil {
					break
				}
				r.runOnce(ctx, v, bin, round)
			}
		}
	}
	if ctx.Err() != nil {
		return fmt.Errorf("instructions interrupted: %w", ctx.Err())
	}
	fmt.Fprintln(stdout)
	r.printSummary(stdout)
	fmt.Fprintf(stdout, "\nchildren's logs: %s (%s; kept: remove them when done)\n", f.logDir, dirSize(f.logDir))
	return r.failures()
}

// describe replaces the bench's header facts that do not hold here (its
// load, in timed windows; its hookbridge, the checkout's, which need not
// be the binaries measured) with valgrind's version, the binaries and the
// load.
func (r *instrRun) describe(ctx context.Context) {
	r.info = slices.DeleteFunc(r.info, func(l string) bool {
		return strings.HasPrefix(l, "load") || strings.HasPrefix(l, "hookbridge:")
	})
	v, _ := exec.CommandContext(ctx, r.cg.valgrind, "--version").Output()
	r.info = append(r.info, "valgrind: "+strings.TrimSpace(string(v))+", callgrind (GODEBUG=asyncpreemptoff=1)")
	for i, n := range r.names {
		role := "compared"
		if i == 0 {
			role = "baseline"
		}
		r.info = append(r.info, fmt.Sprintf("hookbridge %d (%s): %s", i+1, role, n))
	}
	r.info = append(r.info, fmt.Sprintf("hookbridge config: the bench's, but nats.publish_timeout %s and http read and write timeouts %s (callgrind runs it many times slower)",
		r.benchRun.f.publishTimeout, r.benchRun.f.publishTimeout*3/2))
	r.info = append(r.info, "dumps: callgrind's dump of each run's counted deliveries is kept beside the logs as <mode>-<binary>-round<n>.callgrind.out, for callgrind_annotate")
	r.info = append(r.info, fmt.Sprintf("load: %d deliveries counted per run after %d of warm-up, %d connections, %d B bodies, sources %s, log level %s, %d round(s)",
		r.f.requests, r.f.warmup, r.f.conns, r.f.body, r.mix, r.f.bridgeLog, r.f.rounds))
}

// runOnce counts one binary's instructions in one mode, in a fresh store
// removed once its children have stopped.
func (r *instrRun) runOnce(ctx context.Context, v variant, bin, round int) {
	row := &instrRow{mode: modeName(v), bin: bin, round: round, requests: r.f.requests}
	dir := filepath.Join(r.work, fmt.Sprintf("%s-%d-%d", row.mode, bin+1, round))
	row.err = r.count(ctx, v, row, dir)
	r.stopAll()
	if err := os.RemoveAll(dir); err != nil {
		fmt.Fprintf(r.out, "note     %v\n", err)
	}
	if row.err != nil {
		fmt.Fprintf(r.out, "%-8s hookbridge %d  round %d  ERROR %v\n", row.mode, bin+1, round, row.err)
	} else {
		fmt.Fprintf(r.out, "%-8s hookbridge %d  round %d  %s instructions/delivery (start-up and warm-up %s, dropped)\n",
			row.mode, bin+1, round, fmtInstr(row.perDelivery()), fmtInstr(float64(row.startup)))
	}
	r.rows = append(r.rows, row)
}

// count starts the broker, if external, and the bridge under callgrind,
// warms up, dumps, sends the counted deliveries, checks their answers and
// the stream, and dumps again. The caller stops the children.
func (r *instrRun) count(ctx context.Context, v variant, row *instrRow, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	p, err := newPorts(v)
	if err != nil {
		return err
	}
	// The run's children log to files named after it.
	name := fmt.Sprintf("%s-%d-round%d", row.mode, row.bin+1, row.round)
	if v.kind == kindExternal {
		nv := v
		nv.key = name
		if err := r.startNats(ctx, nv, dir, p, &procMeter{}); err != nil {
			return err
		}
	}
	cfg, err := r.writeBridgeConfig(v, dir, p)
	if err != nil {
		return err
	}
	hb, err := r.start(name+"-hookbridge", callgrindEnv, r.cg.valgrind, r.cg.command(dir, r.bins[row.bin], "--config", cfg)...)
	if err != nil {
		return err
	}
	hb.kill = true // dumped before it is stopped, and SIGTERM kills callgrind mid-flight
	readyz := fmt.Sprintf("http://127.0.0.1:%d/readyz", p.admin)
	if err := hb.waitReady(ctx, r.benchRun.f.readyLimit, "/readyz 200", func() bool { return httpOK(readyz) }); err != nil {
		return err
	}
	chk, err := openCheck(ctx, v, p)
	if err != nil {
		return err
	}
	defer chk.close()
	runID := fmt.Sprintf("%s-%s%d-%d", r.runID, row.mode, row.bin+1, row.round)
	rc := runConfig{BaseURL: fmt.Sprintf("http://127.0.0.1:%d", p.http), Conns: r.f.conns,
		Duration: time.Hour, Timeout: 2 * time.Minute, Bridge: true, Stores: true}
	var sets []checkSet
	send := func(label, prefix string, n int) error {
		if n == 0 {
			return nil
		}
		ds, err := r.mix.generate(prefix, n, r.f.body, time.Now())
		if err != nil {
			return err
		}
		res, err := runLoad(ctx, rc, ds)
		if err != nil {
			return err
		}
		sets = append(sets, checkSet{ds, res.States})
		if res.Cancelled {
			return ctx.Err()
		}
		if res.Unexpected > 0 || res.Requests != uint64(n) {
			return fmt.Errorf("%s: %d of %d deliveries not answered 200 published (%s)", label, max(res.Unexpected, uint64(n)-res.Requests), n, statusLine(res.Status))
		}
		return nil
	}
	if err := send("warm-up", runID+"-w", r.f.warmup); err != nil {
		return err
	}
	// callgrind zeroes its counters on every dump: the first holds the
	// start-up and the warm-up, the second the counted deliveries alone.
	if _, row.startup, err = r.cg.dump(ctx, hb.pid(), dir, 1); err != nil {
		return err
	}
	if err := send("counted", runID+"-", r.f.requests); err != nil {
		return err
	}
	dump, counted, err := r.cg.dump(ctx, hb.pid(), dir, 2)
	if err != nil {
		return err
	}
	row.counted = counted
	// Kept, to see where the instructions went (callgrind_annotate).
	if err := os.Rename(dump, filepath.Join(r.f.logDir, name+".callgrind.out")); err != nil {
		return err
	}
	rep, err := chk.finish(ctx, runID, sets, io.Discard)
	if err != nil {
		return err
	}
	if !rep.ok() {
		return fmt.Errorf("%w: %s", errCheckFailed, rep)
	}
	return nil
}

func (r *instrRun) failures() error {
	var errs []error
	for _, row := range r.rows {
		if row.err != nil {
			errs = append(errs, fmt.Errorf("%s, hookbridge %d, round %d: %w", row.mode, row.bin+1, row.round, row.err))
		}
	}
	return errors.Join(errs...)
}

// printSummary prints, per mode and binary, the median instructions per
// delivery over the rounds, their spread, and the ratio to the baseline's
// median in the same mode.
func (r *instrRun) printSummary(w io.Writer) {
	head := []string{"mode", "hookbridge", "instructions/delivery (median)", "spread (min–max)", "runs", "× baseline"}
	var rows [][]string
	var notes []string
	for _, mode := range []string{"external", "embedded"} {
		base := 0.0
		for bin, name := range r.names {
			var xs []float64
			for _, row := range r.rows {
				if row.mode == mode && row.bin == bin && row.err == nil {
					xs = append(xs, row.perDelivery())
				}
			}
			if len(xs) == 0 {
				continue
			}
			med := median(xs)
			if bin == 0 {
				base = med
			}
			ratio := "—"
			if base > 0 {
				ratio = fmt.Sprintf("%.3f", med/base)
			}
			spread := fmt.Sprintf("%s–%s (%.1f%%)", fmtInstr(slices.Min(xs)), fmtInstr(slices.Max(xs)), 100*(slices.Max(xs)-slices.Min(xs))/med)
			rows = append(rows, []string{mode, fmt.Sprintf("%d: %s", bin+1, name), fmtInstr(med), spread, fmt.Sprint(len(xs)), ratio})
			if slices.Max(xs)-slices.Min(xs) > outlier*med {
				notes = append(notes, fmt.Sprintf("%s, hookbridge %d: its runs differ by more than %.0f%% (most often the Go runtime's locks spinning as callgrind schedules its threads; compare the runs' dumps); a median of three rounds or more discounts one such run", mode, bin+1, 100*outlier))
			}
		}
	}
	if r.f.markdown {
		for _, l := range r.info {
			fmt.Fprintf(w, "- %s\n", l)
		}
		fmt.Fprintf(w, "- load average after: %s\n\n", loadAvg())
		printMarkdownTable(w, head, rows)
		fmt.Fprintln(w)
	} else {
		fmt.Fprintln(w, "summary (instructions hookbridge executed, per delivery answered 200 published)")
		printAligned(w, head, rows)
	}
	for _, n := range notes {
		fmt.Fprintln(w, "note: "+n)
	}
	fmt.Fprintln(w, instrNote)
}

// outlier is the spread between a binary's runs, as a share of their
// median, beyond which the summary says so: runs agree within about 1%,
// but for one in some twenty to fifty. In one such run, with the embedded
// server, runtime.lock2 and unlock2 counted twice their usual
// instructions, and the run 4.5% more than the others; another, whose
// dump was not kept, counted 2.3 times the others.
const outlier = 0.02

// instrNote says how to read the figures.
const instrNote = `Instructions are callgrind's Ir count for the hookbridge process only (with the embedded
server, the broker's work is in it; an external nats-server is not counted), over the counted
deliveries alone, divided by their number. They measure work, not time: cache misses, system
calls' time in the kernel, and waiting are not in them. Valgrind does not emulate SHA-NI, so
SHA-256 (every HMAC) runs its AVX2 code under it, a larger share of the count than natively.`

// fmtInstr prints an instruction count with an SI suffix: 245.7k, 737.2M.
func fmtInstr(x float64) string {
	switch {
	case x >= 1e9:
		return fmt.Sprintf("%.2fG", x/1e9)
	case x >= 1e6:
		return fmt.Sprintf("%.1fM", x/1e6)
	case x >= 1e3:
		return fmt.Sprintf("%.1fk", x/1e3)
	}
	return fmt.Sprintf("%.0f", x)
}
