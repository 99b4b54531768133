// Package platformid reads the id a platform gives an object (an order, a
// payment, an issue) from JSON, where platforms write it as a number
// (Shopify's and WooCommerce's order ids, GitHub's issue numbers) or as a
// string (Stripe's "pi_...", Shopify's GraphQL ids), and sometimes the
// same id both ways in different payloads. Every reader of an id in this
// module, the bridge's providers and the sample consumers alike, reads it
// by this one rule, so an id read in one place is the id read in another.
//
// The rule, for one JSON value:
//
//   - absent or null: "" with no error. Whether an id is required is the
//     caller's decision, not the reading's.
//   - a string: its text as encoding/json decodes it, with surrounding
//     white space (strings.TrimSpace) removed. An id is used as a key (a
//     KV key, a subject token, a message id), so " 450789469" written by a
//     template or an intermediary must be the same key as "450789469"; no
//     platform issues ids whose surrounding spaces mean anything. Blank
//     is "", as if absent.
//   - a number: its literal text, accepted only as a non-negative integer
//     in JSON's own spelling (0, or digits without a leading zero; no sign,
//     fraction or exponent). The text is kept rather than the value because
//     ids exceed float64's 53 bits (Shopify's are 18 digits and more), and
//     a number and a string of the same digits then give the same id.
//     Platforms number objects from 1; a fraction, an exponent or a minus
//     sign is not an id anyone issued but a placeholder or a bug, and
//     reading it as one would file unrelated events under one key.
//   - anything else (true, an object, an array, text that is not JSON): an
//     error wrapping ErrNotID.
//
// Parse applies the rule to a raw value; ID applies it when encoding/json
// decodes into a struct field.
package platformid
