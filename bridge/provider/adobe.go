package provider

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Adobe I/O Events (which delivers Adobe Commerce's events, among others)
// signs the raw body twice, each time with RSA-SHA256 (PKCS #1 v1.5) under
// one of two private keys of its own, and sends each signature in base64
// with the path of its public key on static.adobeioevents.com:
//
//	x-adobe-digital-signature-1   x-adobe-public-key1-path
//	x-adobe-digital-signature-2   x-adobe-public-key2-path
//
// A delivery is Adobe's when either signature verifies under its key, so
// that Adobe can replace one key at a time (developer.adobe.com/events,
// "Security Considerations"; adobe/aio-lib-events, signatureUtils.js).
// The key is fetched from "https://" + the source's first key host + the
// path, through the KeyFetcher, which caches it: a path is a new key's
// only when Adobe rotates. Nothing signed carries a time.
//
// Adobe signs every registration's events with the same keys, so a
// signature says only that Adobe sent the body, not to whom: anybody with
// a registration of their own could replay its deliveries here. So every
// event must also name the source's client_id as its recipient (see
// recipient), as the SDKs check.
const (
	adobeSignature1 = "X-Adobe-Digital-Signature-1"
	adobeSignature2 = "X-Adobe-Digital-Signature-2"
	adobeKeyPath1   = "X-Adobe-Public-Key1-Path"
	adobeKeyPath2   = "X-Adobe-Public-Key2-Path"
	adobeEventID    = "X-Adobe-Event-Id"
	adobeEventCode  = "X-Adobe-Event-Code"
	adobeChallenge  = "challenge"
	adobeTypePrefix = "com.adobe."
	// adobeDevKeyPath is the key path a source with development keys
	// signs with: it trusts the development key whatever the path.
	adobeDevKeyPath = "/hookbridge/development-key.pem"
	// Adobe's keys are 2048-bit RSA; a key (and so a signature) outside
	// these sizes is not one of them.
	adobeMinKeyBytes = 2048 / 8
	adobeMaxKeyBytes = 4096 / 8
	// adobeMaxPath bounds a key path (Adobe's are about 60 bytes) and
	// adobeMaxChallenge the challenge echoed (a UUID is 36).
	adobeMaxPath      = 256
	adobeMaxChallenge = 128
)

// adobeRecipients are the fields an event names its recipient with:
// recipientclientid, as CloudEvents spells attribute names, and
// recipient_client_id, which Adobe still writes beside it until the end
// of 2026 (I/O Events FAQ, "duplicate fields").
var adobeRecipients = [...]string{"recipientclientid", "recipient_client_id"}

// adobePairs are the signature headers and the key path header of each.
var adobePairs = [...]struct{ sig, path string }{
	{adobeSignature1, adobeKeyPath1},
	{adobeSignature2, adobeKeyPath2},
}

type adobe struct {
	clientID string
	keys     keySource
}

var (
	_ scheme          = adobe{}
	_ batchScheme     = adobe{}
	_ challengeScheme = adobe{}
)

func newAdobe(clientID string, keys keySource) adobe {
	return adobe{clientID: clientID, keys: keys}
}

// Ranks of the reasons a delivery's signatures fail, the highest of which
// Verify reports when none verifies (the first of a rank).
const (
	adobeMissing   = iota + 1 // a header absent
	adobeMalformed            // a header that cannot be read
	adobeNoKey                // the key could not be had: the delivery may be genuine
	adobeBad                  // a signature that a key refused, or a path no key of Adobe's is at
)

type adobeFailure struct {
	rank int
	err  error
}

func (f *adobeFailure) note(rank int, err error) {
	if rank > f.rank {
		f.rank, f.err = rank, err
	}
}

// verify accepts the delivery when a signature verifies under the key at
// its path, and then every event names the source's client id (see
// recipient). The pairs are tried in order and the second key is not
// fetched when the first verifies.
//
// When none verifies, the error is, in this order: ErrBadSignature when a
// key refused its signature, or a path is not a clean absolute path (see
// adobeKeyPath: only a forger points a signature's key elsewhere), or the
// document at a path is not an RSA public key: a genuine delivery verifies
// under every key it names, so a refusal means a forgery whatever the
// other pair says; else the fetcher's ErrKeyUnavailable, since the
// delivery may be genuine and Adobe retries a 503; else
// ErrMalformedSignature (a signature that is not base64 of 256 to 512
// bytes, a header sent twice); else ErrMissingSignature (no signature, or
// a signature without its key path).
func (a adobe) verify(body []byte, h http.Header) error {
	var fail adobeFailure
	var digest []byte
	present := false
	for _, p := range adobePairs {
		sigs := h.Values(p.sig)
		if len(sigs) == 0 || sigs[0] == "" {
			continue
		}
		present = true
		paths := h.Values(p.path)
		switch {
		case len(sigs) > 1:
			fail.note(adobeMalformed, fmt.Errorf("%s: sent %d times: %w", strings.ToLower(p.sig), len(sigs), ErrMalformedSignature))
			continue
		case len(paths) > 1:
			fail.note(adobeMalformed, fmt.Errorf("%s: sent %d times: %w", strings.ToLower(p.path), len(paths), ErrMalformedSignature))
			continue
		case len(paths) == 0 || paths[0] == "":
			fail.note(adobeMissing, fmt.Errorf("%s: %w", strings.ToLower(p.path), ErrMissingSignature))
			continue
		}
		sig, ok := adobeSig(sigs[0])
		if !ok {
			fail.note(adobeMalformed, fmt.Errorf("%s: not a base64 RSA signature: %w", strings.ToLower(p.sig), ErrMalformedSignature))
			continue
		}
		if !adobeKeyPath(paths[0]) {
			fail.note(adobeBad, fmt.Errorf("%s: not a clean absolute path: %w", strings.ToLower(p.path), ErrBadSignature))
			continue
		}
		key, err := a.key(strings.ToLower(p.path), paths[0])
		if err != nil {
			rank := adobeBad
			if errors.Is(err, ErrKeyUnavailable) {
				rank = adobeNoKey
			}
			fail.note(rank, err)
			continue
		}
		if digest == nil {
			sum := sha256.Sum256(body)
			digest = sum[:]
		}
		if rsa.VerifyPKCS1v15(key, crypto.SHA256, digest, sig) == nil {
			return a.recipient(body)
		}
		fail.note(adobeBad, fmt.Errorf("%s: %w", strings.ToLower(p.sig), ErrBadSignature))
	}
	if !present {
		return fmt.Errorf("%s: %w", strings.ToLower(adobeSignature1), ErrMissingSignature)
	}
	return fail.err
}

// adobeSig is the signature written in s, or false when s is not the
// canonical standard base64 (padded, no line breaks) of 256 to 512 bytes.
func adobeSig(s string) ([]byte, bool) {
	if len(s) > base64.StdEncoding.EncodedLen(adobeMaxKeyBytes) || strings.ContainsAny(s, "\r\n") {
		return nil, false
	}
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	return b, err == nil && len(b) >= adobeMinKeyBytes && len(b) <= adobeMaxKeyBytes
}

// adobeKeyPath reports whether p is a clean absolute path: "/" and then
// segments of ASCII letters, digits, '-', '_', '.' and '~', none of them
// empty, "." or "..", in at most adobeMaxPath bytes. Adobe's are
// /prod/keys/pub-key-<uuid>.pem. Anything else could take the fetch off
// Adobe's key directory or, joined to the host, off the host: "//" (an
// authority), "..", "?", "#", "@", '\', '%' (an escaped one of them), a
// control character.
func adobeKeyPath(p string) bool {
	if len(p) < 2 || len(p) > adobeMaxPath || p[0] != '/' {
		return false
	}
	for seg := range strings.SplitSeq(p[1:], "/") {
		if seg == "" || seg == "." || seg == ".." {
			return false
		}
		for i := 0; i < len(seg); i++ {
			if c := seg[i]; !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~') {
				return false
			}
		}
	}
	return true
}

