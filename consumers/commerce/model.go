package commerce

// The entities and actions of canonical events. Every canonical event is
// one entity and one action; its type is TypePrefix + entity + "." + action.
const (
	EntityOrder   = "order"
	EntityPayment = "payment"
	EntityRefund  = "refund"

	ActionCreated   = "created"
	ActionUpdated   = "updated"
	ActionPaid      = "paid"
	ActionCancelled = "cancelled"
	ActionRefunded  = "refunded"
	ActionFulfilled = "fulfilled"
	ActionSucceeded = "succeeded"
	ActionFailed    = "failed"
)

// Order statuses: where an order stands in its life, whatever the platform
// calls it (Order.PlatformStatus keeps the platform's own word).
const (
	OrderPending           = "pending"            // placed, not paid yet (or awaiting a decision)
	OrderPaid              = "paid"               // paid in full, not yet fulfilled
	OrderPartiallyRefunded = "partially_refunded" // paid, part of it given back
	OrderRefunded          = "refunded"           // paid and given back in full
	OrderFulfilled         = "fulfilled"          // shipped or completed
	OrderCancelled         = "cancelled"
	OrderFailed            = "failed" // payment failed
)

// Payment and refund statuses.
const (
	PaymentSucceeded = "succeeded"
	PaymentFailed    = "failed"
	PaymentPending   = "pending"
	RefundSucceeded  = "succeeded"
	RefundPending    = "pending"
	RefundFailed     = "failed"
)

// Money is an amount as a decimal string ("24.00", "1000"), never a float:
// exactly as the platform wrote it, or, where the platform writes integer
// minor units (Stripe), the same amount in major units with the currency's
// decimals.
type Money = string

// Order is the data of every order.* event (schema urn:hookbridge:commerce:order:v1).
type Order struct {
	ID             string     `json:"id"`
	Number         string     `json:"number,omitempty"` // what the shop shows the customer
	Platform       string     `json:"platform"`         // the provider kind: shopify, woocommerce, stripe
	Source         string     `json:"source"`           // hookbridge's source name
	Status         string     `json:"status,omitempty"` // one of the Order* statuses
	PlatformStatus string     `json:"platform_status,omitempty"`
	Currency       string     `json:"currency,omitempty"` // ISO 4217, upper case
	Total          Money      `json:"total,omitempty"`    // what the customer pays
	Subtotal       Money      `json:"subtotal,omitempty"` // the lines' total, before discounts, shipping and tax
	Tax            Money      `json:"tax,omitempty"`
	Shipping       Money      `json:"shipping,omitempty"`
	Discount       Money      `json:"discount,omitempty"` // all discounts, as a positive amount
	LineItems      []LineItem `json:"line_items,omitempty"`
	Customer       *Customer  `json:"customer,omitempty"`
	ShippingAddr   *Address   `json:"shipping_address,omitempty"`
	// Tracking is the carriers' references of the order's shipments, as the
	// platform reports them, oldest first.
	Tracking []Tracking `json:"tracking,omitempty"`
	// Metadata is the shop's own key-value pairs on the order, as the
	// platform carries them (Stripe's metadata); hookbridge does not read them.
	Metadata  map[string]string `json:"metadata,omitempty"`
	CreatedAt string            `json:"created_at,omitempty"` // RFC 3339
	UpdatedAt string            `json:"updated_at,omitempty"` // RFC 3339: keep the newest
}

// LineItem is one line of an order.
type LineItem struct {
	ID        string `json:"id,omitempty"`
	SKU       string `json:"sku,omitempty"`
	Name      string `json:"name,omitempty"`
	Quantity  int64  `json:"quantity"`
	UnitPrice Money  `json:"unit_price,omitempty"`
	// RequiresShipping is false for a line with nothing to ship (a gift
	// card, a download), true for one to ship, absent when the platform
	// does not say.
	RequiresShipping *bool `json:"requires_shipping,omitempty"`
}

// Customer is who placed an order. Email and Phone are personal data (see
// Config.PersonalData).
type Customer struct {
	ID    string `json:"id,omitempty"`
	Email string `json:"email,omitempty"`
	Phone string `json:"phone,omitempty"`
}

// Address is a postal address; personal data (see Privacy).
type Address struct {
	Name       string `json:"name,omitempty"`
	Company    string `json:"company,omitempty"`
	Line1      string `json:"line1,omitempty"`
	Line2      string `json:"line2,omitempty"`
	City       string `json:"city,omitempty"`
	Region     string `json:"region,omitempty"`
	PostalCode string `json:"postal_code,omitempty"`
	Country    string `json:"country,omitempty"` // ISO 3166-1 alpha-2 where the platform sends one
	Phone      string `json:"phone,omitempty"`
}

// Tracking is a carrier's reference for one shipment of an order.
type Tracking struct {
	Company string `json:"company,omitempty"`
	Number  string `json:"number"`
	URL     string `json:"url,omitempty"`
}

// Payment is the data of every payment.* event (schema urn:hookbridge:commerce:payment:v1).
type Payment struct {
	ID        string `json:"id"`
	OrderID   string `json:"order_id,omitempty"`
	Platform  string `json:"platform"`
	Source    string `json:"source"`
	Amount    Money  `json:"amount,omitempty"`
	Currency  string `json:"currency,omitempty"`
	Status    string `json:"status"` // one of the Payment* statuses
	Method    string `json:"method,omitempty"`
	CreatedAt string `json:"created_at,omitempty"`
	UpdatedAt string `json:"updated_at,omitempty"`
}

// Refund is the data of every refund.* event (schema urn:hookbridge:commerce:refund:v1).
type Refund struct {
	ID        string `json:"id"`
	OrderID   string `json:"order_id,omitempty"`
	PaymentID string `json:"payment_id,omitempty"`
	Platform  string `json:"platform"`
	Source    string `json:"source"`
	Amount    Money  `json:"amount,omitempty"`
	Currency  string `json:"currency,omitempty"`
	Status    string `json:"status"` // one of the Refund* statuses
	Reason    string `json:"reason,omitempty"`
	CreatedAt string `json:"created_at,omitempty"`
}
