package main

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookbridge/hookbridge/bridge"
	"github.com/hookbridge/hookbridge/internal/cputime"
)

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
	stored     string        // raw variants: what the stream holds
	norm       *normFigures  // the normaliser's round, when the variant runs it
	answered   uint64        // requests answered, warm-up included
	otlp       *otlpStats    // what the trace receiver got, when the variant traces
	view       *viewStats    // what the console viewer received, when the variant has one
	cluster    *clusterRound // the stream's leader and the bridge's node, when the variant runs a cluster
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

// procMeter reads the CPU time and peak RSS of a variant's children, and
// this process's CPU time, around the measured window only: the warm-up and
// the generation of deliveries are not the variant's cost.
type procMeter struct {
	procs  []*child
	labels []string
	before []time.Duration
	self   time.Duration
}

func (m *procMeter) add(label string, c *child) {
	m.procs, m.labels = append(m.procs, c), append(m.labels, label)
}

// child is the process added as label.
func (m *procMeter) child(label string) *child {
	return m.procs[slices.Index(m.labels, label)]
}

// snapshot reads the counters as the window starts.
func (m *procMeter) snapshot() {
	m.before = m.before[:0]
	for _, c := range m.procs {
		cpu, _ := procCPU(c.pid())
		m.before = append(m.before, cpu)
	}
	m.self = cputime.Self()
}

// collect adds each process's share of the window, hookload last, to row.
func (m *procMeter) collect(row *benchRow) {
	selfAfter := cputime.Self()
	m.collectChildren(row)
	row.procs = append(row.procs, procFigures{label: "hookload", cpu: selfAfter - m.self})
}

// collectChildren adds each child's share of the window to row.
func (m *procMeter) collectChildren(row *benchRow) {
	for i, c := range m.procs {
		cpu, err := procCPU(c.pid())
		if err != nil {
			row.notes = append(row.notes, fmt.Sprintf("%s CPU: %v", m.labels[i], err))
		}
		hwm, _ := peakRSS(c.pid())
		row.procs = append(row.procs, procFigures{label: m.labels[i], cpu: cpu - m.before[i], hwm: hwm})
	}
}

// measureHTTP drives a plain server or a hookbridge with the load tool's
// runner and, for a hookbridge, checks the stream afterwards.
func (b *benchRun) measureHTTP(ctx context.Context, row *benchRow, p benchPorts, meter *procMeter) {
	if b.f.load == "wrk" {
		b.measureWrk(ctx, row, p, meter)
		return
	}
	v := row.v
	rc := runConfig{
		BaseURL: fmt.Sprintf("http://127.0.0.1:%d", p.http), Conns: b.f.conns, Duration: b.f.duration,
		Replay: b.f.replay, Timeout: 30 * time.Second, Bridge: isBridge(v),
		Stores: isBridge(v) || v.kind == kindBenthos,
	}
	chk, cnt, closeChecks, err := openChecks(ctx, v, p)
	if err != nil {
		row.err = err
		return
	}
	defer closeChecks()
	runID := b.runID + "-" + v.key
	mc := measureConfig{
		RunID: runID, Warmup: b.f.warmup, MaxPool: b.f.maxPool, Body: b.f.body,
		Margin: margin(rc), Pool: b.pool, Before: meter.snapshot, After: func() { meter.collect(row) },
	}
	var nw *normWatch
	if v.commerce {
		nw = watchNormaliser(ctx, chk, &mc)
	}
	lr, err := measure(ctx, b.mix, rc, mc, b.out)
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
	row.answered = r.Requests
	if lr.warm != nil {
		row.unexpected += lr.warm.Unexpected
		row.answered += lr.warm.Requests
	}
	if r.Dials != uint64(rc.Conns) {
		row.notes = append(row.notes, fmt.Sprintf("%d connections dialled for %d workers", r.Dials, rc.Conns))
	}
	printRun(b.out, "run", rc, r)
	if nw != nil {
		b.settleNormaliser(ctx, row, nw, lr.sets())
	}
	if v.benthos != nil && v.benthos.verify && row.err == nil {
		var probed string
		if probed, row.err = b.probeRefusal(ctx, rc.BaseURL, p.natsURL(), runID); row.err == nil {
			fmt.Fprintln(b.out, "refused  "+probed)
		}
	}
	if chk != nil && row.err == nil {
		row.check, row.err = chk.finish(ctx, runID, lr.sets(), b.out)
	}
	if cnt != nil && row.err == nil {
		ok := answered2xx(r.Status)
		if lr.warm != nil {
			ok += answered2xx(lr.warm.Status)
		}
		row.stored, row.err = cnt.finish(ctx, ok, row.answered)
		fmt.Fprintln(b.out, "check    "+row.stored)
	}
}

