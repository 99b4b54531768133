package inventory

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/hookbridge/hookbridge/consumers/commerce"
)

// maxQuantity bounds one line's quantity, so that no sum of them overflows.
const maxQuantity = 1_000_000_000

// maxSKULen is the longest SKU accepted, in bytes: no less than any
// platform allows.
const maxSKULen = 255

// lines sums the items' quantities per SKU. An item without a SKU (a gift
// card, a custom line, a product nobody gave a SKU) cannot be matched to
// stock: it is skipped and counted in skipped, and the rest of the order
// still counts. So is an item with a quantity below 1. A SKU that is not
// printable UTF-8 or is too long is an error: the order cannot be accounted
// for, and a person should look at it.
func lines(items []commerce.LineItem) (perSKU map[string]int, skipped int, err error) {
	perSKU = make(map[string]int, len(items))
	for i, it := range items {
		sku := strings.TrimSpace(it.SKU)
		if sku == "" || it.Quantity < 1 {
			skipped++
			continue
		}
		if it.Quantity > maxQuantity {
			return nil, 0, fmt.Errorf("line item %d: quantity %d above %d", i, it.Quantity, maxQuantity)
		}
		if err := checkSKU(sku); err != nil {
			return nil, 0, fmt.Errorf("line item %d: %w", i, err)
		}
		perSKU[sku] += int(it.Quantity)
	}
	return perSKU, skipped, nil
}

func checkSKU(sku string) error {
	if sku == "" {
		return errors.New("empty sku")
	}
	if strings.TrimSpace(sku) != sku {
		return errors.New("sku has surrounding spaces")
	}
	if len(sku) > maxSKULen {
		return fmt.Errorf("sku longer than %d bytes", maxSKULen)
	}
	if !utf8.ValidString(sku) {
		return errors.New("sku is not valid UTF-8")
	}
	if strings.IndexFunc(sku, unicode.IsControl) >= 0 {
		return errors.New("sku contains a control character")
	}
	return nil
}
