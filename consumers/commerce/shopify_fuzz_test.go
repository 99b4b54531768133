package commerce_test

import (
	"math/big"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/hookbridge/hookbridge/consumers/commerce"
)

// The shapes canonical data promises, spelled independently of the code.
var (
	// schemaDecimal is what a canonical amount must look like: the
	// schemas' pattern.
	schemaDecimal   = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?$`)
	shopifyISO4217  = regexp.MustCompile(`^[A-Z]{3}$`)
	shopifyMoneyKey = []string{"total", "subtotal", "tax", "shipping", "discount", "unit_price", "amount"}
	shopifyTimeKey  = []string{"created_at", "updated_at"}
)

// FuzzShopifyMapping holds the Shopify mapping to its contract on any
// payload under any topic, starting from Shopify's documented payloads: it
// never panics; it refuses with ErrUnusable and nothing else, or gives
// canonical events whose data marshals to JSON with the platform and source
// set, money as plain decimals, currencies as ISO 4217 codes and times in
// RFC 3339, and which encode as valid CloudEvents.
func FuzzShopifyMapping(f *testing.F) {
	for name, body := range fixtures(f, "shopify") {
		f.Add(fixtureType(name), body)
	}
	f.Fuzz(func(t *testing.T, topic string, data []byte) {
		raw := shopifyRaw(topic, data)
		got, err := commerce.Map(raw)
		checkFuzzedEvents(t, raw, got, err)
	})
}

// shopifyCheckValues fails t when a money, currency or time value anywhere
// in v (decoded canonical data) is not of its promised shape.
func shopifyCheckValues(t *testing.T, v any) {
	t.Helper()
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			shopifyCheckValues(t, e)
		}
	case map[string]any:
		for k, e := range x {
			s, isString := e.(string)
			switch {
			case slices.Contains(shopifyMoneyKey, k):
				if _, ok := new(big.Rat).SetString(s); !isString || !schemaDecimal.MatchString(s) || !ok {
					t.Fatalf("%s %v is not a decimal string", k, e)
				}
			case k == "currency":
				if !isString || !shopifyISO4217.MatchString(s) {
					t.Fatalf("currency %v is not an ISO 4217 code", e)
				}
			case slices.Contains(shopifyTimeKey, k):
				if _, err := time.Parse(time.RFC3339, s); !isString || err != nil {
					t.Fatalf("%s %v is not RFC 3339", k, e)
				}
			default:
				shopifyCheckValues(t, e)
			}
		}
	}
}
