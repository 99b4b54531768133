package bridge

import (
	"bytes"
	"net/http"
	"runtime"
	"testing"
)

// bytesAllocated is what f allocates on the heap.
func bytesAllocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// A body whose length is announced costs 1.5 times its size in all: half
// in parts while it may still be a trickle, then one buffer of the
// announced size. Doubling one buffer cost up to 3 times.
func TestAnnouncedBodyAllocatesOneAndAHalfTimes(t *testing.T) {
	for _, n := range []int{1000, 1 << 20, 1<<20 + 1, 25_000_000} {
		s := &server{cfg: Config{Limits: Limits{MaxBodyBytes: 32 << 20, MaxBodyBytesInFlight: 64 << 20}}}
		s.budget = &bodyBudget{limit: s.cfg.MaxBodyBytesInFlight, gauge: NewMetrics(nil).bodyBytes}
		want := bytes.Repeat([]byte("0123456789abcdef"), n/16+1)[:n]
		var (
			got  []byte
			held int64
			err  error
		)
		r, _ := http.NewRequest(http.MethodPost, "/", bytes.NewReader(want))
		alloc := bytesAllocated(func() { got, held, err = s.readBody(r) })
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("n=%d: read %d bytes, err %v", n, len(got), err)
		}
		if held != int64(n) {
			t.Errorf("n=%d: holds %d of the budget, want %d", n, held, n)
		}
		// Beyond the body and its parts: the parts' list and the
		// allocator's rounding to its size classes and pages.
		if limit := uint64(n + (n+1)/2 + 64<<10); alloc > limit {
			t.Errorf("n=%d: allocated %d bytes, want at most %d (1.5 n)", n, alloc, limit)
		}
	}
}
