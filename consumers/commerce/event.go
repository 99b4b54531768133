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

// ID is the canonical event's id and Nats-Msg-Id: a digest of the raw
// event's identity (its source name and id, as the raw Nats-Msg-Id), the
// canonical type and the entity's id, so that every normaliser derives the
// same id from the same raw event, however often it reads it.
func ID(raw Raw, c Canonical) string {
	return id(raw, Type(c.Entity, c.Action), c.Subject)
}

// id is ID with the canonical type already built. Each part is written as
// "<length>:<part>\n", so that no part can run into the next.
func id(raw Raw, typ, subject string) string {
	parts := [...]string{raw.Source, raw.ID, typ, subject}
	var buf [256]byte
	b := buf[:0]
	for _, part := range parts {
		b = strconv.AppendInt(b, int64(len(part)), 10)
		b = append(b, ':')
		b = append(b, part...)
		b = append(b, '\n')
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
		id:          id(raw, typ, c.Subject),
		typ:         typ,
		source:      raw.EvSource,
		subject:     c.Subject,
		time:        t.UTC(),
		dataSchema:  DataSchema(c.Entity),
		rawID:       raw.ID,
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
	if err := ev.SetData(event.ApplicationJSON, json.RawMessage(ce.data)); err != nil {
		return event.Event{}, "", err
	}
	if err := ev.Validate(); err != nil {
		return event.Event{}, "", fmt.Errorf("%s.%s: %w", c.Entity, c.Action, err)
	}
	return ev, ce.natsSubject, nil
}
