package main

import (
	"bytes"
	"testing"
	"time"
)

// TestPrintRun: the run's lines say what the figures are: the rate over the
// run, the latency quantiles, mean and count of the answered requests, the
// status counts most frequent first, and why a run is not what was asked.
func TestPrintRun(t *testing.T) {
	r := &runResult{
		Elapsed: 2 * time.Second, Requests: 100, Firsts: 90, Replays: 10, Dials: 5,
		Status:     map[string]uint64{"200 published": 88, "200 duplicate (replay)": 10, "error: timeout": 2},
		Unexpected: 2, Errors: []string{"Post: timeout"},
		Exhausted: true, States: make([]deliveryState, 90),
	}
	for i := 1; i <= 100; i++ {
		r.Latency.record(time.Duration(i) * time.Millisecond)
	}
	var out bytes.Buffer
	printRun(&out, "run", runConfig{Conns: 4}, r)
	want := `run      100 requests (90 first sends, 10 replays) in 2s = 50 req/s over 4 connections (5 dialled)
latency  p50 50ms  p90 90ms  p99 99ms  max 100ms  (mean 50.5ms, 100 answered)
status   200 published 88, 200 duplicate (replay) 10, error: timeout 2
note     the 90 pre-generated deliveries ran out after 2s: the figures are over that time (raise --max-pool or give --requests)
UNEXPECTED 2 answers; e.g. Post: timeout
`
	if out.String() != want {
		t.Errorf("got\n%s\nwant\n%s", out.String(), want)
	}
}

func TestFmtDur(t *testing.T) {
	for d, want := range map[time.Duration]string{
		999 * time.Microsecond:   "999µs",
		1234 * time.Microsecond:  "1.23ms",
		98765 * time.Microsecond: "98.8ms",
		2500 * time.Millisecond:  "2.5s",
	} {
		if got := fmtDur(d); got != want {
			t.Errorf("fmtDur(%s) = %q, want %q", d, got, want)
		}
	}
}
