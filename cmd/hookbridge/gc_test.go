package main

import (
	"log/slog"
	"runtime/debug"
	"testing"
)

// TestTuneGC: the bridge raises the collector's target unless the operator
// set GOGC, whose value the runtime has already applied and which must
// stand.
func TestTuneGC(t *testing.T) {
	before := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(before) })
	log := slog.New(slog.DiscardHandler)

	restore := tuneGC(func(string) string { return "" }, log)
	if got := debug.SetGCPercent(100); got != gcPercent {
		t.Errorf("GOGC unset: the collector's target is %d%%, want %d%%", got, gcPercent)
	}
	debug.SetGCPercent(gcPercent)
	restore()
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("after serve: the collector's target is %d%%, want the previous 100%%", got)
	}

	debug.SetGCPercent(150) // as the runtime does for GOGC=150
	defer tuneGC(func(k string) string {
		if k == "GOGC" {
			return "150"
		}
		return ""
	}, log)()
	if got := debug.SetGCPercent(100); got != 150 {
		t.Errorf("GOGC=150: the collector's target is %d%%, want the operator's 150%%", got)
	}
}
