package bridge

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookbridge/hookbridge/internal/natstest"
)

func TestSubjectsCollide(t *testing.T) {
	cases := []struct {
		a, b string
		want bool
	}{
		{"webhooks.>", "webhooks.*.eu.>", true},
		{"webhooks.*.us.>", "webhooks.*.eu.>", false},
		{"webhooks.*.eu.>", "webhooks.shopify.eu.orders.create", true},
		{"webhooks.*.eu.>", "webhooks.shopify.eu", false}, // > needs a token
		{"webhooks.*.eu.>", "webhooks.shopify.>", true},
		{"legacy.>", "webhooks.>", false},
		{"a.b", "a.b", true},
		{"a.b", "a.b.c", false},
		{"a.*", "*.b", true},
		{"a", "a.>", false},
	}
	for _, c := range cases {
		if got := subjectsCollide(c.a, c.b); got != c.want {
			t.Errorf("subjectsCollide(%q, %q) = %v, want %v", c.a, c.b, got, c.want)
		}
		if got := subjectsCollide(c.b, c.a); got != c.want {
			t.Errorf("subjectsCollide(%q, %q) = %v, want %v (not symmetric)", c.b, c.a, got, c.want)
		}
	}
}

func TestSubjectWithin(t *testing.T) {
	cases := []struct {
		a, b string
		want bool
	}{
		{"webhooks.*.eu.>", "webhooks.>", true},
		{"webhooks.>", "webhooks.*.eu.>", false},
		{"webhooks.shopify.>", "webhooks.>", true},
		{"webhooks.shopify.eu.>", "webhooks.*.eu.>", true},
		{"webhooks.*.eu.>", "webhooks.shopify.eu.>", false},
		{"webhooks.>", "webhooks.>", true},
		{"legacy.>", "webhooks.>", false},
		{"webhooks", "webhooks.>", false}, // > needs a token
		{"a.b", "a.*", true},
		{"a.b.c", "a.*", false},
	}
	for _, c := range cases {
		if got := subjectWithin(c.a, c.b); got != c.want {
			t.Errorf("subjectWithin(%q, %q) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}

func TestSourceSubject(t *testing.T) {
	for subj, want := range map[string]bool{
		"webhooks.*.eu.>":          true,
		"webhooks.*.eu-shop_2.>":   true,
		"webhooks.>":               false,
		"webhooks.shopify.>":       false,
		"webhooks.shopify.eu.>":    false,
		"webhooks.*.eu.orders.>":   false,
		"webhooks.*.*.>":           false,
		"webhooks.*.>":             false,
		"other.*.eu.>":             false,
		"webhooks.*.eu.orders.new": false,
	} {
		if got := sourceSubject("webhooks", subj); got != want {
			t.Errorf("sourceSubject(webhooks, %q) = %v, want %v", subj, got, want)
		}
	}
}

// TestEnsureStreamLeavesOperatorSubjects: a one-stream bridge's start-up replaces the subjects
// of sources its stream captured when spread (they are within <prefix>.>), never an operator's
// own that overlap <prefix>.>: that stays the server's refusal it always was.
func TestEnsureStreamLeavesOperatorSubjects(t *testing.T) {
	_, js := natstest.Start(t).Connect(t)
	ctx := context.Background()
	want := StreamConfig{Name: "WEBHOOKS", SubjectPrefix: "webhooks", Replicas: 1, Duplicates: time.Hour}
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "WEBHOOKS", Subjects: []string{"webhooks.*.us.>", "webhooks.*.eu.>"}, Storage: jetstream.FileStorage}); err != nil {
		t.Fatal(err)
	}
	s, err := EnsureStream(ctx, js, want)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.CachedInfo().Config.Subjects; !slices.Equal(got, []string{"webhooks.>"}) {
		t.Errorf("subjects %v, want webhooks.> alone", got)
	}

	_, js = natstest.Start(t).Connect(t)
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "WEBHOOKS", Subjects: []string{"webhooks.shopify.>"}, Storage: jetstream.FileStorage}); err != nil {
		t.Fatal(err)
	}
	var apiErr *jetstream.APIError
	if _, err := EnsureStream(ctx, js, want); !errors.As(err, &apiErr) {
		t.Errorf("err = %v, want the server's refusal of overlapping subjects", err)
	}
}
