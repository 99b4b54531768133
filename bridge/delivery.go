package bridge

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/gorilla/mux"

	"github.com/hookbridge/hookbridge/bridge/provider"
)

// deliveryLog carries what the outcome log line reports; never a body,
// secret or signature.
type deliveryLog struct {
	id        string
	ceType    string
	subject   string
	seq       uint64
	duplicate bool
}

// handleDelivery runs one delivery from socket to PubAck.
func (s *server) handleDelivery(w http.ResponseWriter, r *http.Request) {
	start := s.cfg.Now()
	s.metrics.inflight.Inc()
	defer s.metrics.inflight.Dec()

	rt := s.sources[mux.Vars(r)["source"]]
	if rt == nil {
		s.finish(w, r, nil, ErrUnknownSource, deliveryLog{})
		return
	}
	body, held, err := s.readBody(r)
	if err != nil {
		s.finish(w, r, rt, err, deliveryLog{})
		return
	}
	defer s.budget.release(held)
	if err := rt.Provider.Verify(body, r.Header); err != nil {
		s.finish(w, r, rt, err, deliveryLog{})
		return
	}
	ev, err := rt.Provider.Extract(body, r.Header)
	if err != nil {
		s.finish(w, r, rt, err, deliveryLog{})
		return
	}
	msg, err := s.message(rt, delivery{
		body: body, contentType: r.Header.Get("Content-Type"), received: start, event: ev,
	})
	if err != nil {
		s.finish(w, r, rt, err, deliveryLog{id: ev.ID})
		return
	}
	dl := deliveryLog{id: ev.ID, ceType: msg.Header.Get("ce-type"), subject: msg.Subject}

	// The publish outlives a sender that hangs up: the message may be stored
	// anyway, and the platform's retry will then be a duplicate.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), s.cfg.PublishTimeout)
	defer cancel()
	pubStart := time.Now()
	ack, err := s.pub.PublishMsg(ctx, msg) // msg carries its Nats-Msg-Id
	s.metrics.publishSeconds.Observe(time.Since(pubStart).Seconds())
	if err == nil && ack.Stream != s.cfg.Stream {
		// Another stream captured the subject: the message is not where
		// consumers look for it, so the sender must not be told it is stored.
		err = fmt.Errorf("stored in stream %s, not %s: check for overlapping stream subjects", ack.Stream, s.cfg.Stream)
	}
	if err != nil {
		err = fmt.Errorf("%w: %w", ErrUnavailable, err)
		s.cfg.Failures.record(err, 2*s.cfg.RetryAfter)
		s.finish(w, r, rt, err, dl)
		return
	}
	s.cfg.Failures.stored()
	dl.seq, dl.duplicate = ack.Sequence, ack.Duplicate
	s.finish(w, r, rt, nil, dl)
}

// errorBody and okBody are the answers' JSON. They are written by hand
// (appendJSON) rather than with encoding/json, which on this path cost
// reflection and allocations per request; TestAnswerJSON holds the output to
// encoding/json's reading of it.
type errorBody struct {
	Error string `json:"error"`
}

type okBody struct {
	Status    string `json:"status"`
	ID        string `json:"id,omitempty"`
	Subject   string `json:"subject,omitempty"`
	Seq       uint64 `json:"seq,omitempty"`
	Duplicate bool   `json:"duplicate,omitempty"`
}

func (b errorBody) appendJSON(dst []byte) []byte {
	dst = append(dst, `{"error":`...)
	dst = appendJSONString(dst, b.Error)
	return append(dst, "}\n"...)
}

func (b okBody) appendJSON(dst []byte) []byte {
	dst = append(dst, `{"status":`...)
	dst = appendJSONString(dst, b.Status)
	if b.ID != "" {
		dst = append(dst, `,"id":`...)
		dst = appendJSONString(dst, b.ID)
	}
	if b.Subject != "" {
		dst = append(dst, `,"subject":`...)
		dst = appendJSONString(dst, b.Subject)
	}
	if b.Seq != 0 {
		dst = append(dst, `,"seq":`...)
		dst = strconv.AppendUint(dst, b.Seq, 10)
	}
	if b.Duplicate {
		dst = append(dst, `,"duplicate":true`...)
	}
	return append(dst, "}\n"...)
}

