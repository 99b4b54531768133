package bridge

import (
	"errors"
	"net/http"

	"github.com/hookbridge/hookbridge/bridge/provider"
)

// Errors of the delivery path that are not the provider's.
var (
	ErrUnknownSource    = errors.New("unknown source")
	ErrTooLarge         = errors.New("body too large")
	ErrMethodNotAllowed = errors.New("method not allowed")
	ErrBadRequest       = errors.New("unreadable request body")
	// ErrOverloaded: the bodies of the requests in flight already hold
	// Config.MaxBodyBytesInFlight; the sender should retry later.
	ErrOverloaded = errors.New("too many request bytes in flight; retry later")
	// ErrUnavailable wraps every failure to get a PubAck: the broker is down,
	// has no quorum, or did not answer within the publish timeout.
	ErrUnavailable = errors.New("event store unavailable")
)

// outcome names how a delivery ended, for logs and metrics.
type outcome string

const (
	outcomePublished     outcome = "published"
	outcomeDuplicate     outcome = "duplicate"
	outcomePing          outcome = "ping"
	outcomeUnknownSource outcome = "unknown_source"
	outcomeUnauthorized  outcome = "unauthorized"
	outcomeTooLarge      outcome = "too_large"
	outcomeUnusable      outcome = "unusable"
	outcomeBadRequest    outcome = "bad_request"
	outcomeMethod        outcome = "method_not_allowed"
	outcomeUnavailable   outcome = "unavailable"
	outcomeOverloaded    outcome = "overloaded"
)

// classify is the one place that decides the HTTP status of a delivery.
// A nil error is a stored delivery. Signature problems are 4xx so that a
// misconfigured sender does not start a retry storm; only a broker problem is
// 503, which every platform retries.
func classify(err error) (int, outcome) {
	switch {
	case err == nil:
		return http.StatusOK, outcomePublished
	case errors.Is(err, provider.ErrPing):
		return http.StatusOK, outcomePing
	case errors.Is(err, ErrUnknownSource):
		return http.StatusNotFound, outcomeUnknownSource
	case errors.Is(err, ErrMethodNotAllowed):
		return http.StatusMethodNotAllowed, outcomeMethod
	case errors.Is(err, ErrTooLarge):
		return http.StatusRequestEntityTooLarge, outcomeTooLarge
	case errors.Is(err, provider.ErrMissingSignature),
		errors.Is(err, provider.ErrMalformedSignature),
		errors.Is(err, provider.ErrBadSignature),
		errors.Is(err, provider.ErrStale):
		return http.StatusUnauthorized, outcomeUnauthorized
	case errors.Is(err, provider.ErrUnusable):
		return http.StatusBadRequest, outcomeUnusable
	case errors.Is(err, ErrBadRequest), errors.Is(err, ErrAmbiguousFraming):
		return http.StatusBadRequest, outcomeBadRequest
	case errors.Is(err, ErrOverloaded):
		return http.StatusServiceUnavailable, outcomeOverloaded
	default:
		// ErrUnavailable and anything unforeseen: the sender should retry.
		return http.StatusServiceUnavailable, outcomeUnavailable
	}
}

// verificationReason is the metrics label for a failed verification.
func verificationReason(err error) string {
	switch {
	case errors.Is(err, provider.ErrMissingSignature):
		return "missing"
	case errors.Is(err, provider.ErrMalformedSignature):
		return "malformed"
	case errors.Is(err, provider.ErrBadSignature):
		return "mismatch"
	case errors.Is(err, provider.ErrStale):
		return "stale"
	}
	return ""
}
