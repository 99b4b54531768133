package shipping

import "github.com/hookbridge/hookbridge/internal/platformid"

// wooOrder is the part of WooCommerce's REST v3 order (the body of the
// order.* webhooks) that shipping reads.
type wooOrder struct {
	ID        platformid.ID `json:"id"`
	Number    string        `json:"number"`
	Status    string        `json:"status"`
	Shipping  wooAddress    `json:"shipping"`
	LineItems []wooItem     `json:"line_items"`
	Billing   wooBilling    `json:"billing"`
}

type wooAddress struct {
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	Company   string `json:"company"`
	Address1  string `json:"address_1"`
	Address2  string `json:"address_2"`
	City      string `json:"city"`
	State     string `json:"state"`
	Postcode  string `json:"postcode"`
	Country   string `json:"country"`
	Phone     string `json:"phone"` // since WooCommerce 5.6
}

// wooBilling is the billing phone, used when the shipping address has none.
type wooBilling struct {
	Phone string `json:"phone"`
}

type wooItem struct {
	SKU      string `json:"sku"`
	Name     string `json:"name"`
	Quantity int    `json:"quantity"`
}

func decodeWooCommerce(data []byte) (order, string, error) {
	var wo wooOrder
	if err := unmarshal(data, &wo); err != nil {
		return order{}, "", err
	}
	if wo.ID == "" || wo.ID == "0" {
		return order{}, "", ErrNoOrderID
	}
	o := order{platform: "woocommerce", id: string(wo.ID), reference: wo.Number}
	switch wo.Status {
	case "processing":
		o.action = actPaid
	case "cancelled", "refunded":
		o.action = actCancelled
		return o, "", nil
	default:
		// pending, on-hold, failed: not paid yet. completed: not mapped to
		// fulfilled (virtual orders go straight there).
		return order{}, "order status " + wo.Status + " needs no shipping action", nil
	}
	for _, li := range wo.LineItems {
		o.items = append(o.items, Item{SKU: li.SKU, Name: li.Name, Quantity: li.Quantity})
	}
	sa := wo.Shipping
	o.address = Address{
		Name:       joinName(sa.FirstName, sa.LastName),
		Company:    sa.Company,
		Line1:      sa.Address1,
		Line2:      sa.Address2,
		City:       sa.City,
		Region:     sa.State,
		PostalCode: sa.Postcode,
		Country:    sa.Country,
		Phone:      sa.Phone,
	}
	if o.address.Phone == "" && o.address != (Address{}) {
		o.address.Phone = wo.Billing.Phone
	}
	return o, "", nil
}
