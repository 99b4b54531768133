package commerce_test

import (
	"time"

	"github.com/hookbridge/hookbridge/consumers/commerce"
)

// stripeRaw is body as the normaliser reads it from WEBHOOKS: the bridge
// names the CloudEvent type after the body's type.
func stripeRaw(typ string, body []byte) commerce.Raw {
	return commerce.Raw{
		Provider: "stripe", Source: "acme-pay", ID: "evt-golden",
		Type: "com.stripe." + typ, EvSource: "https://stripe.com",
		Time: time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC), Data: body,
	}
}
