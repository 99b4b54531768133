package commerce

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookbridge/hookbridge/internal/wire"
)

// hdrRawID is the header of the rawid extension.
const hdrRawID = wire.HeaderPrefix + ExtRawID

// The CloudEvents distributed tracing extension, and its headers.
const (
	extTraceParent = wire.HeaderTraceParent
	extTraceState  = wire.HeaderTraceState
	hdrTraceParent = wire.HeaderPrefix + extTraceParent
	hdrTraceState  = wire.HeaderPrefix + extTraceState
)

// errNoSource is why a raw event whose source is no URI reference, or a
// blank one, gives no canonical event: sdk-go refuses the event too.
var errNoSource = errors.New("the raw event's source is not a URI reference")

// message is the NATS message the normaliser publishes for one canonical
// event: the one consumers.PublishEvent would publish for Event(raw, c),
// header for header (Nats-Msg-Id included) and byte for byte
// (TestMessageMatchesSDK holds it to that), but written directly: no sdk-go
// event to build, copy the data into and validate, and no reflection or
// fmt to write the headers. source is raw.EvSource as sdk-go writes it
// (see ceSource), read once for all the events of one raw event.
func message(raw Raw, c Canonical, source string) (*nats.Msg, error) {
	ce, err := newCanonicalEvent(raw, c)
	if err != nil {
		return nil, err
	}
	// sdk-go trims the subject and leaves out a blank one; the other
	// attributes it trims are ours and never blank or padded.
	subject := strings.TrimSpace(ce.subject)
	var at string
	if !ce.time.IsZero() {
		at = ce.time.Format(time.RFC3339Nano)
	}
	// One backing array for all header values.
	vals := [...]string{"1.0", ce.id, ce.id, source, ce.typ, "application/json", ce.dataSchema, ce.rawID, subject, at, ce.traceParent, ce.traceState}
	hdr := make(nats.Header, len(vals))
	hdr[wire.HeaderSpecVersion] = vals[0:1:1]
	hdr[wire.HeaderID] = vals[1:2:2]
	hdr[jetstream.MsgIDHeader] = vals[2:3:3]
	hdr[wire.HeaderSource] = vals[3:4:4]
	hdr[wire.HeaderType] = vals[4:5:5]
	hdr[wire.HeaderDataContentType] = vals[5:6:6]
	hdr[wire.HeaderDataSchema] = vals[6:7:7]
	hdr[hdrRawID] = vals[7:8:8]
	if subject != "" {
		hdr[wire.HeaderSubject] = vals[8:9:9]
	}
	if at != "" {
		hdr[wire.HeaderTime] = vals[9:10:10]
	}
	if ce.traceParent != "" {
		hdr[hdrTraceParent] = vals[10:11:11]
		if ce.traceState != "" {
			hdr[hdrTraceState] = vals[11:12:12]
		}
	}
	return &nats.Msg{Subject: ce.natsSubject, Header: hdr, Data: ce.data}, nil
}

// ceSource is a CloudEvent source as sdk-go holds and writes it: parsed as
// a URI reference and written back, which must leave something that is not
// blank.
func ceSource(s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil {
		return "", fmt.Errorf("%w: %w", errNoSource, err)
	}
	s = u.String()
	if strings.TrimSpace(s) == "" {
		return "", errNoSource
	}
	return s, nil
}
