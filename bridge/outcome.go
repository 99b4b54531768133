package bridge

import (
	"errors"
	"net/http"

	"github.com/hookbridge/hookbridge/bridge/provider"
)

// Errors of the delivery path that are not the provider's.
var (
	ErrUnknownSource    = errors.New("unknown source")
	ErrNotFound         = errors.New("not found")
	ErrTooLarge         = errors.New("body too large")
	ErrMethodNotAllowed = errors.New("method not allowed")
	ErrBadRequest       = errors.New("unreadable request body")
	// ErrOverloaded: the bodies of the requests in flight already hold
	// Config.MaxBodyBytesInFlight; the sender should retry later.
	ErrOverloaded = errors.New("too many request bytes in flight; retry later")
	// ErrUnavailable wraps every failure to get a PubAck: the broker is down,
	// has no quorum, or did not answer within the publish timeout.
	ErrUnavailable = errors.New("event store unavailable")
	// errChallenge: a platform's GET handshake was answered (the answer
	// is in deliveryLog.reply); nothing is published.
	errChallenge = errors.New("handshake challenge answered")
)

// outcome names how a delivery ended, for logs and metrics.
type outcome string

const (
	outcomePublished     outcome = "published"
	outcomeDuplicate     outcome = "duplicate"
	outcomePing          outcome = "ping"
	outcomeChallenge     outcome = "challenge"
	outcomeUnknownSource outcome = "unknown_source"
	outcomeNotFound      outcome = "not_found"
	outcomeUnauthorized  outcome = "unauthorized"
	outcomeTooLarge      outcome = "too_large"
	outcomeUnusable      outcome = "unusable"
	outcomeBadRequest    outcome = "bad_request"
	outcomeMethod        outcome = "method_not_allowed"
	outcomeUnavailable   outcome = "unavailable"
	outcomeOverloaded    outcome = "overloaded"
	outcomeKeys          outcome = "keys_unavailable"
)

// An outcomeRule is how a request that ended with an error matching err
// (errors.Is) is answered, logged and counted.
type outcomeRule struct {
	err     error
	status  int
	outcome outcome
	// reason labels hookbridge_verification_failures_total; "" for the
	// errors that are not a failed verification.
	reason string
	// detail: the sender sees the error's whole text, not only the
	// sentinel's words (an unusable payload's names the field at fault,
	// never a value of a secret or signature).
	detail bool
	// retryAfter: the answer carries Retry-After.
	retryAfter bool
}

// outcomeRules is the one place that decides how every request ends. A
// stored delivery is 200 (published, or duplicate when JetStream says so).
// Signature problems are 4xx so that a misconfigured sender does not start
// a retry storm; only what passes by itself (the broker, the bytes in
// flight) is 503 with Retry-After, which every platform retries. The last
// rule also answers anything unforeseen: the sender should retry.
var outcomeRules = []outcomeRule{
	{err: provider.ErrPing, status: http.StatusOK, outcome: outcomePing},
	{err: errChallenge, status: http.StatusOK, outcome: outcomeChallenge},
	{err: ErrUnknownSource, status: http.StatusNotFound, outcome: outcomeUnknownSource},
	{err: ErrNotFound, status: http.StatusNotFound, outcome: outcomeNotFound},
	{err: ErrMethodNotAllowed, status: http.StatusMethodNotAllowed, outcome: outcomeMethod},
	{err: ErrTooLarge, status: http.StatusRequestEntityTooLarge, outcome: outcomeTooLarge},
	{err: provider.ErrMissingSignature, status: http.StatusUnauthorized, outcome: outcomeUnauthorized, reason: "missing"},
	{err: provider.ErrMalformedSignature, status: http.StatusUnauthorized, outcome: outcomeUnauthorized, reason: "malformed"},
	{err: provider.ErrBadSignature, status: http.StatusUnauthorized, outcome: outcomeUnauthorized, reason: "mismatch"},
	{err: provider.ErrStale, status: http.StatusUnauthorized, outcome: outcomeUnauthorized, reason: "stale"},
	{err: provider.ErrUnusable, status: http.StatusBadRequest, outcome: outcomeUnusable, detail: true},
	{err: ErrAmbiguousFraming, status: http.StatusBadRequest, outcome: outcomeBadRequest},
	{err: ErrBadRequest, status: http.StatusBadRequest, outcome: outcomeBadRequest},
	{err: provider.ErrKeyUnavailable, status: http.StatusServiceUnavailable, outcome: outcomeKeys, retryAfter: true},
	{err: ErrOverloaded, status: http.StatusServiceUnavailable, outcome: outcomeOverloaded, retryAfter: true},
	{err: ErrUnavailable, status: http.StatusServiceUnavailable, outcome: outcomeUnavailable, retryAfter: true},
}

// stored is the rule of a delivery JetStream acknowledged.
var stored = outcomeRule{status: http.StatusOK, outcome: outcomePublished}

// ruleFor is the rule for err (nil: stored).
func ruleFor(err error) *outcomeRule {
	if err == nil {
		return &stored
	}
	for i := range outcomeRules {
		if errors.Is(err, outcomeRules[i].err) {
			return &outcomeRules[i]
		}
	}
	return &outcomeRules[len(outcomeRules)-1]
}

// result is the rule for err and the outcome it gives dl: a stored
// delivery is a duplicate when JetStream said so of all its messages.
func result(err error, dl deliveryLog) (*outcomeRule, outcome) {
	rule := ruleFor(err)
	if rule.outcome == outcomePublished && dl.duplicate {
		return rule, outcomeDuplicate
	}
	return rule, rule.outcome
}

// public is the text the sender sees for err under r. Broker details stay
// in the log.
func (r *outcomeRule) public(err error) string {
	if r.detail {
		return err.Error()
	}
	return r.err.Error()
}
