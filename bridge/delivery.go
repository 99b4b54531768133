package bridge

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/gorilla/mux"
	"github.com/nats-io/nats.go"
	"go.opentelemetry.io/otel/trace"

	"github.com/hookbridge/hookbridge/bridge/provider"
	"github.com/hookbridge/hookbridge/internal/tracelog"
)

// deliveryLog carries what the outcome log line reports; never a body,
// secret or signature.
type deliveryLog struct {
	id        string
	ceType    string
	subject   string
	seq       uint64
	duplicate bool
	events    int // how many events the delivery carried
	// reply is the text/plain answer to a handshake (Braintree's
	// bt_challenge), written instead of the JSON; it is not logged.
	reply string
}

// handleDelivery runs one delivery from socket to PubAck and answers it.
func (s *server) handleDelivery(w http.ResponseWriter, r *http.Request) {
	s.metrics.inflight.Inc()
	defer s.metrics.inflight.Dec()
	var span trace.Span
	if s.tracer != nil {
		r, span = s.startDelivery(r)
	}
	rt, dl, held, err := s.deliver(r)
	defer s.budget.release(held)
	s.answer(w, r, rt, err, dl)
	if span != nil {
		endDelivery(span, rt, dl, err)
	}
}

// deliver takes one delivery as far as it goes: it returns at the first
// error, and nil once JetStream has stored the message of each of its
// events (or reported it a duplicate of one it stored). held is what the body holds of the budget;
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
	if err := s.verify(r.Context(), rt, body, r.Header); err != nil {
		return rt, dl, held, err
	}
	events, err := rt.Provider.ExtractAll(body, r.Header)
	if err == nil && len(events) == 0 {
		err = fmt.Errorf("%w: no event", provider.ErrUnusable)
	}
	if err != nil {
		return rt, dl, held, err
	}
	// Every event is encoded before any is published: a delivery with one
	// unusable event stores none.
	msgs := make([]*nats.Msg, len(events))
	for i, ev := range events {
		msgs[i], err = s.message(rt, delivery{
			body: body, contentType: r.Header.Get("Content-Type"), received: start, event: ev,
		})
		if err != nil {
			return rt, dl, held, err
		}
		if s.tracer != nil {
			stampOrigin(r.Context(), msgs[i])
		}
	}
	dl.id, dl.events = events[0].ID, len(events)
	dl.ceType, dl.subject = msgs[0].Header.Get("ce-type"), msgs[0].Subject
	// A body too large for a message is stored first, complete; its
	// message then refers to it.
	for _, msg := range msgs {
		if err := s.claim(r.Context(), rt, msg); err != nil {
			err = fmt.Errorf("%w: %w", ErrUnavailable, err)
			s.cfg.Failures.record(err, 2*s.cfg.RetryAfter)
			return rt, dl, held, err
		}
	}
	dl.seq, dl.duplicate, err = s.publish(r.Context(), rt, msgs)
	return rt, dl, held, err
}

// publish stores msgs one after the other and returns the last one's
// stream sequence, and whether JetStream reported every one a duplicate.
// It returns at the first message not stored (ErrUnavailable): those
// before it stay stored, and the platform's retry of the whole delivery
// finds them duplicates, so a delivery's events are all stored once its
// answer is 200.
func (s *server) publish(rctx context.Context, rt *route, msgs []*nats.Msg) (seq uint64, duplicate bool, err error) {
	// The publish outlives a sender that hangs up: the message may be stored
	// anyway, and the platform's retry will then be a duplicate.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(rctx), s.cfg.PublishTimeout)
	defer cancel()
	duplicate = true
	for _, msg := range msgs {
		pubCtx, span := ctx, trace.Span(nil)
		if s.tracer != nil {
			pubCtx, span = s.startPublish(ctx, rt.publishSpan, msg)
		}
		pubStart := time.Now()
		ack, err := s.pub.PublishMsg(pubCtx, msg) // msg carries its Nats-Msg-Id
		s.metrics.publishSeconds.Observe(time.Since(pubStart).Seconds())
		if err == nil && ack.Stream != rt.stream {
			// Another stream captured the subject: the message is not where
			// consumers look for it, so the sender must not be told it is stored.
			err = fmt.Errorf("stored in stream %s, not %s: check for overlapping stream subjects", ack.Stream, rt.stream)
		}
		if span != nil {
			endPublish(span, ack, err)
		}
		if err != nil {
			err = fmt.Errorf("%w: %w", ErrUnavailable, err)
			s.cfg.Failures.record(err, 2*s.cfg.RetryAfter)
			return 0, false, err
		}
		seq, duplicate = ack.Sequence, duplicate && ack.Duplicate
	}
	s.cfg.Failures.stored()
	return seq, duplicate, nil
}

// answer is the one place that answers a request, logs it and counts it,
// as outcomeRules says for err; rt is nil when no source was resolved.
func (s *server) answer(w http.ResponseWriter, r *http.Request, rt *route, err error, dl deliveryLog) {
	rule, out := result(err, dl)
	code := rule.status
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
	if rt != nil && rt.activity != nil {
		rt.activity.record(s.cfg.Now(), rule, out)
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
	log := s.log
	attrs := make([]slog.Attr, 0, 12)
	if rt != nil {
		log = rt.log // carries source and provider
	} else {
		attrs = append(attrs, slog.String("source", srcName), slog.String("provider", kind))
	}
	attrs = append(attrs,
		slog.String("outcome", string(out)),
		slog.Int("status", code),
		slog.String("remote", r.RemoteAddr),
	)
	if dl.id != "" {
		attrs = append(attrs, slog.String("id", dl.id))
	}
	if dl.subject != "" {
		attrs = append(attrs, slog.String("subject", dl.subject), slog.String("type", dl.ceType))
	}
	if dl.seq != 0 {
		attrs = append(attrs, slog.Uint64("seq", dl.seq))
	}
	if dl.events > 1 {
		attrs = append(attrs, slog.Int("events", dl.events))
	}
	if err != nil {
		attrs = append(attrs, slog.String("error", err.Error()))
	}
	if s.tracer != nil {
		attrs = tracelog.Append(r.Context(), attrs)
	}
	log.LogAttrs(r.Context(), level, "delivery", attrs...)

	switch {
	case dl.reply != "":
		writeText(w, code, dl.reply)
	case err == nil && rt.Provider.Accepted() != "":
		writeText(w, code, rt.Provider.Accepted())
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
