package main

import (
	"context"
	"fmt"
	"runtime"
	"time"
)

// wrkRate is the rate the deliveries for a wrk run are sized for: above
// what any variant reaches on the bench's machine, so that wrk does not
// run out and send a delivery twice (which it says when it does).
const wrkRate = 60_000

// wrkNote is the markdown note under the summary of a --load wrk run.
const wrkNote = "Load: wrk (-t2, --latency, --timeout 10s) as a child on 127.0.0.1, its Lua script sending the same pre-generated, signed deliveries hookload would (each wrk thread its own share, none sent twice unless the output says a thread wrapped); the warm-up is a separate wrk run with deliveries of its own. req/s is wrk's requests over its run time; the latencies are wrk's (its histogram after its own coordinated-omission correction), merged over the rounds; CPU/req wrk is wrk's CPU over its run, after every thread had read its share. The stream check cannot know which deliveries were answered 200: it checks that every stored message's id is one of the deliveries wrk started, that none is stored twice, and that the number stored is at least wrk's 2xx count and at most the number started (warm-up included)."

// loadLabel names the load tool in the CPU column and the cpu line.
func (b *benchRun) loadLabel() string {
	if b.f.load == "wrk" {
		return "wrk"
	}
	return "hookload"
}

// wrkPools are one round's deliveries for wrk: every variant of the round
// gets the same ones (each in a store of its own), signed at the round's
// start so that no round outlasts a source's timestamp tolerance.
type wrkPools struct {
	round      int
	warm, main []delivery
}

// wrkSizes splits at most maxPool deliveries between the warm-up and the
// measured run, wrkRate per second of each.
func wrkSizes(warmup, duration time.Duration, conns, maxPool int) (warm, main int) {
	need := func(d time.Duration) int {
		if d <= 0 {
			return 0
		}
		secs := max(d.Round(time.Second), time.Second).Seconds() // wrk runs whole seconds
		return max(int(wrkRate*secs), 8*conns)
	}
	warm, main = need(warmup), need(duration)
	if total := warm + main; total > maxPool {
		warm = int(int64(warm) * int64(maxPool) / int64(total))
		main = maxPool - warm
	}
	return warm, main
}

// wrkPool returns the round's deliveries, generating them once per round.
func (b *benchRun) wrkPool() (*wrkPools, error) {
	if b.wrk != nil && b.wrk.round == b.round {
		return b.wrk, nil
	}
	b.wrk = nil
	nWarm, nMain := wrkSizes(b.f.warmup, b.f.duration, b.f.conns, b.f.maxPool)
	start := time.Now()
	prefix := fmt.Sprintf("%s-r%d-", b.runID, b.round)
	p := &wrkPools{round: b.round}
	var err error
	if nWarm > 0 {
		if p.warm, err = b.mix.generate(prefix+"w", nWarm, b.f.body, time.Now()); err != nil {
			return nil, err
		}
	}
	if p.main, err = b.mix.generate(prefix, nMain, b.f.body, time.Now()); err != nil {
		return nil, err
	}
	fmt.Fprintf(b.out, "prepared %d + %d signed deliveries for wrk (warm-up + measured, %d/s of each) in %s\n",
		nWarm, nMain, wrkRate, time.Since(start).Round(time.Millisecond))
	b.wrk = p
	return p, nil
}

// measureWrk drives a plain server, a hookbridge or Benthos with wrk: a
// warm-up run, then the measured run, around which the children's CPU is
// read; then the stream is checked by id and count.
func (b *benchRun) measureWrk(ctx context.Context, row *benchRow, p benchPorts, meter *procMeter) {
	v := row.v
	pools, err := b.wrkPool()
	if err != nil {
		row.err = err
		return
	}
	chk, cnt, closeChecks, err := openChecks(ctx, v, p)
	if err != nil {
		row.err = err
		return
	}
	defer closeChecks()
	cfg := wrkConfig{Bin: b.f.wrkBin, Dir: b.work, URL: fmt.Sprintf("http://127.0.0.1:%d", p.http), Conns: b.f.conns, Threads: wrkThreads}
	var warm *wrkResult
	if len(pools.warm) > 0 {
		cfg.Name, cfg.Duration = "warm", b.f.warmup
		if warm, err = runWrk(ctx, cfg, pools.warm, nil); err != nil {
			row.err = fmt.Errorf("warm-up: %w", err)
			return
		}
		fmt.Fprintf(b.out, "warm-up  %d requests in %s (%.0f req/s), %s\n",
			warm.Requests, warm.Duration.Round(time.Millisecond), warm.rate(), warm.statusLine())
	}
	runtime.GC() // not during the measured window
	cfg.Name, cfg.Duration = "main", b.f.duration
	r, err := runWrk(ctx, cfg, pools.main, meter.snapshot)
	if err != nil {
		row.err = err
		return
	}
	meter.collectChildren(row)
	row.procs = append(row.procs, procFigures{label: "wrk", cpu: r.CPU})
	row.requests, row.elapsed, row.rate, row.lat = r.Requests, r.Duration, r.rate(), r.Latency
	row.status, row.unexpected = r.statusLine(), r.Non2xx+r.socketErrors()
	row.answered = r.Requests
	ok, sent := r.ok2xx(), r.sentTotal()
	sets := []checkSet{}
	if warm != nil {
		row.unexpected += warm.Non2xx + warm.socketErrors()
		row.answered += warm.Requests
		ok, sent = ok+warm.ok2xx(), sent+warm.sentTotal()
		sets = append(sets, warm.sentSet(pools.warm, wrkThreads))
	}
	sets = append(sets, r.sentSet(pools.main, wrkThreads))
	printWrk(b, r, cfg, len(pools.main))
	if warm != nil && warm.wrapped() {
		row.notes = append(row.notes, fmt.Sprintf("the warm-up ran out of its %d deliveries and sent some again (retries, so duplicates, to a target that stores)", len(pools.warm)))
	}
	if r.wrapped() {
		row.notes = append(row.notes, fmt.Sprintf("wrk ran out of the %d deliveries and sent some again (retries, so duplicates, to a target that stores): raise --max-pool", len(pools.main)))
	}
	if v.benthos != nil && v.benthos.verify {
		var probed string
		if probed, row.err = b.probeRefusal(ctx, cfg.URL, p.natsURL(), b.runID+"-"+v.key); row.err != nil {
			return
		}
		fmt.Fprintln(b.out, "refused  "+probed)
	}
	if chk != nil {
		row.check, row.err = chk.finishByCount(ctx, b.runID, sets, ok, b.out)
	}
	if cnt != nil {
		row.stored, row.err = cnt.finish(ctx, ok, sent)
		fmt.Fprintln(b.out, "check    "+row.stored)
	}
}

// printWrk prints a measured wrk run's figures as text.
func printWrk(b *benchRun, r *wrkResult, cfg wrkConfig, pool int) {
	fmt.Fprintf(b.out, "run      %d requests in %s = %.0f req/s over %d connections (wrk -t%d; %d of %d deliveries started; each thread read its share in at most %s of CPU, before wrk's clock and its first request)\n",
		r.Requests, r.Duration.Round(time.Millisecond), r.rate(), cfg.Conns, cfg.Threads, r.sentTotal(), pool, r.InitCPU.Round(time.Millisecond))
	fmt.Fprintf(b.out, "latency  p50 %s  p90 %s  p99 %s  max %s  (wrk --latency; p75 %s)\n",
		fmtDur(r.P50), fmtDur(r.P90), fmtDur(r.P99), fmtDur(r.Max), fmtDur(r.P75))
	fmt.Fprintf(b.out, "status   %s\n", r.statusLine())
}
