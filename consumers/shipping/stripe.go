package shipping

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/hookbridge/hookbridge/internal/platformid"
)

// stripeEvent is the part of a Stripe Event whose data.object is a Checkout
// Session that shipping reads.
type stripeEvent struct {
	Data struct {
		Object stripeSession `json:"object"`
	} `json:"data"`
}

type stripeSession struct {
	ID                platformid.ID `json:"id"`
	PaymentStatus     string        `json:"payment_status"`
	ClientReferenceID string        `json:"client_reference_id"`
	// ShippingDetails is where API versions before 2025-03-31.basil put
	// the collected address; later ones use CollectedInformation.
	ShippingDetails      *stripeShipping `json:"shipping_details"`
	CollectedInformation *struct {
		ShippingDetails *stripeShipping `json:"shipping_details"`
	} `json:"collected_information"`
	CustomerDetails *struct {
		Phone string `json:"phone"`
	} `json:"customer_details"`
	Metadata map[string]string `json:"metadata"`
}

type stripeShipping struct {
	Name    string `json:"name"`
	Address struct {
		Line1      string `json:"line1"`
		Line2      string `json:"line2"`
		City       string `json:"city"`
		State      string `json:"state"`
		PostalCode string `json:"postal_code"`
		Country    string `json:"country"`
	} `json:"address"`
}

func decodeStripe(data []byte) (order, string, error) {
	var se stripeEvent
	if err := unmarshal(data, &se); err != nil {
		return order{}, "", err
	}
	cs := se.Data.Object
	if cs.ID == "" {
		return order{}, "", ErrNoOrderID
	}
	switch cs.PaymentStatus {
	case "paid", "no_payment_required":
	default:
		// "unpaid": a delayed payment method; Stripe sends
		// checkout.session.async_payment_succeeded later, which this
		// consumer does not subscribe to.
		return order{}, "checkout session payment_status is " + strconv.Quote(cs.PaymentStatus), nil
	}
	sd := cs.ShippingDetails
	if ci := cs.CollectedInformation; ci != nil && ci.ShippingDetails != nil {
		sd = ci.ShippingDetails
	}
	if sd == nil {
		return order{}, "checkout session has no shipping details", nil
	}
	o := order{
		action:    actPaid,
		platform:  "stripe",
		id:        string(cs.ID),
		reference: cs.ClientReferenceID,
		address: Address{
			Name:       sd.Name,
			Line1:      sd.Address.Line1,
			Line2:      sd.Address.Line2,
			City:       sd.Address.City,
			Region:     sd.Address.State,
			PostalCode: sd.Address.PostalCode,
			Country:    sd.Address.Country,
		},
	}
	if cd := cs.CustomerDetails; cd != nil {
		o.address.Phone = cd.Phone
	}
	items, err := metadataItems(cs.Metadata["items"])
	if err != nil {
		return order{}, "", fmt.Errorf("%w: metadata items: %w", ErrBadPayload, err)
	}
	o.items = items
	return o, "", nil
}

// metadataItems parses the "items" metadata convention: "SKU:QTY,SKU:QTY",
// a SKU without ":QTY" meaning one. Stripe puts no line items in the event,
// so this is the shop's way to pass them.
func metadataItems(s string) ([]Item, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var items []Item
	for part := range strings.SplitSeq(s, ",") {
		sku, qty, hasQty := strings.Cut(strings.TrimSpace(part), ":")
		sku = strings.TrimSpace(sku)
		if sku == "" {
			return nil, fmt.Errorf("empty SKU in %q", part)
		}
		n := 1
		if hasQty {
			var err error
			n, err = strconv.Atoi(strings.TrimSpace(qty))
			if err != nil || n < 1 {
				return nil, fmt.Errorf("bad quantity in %q", part)
			}
		}
		items = append(items, Item{SKU: sku, Quantity: n})
	}
	return items, nil
}
