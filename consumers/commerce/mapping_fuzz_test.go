package commerce_test

import (
	"testing"

	"github.com/hookbridge/hookbridge/consumers/commerce"
)

// fuzzMappingWith fuzzes a platform's mapping from its fixtures, with any
// raw type: whatever it is given, the mapping must keep the contract
// checkFuzzedEvents states, and every event must pass check. seed, when not
// nil, turns a fixture into its seed, so that mutations land on the
// fields the mapping reads rather than on kilobytes it ignores.
func fuzzMappingWith(f *testing.F, platform string, rawOf func(string, []byte) commerce.Raw, check func(*testing.T, commerce.Canonical), seed func(testing.TB, []byte) []byte) {
	for name, body := range fixtures(f, platform) {
		if seed != nil {
			body = seed(f, body)
		}
		f.Add(fixtureType(name), body)
	}
	f.Fuzz(func(t *testing.T, typ string, body []byte) {
		raw := rawOf(typ, body)
		evs, err := commerce.Map(raw)
		checkFuzzedEvents(t, raw, evs, err)
		for _, c := range evs {
			check(t, c)
		}
	})
}
