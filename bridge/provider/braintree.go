package provider

import (
	"bytes"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Braintree posts a form, not headers: bt_payload is base64 of an XML
// notification and bt_signature is "<public_key>|<hex>" pairs joined by
// "&", where hex is HMAC-SHA1(SHA1(private_key), bt_payload as
// received). Like Braintree's SDKs (braintree_node,
// webhook_notification_gateway.js), only pairs naming a configured
// public key are checked, and the payload with a "\n" appended is
// accepted too. Nothing signed carries a time.
//
// Each configured secret is "<public_key>:<private_key>"; several are
// rotation. The first one answers Braintree's GET bt_challenge (see
// challenge) and signs.
type braintree struct{ keys []btKey }

// btKey is one configured API key pair: its public key, and an HMAC-SHA1
// keyring of its private key's SHA-1 digest.
type btKey struct {
	public string
	ring   keyring
}

var (
	_ scheme          = braintree{}
	_ batchScheme     = braintree{}
	_ challengeScheme = braintree{}
)

const (
	btSignature = "bt_signature"
	btPayload   = "bt_payload"
	btChallenge = "bt_challenge"
)

func newBraintree(secrets []string) (braintree, error) {
	b := braintree{keys: make([]btKey, len(secrets))}
	for i, s := range secrets {
		public, private, ok := strings.Cut(s, ":")
		if !ok || public == "" || private == "" || strings.ContainsAny(public, "|&") {
			return braintree{}, fmt.Errorf("secrets[%d]: not public_key:private_key (a Braintree API key pair)", i)
		}
		digest := sha1.Sum([]byte(private))
		b.keys[i] = btKey{public: public, ring: newKeyring(sha1.New, [][]byte{digest[:]})}
	}
	return b, nil
}

// btForm reads the one value of each of bt_signature and bt_payload;
// an absent or empty field is "". The error (unwrapped: each caller adds
// its sentinel) is a body that is not a form, or a field sent twice, as
// form readers differ on which one they take.
func btForm(body []byte) (sig, payload string, err error) {
	form, err := url.ParseQuery(string(body))
	if err != nil {
		// ParseQuery's error quotes the offending bytes: not repeated.
		return "", "", errors.New("body is not a URL-encoded form")
	}
	for _, f := range []string{btSignature, btPayload} {
		if len(form[f]) > 1 {
			return "", "", fmt.Errorf("%s: sent %d times", f, len(form[f]))
		}
	}
	return form.Get(btSignature), form.Get(btPayload), nil
}

// verify checks bt_signature against bt_payload. Errors: a field absent
// is ErrMissingSignature; a payload with a character outside the base64
// alphabet and "\n" (which the SDKs refuse before checking), or a
// signature with no "<key>|<40 hex digits>" pair, is
// ErrMalformedSignature; no pair naming a configured public key, or no
// pair that matches, is ErrBadSignature.
func (b braintree) verify(body []byte, _ http.Header) error {
	sig, payload, err := btForm(body)
	if err != nil {
		return fmt.Errorf("%w: %w", err, ErrMalformedSignature)
	}
	switch {
	case sig == "":
		return fmt.Errorf("%s: %w", btSignature, ErrMissingSignature)
	case payload == "":
		return fmt.Errorf("%s: %w", btPayload, ErrMissingSignature)
	case strings.Trim(payload, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=\n") != "":
		return fmt.Errorf("%s: not base64: %w", btPayload, ErrMalformedSignature)
	}
	pairs, err := btPairs(sig)
	if err != nil {
		return err
	}
	named, ok := false, false
	for _, k := range b.keys {
		sigs := pairs[k.public]
		named = named || len(sigs) > 0
		plain := k.ring.match(sigs, []byte(payload))
		newline := k.ring.match(sigs, []byte(payload), []byte("\n"))
		ok = ok || plain || newline
	}
	switch {
	case !named:
		return fmt.Errorf("%s: no pair for a configured public key: %w", btSignature, ErrBadSignature)
	case !ok:
		return fmt.Errorf("%s: %w", btSignature, ErrBadSignature)
	}
	return nil
}

// btPairs reads bt_signature: public key to the digests signed under it.
// Items without "|" are skipped, as the SDKs skip them; so is a digest
// that is not 40 hex digits, which cannot match. None left is
// ErrMalformedSignature.
func btPairs(sig string) (map[string][][]byte, error) {
	pairs := map[string][][]byte{}
	for item := range strings.SplitSeq(sig, "&") {
		public, digest, ok := strings.Cut(item, "|")
		if !ok {
			continue
		}
		if d, ok := hexEncoding.decode(digest, sha1.Size); ok {
			pairs[public] = append(pairs[public], d)
		}
	}
	if len(pairs) == 0 {
		return nil, fmt.Errorf("%s: no public_key|HMAC-SHA1 pair: %w", btSignature, ErrMalformedSignature)
	}
	return pairs, nil
}

// btNotification is the part of the notification XML an event is read
// from. Repeatable elements are slices so that one sent twice is seen
// (XML readers differ on which one they keep) rather than one kept.
type btNotification struct {
	XMLName   xml.Name `xml:"notification"`
	Kind      []string `xml:"kind"`
	Timestamp []string `xml:"timestamp"`
	Merchant  []string `xml:"source-merchant-id"`
	Subject   []struct {
		Children []struct {
			XMLName xml.Name
			ID      []string `xml:"id"`
		} `xml:",any"`
	} `xml:"subject"`
}

// btXML decodes bt_payload into the notification XML. Errors wrap
// ErrUnusable.
func btXML(body []byte) ([]byte, error) {
	_, payload, err := btForm(body)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", err, ErrUnusable)
	}
	// StdEncoding skips the "\n" Braintree wraps lines with.
	doc, err := base64.StdEncoding.DecodeString(payload)
	if err != nil || len(doc) == 0 {
		return nil, fmt.Errorf("%s: not base64 of a notification: %w", btPayload, ErrUnusable)
	}
	return doc, nil
}

// extract maps a notification to:
//
//	ID      the first 32 hex digits of sha256 of the decoded XML:
//	        Braintree sends no delivery id, and a retry resends the same
//	        notification, while two notifications differ at least in kind,
//	        timestamp or subject
//	Type    <kind> ("subscription_charged_successfully")
//	Source  <source-merchant-id> when present (partner notifications), else ""
//	Subject the <id> of <subject>'s first child (<subscription><id>), else ""
//	Time    <timestamp> (RFC 3339), else zero
//	Data    the decoded XML, application/xml, so that consumers need not
//	        take the form and the base64 apart
//
// An element read here that occurs twice, XML that encoding/xml refuses
// (it also bounds the nesting), or no <kind> is ErrUnusable.
func (b braintree) extract(body []byte, _ http.Header) (Event, error) {
	doc, err := btXML(body)
	if err != nil {
		return Event{}, err
	}
	var n btNotification
	if err := xml.Unmarshal(doc, &n); err != nil {
		return Event{}, fmt.Errorf("%s: not a notification XML document: %w", btPayload, ErrUnusable)
	}
	kind, err := btOne("kind", n.Kind)
	if err != nil {
		return Event{}, err
	}
	if kind == "" {
		return Event{}, fmt.Errorf("notification has no <kind>: %w", ErrUnusable)
	}
	e := Event{ID: deliveryDigest(doc), Type: kind, Data: doc, DataContentType: "application/xml"}
	if e.Source, err = btOne("source-merchant-id", n.Merchant); err != nil {
		return Event{}, err
	}
	ts, err := btOne("timestamp", n.Timestamp)
	if err != nil {
		return Event{}, err
	}
	if t, err := time.Parse(time.RFC3339, strings.TrimSpace(ts)); err == nil {
		e.Time = t
	}
	if e.Subject, err = btSubject(n); err != nil {
		return Event{}, err
	}
	return e, nil
}

// btOne is the one value of an element, trimmed, or "" when absent.
func btOne(name string, vs []string) (string, error) {
	switch len(vs) {
	case 0:
		return "", nil
	case 1:
		return strings.TrimSpace(vs[0]), nil
	}
	return "", fmt.Errorf("<%s> occurs %d times: %w", name, len(vs), ErrUnusable)
}

// btSubject is the id of the subject's first child element, or "".
func btSubject(n btNotification) (string, error) {
	switch {
	case len(n.Subject) > 1:
		return "", fmt.Errorf("<subject> occurs %d times: %w", len(n.Subject), ErrUnusable)
	case len(n.Subject) == 0 || len(n.Subject[0].Children) == 0:
		return "", nil
	}
	first := n.Subject[0].Children[0]
	return btOne(first.XMLName.Local+"><id", first.ID)
}

// extractAll is extract's one event.
func (b braintree) extractAll(body []byte, h http.Header) ([]Event, error) {
	e, err := b.extract(body, h)
	if err != nil {
		return nil, err
	}
	return []Event{e}, nil
}

// sign sets no header: the signature is a form field (signBody).
func (b braintree) sign([]byte, http.Header, time.Time) error { return nil }

// signBody returns the form "bt_signature=...&bt_payload=..." with body's
// bt_payload signed under the first key pair, as Braintree sends it. It
// refuses a payload that Braintree would not send and verify refuses
// (characters outside base64).
func (b braintree) signBody(body []byte) ([]byte, error) {
	_, payload, err := btForm(body)
	if err != nil || payload == "" {
		return nil, errors.New("braintree: body is not a form with one bt_payload")
	}
	k := b.keys[0]
	form := url.Values{
		btSignature: {k.public + "|" + hex.EncodeToString(k.ring.sign([]byte(payload)))},
		btPayload:   {payload},
	}
	out := []byte(form.Encode())
	if err := b.verify(out, nil); err != nil {
		return nil, fmt.Errorf("braintree: cannot sign this body: %w", err)
	}
	return out, nil
}

// challenge answers Braintree's GET ?bt_challenge=<challenge>, sent when
// a webhook destination is created: "<public_key>|<hex>" with hex the
// HMAC-SHA1 of the challenge under the first key pair. Like the SDKs, it
// answers only a challenge of 20 to 32 lowercase hex digits, sent once.
func (b braintree) challenge(q url.Values) ([]byte, bool) {
	c := q[btChallenge]
	if len(c) != 1 || len(c[0]) < 20 || len(c[0]) > 32 || strings.Trim(c[0], "0123456789abcdef") != "" {
		return nil, false
	}
	k := b.keys[0]
	var out bytes.Buffer
	out.WriteString(k.public)
	out.WriteByte('|')
	out.WriteString(hex.EncodeToString(k.ring.sign([]byte(c[0]))))
	return out.Bytes(), true
}
