package main

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestHistogramQuantilesAreExactInRank(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var h histogram
	var values []uint64
	for range 200_000 {
		// Log-normal around 3ms, with a tail into seconds.
		us := uint64(math.Exp(rng.NormFloat64()*1.2 + math.Log(3000)))
		h.record(time.Duration(us) * time.Microsecond)
		values = append(values, us)
	}
	slices.Sort(values)
	for _, q := range []float64{0.5, 0.9, 0.99, 0.999, 1} {
		rank := int(math.Ceil(q * float64(len(values))))
		exact := values[rank-1]
		got := uint64(h.quantile(q) / time.Microsecond)
		if got < exact || float64(got-exact) > float64(exact)/1024 {
			t.Errorf("q%v = %dµs, exact %dµs", q, got, exact)
		}
	}
	if h.maxValue() != time.Duration(values[len(values)-1])*time.Microsecond {
		t.Errorf("max %s", h.maxValue())
	}
	for i := range histBuckets {
		if histIndex(histHighest(i)) != i || (i > 0 && histIndex(histHighest(i-1)+1) != i) {
			t.Fatalf("bucket %d: highest %d maps to %d", i, histHighest(i), histIndex(histHighest(i)))
		}
	}
}

// TestHistogramMergeAndMean: the workers' histograms merged give the
// quantiles, mean, min and max of all their samples, as one histogram of
// them all would; out-of-range latencies are clamped, not lost.
func TestHistogramMergeAndMean(t *testing.T) {
	var whole, merged histogram
	parts := make([]histogram, 3)
	for i := 1; i <= 3000; i++ {
		d := time.Duration(i*i) * time.Microsecond // 1µs to 9s
		whole.record(d)
		parts[i%3].record(d)
	}
	var empty histogram
	merged.merge(&empty)
	for i := range parts {
		merged.merge(&parts[i])
	}
	merged.merge(&empty)
	if merged != whole {
		t.Fatalf("merged: n %d min %d max %d sum %d; whole: n %d min %d max %d sum %d",
			merged.n, merged.min, merged.max, merged.sum, whole.n, whole.min, whole.max, whole.sum)
	}
	// The sum of i² for i = 1..3000, over 3000.
	if want := time.Duration(3000*3001*6001/6/3000) * time.Microsecond; merged.mean() != want {
		t.Errorf("mean %s, want %s", merged.mean(), want)
	}
	if merged.min != 1 || merged.maxValue() != 9*time.Second {
		t.Errorf("min %dµs, max %s", merged.min, merged.maxValue())
	}
	if empty.quantile(0.5) != 0 || empty.mean() != 0 || empty.maxValue() != 0 {
		t.Error("an empty histogram reports figures")
	}

	var edge histogram
	edge.record(-time.Second)
	edge.record(100 * 24 * time.Hour)
	if edge.n != 2 || edge.quantile(0.5) != 0 || edge.maxValue() != time.Duration(histMaxUS)*time.Microsecond {
		t.Errorf("clamping: n %d, p50 %s, max %s", edge.n, edge.quantile(0.5), edge.maxValue())
	}
}
