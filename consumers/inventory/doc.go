// Package inventory is hookbridge's sample inventory consumer: it reserves
// stock when an order is created and releases it when the order is cancelled
// or refunded, from the canonical commerce events on the COMMERCE stream
// (see consumers/commerce), whatever the platform, with JetStream KV as its
// only store. It knows no platform: a platform the normaliser maps is a
// platform it serves.
//
// # Events
//
// It consumes commerce.order.> on COMMERCE and reads each order event's
// action (from the CloudEvent type com.hookbridge.commerce.order.<action>)
// and the order's status (from its data):
//
//	action                           status                effect
//	cancelled, refunded              any                   release
//	any                              cancelled, refunded   release
//	created                          any other             reserve
//	updated, paid, fulfilled, other  any other             ignore (acknowledged)
//
// So an order created already cancelled or refunded (an import, a shop's
// own order) releases, which leaves a tombstone. And an order.updated (or
// .paid, .fulfilled) whose status is refunded releases, as an
// order.refunded would: that is intended, since a platform whose refund
// events carry only the refund reports a full refund only that way, on the
// order's update. A partial refund (status partially_refunded) changes
// nothing.
//
// Quantities come from the order's line_items (sku and quantity), summed
// per SKU. Lines without a SKU are skipped and logged; an order without
// lines (a payment platform's checkout) reserves nothing. The data of an
// order event that is not a canonical order (commerce.Order as JSON), or
// has no id or platform, or an event without source, is ErrBadPayload,
// wrapped in consumers.Permanent: it goes to the dead letters. An order is
// identified by its order key, a hash of its platform, its shop (the
// CloudEvent source, normalised) and its platform id: never by the
// CloudEvent id, which differs when one order reaches us through two
// webhook subscriptions, or as several events of one delivery.
//
// # Ordering
//
// Platforms deliver out of order: an update or a cancel can arrive before
// the create. The canonical contract's answer is to keep the state with the
// newest updated_at; this service does not need it, because its order
// record only moves forward, none -> reserved -> released, released is
// final, and a cancel seen first leaves a tombstone (a released record
// whose create, when it comes, changes nothing). Each event moves the
// record at most one step in that one direction, so the order in which an
// order's events arrive does not change its end state: that is the
// service's ordering rule.
//
// # Store
//
// One KV bucket ("inventory", file storage):
//
//	sku.<sku token>    {"sku":"HB-MUG-01","on_hand":100,"reserved":{"<order key>":2,…},"backorders":{…}}
//	order.<order key>  {"state":"reserved"|"released","platform":…,"source":…,"order_id":…,"lines":{"HB-MUG-01":2},"event":…}
//
// available = on_hand − Σ reserved. The SKU token keeps [-_A-Za-z0-9] and
// escapes every other byte as =XX, so every SKU has its own key. Every write
// is a compare-and-set on one key (kv.Create for a new key, kv.Update with the
// revision read): there is no lock anywhere else, and any number of
// processes may run the service on one bucket.
//
// # Exactly-once effect
//
// The consumer delivers at least once, so every write is made idempotent per
// order, not per event:
//
//   - A reservation is the presence of the order's entry in the SKU's
//     reserved map. Adding it when present and removing it when absent are
//     no-ops, so a redelivery, a replay, or the same order under another
//     CloudEvent id cannot count twice.
//   - The order record decides. It is written first, moves only from reserved
//     to released (a cancel seen first creates it released: a tombstone), and
//     fixes the order's lines. Every run then makes the SKU entries agree
//     with it: present while reserved, absent once released.
//   - A create racing a cancel re-reads the record after reserving and
//     removes what it added if the order was released meanwhile; a cancel that
//     commits after that re-read finds the entries in place and removes them.
//   - A crash between any two steps leaves a state from which the full
//     handler, run again by the redelivery, reaches the same end: the steps
//     already done are no-ops (see reserve and release for each crash point).
//   - Concurrent orders for one SKU serialise on that key's revision: a
//     writer that lost re-reads and re-decides, so none is lost and the
//     availability each one sees is exact.
//
// Within one process, concurrent changes to one SKU are batched into one
// compare-and-set (see combiner). That is only for speed: 200 handlers on a
// hot SKU cost a few writes per round trip instead of O(n²) failed ones.
//
// # Overselling
//
// When a reservation takes a SKU's availability below zero, the order is
// reserved anyway: the platform has already accepted (and usually charged)
// it, so refusing it here would only make the stock wrong. Availability goes
// negative, and a backorder CloudEvent is published:
//
//	subject  inventory.backorder.<sku token>   (stream INVENTORY_EVENTS, "inventory.>")
//	type     com.hookbridge.inventory.backorder
//	source   /hookbridge/inventory
//	id       backorder.<order key>.<sku token> (also its Nats-Msg-Id)
//	subject  the SKU
//	data     Backorder (JSON): quantity ordered, how many were not available, availability after
//
// The decision is recorded in the SKU's "backorders" outbox in the same write
// as the reservation, published, then removed from the outbox; a crash in
// between republishes the same id, which the stream's 24h duplicate window
// drops. So there is exactly one backorder event per order and SKU, however
// often the order is replayed. Who restocks or tells the customer is up to
// the consumers of that stream.
//
// # Limits
//
//   - Released is final: an order that a shop moves back from cancelled to
//     paid is not reserved again.
//   - Nothing here removes a reservation except a cancel or refund: there is
//     no fulfilment step, so a SKU's value grows by about 40 bytes per open
//     order (under the server's 1 MiB max_payload: about 25,000 open orders
//     per SKU). Order records are kept forever, since they are what makes a
//     late replay a no-op.
//   - Partial refunds and order edits do not change reservations.
//   - A cancel that lands while its order's reservation is being written can
//     leave a backorder event for the cancelled order: backorder consumers
//     must expect cancellations anyway.
//   - Seeding sets only SKUs the bucket does not hold yet (see Seed).
package inventory
