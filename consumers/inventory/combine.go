package inventory

import (
	"context"
	"sync"
)

// skuChange edits a SKU's value and reports whether it changed it. It must
// decide from v alone: it may run more than once, on newer values.
type skuChange func(v *skuValue, exists bool) bool

// combiner turns the concurrent changes this process makes to one SKU into
// as few compare-and-sets as it can: while one write of a key is in flight,
// the changes that arrive queue up, and the next write applies all of them
// at once (group commit).
//
// It is not what makes the stock correct: each batch is an ordinary
// compare-and-set (update), so batches of two processes, or a change that
// bypassed the combiner, still cannot lose each other's effect. It is what
// keeps a hot SKU cheap: without it, N handlers of one process racing for
// one key cost O(N²) failed writes; with it, about one write per round trip.
type combiner struct {
	mu     sync.Mutex
	queues map[string]*skuQueue
}

type skuQueue struct {
	ops []*skuOp
}

type skuOp struct {
	change skuChange
	done   chan struct{}
	v      skuValue // the value as stored after the batch; read-only
	err    error
}

// updateSKU applies change to the SKU's value in the store, batched with the
// concurrent changes of other goroutines. It returns the value as stored
// after the batch that included change (read it only), or the batch's
// error. If ctx ends first, it returns ctx's error and change may still be
// applied, as if the process had stopped right after the write: every
// change is safe to apply again, so the redelivery copes with both.
func (s *Service) updateSKU(ctx context.Context, sku string, change skuChange) (skuValue, error) {
	key := skuKey(sku)
	op := &skuOp{change: change, done: make(chan struct{})}
	s.combine.mu.Lock()
	q, running := s.combine.queues[key]
	if !running {
		q = &skuQueue{}
		s.combine.queues[key] = q
	}
	q.ops = append(q.ops, op)
	s.combine.mu.Unlock()
	if !running {
		// One goroutine per busy key writes it until its queue is empty;
		// handlers only wait, so none is held up by the others' work. It
		// does not stop with this handler's ctx, which would fail the
		// others' changes; each of its writes is bounded by the request
		// timeout and maxCASAttempts.
		go s.drain(context.WithoutCancel(ctx), key, q)
	}
	select {
	case <-op.done:
		return op.v, op.err
	case <-ctx.Done():
		return skuValue{}, ctx.Err()
	}
}

func (s *Service) drain(ctx context.Context, key string, q *skuQueue) {
	for {
		s.combine.mu.Lock()
		ops := q.ops
		q.ops = nil
		if len(ops) == 0 {
			delete(s.combine.queues, key)
			s.combine.mu.Unlock()
			return
		}
		s.combine.mu.Unlock()

		v, err := update(ctx, s.kv, key, func(v *skuValue, exists bool) (bool, error) {
			write := false
			for _, op := range ops {
				if op.change(v, exists || write) {
					write = true
				}
			}
			return write, nil
		})
		for _, op := range ops {
			op.v, op.err = v, err
			close(op.done)
		}
	}
}
