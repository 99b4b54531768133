package consumers

import "context"

// Delivery is what the stream says about the message a Handler runs on.
type Delivery struct {
	// Subject is the message's subject, e.g. webhooks.shopify.acme-shop.orders.create:
	// by the wire contract it names the provider and hookbridge's source.
	Subject string
	// Stream and Sequence locate the message in its stream.
	Stream   string
	Sequence uint64
	// NumDelivered is 1 on the first delivery, 2 on the first retry, ...
	NumDelivered int
}

type deliveryKey struct{}

// DeliveryFrom returns the delivery a Handler's ctx was given for; ok is
// false for a context Run did not make.
func DeliveryFrom(ctx context.Context) (d Delivery, ok bool) {
	d, ok = ctx.Value(deliveryKey{}).(Delivery)
	return d, ok
}

func withDelivery(ctx context.Context, d Delivery) context.Context {
	return context.WithValue(ctx, deliveryKey{}, d)
}
