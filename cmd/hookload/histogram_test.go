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
