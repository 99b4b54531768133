package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"runtime"
	"sync/atomic"
	"time"
)

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
	rate := 0.0
	if mc.Warmup > 0 {
		var err error
		if rate, err = lr.warmUp(ctx, m, rc, mc, log); err != nil {
			return nil, err
		}
	}
	n := mc.Requests
	if n == 0 {
		n = poolSize(rate, rc, mc)
		rc.Wrap = !rc.Stores
	}
	if err := lr.pool(m, mc, n, log); err != nil {
		return nil, err
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

// warmUp runs the warm-up with deliveries of its own and returns the rate
// that sizes the pool: the second half's when it is higher, since the first
// includes connecting and the target's own warming up.
func (lr *loadRun) warmUp(ctx context.Context, m *mix, rc runConfig, mc measureConfig, log io.Writer) (float64, error) {
	// Enough for 15k req/s; a plain target gets them again, a bridge's
	// warm-up just ends early.
	n := min(max(rc.Conns*100, int(15_000*mc.Warmup.Seconds())), 100_000)
	ds, err := m.generate(mc.RunID+"-w", n, mc.Body, time.Now())
	if err != nil {
		return 0, err
	}
	wc := rc
	wc.Duration = mc.Warmup
	wc.Wrap = !rc.Stores
	var progress atomic.Uint64
	wc.Progress = &progress
	type mark struct {
		n  uint64
		at time.Time
	}
	half := make(chan mark, 1)
	timer := time.AfterFunc(mc.Warmup/2, func() { half <- mark{progress.Load(), time.Now()} })
	if lr.warm, err = runLoad(ctx, wc, ds); err != nil {
		return 0, err
	}
	timer.Stop()
	lr.warmDs = ds
	if lr.warm.Cancelled {
		return 0, ctx.Err()
	}
	rate := float64(lr.warm.Requests) / lr.warm.Elapsed.Seconds()
	select {
	case h := <-half:
		if el := lr.warm.End.Sub(h.at); el > 0 && lr.warm.Requests > h.n {
			rate = max(rate, float64(lr.warm.Requests-h.n)/el.Seconds())
		}
	default:
	}
	fmt.Fprintf(log, "warm-up  %d requests in %s (%.0f req/s), %s\n",
		lr.warm.Requests, lr.warm.Elapsed.Round(time.Millisecond), lr.warm.rate(), statusLine(lr.warm.Status))
	return rate, nil
}

// poolSize is how many deliveries a run of rc.Duration needs at rate, with
// room to spare; a run that still runs out stops early and says so.
func poolSize(rate float64, rc runConfig, mc measureConfig) int {
	margin := mc.Margin
	if margin <= 0 {
		margin = 1.5
	}
	n := int(math.Ceil(rate*rc.Duration.Seconds()*margin)) + 8*rc.Conns
	return min(max(n, 1000), mc.MaxPool)
}

// pool sets the measured run's n deliveries: mc.Pool when it holds enough
// (all of it when sized from a rate), else newly generated ones.
func (lr *loadRun) pool(m *mix, mc measureConfig, n int, log io.Writer) error {
	switch {
	case len(mc.Pool) >= n && mc.Requests == 0:
		lr.mainDs = mc.Pool
	case len(mc.Pool) >= n:
		lr.mainDs = mc.Pool[:n]
	default:
		start := time.Now()
		ds, err := m.generate(mc.RunID+"-", n, mc.Body, time.Now())
		if err != nil {
			return err
		}
		lr.mainDs, lr.generated, lr.generateDuration = ds, n, time.Since(start)
		fmt.Fprintf(log, "prepared %d signed deliveries in %s\n", n, lr.generateDuration.Round(time.Millisecond))
	}
	return nil
}

// margin is how much bigger than the warm-up rate the pool is made.
func margin(rc runConfig) float64 {
	if rc.Stores {
		return 1.5
	}
	return 1
}
