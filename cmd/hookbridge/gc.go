package main

import (
	"log/slog"
	"runtime/debug"
)

// gcPercent is the garbage collector's target when GOGC is not set: a
// collection once the heap has grown 400% past what the last one left
// live, instead of Go's 100%. The bridge's live heap is small (a few MiB
// of buffers and connections) and almost everything a delivery allocates is
// garbage by its answer, so at 100% the collector runs every few hundred
// deliveries and takes a fifth of the bridge's CPU; at 400% it runs a
// quarter as often, for a few MiB more of heap (BENCHMARKS.md, "The
// garbage collector's target"). Large bodies in flight are bounded by
// http.max_body_bytes_in_flight, not by this.
const gcPercent = 400

// tuneGC sets the collector's target to gcPercent unless the operator set
// GOGC, which always wins. It returns the function that puts the previous
// target back.
func tuneGC(getenv func(string) string, log *slog.Logger) (restore func()) {
	if v := getenv("GOGC"); v != "" {
		log.Info("garbage collector target from GOGC", "GOGC", v)
		return func() {}
	}
	prev := debug.SetGCPercent(gcPercent)
	return func() { debug.SetGCPercent(prev) }
}
