package shipping

import "github.com/hookbridge/hookbridge/internal/platformid"

// shopifyOrder is the part of Shopify's REST Order resource (the body of
// the orders/* webhooks) that shipping reads.
type shopifyOrder struct {
	ID              platformid.ID    `json:"id"`
	Name            string           `json:"name"`
	LineItems       []shopifyItem    `json:"line_items"`
	ShippingAddress *shopifyAddress  `json:"shipping_address"`
	Fulfillments    []shopifyFulfill `json:"fulfillments"`
}

type shopifyItem struct {
	SKU      string `json:"sku"`
	Name     string `json:"name"`
	Title    string `json:"title"`
	Quantity int    `json:"quantity"`
	// RequiresShipping is false for gift cards and digital goods; absent
	// means true.
	RequiresShipping *bool `json:"requires_shipping"`
}

type shopifyAddress struct {
	FirstName    string `json:"first_name"`
	LastName     string `json:"last_name"`
	Company      string `json:"company"`
	Address1     string `json:"address1"`
	Address2     string `json:"address2"`
	City         string `json:"city"`
	ProvinceCode string `json:"province_code"`
	Zip          string `json:"zip"`
	CountryCode  string `json:"country_code"`
	Phone        string `json:"phone"`
}

type shopifyFulfill struct {
	Status          string `json:"status"`
	TrackingCompany string `json:"tracking_company"`
	TrackingNumber  string `json:"tracking_number"`
	TrackingURL     string `json:"tracking_url"`
}

func decodeShopify(data []byte, a action) (order, string, error) {
	var so shopifyOrder
	if err := unmarshal(data, &so); err != nil {
		return order{}, "", err
	}
	if so.ID == "" {
		return order{}, "", ErrNoOrderID
	}
	o := order{action: a, platform: "shopify", id: string(so.ID), reference: so.Name}
	for _, li := range so.LineItems {
		if li.RequiresShipping != nil && !*li.RequiresShipping {
			continue
		}
		name := li.Name
		if name == "" {
			name = li.Title
		}
		o.items = append(o.items, Item{SKU: li.SKU, Name: name, Quantity: li.Quantity})
	}
	if a != actCancelled && len(so.LineItems) > 0 && len(o.items) == 0 {
		return order{}, "no line item requires shipping", nil
	}
	if sa := so.ShippingAddress; sa != nil {
		o.address = Address{
			Name:       joinName(sa.FirstName, sa.LastName),
			Company:    sa.Company,
			Line1:      sa.Address1,
			Line2:      sa.Address2,
			City:       sa.City,
			Region:     sa.ProvinceCode,
			PostalCode: sa.Zip,
			Country:    sa.CountryCode,
			Phone:      sa.Phone,
		}
	}
	// The latest successful fulfilment with a tracking number.
	for _, f := range so.Fulfillments {
		if f.TrackingNumber != "" && (f.Status == "" || f.Status == "success") {
			o.tracking = &Tracking{Company: f.TrackingCompany, Number: f.TrackingNumber, URL: f.TrackingURL}
		}
	}
	return o, "", nil
}
