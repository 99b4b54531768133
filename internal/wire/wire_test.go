package wire_test

import (
	"errors"
	"testing"

	"github.com/hookbridge/hookbridge/internal/wire"
)

func TestDataRefRoundTrip(t *testing.T) {
	for _, tc := range []struct{ bucket, name, ref string }{
		{"WEBHOOKS_BODIES", "gh:72d3162e-cc78-11e3", "nats-object://WEBHOOKS_BODIES/gh:72d3162e-cc78-11e3"},
		{"EU-bodies", "shop:a/b c?", "nats-object://EU-bodies/shop:a%2Fb%20c%3F"},
	} {
		if got := wire.DataRef(tc.bucket, tc.name); got != tc.ref {
			t.Errorf("DataRef(%q, %q) = %q, want %q", tc.bucket, tc.name, got, tc.ref)
		}
		b, n, err := wire.ParseDataRef(tc.ref)
		if err != nil || b != tc.bucket || n != tc.name {
			t.Errorf("ParseDataRef(%q) = %q, %q, %v", tc.ref, b, n, err)
		}
	}
	for _, bad := range []string{"", "nats-object://", "nats-object://B", "nats-object://B/", "nats-object://a.b/x", "nats-object://B/%zz", "https://B/x", "nats-object://*/x"} {
		if _, _, err := wire.ParseDataRef(bad); !errors.Is(err, wire.ErrDataRef) {
			t.Errorf("ParseDataRef(%q): %v, want %v", bad, err, wire.ErrDataRef)
		}
	}
}

// FuzzParseDataRef: a dataref comes from a message header, untrusted. A
// parsed one names a valid bucket and a non-empty object, and writes back
// to a dataref that parses to the same.
func FuzzParseDataRef(f *testing.F) {
	for _, s := range []string{"nats-object://WEBHOOKS_BODIES/gh:1", "nats-object://B/a%2Fb", "nats-object://B/", "nats-object:///x", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, ref string) {
		bucket, name, err := wire.ParseDataRef(ref)
		if err != nil {
			return
		}
		if !wire.ValidBucket(bucket) || name == "" {
			t.Fatalf("ParseDataRef(%q) = %q, %q", ref, bucket, name)
		}
		b2, n2, err := wire.ParseDataRef(wire.DataRef(bucket, name))
		if err != nil || b2 != bucket || n2 != name {
			t.Fatalf("round trip of %q, %q: %q, %q, %v", bucket, name, b2, n2, err)
		}
	})
}
