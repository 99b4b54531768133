package consumers

import (
	"context"
	"sync"
)

// byteBudget bounds the bytes of the messages being handled at once
// (Config.MaxBytesInFlight). A nil budget bounds nothing.
type byteBudget struct {
	limit int
	mu    sync.Mutex
	used  int
	// freed holds a token after bytes are given back, for the one
	// goroutine (the fetch loop) that waits in take.
	freed chan struct{}
}

// newByteBudget is a budget of limit bytes, or nil for 0 (no bound).
func newByteBudget(limit int) *byteBudget {
	if limit == 0 {
		return nil
	}
	return &byteBudget{limit: limit, freed: make(chan struct{}, 1)}
}

// take waits until n more bytes fit in the budget, or nothing is being
// handled (so that a message larger than the whole budget still goes
// through, alone), and counts them. It returns false, counting nothing, if
// ctx is done first. Only one goroutine may wait in take at a time.
func (b *byteBudget) take(ctx context.Context, n int) bool {
	if b == nil {
		return true
	}
	for {
		b.mu.Lock()
		if b.used == 0 || b.used+n <= b.limit {
			b.used += n
			b.mu.Unlock()
			return true
		}
		b.mu.Unlock()
		select {
		case <-b.freed:
		case <-ctx.Done():
			return false
		}
	}
}

// give returns n bytes that take counted.
func (b *byteBudget) give(n int) {
	if b == nil {
		return
	}
	b.mu.Lock()
	b.used -= n
	b.mu.Unlock()
	select {
	case b.freed <- struct{}{}:
	default:
	}
}
