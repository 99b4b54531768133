package bridge

import (
	"bytes"
	"context"
	"fmt"
	"mime"
	"time"
	"unicode/utf8"

	cejs "github.com/cloudevents/sdk-go/protocol/nats_jetstream/v2"
	"github.com/cloudevents/sdk-go/v2/binding"
	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go"

	"github.com/hookbridge/hookbridge/bridge/provider"
)

// maxAttrLen bounds every CloudEvent attribute taken from a delivery.
const maxAttrLen = 1024

// delivery is one verified request on its way to the broker.
type delivery struct {
	body        []byte
	contentType string
	received    time.Time
	event       provider.Event
}

// message encodes d as a CloudEvent in binary mode (sdk-go's nats_jetstream
// codec: lower-case ce-* headers, the body as the payload, byte for byte) and
// returns it with its dedup id. Attributes are checked before encoding, since
// they come from untrusted input and travel as NATS header values.
func (s *server) message(ctx context.Context, rt *route, d delivery) (*nats.Msg, string, error) {
	ev := d.event
	src := ev.Source
	if src == "" {
		src = "/" + rt.Provider.Kind() + "/" + rt.Name
	}
	ceType := rt.Provider.CEType(ev.Type)
	for _, a := range [...]struct{ name, value string }{
		{"id", ev.ID}, {"type", ceType}, {"source", src}, {"subject", ev.Subject},
	} {
		if err := checkAttr(a.name, a.value); err != nil {
			return nil, "", err
		}
	}

	subject := make([]byte, 0, len(rt.subjectBase)+len(ev.Type)+4)
	subject = append(subject, rt.subjectBase...)
	subject, tokens := appendTypeTokens(subject, ev.Type)
	if tokens == 0 {
		return nil, "", fmt.Errorf("%w: event type %q has no subject token", provider.ErrUnusable, ev.Type)
	}

	e := event.New()
	e.SetID(ev.ID)
	e.SetType(ceType)
	e.SetSource(src)
	if ev.Subject != "" {
		e.SetSubject(ev.Subject)
	}
	t := ev.Time
	if t.IsZero() {
		t = d.received
	}
	e.SetTime(t.UTC())
	if d.contentType != "" {
		if _, _, err := mime.ParseMediaType(d.contentType); err == nil {
			e.SetDataContentType(d.contentType)
		}
	}
	e.DataEncoded = d.body
	if err := e.Validate(); err != nil {
		return nil, "", fmt.Errorf("%w: %v", provider.ErrUnusable, err)
	}

	var payload bytes.Buffer
	payload.Grow(len(d.body))
	hdr, err := cejs.WriteMsg(ctx, binding.ToMessage(&e), &payload)
	if err != nil {
		return nil, "", fmt.Errorf("encoding cloudevent: %w", err)
	}
	msgID := rt.Name + ":" + ev.ID
	return &nats.Msg{Subject: string(subject), Header: hdr, Data: payload.Bytes()}, msgID, nil
}

// checkAttr refuses attribute values that a NATS header cannot carry intact:
// invalid UTF-8, control characters (nats.go would rewrite CR/LF) and
// surrounding spaces (it would trim them), or absurd lengths.
func checkAttr(name, v string) error {
	if len(v) > maxAttrLen {
		return fmt.Errorf("%w: %s longer than %d bytes", provider.ErrUnusable, name, maxAttrLen)
	}
	if !utf8.ValidString(v) {
		return fmt.Errorf("%w: %s is not valid UTF-8", provider.ErrUnusable, name)
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x20 || c == 0x7f {
			return fmt.Errorf("%w: %s contains a control character", provider.ErrUnusable, name)
		}
	}
	if v != "" && (v[0] == ' ' || v[len(v)-1] == ' ') {
		return fmt.Errorf("%w: %s has surrounding spaces", provider.ErrUnusable, name)
	}
	return nil
}
