// Package shipping is hookbridge's sample shipping consumer: it turns paid,
// cancelled and fulfilled orders into shipments kept in a JetStream KV
// bucket, and announces every change as a CloudEvent on the SHIPPING
// stream. It reads canonical order events (stream COMMERCE, subjects
// commerce.order.>, see package commerce) and nothing platform-specific, so
// every platform the normaliser maps, now or later, ships the same way.
//
// # What counts as what
//
//	canonical event                      meaning
//	order.paid                           paid
//	order.fulfilled                      fulfilled
//	order.cancelled, order.refunded      cancelled
//	order.created, order.updated         ignored (acknowledged)
//
// An event of any other type is acknowledged and ignored too. From the
// order (data, a commerce.Order) shipping reads:
//
//   - the items: each line item whose requires_shipping is not false. An
//     order whose line items all say false (gift cards, downloads) has
//     nothing to ship: its paid and fulfilled events are ignored. An order
//     that lists no line items (Stripe's) takes them from its metadata
//     "items", the shop's convention "SKU:QTY,SKU:QTY" (a SKU without ":QTY"
//     means 1); but one that lists no line items and has no shipping
//     address has nothing to ship either, whatever its metadata says.
//   - the address: shipping_address; when it has no phone but is not
//     empty, the customer's phone, so the carrier has a number to call. A
//     missing address (e.g. the sample order of `hookbridge send`) gives a
//     shipment with an empty address.
//   - the reference: number. Stripe orders carry none (the session's
//     client_reference_id is not part of the canonical order), so their
//     shipments have no reference.
//   - the tracking: the last element of tracking, if any.
//
// Data that is not a JSON order, an order without an id, without a platform
// that is one token of [a-z0-9_-] (see Key), or an event without a source,
// is a permanent error (consumers.Permanent), so the consumer library
// dead-letters it; so is a metadata "items" that does not parse.
//
// What the normaliser makes of each platform's webhooks therefore decides
// what ships. Compared with reading the platforms' payloads directly:
//   - a WooCommerce order in status completed arrives as order.paid and
//     order.fulfilled, so it gives a fulfilled shipment (virtual orders,
//     which go straight to completed, included: WooCommerce does not say
//     which lines need shipping);
//   - Stripe's checkout.session.async_payment_succeeded is order.paid, so a
//     delayed payment that succeeds ships;
//   - WooCommerce sends the whole order on every update, so order.paid of a
//     processing order recurs: the state machine treats it as the duplicate
//     it is;
//   - a Shopify or WooCommerce order with no line items and no shipping
//     address is ignored, as a Stripe session without shipping details
//     always was (it used to give an empty shipment).
//
// # Ordering
//
// Platforms deliver out of order, and the normaliser passes their events
// on in the order they came. The canonical contract's rule is to keep the
// state with the newest updated_at; shipments need no updated_at, because
// cancelled and fulfilled are final and paid and fulfilled commute (the
// table below): whatever order the events of an order arrive in, the
// shipment ends in the same state (of a cancel and a fulfilment, the first
// to arrive wins, as the table says).
//
// # State machine
//
// One KV entry per order holds its shipment. Its key is
// <platform>.<source>.<order id> (see Key): the order's platform, the
// event's source (the shop) and the order's id (Shopify and WooCommerce
// order id, Stripe Checkout Session id). Every transition is one
// compare-and-set on that key: kv.Create when the key is absent, kv.Update
// with the revision read otherwise. A lost race re-reads the key and
// re-applies the event to what won, so concurrent handlers need no lock and
// the store is the only arbiter.
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
// outbox in the KV and the event unacknowledged: its redelivery finds the
// state already reached, publishes what the outbox holds and clears it.
// A crash after the publish but before the clear publishes again on
// redelivery; the deterministic event id, used as Nats-Msg-Id, makes
// JetStream drop the copy within the stream's duplicate window (24h by
// default). Any later event for the same order also flushes the outbox.
package shipping
