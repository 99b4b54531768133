package jsview

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookbridge/hookbridge/internal/wire"
)

// Message is one stored message as the console shows it.
type Message struct {
	Stream  string
	Seq     uint64
	Subject string
	// Stored is when the stream stored it.
	Stored time.Time
	// Event is its CloudEvent attributes, from the ce-* headers.
	Event Event
	// Header is every other header (Nats-Msg-Id, traceparent, the
	// dead-letter headers, ...).
	Header nats.Header
	// Body is the payload, nil when Options.HideBodies is set; BodySize is
	// its length either way.
	Body     []byte
	BodySize int
}

// Event is the CloudEvent attributes of a message in binary mode, as
// written on the wire; an attribute that is absent is "".
type Event struct {
	SpecVersion     string
	ID              string
	Type            string
	Source          string
	Subject         string
	DataContentType string
	DataSchema      string
	// Time is ce-time parsed as RFC 3339; zero when absent or unparsable
	// (the header then stays in Extensions as "time").
	Time time.Time
	// Extensions holds every other ce-* header by attribute name
	// ("traceparent", "tracestate", "rawid").
	Extensions map[string]string
}

// Limits of one page of messages.
const (
	DefaultLimit = 50
	MaxLimit     = 500
)

// Page is one page of messages, newest first.
type Page struct {
	Messages []Message
	// Before is what to pass as before for the next, older page; 0 when the
	// stream's start was reached.
	Before uint64
}

// Messages returns the newest messages of s that f selects, newest first:
// at most limit (0 for DefaultLimit, at most MaxLimit), stored below
// sequence before (0 for the newest). A stream that does not exist is
// jetstream.ErrStreamNotFound.
//
// It reads backwards in windows of sequences, each read forward by direct
// gets of the next message matching the filter (WithGetMsgSubject): one
// request per message read plus one per window, and no consumer is created
// on the server. A window starts at limit sequences and doubles up to 16
// times limit; when the filter is sparse the walk stops after
// Options.MaxScan sequences and Page.Before says where to go on.
func (v *View) Messages(ctx context.Context, s Stream, f Filter, limit int, before uint64) (Page, error) {
	st, subject, err := v.filtered(ctx, s, f)
	if err != nil {
		return Page{}, err
	}
	return v.newest(ctx, st, subject, limit, span{before: before, maxScan: v.opt.MaxScan})
}

// filtered is s as the server has it now (its info read once, without
// subject detail) and the subject filter of f on it.
func (v *View) filtered(ctx context.Context, s Stream, f Filter) (jetstream.Stream, string, error) {
	subject, err := s.Subject(f)
	if err != nil {
		return nil, "", err
	}
	st, err := v.js.Stream(ctx, s.Name)
	if err != nil {
		return nil, "", fmt.Errorf("stream %s: %w", s.Name, err)
	}
	return st, subject, nil
}

// Message returns the message stored at seq in s. A sequence that holds
// none is jetstream.ErrMsgNotFound.
func (v *View) Message(ctx context.Context, s Stream, seq uint64) (Message, error) {
	st, err := v.js.Stream(ctx, s.Name)
	if err != nil {
		return Message{}, fmt.Errorf("stream %s: %w", s.Name, err)
	}
	m, err := st.GetMsg(ctx, seq)
	if err != nil {
		return Message{}, fmt.Errorf("message %d of %s: %w", seq, s.Name, err)
	}
	return v.raw(s.Name, m), nil
}

// span bounds the sequences newest reads: below before (0 for no bound), above after, and at
// most maxScan of them.
type span struct {
	before, after, maxScan uint64
}

// newest is Messages on st for a subject filter, within sp.
func (v *View) newest(ctx context.Context, st jetstream.Stream, subject string, limit int, sp span) (Page, error) {
	if limit <= 0 {
		limit = DefaultLimit
	}
	limit = min(limit, MaxLimit)
	state := st.CachedInfo().State
	name := st.CachedInfo().Config.Name
	hi := state.LastSeq
	if sp.before > 0 && sp.before-1 < hi {
		hi = sp.before - 1
	}
	var page Page
	if state.Msgs == 0 {
		return page, nil
	}
	first := max(state.FirstSeq, sp.after+1, 1)
	window, scanned := uint64(limit), uint64(0)
	for hi >= first && len(page.Messages) < limit {
		if scanned >= sp.maxScan {
			page.Before = hi + 1
			return page, nil
		}
		lo := first
		if n := min(window, sp.maxScan-scanned); hi-first+1 > n {
			lo = hi - n + 1
		}
		batch, err := v.forward(ctx, st, name, subject, lo, hi)
		if err != nil {
			return page, err
		}
		for i := len(batch) - 1; i >= 0 && len(page.Messages) < limit; i-- {
			page.Messages = append(page.Messages, batch[i])
		}
		scanned += hi - lo + 1
		hi = lo - 1
		window = min(window*2, uint64(16*limit))
	}
	if len(page.Messages) == limit {
		if last := page.Messages[limit-1].Seq; last > first {
			page.Before = last
		}
	}
	return page, nil
}

// forward reads the messages matching subject stored from lo to hi, oldest
// first.
func (v *View) forward(ctx context.Context, st jetstream.Stream, name, subject string, lo, hi uint64) ([]Message, error) {
	var out []Message
	for seq := lo; seq <= hi; {
		m, err := st.GetMsg(ctx, seq, jetstream.WithGetMsgSubject(subject))
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading %s from %d: %w", name, seq, err)
		}
		if m.Sequence > hi {
			break
		}
		out = append(out, v.raw(name, m))
		seq = m.Sequence + 1
	}
	return out, nil
}

// raw is the Message of a stored message.
func (v *View) raw(stream string, m *jetstream.RawStreamMsg) Message {
	return v.message(stream, m.Sequence, m.Subject, m.Time, m.Header, m.Data)
}

// message splits a message's headers into its CloudEvent attributes and
// the rest, and leaves the body out when bodies are hidden.
func (v *View) message(stream string, seq uint64, subject string, stored time.Time, h nats.Header, data []byte) Message {
	m := Message{Stream: stream, Seq: seq, Subject: subject, Stored: stored, Header: nats.Header{}, BodySize: len(data)}
	if !v.opt.HideBodies {
		m.Body = data
	}
	for k, vs := range h {
		name, ok := strings.CutPrefix(k, wire.HeaderPrefix)
		if !ok || len(vs) == 0 {
			m.Header[k] = vs
			continue
		}
		if !m.Event.set(name, vs[0]) {
			if m.Event.Extensions == nil {
				m.Event.Extensions = map[string]string{}
			}
			m.Event.Extensions[name] = vs[0]
		}
	}
	return m
}

// set sets the attribute name to value and reports whether it is one of
// the spec's own.
func (e *Event) set(name, value string) bool {
	switch name {
	case "specversion":
		e.SpecVersion = value
	case "id":
		e.ID = value
	case "type":
		e.Type = value
	case "source":
		e.Source = value
	case "subject":
		e.Subject = value
	case "datacontenttype":
		e.DataContentType = value
	case "dataschema":
		e.DataSchema = value
	case "time":
		t, err := time.Parse(time.RFC3339Nano, value)
		if err != nil {
			return false
		}
		e.Time = t
	default:
		return false
	}
	return true
}