// key is the public key at path on the source's first key host, named in
// errors by header; for a source with development keys, the development
// key, whatever the path, with no fetch.
func (a adobe) key(header, path string) (*rsa.PublicKey, error) {
	if a.keys.dev {
		return &developmentKey().PublicKey, nil
	}
	v, err := a.keys.fetch(header, "https://"+a.keys.hosts[0]+path, parseAdobeKey, false)
	switch {
	case errors.Is(err, ErrKeyUnavailable):
		return nil, err
	case err != nil:
		return nil, fmt.Errorf("%s: %w", header, err)
	}
	k, ok := v.(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("%s: the key fetcher gave a %T: %w", header, v, ErrKeyUnavailable)
	}
	return k, nil
}

// parseAdobeKey reads the document at a key path, once per fetch (the
// fetcher caches the key): one PEM "PUBLIC KEY" block, an X.509
// SubjectPublicKeyInfo as Adobe serves it and aio-lib-events reads it
// ("spki"), holding an RSA key of 2048 to 4096 bits, and nothing else but
// white space. Anything else cannot be the key of Adobe's signature: the
// error wraps ErrBadSignature and never quotes the document.
func parseAdobeKey(doc []byte) (any, error) {
	doc = bytes.TrimLeft(doc, " \t\r\n")
	if !bytes.HasPrefix(doc, []byte("-----BEGIN ")) {
		return nil, fmt.Errorf("not a PEM document: %w", ErrBadSignature)
	}
	b, rest := pem.Decode(doc)
	switch {
	case b == nil:
		return nil, fmt.Errorf("not a PEM document: %w", ErrBadSignature)
	case b.Type != "PUBLIC KEY" || len(b.Headers) > 0:
		return nil, fmt.Errorf("PEM block is not a plain PUBLIC KEY: %w", ErrBadSignature)
	case len(bytes.TrimSpace(rest)) > 0:
		return nil, fmt.Errorf("more follows the PUBLIC KEY block: %w", ErrBadSignature)
	}
	k, err := x509.ParsePKIXPublicKey(b.Bytes)
	if err != nil {
		return nil, fmt.Errorf("PUBLIC KEY block is not a SubjectPublicKeyInfo: %w", ErrBadSignature)
	}
	rk, ok := k.(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("public key is not RSA: %w", ErrBadSignature)
	}
	if n := rk.N.BitLen(); n < adobeMinKeyBytes*8 || n > adobeMaxKeyBytes*8 {
		return nil, fmt.Errorf("RSA key of %d bits, want 2048 to 4096: %w", n, ErrBadSignature)
	}
	return rk, nil
}

