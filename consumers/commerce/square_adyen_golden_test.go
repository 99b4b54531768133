package commerce_test

import (
	"time"

	"github.com/hookbridge/hookbridge/consumers/commerce"
)

// squareRaw is a Square event as the normaliser reads it from WEBHOOKS:
// the bridge names the CloudEvent type after the body's type.
func squareRaw(typ string, body []byte) commerce.Raw {
	return commerce.Raw{
		Provider: "square", Source: "acme-pos", ID: "sq-golden", Type: "com.square." + typ,
		EvSource: "6SSW7HV8K2ST5", Time: time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC), Data: body,
	}
}

// adyenRaw is one notification item as the normaliser reads it from
// WEBHOOKS: the bridge names the CloudEvent type after its eventCode.
func adyenRaw(code string, item []byte) commerce.Raw {
	return commerce.Raw{
		Provider: "adyen", Source: "acme-psp", ID: "adyen-golden:" + code, Type: "com.adyen." + code,
		EvSource: "MagentoMerchantTest2", Time: time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC), Data: item,
	}
}
