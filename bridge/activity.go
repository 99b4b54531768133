package bridge

import (
	"sync"
	"sync/atomic"
	"time"
)

// Activity remembers, per source, when a delivery was last answered with
// success and the last one answered with an error, with its outcome and
// reason: what an operator asks first about a source ("is Shopify still
// sending? why was its last delivery refused?"). The delivery path writes
// it with one atomic store per answer, into a record resolved once per
// route; the console reads it. Nothing in it comes from a request beyond
// the outcome's own names: no secret, signature or body.
type Activity struct {
	mu      sync.Mutex
	sources map[string]*sourceActivity
}

// SourceFailure is a source's last delivery answered with an error.
type SourceFailure struct {
	At      time.Time
	Status  int
	Outcome string // as hookbridge_deliveries_total counts it
	// Reason is the verification failure (missing, malformed, mismatch,
	// stale) when there is one, else the error's sentinel words.
	Reason string
}

type sourceActivity struct {
	success atomic.Int64 // UnixNano of the last success; 0 for none
	failure atomic.Pointer[SourceFailure]
}

// of is name's record, made on first use; nil when a is nil.
func (a *Activity) of(name string) *sourceActivity {
	if a == nil {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.sources == nil {
		a.sources = map[string]*sourceActivity{}
	}
	sa := a.sources[name]
	if sa == nil {
		sa = new(sourceActivity)
		a.sources[name] = sa
	}
	return sa
}

// Source is what a remembers of the source named name: when a delivery was
// last answered with success (zero for none since start) and the last one
// answered with an error (nil for none).
func (a *Activity) Source(name string) (lastSuccess time.Time, lastFailure *SourceFailure) {
	sa := a.of(name)
	if sa == nil {
		return time.Time{}, nil
	}
	if ns := sa.success.Load(); ns != 0 {
		lastSuccess = time.Unix(0, ns)
	}
	return lastSuccess, sa.failure.Load()
}

// record notes one answer of the route's source.
func (sa *sourceActivity) record(now time.Time, rule *outcomeRule, out outcome) {
	if sa == nil {
		return
	}
	if rule.status < 300 {
		sa.success.Store(now.UnixNano())
		return
	}
	reason := rule.reason
	if reason == "" {
		reason = rule.err.Error()
	}
	sa.failure.Store(&SourceFailure{At: now, Status: rule.status, Outcome: string(out), Reason: reason})
}