// adobeEvent is one event of a delivery: a single delivery's body, or one
// element of a batch delivery's array.
type adobeEvent struct {
	obj *jsonBody
	raw []byte
}

// adobeEvents reads a delivery's events: the body's object, or each
// object of a batch (a JSON array, up to 20 events as Adobe sends them).
// batch reports the array. Errors wrap sentinel: a body that is neither,
// an empty batch, an element that is no object.
func adobeEvents(body []byte, sentinel error) (events []adobeEvent, batch bool, err error) {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '[' {
		obj := parseJSONObject(body)
		if obj.top == nil {
			return nil, false, fmt.Errorf("body is not a JSON object or array: %w", sentinel)
		}
		return []adobeEvent{{obj: obj, raw: body}}, false, nil
	}
	elems, ok := readArray(body)
	switch {
	case !ok:
		return nil, true, fmt.Errorf("body is not a JSON object or array: %w", sentinel)
	case len(elems) == 0:
		return nil, true, fmt.Errorf("batch has no events: %w", sentinel)
	}
	events = make([]adobeEvent, len(elems))
	for i, el := range elems {
		obj := parseJSONObject(el)
		if obj.top == nil {
			return nil, true, fmt.Errorf("events[%d]: not an object: %w", i, sentinel)
		}
		events[i] = adobeEvent{obj: obj, raw: el}
	}
	return events, true, nil
}

