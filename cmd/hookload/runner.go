package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// runConfig says how hard and how long to drive a target.
type runConfig struct {
	BaseURL  string        // "http://127.0.0.1:8080"; a delivery's path is appended
	Conns    int           // keep-alive connections, one goroutine each
	Duration time.Duration // stop starting requests after this long
	Replay   float64       // share of 200-answered deliveries sent again as platform retries
	Timeout  time.Duration // per request
	// Bridge is true when the target is hookbridge: a first send must be
	// answered 200 "published" and a replay 200 "duplicate". Otherwise any
	// 2xx is as expected.
	Bridge bool
	// Stores is true when the target stores what it accepts (a bridge, or
	// another pipeline to the broker): its deliveries are never sent again
	// when they run out, since a second send is a platform retry to it.
	Stores bool
	// Wrap sends the deliveries again from the first when they run out
	// before Duration; only for a plain endpoint, which does not dedup.
	Wrap bool
	// Progress, when set, counts finished requests as they finish.
	Progress *atomic.Uint64
}

// deliveryState is what happened to one delivery. Each delivery is sent
// first by one worker, and only that worker replays it, so a state is
// written by one goroutine and read after the run.
type deliveryState struct {
	sent     bool
	answered bool  // some attempt got a 2xx
	first    int16 // status of the first send; 0 for a transport error
}

// runResult is one run's figures.
type runResult struct {
	Start, End time.Time
	Elapsed    time.Duration
	Requests   uint64 // every request that got an answer or an error
	Firsts     uint64
	Replays    uint64
	Latency    histogram // answered requests only
	Status     map[string]uint64
	Unexpected uint64 // requests whose answer was not the expected one
	Dials      uint64 // TCP connections opened; Conns when keep-alive holds
	Exhausted  bool   // the pre-generated deliveries ran out before Duration
	Wrapped    bool   // they ran out and were sent again (not to a bridge)
	Cancelled  bool
	States     []deliveryState // parallel to the deliveries
	Errors     []string        // a few transport errors, for the report
}

func (r *runResult) rate() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests) / r.Elapsed.Seconds()
}

