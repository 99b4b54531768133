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
// deliveries and takes a sixth of the bridge's CPU; at 400% it runs a
// quarter as often, for about 10 MiB more (BENCHMARKS.md, "Against
// Benthos: before and after gathering the NATS connection's writes").
// Large bodies in flight are bounded by the soft memory limit
// (limitMemory), not by this.
//
// With the embedded server the process's live heap is the server's too
// (its message cache and the ids of the duplicate window), and 400% more
// than doubled the peak resident memory; it keeps Go's default.
const gcPercent = 400

// tuneGC sets the collector's target to gcPercent when the broker is
// external, unless the operator set GOGC, which always wins. It returns
// the function that puts the previous target back.
func tuneGC(embedded bool, getenv func(string) string, log *slog.Logger) (restore func()) {
	if v := getenv("GOGC"); v != "" {
		log.Info("garbage collector target from GOGC", "GOGC", v)
		return func() {}
	}
	if embedded {
		return func() {}
	}
	prev := debug.SetGCPercent(gcPercent)
	return func() { debug.SetGCPercent(prev) }
}
