// Package commerce is the normaliser: a durable consumer of the raw
// platform events on WEBHOOKS that publishes canonical commerce events on
// COMMERCE, so that "an order was paid" reads the same from every platform.
//
// The contract, which teams' consumers rely on in any language:
//   - stream COMMERCE, subjects commerce.<entity>.<action>.<provider>.<source>
//     (commerce.order.paid.shopify.acme-shop);
//   - CloudEvents in binary mode, type com.hookbridge.commerce.<entity>.<action>,
//     source the raw event's source, subject the entity's platform id, time
//     the platform's time of the change, datacontenttype application/json,
//     dataschema urn:hookbridge:commerce:<entity>:v<major>, and the raw
//     event's id in the extension attribute rawid;
//   - an id (and Nats-Msg-Id) derived from the raw event and the canonical
//     type, so a redelivery, a replay of WEBHOOKS or a second normaliser
//     never stores an event twice within the duplicate window; an order's
//     milestones (paid, fulfilled, cancelled, refunded) with the platform's
//     time of the change are keyed by that change, so a platform that sends
//     the whole order again yields each once (see ID);
//   - data as the JSON Schemas in schema/ describe it: money as decimal
//     strings exactly as the platform wrote them (or, where the platform
//     writes minor units, the same amount in major units), never floats;
//     fields a platform does not send are absent, never invented.
//
// Each platform's mapping is a pure function of the raw event (one file per
// platform), tested against the platforms' own documented payloads.
package commerce
