package commerce

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

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
	return fmt.Sprintf("urn:hookbridge:commerce:%s:v%d", entity, SchemaVersion)
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
	h := sha256.New()
	for _, part := range []string{raw.Source, raw.ID, Type(c.Entity, c.Action), c.Subject} {
		fmt.Fprintf(h, "%d:%s\n", len(part), part)
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// Event is c as the CloudEvent the normaliser publishes, and its subject.
func Event(raw Raw, c Canonical) (event.Event, string, error) {
	data, err := json.Marshal(c.Data)
	if err != nil {
		return event.Event{}, "", fmt.Errorf("encoding %s.%s: %w", c.Entity, c.Action, err)
	}
	ev := event.New()
	ev.SetID(ID(raw, c))
	ev.SetType(Type(c.Entity, c.Action))
	ev.SetSource(raw.EvSource)
	ev.SetSubject(c.Subject)
	t := c.Time
	if t.IsZero() {
		t = raw.Time
	}
	ev.SetTime(t.UTC())
	ev.SetDataSchema(DataSchema(c.Entity))
	ev.SetExtension(ExtRawID, raw.ID)
	if err := ev.SetData(event.ApplicationJSON, json.RawMessage(data)); err != nil {
		return event.Event{}, "", err
	}
	if err := ev.Validate(); err != nil {
		return event.Event{}, "", fmt.Errorf("%s.%s: %w", c.Entity, c.Action, err)
	}
	return ev, Subject(c.Entity, c.Action, raw.Provider, raw.Source), nil
}
