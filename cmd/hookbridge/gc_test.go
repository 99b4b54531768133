package main

import (
	"log/slog"
	"runtime/debug"
	"testing"
)

// TestTuneGC: with an external broker the bridge raises the collector's
// target, unless the operator set GOGC, whose value the runtime has
// already applied and which must stand; with the embedded server it keeps
// Go's.
func TestTuneGC(t *testing.T) {
	before := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(before) })
	log := slog.New(slog.DiscardHandler)

	noGOGC := func(string) string { return "" }
	defer tuneGC(true, noGOGC, log)()
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("embedded server, GOGC unset: the collector's target is %d%%, want Go's 100%%", got)
	}

	restore := tuneGC(false, noGOGC, log)
	if got := debug.SetGCPercent(100); got != gcPercent {
		t.Errorf("external broker, GOGC unset: the collector's target is %d%%, want %d%%", got, gcPercent)
	}
	debug.SetGCPercent(gcPercent)
	restore()
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("after serve: the collector's target is %d%%, want the previous 100%%", got)
	}

	debug.SetGCPercent(150) // as the runtime does for GOGC=150
	defer tuneGC(false, func(k string) string {
		if k == "GOGC" {
			return "150"
		}
		return ""
	}, log)()
	if got := debug.SetGCPercent(100); got != 150 {
		t.Errorf("GOGC=150: the collector's target is %d%%, want the operator's 150%%", got)
	}
}
