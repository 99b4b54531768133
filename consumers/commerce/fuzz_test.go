package commerce_test

import (
	"slices"
	"testing"

	"github.com/hookbridge/hookbridge/consumers/commerce"
)

// fuzzMapping fuzzes a platform's mapping with its fixtures as seeds.
// Mutated type names would rarely be mapped ones, so the fuzzer picks one
// of types and spends its effort on the body. Whatever it is given, the
// mapping must keep the contract checkFuzzedEvents states.
func fuzzMapping(f *testing.F, platform string, raw func(typ string, body []byte) commerce.Raw, types ...string) {
	for name, body := range fixtures(f, platform) {
		f.Add(uint8(slices.Index(types, fixtureType(name))), body)
	}
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		r := raw(types[int(which)%len(types)], body)
		evs, err := commerce.Map(r)
		checkFuzzedEvents(t, r, evs, err)
	})
}
