package commerce

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
)

// The wire names of the canonical events (see the package doc).
const (
	// Stream is the stream canonical events are stored in.
	Stream = "COMMERCE"
	// SubjectPrefix starts every canonical subject.
	SubjectPrefix = "commerce"
	// TypePrefix starts every canonical CloudEvent type.
	TypePrefix = "com.hookbridge.commerce."
	// ExtRawID is the extension attribute that carries the raw event's id.
	ExtRawID = "rawid"
	// SchemaVersion is the major version of the data schemas; a new major
	// version is a new schema and a new dataschema URN, never a change to
	// this one (fields are only ever added within a major version).
	SchemaVersion = 1
)

// Type is the CloudEvent type of entity.action.
func Type(entity, action string) string { return TypePrefix + entity + "." + action }

// DataSchema names the schema of an entity's data and its major version.
func DataSchema(entity string) string {
	return "urn:hookbridge:commerce:" + entity + ":v" + strconv.Itoa(SchemaVersion)
}

// Subject is the canonical subject of entity.action from a provider's source.
func Subject(entity, action, provider, source string) string {
	return SubjectPrefix + "." + entity + "." + action + "." + provider + "." + source
}

// ID is the canonical event's id and Nats-Msg-Id, the same for every
// normaliser that reads the same raw event, however often:
//
//   - for an order's milestone (paid, fulfilled, cancelled, refunded) whose
//     mapping gives the platform's time of that change, a digest of the
//     source name, the canonical type, the order's id and that time: a
//     platform that sends the whole order again with every change
//     (WooCommerce) then yields each milestone once, not once per delivery;
//   - for every other event, a digest of the raw event's identity (its
//     source name and id, as the raw Nats-Msg-Id), the canonical type and
//     the entity's id.
func ID(raw Raw, c Canonical) string {
	return id(raw, c, Type(c.Entity, c.Action))
}

// milestone reports whether c is an order's milestone with its own time.
func milestone(c Canonical) bool {
	if c.Entity != EntityOrder || c.Time.IsZero() {
		return false
	}
	switch c.Action {
	case ActionPaid, ActionFulfilled, ActionCancelled, ActionRefunded:
		return true
	}
	return false
}

// id is ID with the canonical type already built. Each part is written as
// "<length>:<part>\n", so that no part can run into the next; a milestone's
// digest has five parts, every other four, so the two never meet.
func id(raw Raw, c Canonical, typ string) string {
	var buf [256]byte
	b := buf[:0]
	part := func(p string) {
		b = strconv.AppendInt(b, int64(len(p)), 10)
		b = append(b, ':')
		b = append(b, p...)
		b = append(b, '\n')
	}
	if milestone(c) {
		var tb [40]byte
		part(raw.Source)
		part("milestone")
		part(typ)
		part(c.Subject)
		part(string(c.Time.UTC().AppendFormat(tb[:0], time.RFC3339Nano)))
	} else {
		part(raw.Source)
		part(raw.ID)
		part(typ)
		part(c.Subject)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}

// canonicalEvent is one canonical event as both of its encodings read it
// (the sdk-go event of Event and the NATS message of message): its
// attributes as Event sets them, before sdk-go trims or parses any, and its
// data.
type canonicalEvent struct {
	natsSubject string // commerce.<entity>.<action>.<provider>.<source>
	id          string
	typ         string
	source      string // the raw event's, as given
	subject     string // the entity's id, as given
	time        time.Time
	dataSchema  string
	rawID       string
	traceParent string // the raw event's, unchanged ("" for none)
	traceState  string
	data        []byte // the JSON of Canonical.Data
}

// newCanonicalEvent is c, meant by raw, ready to encode. The time is the
// platform's time of the change, else the raw event's, in UTC.
func newCanonicalEvent(raw Raw, c Canonical) (canonicalEvent, error) {
	data, err := json.Marshal(c.Data)
	if err != nil {
		return canonicalEvent{}, fmt.Errorf("encoding %s.%s: %w", c.Entity, c.Action, err)
	}
	t := c.Time
	if t.IsZero() {
		t = raw.Time
	}
	typ := Type(c.Entity, c.Action)
	return canonicalEvent{
		natsSubject: Subject(c.Entity, c.Action, raw.Provider, raw.Source),
		id:          id(raw, c, typ),
		typ:         typ,
		source:      raw.EvSource,
		subject:     c.Subject,
		time:        t.UTC(),
		dataSchema:  DataSchema(c.Entity),
		rawID:       raw.ID,
		traceParent: raw.TraceParent,
		traceState:  raw.TraceState,
		data:        data,
	}, nil
}

// Event is c as the CloudEvent the normaliser publishes, and its subject.
func Event(raw Raw, c Canonical) (event.Event, string, error) {
	ce, err := newCanonicalEvent(raw, c)
	if err != nil {
		return event.Event{}, "", err
	}
	ev := event.New()
	ev.SetID(ce.id)
	ev.SetType(ce.typ)
	ev.SetSource(ce.source)
	ev.SetSubject(ce.subject)
	ev.SetTime(ce.time)
	ev.SetDataSchema(ce.dataSchema)
	ev.SetExtension(ExtRawID, ce.rawID)
	if ce.traceParent != "" {
		ev.SetExtension(extTraceParent, ce.traceParent)
		if ce.traceState != "" {
			ev.SetExtension(extTraceState, ce.traceState)
		}
	}
	if err := ev.SetData(event.ApplicationJSON, json.RawMessage(ce.data)); err != nil {
		return event.Event{}, "", err
	}
	if err := ev.Validate(); err != nil {
		return event.Event{}, "", fmt.Errorf("%s.%s: %w", c.Entity, c.Action, err)
	}
	return ev, ce.natsSubject, nil
}
