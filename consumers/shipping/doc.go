// Package shipping is hookbridge's sample shipping consumer: it turns paid,
// cancelled and fulfilled orders from Shopify, WooCommerce and Stripe into
// shipments kept in a JetStream KV bucket, and announces every change as a
// CloudEvent on the SHIPPING stream.
//
// # What counts as what
//
//	platform     event (CE type)                          meaning
//	shopify      com.shopify.orders.paid                  paid
//	shopify      com.shopify.orders.cancelled             cancelled
//	shopify      com.shopify.orders.fulfilled             fulfilled
//	woocommerce  com.woocommerce.order.created|updated    status processing: paid;
//	                                                      cancelled or refunded: cancelled;
//	                                                      any other status: ignored
//	stripe       com.stripe.checkout.session.completed    paid, if payment_status is paid or
//	                                                      no_payment_required and the session
//	                                                      has shipping details; else ignored
//
// Any other event is acknowledged and ignored. A payload that is not JSON,
// or has no order id, is a permanent error (consumers.Permanent), so the
// consumer library dead-letters it. A Shopify order whose line items all
// have requires_shipping=false has nothing to ship: its paid and fulfilled
// events are ignored. A missing shipping address (e.g. the sample order of
// `hookbridge send`) gives a shipment with an empty address. Stripe's event
// carries no line items: they are read from the session's metadata "items"
// ("SKU:QTY,SKU:QTY"; a SKU without ":QTY" means 1), else left empty.
//
// # State machine
//
// One KV entry per order holds its shipment. Its key is
// <platform>.<source>.<order id> (see Key); the order id is the payload's own
// id (Shopify and WooCommerce order id, Stripe Checkout Session id). Every
// transition is one compare-and-set on that key: kv.Create when the key is
// absent, kv.Update with the revision read otherwise. A lost race re-reads
// the key and re-applies the event to what won, so concurrent handlers need
// no lock and the store is the only arbiter.
//
//	state \ event   paid                 cancelled                 fulfilled
//	(absent)        created [created]    cancelled (tombstone) []  fulfilled [created, fulfilled]
//	created         created   (dup)      cancelled [cancelled]     fulfilled [fulfilled]
//	cancelled       cancelled (no-op)    cancelled (dup)           cancelled (no-op, logged)
//	fulfilled       fulfilled (no-op)    fulfilled (no-op, logged) fulfilled (dup)
//
// In brackets: the shipping events the transition publishes. cancelled and
// fulfilled are final. A cancel that arrives first leaves a tombstone, so a
// late paid cannot resurrect the order; a fulfilled that arrives first
// creates the shipment already fulfilled, so a late paid cannot downgrade
// it. Paid and fulfilled therefore end in the same state and publish the
// same events in every order; a cancel publishes shipment.cancelled only
// for a shipment that was announced as created. Shopify neither cancels a
// fulfilled order nor fulfils a cancelled one, so for the pair cancelled +
// fulfilled the first to arrive wins and the other is logged.
//
// # Published events
//
// Each transition publishes, in order, CloudEvents with
//
//	type     com.hookbridge.shipping.shipment.<created|cancelled|fulfilled>
//	source   /hookbridge/shipping
//	subject  the shipment key
//	id       <key>:<created|cancelled|fulfilled>  (also the Nats-Msg-Id)
//	time     when the transition happened
//	data     the Shipment as JSON, as it was right after the transition
//
// on subject shipping.shipment.<created|cancelled|fulfilled>.<platform>
// (e.g. shipping.shipment.created.shopify) in the stream SHIPPING
// (subjects shipping.>), so another service can consume
// "shipping.shipment.created.>" or "shipping.>".
//
// # Exactly once across crashes
//
// A transition writes the shipment together with its not yet published
// events (an outbox) in the same CAS; the events are published afterwards,
// and a second CAS clears the outbox. A crash between the two leaves the
// outbox in the KV and the webhook unacknowledged: its redelivery finds the
// state already reached, publishes what the outbox holds and clears it.
// A crash after the publish but before the clear publishes again on
// redelivery; the deterministic event id, used as Nats-Msg-Id, makes
// JetStream drop the copy within the stream's duplicate window (24h by
// default). Any later event for the same order also flushes the outbox.
package shipping
