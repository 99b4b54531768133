package bridge

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// firstBodyChunk is the first buffer a body is read into. A body grows from
// there by doubling as its bytes arrive, never to more than its announced
// Content-Length (or the body limit), so a request holds at most about twice
// what it has actually sent: announcing a large body and then sending a
// trickle costs the sender its bandwidth, not the bridge its memory.
const firstBodyChunk = 1024

// bodyBudget bounds the body bytes held by all requests in flight together.
// Bytes are reserved as buffers grow and released when the delivery is
// answered; a reservation that would pass the limit fails, and the delivery
// gets 503 with Retry-After. Safe for concurrent use.
type bodyBudget struct {
	limit int64
	used  atomic.Int64
	gauge prometheus.Gauge // follows used
}

// reserve takes n bytes, or nothing and false when the limit would be passed.
func (b *bodyBudget) reserve(n int64) bool {
	for {
		used := b.used.Load()
		if used+n > b.limit {
			return false
		}
		if b.used.CompareAndSwap(used, used+n) {
			b.gauge.Add(float64(n))
			return true
		}
	}
}

func (b *bodyBudget) release(n int64) {
	if n != 0 {
		b.used.Add(-n)
		b.gauge.Sub(float64(n))
	}
}

// readBody reads the whole body through the size limit. It returns the body
// and the bytes it reserved from the budget, which the caller releases once
// nothing refers to the body any more (after the publish). On error nothing
// stays reserved.
//
// A body with a Content-Length is read to exactly that many bytes (the HTTP
// server delivers no more); one without (chunked) is read to EOF, and past the
// limit it is ErrTooLarge. Memory follows the bytes received: the buffer starts
// at firstBodyChunk and doubles, each growth reserved first.
func (s *server) readBody(r *http.Request) ([]byte, int64, error) {
	limit := s.cfg.MaxBodyBytes
	known := r.ContentLength >= 0
	if known && r.ContentLength > limit {
		return nil, 0, ErrTooLarge
	}
	if r.ContentLength == 0 {
		return nil, 0, nil
	}
	end := limit // the most the buffer may need
	if known {
		end = r.ContentLength
	}
	var (
		body []byte
		held int64
	)
	fail := func(err error) ([]byte, int64, error) {
		s.budget.release(held)
		return nil, 0, err
	}
	for {
		if len(body) == cap(body) {
			if int64(len(body)) == end {
				if known {
					return body, held, nil
				}
				// At the limit with the length unknown: one more byte
				// means too large, EOF means exactly at the limit.
				var probe [1]byte
				n, err := io.ReadFull(r.Body, probe[:])
				switch {
				case n > 0:
					return fail(ErrTooLarge)
				case errors.Is(err, io.EOF):
					return body, held, nil
				default:
					return fail(fmt.Errorf("%w: %w", ErrBadRequest, err))
				}
			}
			next := min(max(2*int64(cap(body)), firstBodyChunk), end)
			if !s.budget.reserve(next - int64(cap(body))) {
				return fail(ErrOverloaded)
			}
			held += next - int64(cap(body))
			grown := make([]byte, len(body), next)
			copy(grown, body)
			body = grown
		}
		n, err := r.Body.Read(body[len(body):cap(body)])
		body = body[:len(body)+n]
		switch {
		case err == nil:
		case errors.Is(err, io.EOF):
			if known && int64(len(body)) < end {
				return fail(fmt.Errorf("%w: %w", ErrBadRequest, io.ErrUnexpectedEOF))
			}
			return body, held, nil
		default:
			return fail(fmt.Errorf("%w: %w", ErrBadRequest, err))
		}
		if known && int64(len(body)) == end {
			return body, held, nil
		}
	}
}
