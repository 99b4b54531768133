package commerce_test

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/hookbridge/hookbridge/consumers/commerce"
)

// fuzzMapping fuzzes a platform's mapping with its fixtures as seeds.
// Mutated type names would rarely be mapped ones, so the fuzzer picks one
// of types and spends its effort on the body.
func fuzzMapping(f *testing.F, platform string, raw func(typ string, body []byte) commerce.Raw, types ...string) {
	for name, body := range fixtures(f, platform) {
		f.Add(uint8(slices.Index(types, fixtureType(name))), body)
	}
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		r := raw(types[int(which)%len(types)], body)
		evs, err := commerce.Map(r)
		checkFuzzed(t, r, evs, err)
	})
}

// checkFuzzed is what every mapping promises whatever it is given: an
// error wrapping ErrUnusable, or events whose data marshals, names the
// platform and source, has a subject, and writes money as decimals.
func checkFuzzed(t *testing.T, raw commerce.Raw, evs []commerce.Canonical, err error) {
	t.Helper()
	if err != nil {
		if !errors.Is(err, commerce.ErrUnusable) {
			t.Fatalf("error %v does not wrap ErrUnusable", err)
		}
		return
	}
	for _, c := range evs {
		if _, err := json.Marshal(c.Data); err != nil {
			t.Fatalf("%s.%s: %v", c.Entity, c.Action, err)
		}
		var platform, source string
		var money []string
		switch d := c.Data.(type) {
		case *commerce.Order:
			platform, source, money = d.Platform, d.Source, []string{d.Total, d.Subtotal, d.Tax, d.Shipping, d.Discount}
		case *commerce.Payment:
			platform, source, money = d.Platform, d.Source, []string{d.Amount}
		case *commerce.Refund:
			platform, source, money = d.Platform, d.Source, []string{d.Amount}
		default:
			t.Fatalf("%s.%s: data is a %T", c.Entity, c.Action, c.Data)
		}
		if platform != raw.Provider || source != raw.Source || c.Subject == "" {
			t.Fatalf("%s.%s: platform %q, source %q, subject %q", c.Entity, c.Action, platform, source, c.Subject)
		}
		for _, m := range money {
			if m != "" && !decimal.MatchString(m) {
				t.Fatalf("%s.%s: money %q is not a decimal", c.Entity, c.Action, m)
			}
		}
	}
}
