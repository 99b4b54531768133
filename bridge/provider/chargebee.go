package provider

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Chargebee signs nothing: a webhook endpoint is protected by HTTP Basic
// auth (RFC 7617) with a username and password set on the endpoint, sent
// as "Authorization: Basic base64(username:password)" with every delivery
// (chargebee-java's WebhookVerifier.verifyBasicAuth checks only that).
// Nothing ties the credentials to the body or to a time: whoever has them
// can send any event, and a captured delivery can be replayed. Only
// hookbridge's dedup on the event id stops a replay of the same event.
const chargebeeAuth = "Authorization"

type chargebee struct {
	creds [][]byte // "username:password" of each configured secret
	sums  [][sha256.Size]byte
}

var _ scheme = chargebee{}

// newChargebee takes each secret as "username:password": a username (no
// ':' in it, as RFC 7617 requires) and a password, both non-empty.
func newChargebee(secrets []string) (chargebee, error) {
	c := chargebee{creds: rawKeys(secrets), sums: make([][sha256.Size]byte, len(secrets))}
	for i, s := range secrets {
		user, pass, ok := strings.Cut(s, ":")
		if !ok || user == "" || pass == "" {
			return chargebee{}, fmt.Errorf("secrets[%d]: want username:password (Chargebee's Basic auth), both non-empty", i)
		}
		c.sums[i] = sha256.Sum256(c.creds[i])
	}
	return c, nil
}

// verify compares the request's credentials with every configured pair, in
// full and in constant time: the SHA-256 digests of "username:password"
// are compared, so neither a wrong username nor a wrong length ends the
// comparison early, and every pair is compared whatever matched before.
func (c chargebee) verify(_ []byte, h http.Header) error {
	v := h.Get(chargebeeAuth)
	if v == "" {
		return fmt.Errorf("%s: %w", chargebeeAuth, ErrMissingSignature)
	}
	creds, ok := parseBasicAuth(v)
	if !ok {
		return fmt.Errorf("%s: not Basic base64(username:password): %w", chargebeeAuth, ErrMalformedSignature)
	}
	got := sha256.Sum256(creds)
	match := 0
	for i := range c.sums {
		match |= subtle.ConstantTimeCompare(got[:], c.sums[i][:])
	}
	if match != 1 {
		return fmt.Errorf("%s: %w", chargebeeAuth, ErrBadSignature)
	}
	return nil
}

// parseBasicAuth returns the decoded "username:password" of an
// Authorization value, read as net/http's Request.BasicAuth reads it: the
// scheme "Basic" in any case, one space, standard padded base64, and a ':'
// in what it decodes to.
func parseBasicAuth(v string) ([]byte, bool) {
	const prefix = "Basic "
	if len(v) < len(prefix) || !strings.EqualFold(v[:len(prefix)], prefix) {
		return nil, false
	}
	creds, err := base64.StdEncoding.DecodeString(v[len(prefix):])
	if err != nil || !strings.Contains(string(creds), ":") {
		return nil, false
	}
	return creds, true
}

// extract maps a delivery (a Chargebee Event object) to:
//
//	ID      body "id" ("ev_..."), the same on every retry of the event
//	Type    body "event_type" ("subscription_created")
//	Source  "": the event names no site (its "source" is what caused the
//	        change: "admin_console", "api", "scheduled_job", ...)
//	Subject the id of the entity the event type names, in "content":
//	        content.subscription.id for subscription_created,
//	        content.credit_note.id for credit_note_created, and the
//	        transaction of a payment_* event (see chargebeeSubject)
//	Time    body "occurred_at" (Unix seconds)
func (c chargebee) extract(body []byte, _ http.Header) (Event, error) {
	obj := parseJSONObject(body)
	e := Event{ID: obj.str("id"), Type: obj.str("event_type")}
	e.Subject = chargebeeSubject(obj, e.Type)
	if t, ok := parseUnix(obj.scalar("occurred_at")); ok {
		e.Time = t
	}
	return e.complete(obj, `"id"`, `"event_type"`)
}

// chargebeeMaxPrefixes bounds the prefixes of an event type tried.
const chargebeeMaxPrefixes = 4

// chargebeeSubject is content.<entity>.id for the longest prefix of the
// event type, cut at an underscore, that names an entity with an id
// ("payment_source_added": payment_source, then payment). Payment events
// carry no "payment" entity: theirs is the transaction.
func chargebeeSubject(obj *jsonBody, eventType string) string {
	t := eventType
	for range chargebeeMaxPrefixes {
		i := strings.LastIndexByte(t, '_')
		if i <= 0 {
			break
		}
		t = t[:i]
		entity := t
		if entity == "payment" {
			entity = "transaction"
		}
		if id := obj.id("content", entity, "id"); id != "" {
			return id
		}
	}
	return ""
}

func (c chargebee) sign(_ []byte, h http.Header, _ time.Time) error {
	h.Set(chargebeeAuth, "Basic "+base64.StdEncoding.EncodeToString(c.creds[0]))
	return nil
}
