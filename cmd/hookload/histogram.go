package main

import (
	"math/bits"
	"time"
)

// histogram counts latencies in microseconds in log-linear buckets (the
// HdrHistogram layout): every value below 2048µs has its own bucket, and
// above that each power of two is cut in 1024 buckets, so a quantile is
// exact in rank and within 1/1024 (0.1%) in value, for any number of
// samples, in a fixed 230 KiB. Not safe for concurrent use: give each
// worker its own and merge them.
type histogram struct {
	counts [histBuckets]uint64
	n      uint64
	min    uint64
	max    uint64
	sum    uint64
}

const (
	histSubBits = 11
	histSub     = 1 << histSubBits // values below this are exact
	histHalf    = histSub / 2
	histMaxExp  = 26 // up to 2^(11+26) µs, about 38 hours
	histBuckets = histSub + histMaxExp*histHalf
	histMaxUS   = uint64(1)<<(histSubBits+histMaxExp) - 1
)

func histIndex(v uint64) int {
	if v < histSub {
		return int(v)
	}
	shift := bits.Len64(v) - histSubBits // 1 for [2048, 4096)
	return histSub + (shift-1)*histHalf + int(v>>shift) - histHalf
}

// histHighest is the largest value that falls in bucket i.
func histHighest(i int) uint64 {
	if i < histSub {
		return uint64(i)
	}
	j := i - histSub
	shift := j/histHalf + 1
	low := uint64(j%histHalf+histHalf) << shift
	return low + (1 << shift) - 1
}

func (h *histogram) record(d time.Duration) {
	v := uint64(max(d, 0) / time.Microsecond)
	v = min(v, histMaxUS)
	h.counts[histIndex(v)]++
	if h.n == 0 || v < h.min {
		h.min = v
	}
	h.max = max(h.max, v)
	h.n++
	h.sum += v
}

// recordN counts n values of us microseconds, as read from another
// tool's histogram (wrk's).
func (h *histogram) recordN(us, n uint64) {
	if n == 0 {
		return
	}
	us = min(us, histMaxUS)
	h.counts[histIndex(us)] += n
	if h.n == 0 || us < h.min {
		h.min = us
	}
	h.max = max(h.max, us)
	h.n += n
	h.sum += us * n
}

func (h *histogram) merge(o *histogram) {
	if o.n == 0 {
		return
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	if h.n == 0 || o.min < h.min {
		h.min = o.min
	}
	h.max = max(h.max, o.max)
	h.n += o.n
	h.sum += o.sum
}

// quantile returns the value at rank ceil(q*n): the highest value of its
// bucket, never above the largest value recorded.
func (h *histogram) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(q * float64(h.n))
	if float64(rank) < q*float64(h.n) {
		rank++
	}
	rank = max(rank, 1)
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			return time.Duration(min(histHighest(i), h.max)) * time.Microsecond
		}
	}
	return time.Duration(h.max) * time.Microsecond
}

func (h *histogram) maxValue() time.Duration { return time.Duration(h.max) * time.Microsecond }

func (h *histogram) mean() time.Duration {
	if h.n == 0 {
		return 0
	}
	return time.Duration(h.sum/h.n) * time.Microsecond
}