// openChecks opens v's stream check: by id (openCheck) or, for e-plain,
// by count; both nil for a target that stores nothing. closeChecks closes
// what was opened.
func openChecks(ctx context.Context, v variant, p benchPorts) (chk *streamCheck, cnt *countCheck, closeChecks func(), err error) {
	if chk, err = openCheck(ctx, v, p); err != nil {
		return nil, nil, nil, err
	}
	if v.benthos != nil && !v.benthos.verify {
		if cnt, err = openCountCheck(ctx, p.natsURL()); err != nil {
			return nil, nil, nil, err
		}
	}
	return chk, cnt, func() {
		if chk != nil {
			chk.close()
		}
		if cnt != nil {
			cnt.close()
		}
	}, nil
}

// openCheck connects for a bridge's stream check, or a Benthos variant's
// that stores msg ids, and notes where its run starts; nil for a plain
// target, which stores nothing, and for e-plain, whose messages carry no
// id to check them by (countCheck counts them instead).
func openCheck(ctx context.Context, v variant, p benchPorts) (*streamCheck, error) {
	if !isBridge(v) && (v.benthos == nil || !v.benthos.verify) {
		return nil, nil
	}
	chk, err := dialCheck(p.natsURL(), "hookload-check")
	if err != nil {
		return nil, fmt.Errorf("connecting for the check: %w", err)
	}
	if err := chk.begin(ctx, bridge.DefaultStream); err != nil {
		chk.close()
		return nil, err
	}
	return chk, nil
}

// measureRaw publishes the deliveries' bodies straight to JetStream from
// this process, to the stream hookbridge would create: the broker's limit.
func (b *benchRun) measureRaw(ctx context.Context, row *benchRow, natsURL string, meter *procMeter) {
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
	js, st, err := rawStream(ctx, nc, b.f.window)
	if err != nil {
		row.err = err
		return
	}
	if b.f.warmup > 0 {
		w := rawPublish(ctx, js, bridge.DefaultSubjectPrefix, "@w", b.pool, b.f.warmup, b.f.window)
		fmt.Fprintf(b.out, "warm-up  %s\n", w)
	}
	runtime.GC()
	meter.snapshot()
	r := rawPublish(ctx, js, bridge.DefaultSubjectPrefix, "", b.pool, b.f.duration, b.f.window)
	meter.collect(row)
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

// rawStream is a JetStream context that keeps at most window publishes
// awaiting their PubAck, and the very stream hookbridge creates.
func rawStream(ctx context.Context, nc *nats.Conn, window int) (jetstream.JetStream, jetstream.Stream, error) {
	js, err := jetstream.New(nc,
		jetstream.WithPublishAsyncMaxPending(window),
		jetstream.WithPublishAsyncTimeout(10*time.Second))
	if err != nil {
		return nil, nil, err
	}
	setup, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	st, err := bridge.EnsureStream(setup, js, bridge.StreamConfig{Name: bridge.DefaultStream, SubjectPrefix: bridge.DefaultSubjectPrefix, Replicas: bridge.DefaultReplicas, Duplicates: bridge.DefaultDuplicateWindow})
	return js, st, err
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
