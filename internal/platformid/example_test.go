package platformid_test

import (
	"encoding/json"
	"fmt"

	"github.com/hookbridge/hookbridge/internal/platformid"
)

// Shopify writes an order id as a number, a template may pass it on as a
// string: both are the same order.
func ExampleID() {
	for _, body := range []string{`{"id":5720334450777}`, `{"id":" 5720334450777"}`, `{"id":57203344507.77}`} {
		var order struct {
			ID platformid.ID `json:"id"`
		}
		err := json.Unmarshal([]byte(body), &order)
		fmt.Printf("%q %v\n", order.ID, err)
	}
	// Output:
	// "5720334450777" <nil>
	// "5720334450777" <nil>
	// "" id "57203344507.77": not a platform id (want a string or a non-negative integer): a number with a sign, fraction, exponent or leading zero
}