// recipient refuses a delivery that is not addressed to this source:
// every event must name a recipient, and each of recipientclientid and
// recipient_client_id that it has must be a string equal to the
// configured client id, byte for byte, as aio-lib-events compares them.
// A field JSON readers could read differently counts against it. The
// error wraps ErrBadSignature: Adobe's signature is not the source's
// without it, as a secret's is not under another secret.
func (a adobe) recipient(body []byte) error {
	events, batch, err := adobeEvents(body, ErrBadSignature)
	if err != nil {
		return err
	}
	for i, ev := range events {
		if err := a.addressed(ev.obj); err != nil {
			if batch {
				return fmt.Errorf("events[%d]: %w", i, err)
			}
			return err
		}
	}
	return nil
}

func (a adobe) addressed(obj *jsonBody) error {
	named := false
	for _, field := range adobeRecipients {
		v := obj.lookup([]string{field})
		if obj.err != nil {
			return asSentinel(obj.err, ErrBadSignature)
		}
		if v == nil {
			continue
		}
		named = true
		if jsonString(v) != a.clientID {
			return fmt.Errorf("%s: not this source's client_id: %w", field, ErrBadSignature)
		}
	}
	if !named {
		return fmt.Errorf("event names no recipientclientid or recipient_client_id: %w", ErrBadSignature)
	}
	return nil
}

// extract is extractAll's first event.
func (a adobe) extract(body []byte, h http.Header) (Event, error) {
	events, err := a.extractAll(body, h)
	if err != nil {
		return Event{}, err
	}
	return events[0], nil
}

// extractAll maps each event, a CloudEvent as I/O Events writes it, to:
//
//	ID      body eventid, else event_id (Adobe writes both, alike, until
//	        the end of 2026): I/O Events' id of the event, the same on
//	        every delivery attempt of it
//	Type    body type, less a leading "com.adobe.", which the CloudEvent
//	        type puts back: Adobe Commerce's
//	        com.adobe.commerce.observer.sales_order_save_after stays
//	        itself, a custom provider's event code QUEUED becomes
//	        com.adobe.QUEUED
//	Source  body source (the event provider: "urn:uuid:<provider id>")
//	Subject body subject, else data.value.entity_id (the entity an Adobe
//	        Commerce event is about: the order, the invoice), else ""
//	Time    body time (RFC 3339), else zero
//
// A batch delivery (a JSON array) is one event per element, in order,
// each with the element as its data (application/json). A single
// delivery's data is the body, and its x-adobe-event-id and
// x-adobe-event-code headers, which are not signed, must name the body's
// eventid and type when present: one that differs was altered on the way
// (a replay with a new id would pass the broker's dedup). A batch's
// headers are not read.
//
// eventid and event_id that differ, no id, no type, or a field read here
// that JSON readers could read differently are ErrUnusable.
func (a adobe) extractAll(body []byte, h http.Header) ([]Event, error) {
	events, batch, err := adobeEvents(body, ErrUnusable)
	if err != nil {
		return nil, err
	}
	out := make([]Event, len(events))
	for i, ev := range events {
		e, typ, err := adobeRead(ev.obj)
		if batch {
			if err != nil {
				return nil, fmt.Errorf("events[%d]: %w", i, err)
			}
			e.Data, e.DataContentType = ev.raw, "application/json"
			out[i] = e
			continue
		}
		if err != nil {
			return nil, err
		}
		if v := h.Get(adobeEventID); v != "" && v != e.ID {
			return nil, fmt.Errorf("%s differs from the signed eventid: %w", strings.ToLower(adobeEventID), ErrUnusable)
		}
		if v := h.Get(adobeEventCode); v != "" && v != typ {
			return nil, fmt.Errorf("%s differs from the signed type: %w", strings.ToLower(adobeEventCode), ErrUnusable)
		}
		out[i] = e
	}
	return out, nil
}

