package commerce_test

import (
	"errors"
	"testing"

	"github.com/hookbridge/hookbridge/consumers/commerce"
)

// fuzzMapping fuzzes a platform's mapping from its fixtures: for any raw
// type and body it must never panic, refuse with ErrUnusable alone, or
// give events that encode as CloudEvents and pass check. seed, when not
// nil, turns a fixture into its seed, so that mutations land on the
// fields the mapping reads rather than on kilobytes it ignores.
func fuzzMapping(f *testing.F, platform string, rawOf func(string, []byte) commerce.Raw, check func(*testing.T, commerce.Canonical), seed func(testing.TB, []byte) []byte) {
	for name, body := range fixtures(f, platform) {
		if seed != nil {
			body = seed(f, body)
		}
		f.Add(fixtureType(name), body)
	}
	f.Fuzz(func(t *testing.T, typ string, body []byte) {
		raw := rawOf(typ, body)
		evs, err := commerce.Map(raw)
		if err != nil {
			if !errors.Is(err, commerce.ErrUnusable) || evs != nil {
				t.Fatalf("Map = %d events, %v; want ErrUnusable alone", len(evs), err)
			}
			return
		}
		for _, c := range evs {
			if _, _, err := commerce.Event(raw, c); err != nil {
				t.Fatalf("Event(%s.%s): %v", c.Entity, c.Action, err)
			}
			check(t, c)
		}
	})
}
