package inventory

import (
	"testing"

	"github.com/hookbridge/hookbridge/consumers/commerce"
)

func TestLinesSumsAndSkips(t *testing.T) {
	got, skipped, err := lines([]commerce.LineItem{
		{SKU: "A", Quantity: 1},
		{SKU: " A ", Quantity: 2}, // same SKU on two lines
		{SKU: "", Quantity: 1},    // a custom item, or a product without SKU
		{SKU: " ", Quantity: 1},   // as good as none
		{SKU: "B", Quantity: 0},   // nothing to hold
	})
	if err != nil || skipped != 3 || len(got) != 1 || got["A"] != 3 {
		t.Errorf("lines = %v, %d, %v", got, skipped, err)
	}
}
