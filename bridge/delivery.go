package bridge

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/gorilla/mux"
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

// handleDelivery runs one delivery from socket to PubAck and answers it.
func (s *server) handleDelivery(w http.ResponseWriter, r *http.Request) {
	s.metrics.inflight.Inc()
	defer s.metrics.inflight.Dec()
	rt, dl, held, err := s.deliver(r)
	defer s.budget.release(held)
	s.answer(w, r, rt, err, dl)
}

// deliver takes one delivery as far as it goes: it returns at the first
// error, and nil once JetStream has stored the message (or reported it a
// duplicate of one it stored). held is what the body holds of the budget;
// release it after answering.
func (s *server) deliver(r *http.Request) (rt *route, dl deliveryLog, held int64, err error) {
	start := s.cfg.Now()
	rt = s.sources[mux.Vars(r)["source"]]
	if rt == nil {
		return nil, dl, 0, ErrUnknownSource
	}
	body, held, err := s.readBody(r)
	if err != nil {
		return rt, dl, 0, err
	}
	if err := rt.Provider.Verify(body, r.Header); err != nil {
		return rt, dl, held, err
	}
	ev, err := rt.Provider.Extract(body, r.Header)
	if err != nil {
		return rt, dl, held, err
	}
	dl.id = ev.ID
	msg, err := s.message(rt, delivery{
		body: body, contentType: r.Header.Get("Content-Type"), received: start, event: ev,
	})
	if err != nil {
		return rt, dl, held, err
	}
	dl.ceType, dl.subject = msg.Header.Get("ce-type"), msg.Subject

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
		return rt, dl, held, err
	}
	s.cfg.Failures.stored()
	dl.seq, dl.duplicate = ack.Sequence, ack.Duplicate
	return rt, dl, held, nil
}

// answer is the one place that answers a request, logs it and counts it,
// as outcomeRules says for err; rt is nil when no source was resolved.
func (s *server) answer(w http.ResponseWriter, r *http.Request, rt *route, err error, dl deliveryLog) {
	rule := ruleFor(err)
	code, out := rule.status, rule.outcome
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
	if rule.reason != "" {
		s.metrics.verifyFailures.WithLabelValues(srcName, rule.reason).Inc()
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
	case code < 300:
		writeJSON(w, code, okBody{Status: string(out)})
	default:
		if rule.retryAfter {
			w.Header().Set("Retry-After", strconv.Itoa(int(s.cfg.RetryAfter.Round(time.Second)/time.Second)))
		}
		writeJSON(w, code, errorBody{Error: rule.public(err)})
	}
}
