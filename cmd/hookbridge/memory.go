package main

import (
	"log/slog"
	"runtime/debug"
)

// memoryBaseline is what the process holds beside the bodies in flight: the
// runtime, the connections, the normaliser and, when embedded, the NATS
// server's buffers (about 30 MB resident when idle).
const memoryBaseline = 64 << 20

// limitMemory sets the Go runtime's soft memory limit to the body bytes that
// may be in flight (http.max_body_bytes_in_flight) plus memoryBaseline,
// unless GOMEMLIMIT is set, which then wins. Without a limit the garbage
// collector lets the heap grow to twice what was live at its last cycle, and
// large bodies arriving together left that much resident: ten 25 MB bodies
// peaked at 540 MB, about 330 MB with the limit. The limit is soft: past it
// the collector works harder (at most half the CPU), nothing fails. It
// returns the function that puts the previous limit back.
func limitMemory(inFlight int64, getenv func(string) string, log *slog.Logger) (restore func()) {
	if v := getenv("GOMEMLIMIT"); v != "" {
		log.Info("soft memory limit from GOMEMLIMIT", "limit", v)
		return func() {}
	}
	limit := inFlight + memoryBaseline
	prev := debug.SetMemoryLimit(limit)
	log.Info("soft memory limit", "bytes", limit, "from", "http.max_body_bytes_in_flight + 64 MiB")
	return func() { debug.SetMemoryLimit(prev) }
}