// adobeRead reads one event, and its type as written.
func adobeRead(obj *jsonBody) (e Event, typ string, err error) {
	id, deprecated := obj.str("eventid"), obj.str("event_id")
	typ = obj.str("type")
	e = Event{Source: obj.str("source"), Subject: obj.str("subject")}
	if e.Subject == "" {
		e.Subject = obj.id("data", "value", "entity_id")
	}
	if t, err := time.Parse(time.RFC3339, obj.str("time")); err == nil {
		e.Time = t
	}
	if obj.err != nil {
		return Event{}, "", obj.err
	}
	switch {
	case id == "":
		id = deprecated
	case deprecated != "" && deprecated != id:
		return Event{}, "", fmt.Errorf("eventid and event_id differ: %w", ErrUnusable)
	}
	e.ID, e.Type = id, strings.TrimPrefix(typ, adobeTypePrefix)
	switch {
	case e.ID == "":
		return Event{}, "", fmt.Errorf("body has no string eventid or event_id: %w", ErrUnusable)
	case e.Type == "":
		return Event{}, "", fmt.Errorf("body has no string type: %w", ErrUnusable)
	}
	return e, typ, nil
}

// signBody returns body addressed to the source's client id as I/O
// Events addresses each registration's events: every event with
// recipientclientid and recipient_client_id set to it. A body whose
// events all name it already is returned as it is, byte for byte; any
// other is re-encoded (keys sorted, numbers as written). It refuses a
// body that is not an event or a batch of events, or whose result would
// still not be addressed (a recipient field written in another case,
// which re-encoding keeps).
func (a adobe) signBody(body []byte) ([]byte, error) {
	if a.recipient(body) == nil {
		return body, nil
	}
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	var doc any
	if err := d.Decode(&doc); err != nil {
		return nil, errors.New("adobe: body is not JSON")
	}
	if d.Decode(new(any)) != io.EOF {
		return nil, errors.New("adobe: more follows the body's JSON value")
	}
	switch v := doc.(type) {
	case map[string]any:
		a.address(v)
	case []any:
		for _, el := range v {
			ev, ok := el.(map[string]any)
			if !ok {
				return nil, errors.New("adobe: a batch element is not an event object")
			}
			a.address(ev)
		}
	default:
		return nil, errors.New("adobe: body is not an event or a batch of events")
	}
	out, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("adobe: %w", err)
	}
	if err := a.recipient(out); err != nil {
		return nil, fmt.Errorf("adobe: cannot address this body to the client id: %w", err)
	}
	return out, nil
}

func (a adobe) address(ev map[string]any) {
	for _, field := range adobeRecipients {
		ev[field] = a.clientID
	}
}

// sign sets both signatures, made with the development key, and the
// development key's path: only a source with development keys can be
// signed for, since Adobe's private keys are Adobe's own.
func (a adobe) sign(body []byte, h http.Header, _ time.Time) error {
	if !a.keys.dev {
		return errors.New("adobe: cannot sign: Adobe I/O Events signs with private keys only Adobe has; " +
			"a source with development_keys: true trusts hookbridge's published development key and can be signed for")
	}
	sum := sha256.Sum256(body)
	sig, err := rsa.SignPKCS1v15(nil, developmentKey(), crypto.SHA256, sum[:])
	if err != nil {
		return fmt.Errorf("adobe: signing: %w", err)
	}
	v := base64.StdEncoding.EncodeToString(sig)
	for _, p := range adobePairs {
		h.Set(p.sig, v)
		h.Set(p.path, adobeDevKeyPath)
	}
	return nil
}

// challenge answers I/O Events' GET ?challenge=<value>, sent when a
// registration is created or re-enabled: the value itself, as text/plain
// (developer.adobe.com/events, "The challenge request"). The value is
// echoed, so only a token is: one value of 1 to 128 ASCII letters,
// digits, '-' and '_' (Adobe's are UUIDs).
func (a adobe) challenge(q url.Values) ([]byte, bool) {
	c := q[adobeChallenge]
	if len(c) != 1 || c[0] == "" || len(c[0]) > adobeMaxChallenge {
		return nil, false
	}
	for i := 0; i < len(c[0]); i++ {
		if ch := c[0][i]; !('a' <= ch && ch <= 'z' || 'A' <= ch && ch <= 'Z' || '0' <= ch && ch <= '9' || ch == '-' || ch == '_') {
			return nil, false
		}
	}
	return []byte(c[0]), true
}