// runLoad sends the deliveries over cfg.Conns keep-alive connections until
// they run out, cfg.Duration passes, or ctx is cancelled; requests in flight
// then finish (each bounded by cfg.Timeout). It returns an error only when
// the run could not start.
func runLoad(ctx context.Context, cfg runConfig, ds []delivery) (*runResult, error) {
	if cfg.Conns < 1 {
		return nil, errors.New("--conns must be at least 1")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	res := &runResult{States: make([]deliveryState, len(ds)), Status: map[string]uint64{}}
	workers := make([]*worker, cfg.Conns)
	for i := range workers {
		workers[i] = newWorker(cfg, ds, res.States, uint64(i))
	}
	var next atomic.Int64 // index of the next delivery to send first
	var dials atomic.Uint64
	for _, w := range workers {
		w.dials = &dials
	}
	start := time.Now()
	deadline := start.Add(cfg.Duration)
	runCtx, cancel := context.WithDeadline(ctx, deadline.Add(cfg.Timeout))
	defer cancel()
	var wg sync.WaitGroup
	for _, w := range workers {
		wg.Go(func() { w.loop(runCtx, &next, deadline) })
	}
	wg.Wait()
	res.End = time.Now()
	res.Start = start
	res.Elapsed = res.End.Sub(start)
	res.Exhausted = !cfg.Wrap && next.Load() >= int64(len(ds)) && res.End.Before(deadline)
	res.Wrapped = cfg.Wrap && next.Load() > int64(len(ds))
	res.Cancelled = ctx.Err() != nil
	res.Dials = dials.Load()
	for _, w := range workers {
		res.Latency.merge(&w.hist)
		res.Requests += w.firsts + w.replays
		res.Firsts += w.firsts
		res.Replays += w.replays
		res.Unexpected += w.unexpected
		for k, v := range w.status {
			res.Status[k] += v
		}
		if len(res.Errors) < 5 {
			res.Errors = append(res.Errors, w.errs...)
		}
		w.client.CloseIdleConnections()
	}
	return res, nil
}

// worker owns one connection: one goroutine, one http.Client whose
// Transport holds one keep-alive connection.
type worker struct {
	cfg    runConfig
	ds     []delivery
	states []deliveryState
	client *http.Client
	rng    *rand.Rand
	dials  *atomic.Uint64
	buf    []byte
	queue  []int32 // answered deliveries chosen to be replayed, oldest first

	hist                        histogram
	firsts, replays, unexpected uint64
	status                      map[string]uint64
	errs                        []string
}

// replayLag is how many answered deliveries wait in a worker's queue
// before the oldest is replayed, so that a retry comes a little later.
const replayLag = 4

func newWorker(cfg runConfig, ds []delivery, states []deliveryState, seed uint64) *worker {
	w := &worker{
		cfg: cfg, ds: ds, states: states,
		rng:    rand.New(rand.NewPCG(seed, uint64(time.Now().UnixNano()))),
		buf:    make([]byte, 512),
		status: map[string]uint64{},
	}
	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	tr := &http.Transport{
		Proxy: nil, // never an environment proxy: the target is local
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := dialer.DialContext(ctx, network, addr)
			if err == nil {
				w.dials.Add(1)
			}
			return c, err
		},
		MaxIdleConns:          1,
		MaxIdleConnsPerHost:   1,
		MaxConnsPerHost:       1,
		IdleConnTimeout:       90 * time.Second,
		DisableCompression:    true,
		ResponseHeaderTimeout: cfg.Timeout,
	}
	w.client = &http.Client{
		Transport:     tr,
		Timeout:       cfg.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return w
}

func (w *worker) loop(ctx context.Context, next *atomic.Int64, deadline time.Time) {
	n := int64(len(w.ds))
	exhausted := false
	for ctx.Err() == nil && time.Now().Before(deadline) {
		// A replay when enough are queued, or when nothing new is left.
		if len(w.queue) > replayLag || (exhausted && len(w.queue) > 0) {
			i := w.queue[0]
			w.queue = w.queue[1:]
			w.send(ctx, int(i), sendReplay)
			continue
		}
		if exhausted {
			return
		}
		i := next.Add(1) - 1
		if i >= n {
			if !w.cfg.Wrap || n == 0 {
				exhausted = true
			} else {
				w.send(ctx, int(i%n), sendAgain)
			}
			continue
		}
		w.states[i].sent = true
		if w.send(ctx, int(i), sendFirst) && w.cfg.Replay > 0 && w.rng.Float64() < w.cfg.Replay {
			w.queue = append(w.queue, int32(i))
		}
	}
}

// sendKind says what a request is to the target.
type sendKind int

const (
	sendFirst  sendKind = iota // a delivery's first send
	sendReplay                 // a platform retry of an answered delivery
	sendAgain                  // a plain target's second round: no state kept
)

// send posts delivery i once and records the answer; it reports whether
// the answer was a 2xx.
func (w *worker) send(ctx context.Context, i int, kind sendKind) bool {
	d := &w.ds[i]
	replay := kind == sendReplay
	if w.cfg.Progress != nil {
		defer w.cfg.Progress.Add(1)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.cfg.BaseURL+d.path, bytes.NewReader(d.body))
	if err != nil {
		w.fail(i, replay, "error: "+err.Error())
		return false
	}
	req.Header = d.header
	start := time.Now()
	resp, err := w.client.Do(req)
	if err != nil {
		w.unanswered(ctx, i, replay, err)
		return false
	}
	nr, _ := io.ReadFull(resp.Body, w.buf)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	w.hist.record(time.Since(start))
	w.count(replay)
	ok := resp.StatusCode/100 == 2
	if kind == sendFirst {
		w.states[i].first = int16(resp.StatusCode)
	}
	if ok && kind != sendAgain {
		w.states[i].answered = true
	}
	key, expected := answerKey(resp.StatusCode, w.buf[:nr], replay, w.cfg.Bridge)
	w.status[key]++
	if !expected {
		w.unexpected++
	}
	return ok
}

// unanswered records a request that got no answer.
func (w *worker) unanswered(ctx context.Context, i int, replay bool, err error) {
	if ctx.Err() != nil {
		// Cut off by the end of the run or a Ctrl-C: it was never
		// answered, which the check counts as such.
		w.count(replay)
		w.status["error: cancelled"]++
		w.unexpected++
		return
	}
	w.fail(i, replay, "error: "+errKind(err))
	if len(w.errs) < 2 {
		w.errs = append(w.errs, err.Error())
	}
}

// answerKey is an answer's status counter key ("200 published (replay)"),
// from its status and the start of its body, and whether it was the answer
// expected: from a bridge, 200 "published" for a first send and 200
// "duplicate" for a replay; from any other target, any 2xx.
func answerKey(status int, body []byte, replay, bridge bool) (key string, expected bool) {
	key = strconv.Itoa(status)
	expected = status/100 == 2
	if bridge && expected {
		switch {
		case bytes.Contains(body, []byte(`"status":"published"`)):
			key += " published"
			expected = !replay
		case bytes.Contains(body, []byte(`"status":"duplicate"`)):
			key += " duplicate"
			expected = replay
		default:
			key += " other"
			expected = false
		}
	}
	if replay {
		key += " (replay)"
	}
	return key, expected
}

func (w *worker) count(replay bool) {
	if replay {
		w.replays++
	} else {
		w.firsts++
	}
}

func (w *worker) fail(i int, replay bool, key string) {
	w.count(replay)
	if replay {
		key += " (replay)"
	}
	w.status[key]++
	w.unexpected++
}

// errKind shortens a transport error to a stable counter key.
func errKind(err error) string {
	var ne net.Error
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed"
	case errors.Is(err, os.ErrDeadlineExceeded), errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		return oe.Op
	}
	return "other"
}

// statusLine prints the status counts, most frequent first.
func statusLine(counts map[string]uint64) string {
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(a, b int) bool {
		if counts[keys[a]] != counts[keys[b]] {
			return counts[keys[a]] > counts[keys[b]]
		}
		return keys[a] < keys[b]
	})
	var b bytes.Buffer
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %d", k, counts[k])
	}
	if b.Len() == 0 {
		return "none"
	}
	return b.String()
}
