package bridge

import "testing"

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
