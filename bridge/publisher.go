package bridge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// StreamPublisher publishes a message to JetStream and waits for its PubAck,
// as jetstream.JetStream's PublishMsg does without options, but reads the
// acks nats-server writes from its template without encoding/json (which
// cost the bridge about 4 % of its CPU per delivery). Any other answer is
// read with encoding/json exactly as nats.go reads it, so both return the
// same PubAck or the same error for every answer.
//
// Safe for concurrent use.
type StreamPublisher struct {
	nc *nats.Conn
	// defaultTimeout bounds a publish whose ctx has no deadline, as
	// jetstream's DefaultTimeout does.
	defaultTimeout time.Duration
	retryWait      time.Duration
	retryAttempts  int
}

var _ Publisher = (*StreamPublisher)(nil)

// NewStreamPublisher returns a publisher on nc with jetstream.New's
// defaults: a publish whose ctx has no deadline waits at most 5 s, and one
// nobody answers (no stream, or its leader is being elected) is sent again
// jetstream.DefaultPubRetryAttempts times, jetstream.DefaultPubRetryWait
// apart.
func NewStreamPublisher(nc *nats.Conn) *StreamPublisher {
	return &StreamPublisher{
		nc:             nc,
		defaultTimeout: 5 * time.Second,
		retryWait:      jetstream.DefaultPubRetryWait,
		retryAttempts:  jetstream.DefaultPubRetryAttempts,
	}
}

// PublishMsg sends m to the stream that captures its subject and returns the
// stream's PubAck once the stream has stored m (or reported it a duplicate,
// with the first one's sequence). It returns jetstream.ErrNoStreamResponse when
// nobody answered m and its retries, ctx's error when ctx ends first (a retry
// waiting for its turn stops at once), the stream's refusal as a
// *jetstream.APIError wrapped in "nats: ", and jetstream.ErrInvalidJSAck for
// an answer that is not a PubAck. Options are not supported (jetstream keeps
// their type closed): a publish with any is refused with
// jetstream.ErrInvalidOption before anything is sent; m carries its headers,
// Nats-Msg-Id among them.
func (p *StreamPublisher) PublishMsg(ctx context.Context, m *nats.Msg, opts ...jetstream.PublishOpt) (*jetstream.PubAck, error) {
	if len(opts) > 0 {
		return nil, fmt.Errorf("%w: publish options are not supported; set the headers on the message", jetstream.ErrInvalidOption)
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, p.defaultTimeout)
		defer cancel()
	}
	resp, err := p.nc.RequestMsgWithContext(ctx, m)
	// No responders is often a leader change under way: try again a little
	// later, as jetstream does.
	for r := 0; errors.Is(err, nats.ErrNoResponders) && r < p.retryAttempts; r++ {
		t := time.NewTimer(p.retryWait)
		select {
		case <-ctx.Done():
		case <-t.C:
		}
		t.Stop()
		resp, err = p.nc.RequestMsgWithContext(ctx, m)
	}
	if errors.Is(err, nats.ErrNoResponders) {
		return nil, jetstream.ErrNoStreamResponse
	}
	if err != nil {
		return nil, err
	}
	return decodePubAck(resp.Data)
}

// decodePubAck reads a publish's answer as nats.go's publishMsg does.
func decodePubAck(data []byte) (*jetstream.PubAck, error) {
	if ack := readPubAck(data); ack != nil {
		return ack, nil
	}
	return decodePubAckJSON(data)
}

// pubAckResponse mirrors jetstream's (unexported) pubAckResponse, the type
// nats.go decodes an answer into.
type pubAckResponse struct {
	Type  string              `json:"type"`
	Error *jetstream.APIError `json:"error,omitempty"`
	*jetstream.PubAck
}

// decodePubAckJSON is nats.go v1.55.0's reading of an answer
// (jetstream/publish.go, publishMsg), line for line.
func decodePubAckJSON(data []byte) (*jetstream.PubAck, error) {
	var resp pubAckResponse
	if err := json.Unmarshal(data, &resp); err != nil {
		return nil, jetstream.ErrInvalidJSAck
	}
	if resp.Error != nil {
		return nil, fmt.Errorf("nats: %w", resp.Error)
	}
	if resp.PubAck == nil || resp.PubAck.Stream == "" {
		return nil, jetstream.ErrInvalidJSAck
	}
	return resp.PubAck, nil
}

// readPubAck reads the PubAck of a stored message or a duplicate exactly as
// nats-server v2.15 writes it from its template (server/stream.go):
//
//	{"stream":"WEBHOOKS","seq":12}
//	{"stream":"WEBHOOKS","domain":"hub","seq":12}
//	{"stream":"WEBHOOKS","seq":12,"duplicate": true}
//
// It returns nil for anything else (an error, a counter's "val", a batch's
// fields, a name with an escape or a byte outside printable ASCII, other
// spacing), which encoding/json then reads: whatever it accepts, encoding/json
// reads the same way.
func readPubAck(b []byte) *jetstream.PubAck {
	b, ok := cut(b, `{"stream":`)
	if !ok {
		return nil
	}
	stream, b, ok := plainString(b)
	if !ok || stream == "" {
		return nil
	}
	var domain string
	if rest, ok := cut(b, `,"domain":`); ok {
		if domain, b, ok = plainString(rest); !ok {
			return nil
		}
	}
	if b, ok = cut(b, `,"seq":`); !ok {
		return nil
	}
	seq, b, ok := plainUint(b)
	if !ok {
		return nil
	}
	var dup bool
	switch string(b) {
	case `}`:
	case `,"duplicate": true}`:
		dup = true
	default:
		return nil
	}
	return &jetstream.PubAck{Stream: stream, Sequence: seq, Duplicate: dup, Domain: domain}
}

// cut returns b after prefix, and whether b starts with it.
func cut(b []byte, prefix string) ([]byte, bool) {
	if len(b) < len(prefix) || string(b[:len(prefix)]) != prefix {
		return b, false
	}
	return b[len(prefix):], true
}

// plainString reads a JSON string of printable ASCII without escapes at the
// start of b: such a string means the same bytes in Go and in JSON.
func plainString(b []byte) (s string, rest []byte, ok bool) {
	if len(b) == 0 || b[0] != '"' {
		return "", b, false
	}
	for i := 1; i < len(b); i++ {
		switch c := b[i]; {
		case c == '"':
			return string(b[1:i]), b[i+1:], true
		case c < 0x20 || c > 0x7e || c == '\\':
			return "", b, false
		}
	}
	return "", b, false
}

// plainUint reads a JSON number at the start of b that is a uint64 without
// leading zeros, fraction or exponent.
func plainUint(b []byte) (n uint64, rest []byte, ok bool) {
	i := 0
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		d := uint64(b[i] - '0')
		if n > (math.MaxUint64-d)/10 {
			return 0, b, false
		}
		n = n*10 + d
	}
	if i == 0 || i > 1 && b[0] == '0' {
		return 0, b, false
	}
	return n, b[i:], true
}
