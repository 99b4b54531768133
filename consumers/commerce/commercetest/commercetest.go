// Package commercetest checks canonical commerce events against their
// contract in tests: the shipped JSON Schemas, compiled with a well-kept
// validator, and the attributes every canonical event carries.
package commercetest

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/hookbridge/hookbridge/consumers/commerce"
)

// Entities are the entities of canonical events.
var Entities = []string{commerce.EntityOrder, commerce.EntityPayment, commerce.EntityRefund}

// Schema compiles the shipped schema of entity, asserting formats
// (date-time) as well as types.
func Schema(t testing.TB, entity string) *jsonschema.Schema {
	t.Helper()
	raw, err := commerce.Schema(entity)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	url := commerce.DataSchema(entity)
	if err := c.AddResource(url, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(url)
	if err != nil {
		t.Fatalf("%s: %v", entity, err)
	}
	return s
}

// CheckEvent checks a canonical CloudEvent against the contract: its type
// names an entity, its dataschema names that entity's shipped schema, its
// data is JSON that validates against it, and it carries the raw event's id.
func CheckEvent(t testing.TB, ev event.Event) {
	t.Helper()
	entity, _, ok := strings.Cut(strings.TrimPrefix(ev.Type(), commerce.TypePrefix), ".")
	if !strings.HasPrefix(ev.Type(), commerce.TypePrefix) || !ok || !slices.Contains(Entities, entity) {
		t.Fatalf("type %q names no entity", ev.Type())
	}
	if ev.DataSchema() != commerce.DataSchema(entity) {
		t.Errorf("%s: dataschema %q, want %q", ev.ID(), ev.DataSchema(), commerce.DataSchema(entity))
	}
	if ev.DataContentType() != event.ApplicationJSON {
		t.Errorf("%s: datacontenttype %q", ev.ID(), ev.DataContentType())
	}
	if raw, _ := ev.Extensions()[commerce.ExtRawID].(string); raw == "" {
		t.Errorf("%s: no %s extension", ev.ID(), commerce.ExtRawID)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(ev.Data()))
	if err != nil {
		t.Fatalf("%s: data is not JSON: %v", ev.ID(), err)
	}
	if err := Schema(t, entity).Validate(doc); err != nil {
		t.Errorf("%s: %s data does not validate: %v\n%s", ev.ID(), entity, err, ev.Data())
	}
}

// RunNormaliser runs a normaliser of cfg on js until the test ends; js must
// hold a raw stream (WEBHOOKS, subjects webhooks.>). A normaliser that
// stops with an error fails the test.
func RunNormaliser(t testing.TB, js jetstream.JetStream, cfg commerce.Config) {
	t.Helper()
	n, err := commerce.New(js, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
}
