package bridge

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// firstBodyChunk is the first buffer a body is read into. What a body holds
// grows from there by doubling as its bytes arrive, never to more than its
// announced Content-Length (or the body limit), so a request holds at most
// about twice what it has actually sent: announcing a large body and then
// sending a trickle costs the sender its bandwidth, not the bridge its
// memory. A body announced at no more than this gets its one buffer at once.
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
// limit it is ErrTooLarge. Memory follows the bytes received: never more than
// about twice what has arrived, each growth reserved first.
func (s *server) readBody(r *http.Request) ([]byte, int64, error) {
	limit := s.cfg.MaxBodyBytes
	switch {
	case r.ContentLength > limit:
		return nil, 0, ErrTooLarge
	case r.ContentLength == 0:
		return nil, 0, nil
	case r.ContentLength > 0:
		return s.readAnnounced(r.Body, r.ContentLength)
	}
	return s.readUnannounced(r.Body, limit)
}

// readAnnounced reads a body whose Content-Length n is announced. Until half
// of it has arrived, it goes into parts that each double what is held and are
// never copied; then one buffer of n takes the parts and the rest. A sender
// that announces n and trickles holds at most twice what it sent, as with
// doubling one buffer, but an honest body costs 1.5 n at its peak and 1.5 n
// in all, where doubling one buffer through every power of two cost up to
// 2 n at its peak and up to 3 n in all. With memory bounded by twice what
// has arrived and the body wanted in one piece, 1.5 n is the least peak: the
// n buffer cannot be taken before n/2 has arrived, and that half is then
// held twice for a moment.
func (s *server) readAnnounced(rd io.Reader, n int64) ([]byte, int64, error) {
	var held int64
	fail := func(err error) ([]byte, int64, error) {
		s.budget.release(held)
		return nil, 0, err
	}
	grow := func(by int64) bool {
		if !s.budget.reserve(by) {
			return false
		}
		held += by
		return true
	}
	// Each part doubles what is held: sixteen take a body of 64 MiB, and
	// a list of that size stays off the heap.
	parts := make([][]byte, 0, 16)
	var got int64 // bytes in parts
	half := (n + 1) / 2
	if n <= firstBodyChunk {
		half = 0 // a small body gets its one buffer at once
	}
	for got < half {
		size := min(max(got, firstBodyChunk), half-got)
		if !grow(size) {
			return fail(ErrOverloaded)
		}
		part := make([]byte, size)
		if err := readFull(rd, part); err != nil {
			return fail(err)
		}
		parts = append(parts, part)
		got += size
	}
	// The budget counts what the body keeps, n; the parts, garbage once
	// copied, are not reserved twice (as a doubled buffer's old half was
	// not).
	if !grow(n - got) {
		return fail(ErrOverloaded)
	}
	body := make([]byte, n)
	at := 0
	for _, p := range parts {
		at += copy(body[at:], p)
	}
	if err := readFull(rd, body[at:]); err != nil {
		return fail(err)
	}
	return body, held, nil
}

// readFull fills p from the body; a body that ends early is a bad request.
func readFull(rd io.Reader, p []byte) error {
	if _, err := io.ReadFull(rd, p); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return fmt.Errorf("%w: %w", ErrBadRequest, err)
	}
	return nil
}

// readUnannounced reads a body of unknown length (chunked) to EOF, into a
// buffer that starts at firstBodyChunk and doubles, each growth reserved
// first; past limit it is ErrTooLarge.
func (s *server) readUnannounced(rd io.Reader, limit int64) ([]byte, int64, error) {
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
			if int64(len(body)) == limit {
				// At the limit: one more byte means too large, EOF
				// means exactly at the limit.
				var probe [1]byte
				n, err := io.ReadFull(rd, probe[:])
				switch {
				case n > 0:
					return fail(ErrTooLarge)
				case errors.Is(err, io.EOF):
					return body, held, nil
				default:
					return fail(fmt.Errorf("%w: %w", ErrBadRequest, err))
				}
			}
			next := min(max(2*int64(cap(body)), firstBodyChunk), limit)
			if !s.budget.reserve(next - int64(cap(body))) {
				return fail(ErrOverloaded)
			}
			held += next - int64(cap(body))
			grown := make([]byte, len(body), next)
			copy(grown, body)
			body = grown
		}
		n, err := rd.Read(body[len(body):cap(body)])
		body = body[:len(body)+n]
		switch {
		case err == nil:
		case errors.Is(err, io.EOF):
			return body, held, nil
		default:
			return fail(fmt.Errorf("%w: %w", ErrBadRequest, err))
		}
	}
}
