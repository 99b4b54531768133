package inventory

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/hookbridge/hookbridge/internal/platformid"
)

// ErrBadPayload reports an order event that cannot be read: not JSON of the
// platform's order shape, no order id, or an unusable SKU or quantity. Handle
// returns it wrapped in consumers.Permanent, so the message is dead-lettered
// instead of retried: a retry would read the same bytes.
var ErrBadPayload = errors.New("unusable order payload")

// action is what an event asks of the stock.
type action int

const (
	ignore  action = iota // not about stock: acknowledge and drop
	reserve               // hold the order's quantities
	release               // give them back, for good
)

func (a action) String() string {
	return [...]string{"ignore", "reserve", "release"}[a]
}

// orderEvent says how one CloudEvent type is read: which platform it is,
// how its payload is parsed, and what it asks for.
type orderEvent struct {
	platform string
	parse    func(data []byte) (orderPayload, error)
	action   func(p orderPayload) action
}

// orderEventFor resolves a CloudEvent type once; every other type is ignored.
// This switch is the only place that knows the platforms' event types.
func orderEventFor(ceType string) (orderEvent, bool) {
	switch ceType {
	case "com.shopify.orders.create":
		return orderEvent{"shopify", parseShopify, always(reserve)}, true
	case "com.shopify.orders.cancelled":
		return orderEvent{"shopify", parseShopify, always(release)}, true
	case "com.woocommerce.order.created":
		return orderEvent{"woocommerce", parseWooCommerce, wooCreated}, true
	case "com.woocommerce.order.updated":
		return orderEvent{"woocommerce", parseWooCommerce, wooUpdated}, true
	}
	return orderEvent{}, false
}

func always(a action) func(orderPayload) action {
	return func(orderPayload) action { return a }
}

// orderPayload is what the service reads of a platform's order, whatever the
// platform.
type orderPayload struct {
	id     string
	status string // WooCommerce only
	items  []lineItem
}

// lineItem has the same two fields in Shopify's REST Order and in
// WooCommerce's REST v3 order. Shopify sends "sku": null for items without one,
// WooCommerce "sku": "".
type lineItem struct {
	SKU      *string `json:"sku"`
	Quantity int     `json:"quantity"`
}

// shopifyOrder is the part of Shopify's REST Order resource (the body of the
// orders/create and orders/cancelled webhooks) that stock depends on.
type shopifyOrder struct {
	ID        platformid.ID `json:"id"`
	LineItems []lineItem    `json:"line_items"`
}

func parseShopify(data []byte) (orderPayload, error) {
	var o shopifyOrder
	if err := decode(data, &o); err != nil {
		return orderPayload{}, err
	}
	if o.ID == "" {
		return orderPayload{}, errors.New("no order id")
	}
	return orderPayload{id: string(o.ID), items: o.LineItems}, nil
}

// wooOrder is the part of WooCommerce's REST v3 order (the body of the
// order.created and order.updated webhooks) that stock depends on.
type wooOrder struct {
	ID        platformid.ID `json:"id"`
	Status    string        `json:"status"`
	LineItems []lineItem    `json:"line_items"`
}

func parseWooCommerce(data []byte) (orderPayload, error) {
	var o wooOrder
	if err := decode(data, &o); err != nil {
		return orderPayload{}, err
	}
	if o.ID == "" {
		return orderPayload{}, errors.New("no order id")
	}
	return orderPayload{id: string(o.ID), status: o.Status, items: o.LineItems}, nil
}

// wooReleased are the statuses after which an order will not ship. "failed"
// is not among them: the customer can pay a failed order again, and it then
// moves on to processing.
func wooReleased(status string) bool {
	return status == "cancelled" || status == "refunded"
}

// wooCreated reserves, unless the order is created already cancelled or
// refunded (an import, or an admin's order), which releases: it leaves the
// tombstone that keeps a late or replayed reservation from counting.
func wooCreated(p orderPayload) action {
	if wooReleased(p.status) {
		return release
	}
	return reserve
}

// wooUpdated releases on a move to cancelled or refunded; every other update
// (processing, completed, an address change, ...) is not about stock.
func wooUpdated(p orderPayload) action {
	if wooReleased(p.status) {
		return release
	}
	return ignore
}

func decode(data []byte, v any) error {
	if len(bytes.TrimSpace(data)) == 0 {
		return errors.New("empty body")
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("not a JSON order: %w", err)
	}
	return nil
}

// maxQuantity bounds one line's quantity, so that no sum of them overflows.
const maxQuantity = 1_000_000_000

// maxSKULen is the longest SKU accepted (Shopify's limit; WooCommerce's is 100).
const maxSKULen = 255

// lines sums the items' quantities per SKU. An item without a SKU (a gift
// card, a custom line, a product nobody gave a SKU) cannot be matched to
// stock: it is skipped and counted in skipped, and the rest of the order
// still counts. So is an item with a quantity below 1. A SKU that is not
// printable UTF-8 or is too long is an error: the order cannot be accounted
// for, and a person should look at it.
func lines(items []lineItem) (perSKU map[string]int, skipped int, err error) {
	perSKU = make(map[string]int, len(items))
	for i, it := range items {
		if it.SKU == nil || strings.TrimSpace(*it.SKU) == "" || it.Quantity < 1 {
			skipped++
			continue
		}
		if it.Quantity > maxQuantity {
			return nil, 0, fmt.Errorf("line item %d: quantity %d above %d", i, it.Quantity, maxQuantity)
		}
		sku := strings.TrimSpace(*it.SKU)
		if err := checkSKU(sku); err != nil {
			return nil, 0, fmt.Errorf("line item %d: %w", i, err)
		}
		perSKU[sku] += it.Quantity
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
