package main

import (
	"runtime/debug"
	"testing"
)

// memoryLimit is the runtime's soft memory limit, unchanged.
func memoryLimit() int64 { return debug.SetMemoryLimit(-1) }

// serve sets a soft memory limit from the bodies it lets in flight, and
// puts the previous one back when it returns; a set GOMEMLIMIT wins.
func TestServeLimitsMemoryFromBodiesInFlight(t *testing.T) {
	const inFlight = 96 << 20
	before := memoryLimit()
	in := newInstanceWith(t, "max_body_bytes_in_flight: 100663296")
	cancel, wait := in.start(t, t.Output())
	if got, want := memoryLimit(), int64(inFlight+memoryBaseline); got != want {
		t.Errorf("memory limit while serving = %d, want %d (bodies in flight + baseline)", got, want)
	}
	cancel()
	if err := wait(); err != nil {
		t.Fatal(err)
	}
	if got := memoryLimit(); got != before {
		t.Errorf("memory limit after serve = %d, want the previous %d", got, before)
	}

	// GOMEMLIMIT is read by the runtime at start; serve leaves it alone.
	env := func(k string) string {
		if k == "GOMEMLIMIT" {
			return "1GiB"
		}
		return ""
	}
	cancel, wait = in.startEnv(t, t.Output(), env)
	if got := memoryLimit(); got != before {
		t.Errorf("memory limit with GOMEMLIMIT set = %d, want the runtime's own %d", got, before)
	}
	cancel()
	if err := wait(); err != nil {
		t.Fatal(err)
	}
}