// appendJSONString appends s as a JSON string. Invalid UTF-8 becomes
// U+FFFD, as encoding/json does; '<', '>' and '&' are not escaped (no HTML
// here).
func appendJSONString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				dst = append(dst, '\\', c)
			case c < 0x20:
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				dst = append(dst, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, "\\ufffd"...)
		case r == '\u2028' || r == '\u2029':
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[r&0xf])
		default:
			dst = append(dst, s[i:i+size]...)
		}
		i += size
	}
	return append(dst, '"')
}

// finish answers the sender, logs one line and counts the outcome.
func (s *server) finish(w http.ResponseWriter, r *http.Request, rt *route, err error, dl deliveryLog) {
	code, out := classify(err)
	if out == outcomePublished && dl.duplicate {
		out = outcomeDuplicate
	}
	srcName, kind := "_unknown", ""
	if rt != nil {
		srcName, kind = rt.Name, rt.Provider.Kind()
	}
	switch {
	case rt != nil && out == outcomePublished:
		rt.published.Inc() // the hot path: resolved once per route
	case rt != nil && out == outcomeDuplicate:
		rt.duplicate.Inc()
	default:
		s.metrics.deliveries.WithLabelValues(srcName, kind, string(out)).Inc()
	}
	if reason := verificationReason(err); reason != "" {
		s.metrics.verifyFailures.WithLabelValues(srcName, reason).Inc()
	}
	if out == outcomeDuplicate {
		s.metrics.duplicates.WithLabelValues(srcName).Inc()
	}

	level := slog.LevelInfo
	if code >= 500 {
		level = slog.LevelError
	} else if code >= 400 {
		level = slog.LevelWarn
	}
	attrs := []slog.Attr{
		slog.String("source", srcName),
		slog.String("provider", kind),
		slog.String("outcome", string(out)),
		slog.Int("status", code),
		slog.String("remote", r.RemoteAddr),
	}
	if dl.id != "" {
		attrs = append(attrs, slog.String("id", dl.id))
	}
	if dl.subject != "" {
		attrs = append(attrs, slog.String("subject", dl.subject), slog.String("type", dl.ceType))
	}
	if dl.seq != 0 {
		attrs = append(attrs, slog.Uint64("seq", dl.seq))
	}
	if err != nil {
		attrs = append(attrs, slog.String("error", err.Error()))
	}
	s.log.LogAttrs(r.Context(), level, "delivery", attrs...)

	switch {
	case err == nil:
		writeJSON(w, code, okBody{Status: string(out), ID: dl.id, Subject: dl.subject, Seq: dl.seq, Duplicate: dl.duplicate})
	case out == outcomePing:
		writeJSON(w, code, okBody{Status: string(out)})
	default:
		if code == http.StatusServiceUnavailable {
			w.Header().Set("Retry-After", strconv.Itoa(int(s.cfg.RetryAfter.Round(time.Second)/time.Second)))
		}
		writeJSON(w, code, errorBody{Error: publicError(err, out)})
	}
}

// publicError is the text the sender sees: the sentinel's words, plus the
// reason for an unusable payload (which names a field, never a value of a
// secret or signature). Broker details stay in the log.
func publicError(err error, out outcome) string {
	switch out {
	case outcomeUnusable:
		return err.Error()
	case outcomeUnauthorized:
		for _, s := range []error{provider.ErrMissingSignature, provider.ErrMalformedSignature, provider.ErrBadSignature, provider.ErrStale} {
			if errors.Is(err, s) {
				return s.Error()
			}
		}
	case outcomeUnknownSource:
		return ErrUnknownSource.Error()
	case outcomeTooLarge:
		return ErrTooLarge.Error()
	case outcomeMethod:
		return ErrMethodNotAllowed.Error()
	case outcomeBadRequest:
		if errors.Is(err, ErrAmbiguousFraming) {
			return ErrAmbiguousFraming.Error()
		}
		return ErrBadRequest.Error()
	case outcomeOverloaded:
		return ErrOverloaded.Error()
	}
	return ErrUnavailable.Error()
}

func writeJSON(w http.ResponseWriter, code int, body interface{ appendJSON([]byte) []byte }) {
	var buf [256]byte
	out := body.appendJSON(buf[:0])
	h := w.Header()
	h["Content-Type"] = contentTypeJSON
	h["X-Content-Type-Options"] = nosniff
	h["Content-Length"] = []string{strconv.Itoa(len(out))}
	w.WriteHeader(code)
	_, _ = w.Write(out)
}

// Shared, never modified header values.
var (
	contentTypeJSON = []string{"application/json"}
	nosniff         = []string{"nosniff"}
)
