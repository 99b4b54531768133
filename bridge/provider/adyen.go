package provider

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Adyen (standard notifications) signs inside the body, once per item: the
// body is {"live":"false","notificationItems":[{"NotificationRequestItem":
// {...}}, ...]} and each item's additionalData.hmacSignature is
// base64(HMAC-SHA256(key, pspReference:originalReference:
// merchantAccountCode:merchantReference:value:currency:eventCode:success)),
// value and currency from amount, each field with '\' written '\\' and ':'
// written '\:', empty fields kept. The key is the configured secret
// hex-decoded. Every item must verify. Nothing signed carries a time.
//
// The escaping keeps the fields apart: without it a signature over
// "a:b" in one field would also fit another split of the same bytes.
// Adyen's Go library joins the fields without escaping them; the two
// agree on every item whose fields hold no ':' or '\'.
//
// Adyen's Basic auth on the request and the Banking/Management webhooks
// (HmacSignature header over the raw body) are not handled here.
type adyen struct {
	keys keyring
	id   []string // the fields the event id is made of (Config.AdyenID)
}

var _ batchScheme = adyen{}

// AdyenIDFields are the NotificationRequestItem fields Config.AdyenID may
// name: the signed ones that are plain strings. A field outside the
// signature (eventDate, say) would let anyone who replays a signed item
// change its id and so get past deduplication.
func AdyenIDFields() []string {
	return []string{"pspReference", "originalReference", "merchantAccountCode",
		"merchantReference", "eventCode", "success"}
}

// adyenDefaultID is the id's fields when Config.AdyenID is not set.
var adyenDefaultID = []string{"pspReference", "eventCode"}

// checkAdyenID reports an AdyenID New refuses: an empty list, a field
// that is not one of AdyenIDFields, a field named twice, or a list without
// pspReference (without it, one eventCode of two payments is one id).
func checkAdyenID(fields []string) error {
	if len(fields) == 0 {
		return errors.New("adyen_id: empty (list the item fields the id is made of, e.g. [pspReference, eventCode])")
	}
	for i, f := range fields {
		if !slices.Contains(AdyenIDFields(), f) {
			return fmt.Errorf("adyen_id[%d]: %q is unknown (want one of %s)", i, f, strings.Join(AdyenIDFields(), ", "))
		}
		if slices.Index(fields, f) < i {
			return fmt.Errorf("adyen_id[%d]: %s is listed twice", i, f)
		}
	}
	if !slices.Contains(fields, "pspReference") {
		return errors.New("adyen_id: must include pspReference (it tells one payment from another)")
	}
	return nil
}

func newAdyen(secrets, id []string) (adyen, error) {
	if id == nil {
		id = adyenDefaultID
	} else if err := checkAdyenID(id); err != nil {
		return adyen{}, err
	}
	keys := make([][]byte, len(secrets))
	for i, s := range secrets {
		k, err := hex.DecodeString(s)
		if err != nil {
			return adyen{}, fmt.Errorf("secrets[%d]: not an Adyen HMAC key (hex digits, as the Customer Area shows it)", i)
		}
		keys[i] = k
	}
	return adyen{keys: sha256Keys(keys), id: slices.Clone(id)}, nil
}

// adyenItem is one NotificationRequestItem: where its fields are read
// from, and its raw JSON object.
type adyenItem struct {
	obj *jsonBody
	raw []byte
}

// field reads the item's field at path (below NotificationRequestItem).
func (it adyenItem) field(path ...string) string {
	return it.obj.str(append([]string{"NotificationRequestItem"}, path...)...)
}

// signed is the text the item's signature is made over.
func (it adyenItem) signed() []byte {
	return joinEscaped([]string{
		it.field("pspReference"), it.field("originalReference"), it.field("merchantAccountCode"),
		it.field("merchantReference"), it.obj.scalar("NotificationRequestItem", "amount", "value"),
		it.field("amount", "currency"), it.field("eventCode"), it.field("success"),
	})
}

// id is the item's event id: the values of fields joined as signed joins
// them, so that two items with different values never share an id. For
// values without ':' or '\' that is the values joined with ':'.
func (it adyenItem) id(fields []string) string {
	vs := make([]string, len(fields))
	for i, f := range fields {
		vs[i] = it.field(f)
	}
	return string(joinEscaped(vs))
}

// joinEscaped joins fs with ':', each with '\' written '\\' and ':'
// written '\:', as Adyen's signed text is: the result tells the fields
// apart whatever they hold.
func joinEscaped(fs []string) []byte {
	var b bytes.Buffer
	for i, f := range fs {
		if i > 0 {
			b.WriteByte(':')
		}
		for j := 0; j < len(f); j++ {
			if f[j] == '\\' || f[j] == ':' {
				b.WriteByte('\\')
			}
			b.WriteByte(f[j])
		}
	}
	return b.Bytes()
}

// adyenItems reads the notification items of body. The error wraps
// sentinel when body has none, or an item is not a JSON object holding a
// NotificationRequestItem object.
func adyenItems(body []byte, sentinel error) ([]adyenItem, error) {
	top := parseJSONObject(body)
	elems, ok := arrayElements(top.lookup([]string{"notificationItems"}))
	if top.err != nil {
		return nil, asSentinel(top.err, sentinel)
	}
	if !ok || len(elems) == 0 {
		return nil, fmt.Errorf("body has no notificationItems: %w", sentinel)
	}
	items := make([]adyenItem, len(elems))
	for i, el := range elems {
		obj := parseJSONObject(el)
		raw := obj.lookup([]string{"NotificationRequestItem"})
		if obj.err != nil {
			return nil, fmt.Errorf("notificationItems[%d]: %w", i, asSentinel(obj.err, sentinel))
		}
		if len(raw) == 0 || raw[0] != '{' {
			return nil, fmt.Errorf("notificationItems[%d]: no NotificationRequestItem object: %w", i, sentinel)
		}
		items[i] = adyenItem{obj: obj, raw: raw}
	}
	return items, nil
}

// asSentinel is err (an ErrUnusable from reading a field) wrapping
// sentinel instead, for Verify, whose errors wrap one of its own.
func asSentinel(err, sentinel error) error {
	if errors.Is(err, sentinel) {
		return err
	}
	return fmt.Errorf("%s: %w", strings.TrimPrefix(err.Error(), ErrUnusable.Error()+": "), sentinel)
}

// verify checks every item's signature; the first that fails is the answer.
// A signed field that JSON readers could read differently is
// ErrMalformedSignature: what was signed is then not certain.
func (a adyen) verify(body []byte, _ http.Header) error {
	items, err := adyenItems(body, ErrMissingSignature)
	if err != nil {
		return err
	}
	for i, it := range items {
		if err := a.verifyItem(it); err != nil {
			return fmt.Errorf("notificationItems[%d]: %w", i, err)
		}
	}
	return nil
}

func (a adyen) verifyItem(it adyenItem) error {
	v := it.field("additionalData", "hmacSignature")
	signed := it.signed()
	if it.obj.err != nil {
		return asSentinel(it.obj.err, ErrMalformedSignature)
	}
	if v == "" {
		return fmt.Errorf("additionalData.hmacSignature: %w", ErrMissingSignature)
	}
	sig, ok := base64Encoding.decode(v, a.keys.size)
	if !ok {
		return fmt.Errorf("additionalData.hmacSignature: not a base64 HMAC-SHA256: %w", ErrMalformedSignature)
	}
	if !a.keys.match([][]byte{sig}, signed) {
		return fmt.Errorf("additionalData.hmacSignature: %w", ErrBadSignature)
	}
	return nil
}

// extract is the first item's event (see Provider.ExtractAll).
func (a adyen) extract(body []byte, h http.Header) (Event, error) {
	es, err := a.extractAll(body, h)
	if err != nil {
		return Event{}, err
	}
	return es[0], nil
}

// extractAll maps each item to an event:
//
//	ID      pspReference + ":" + eventCode (UNCONFIRMED: Adyen documents
//	        no delivery id; a retry repeats both, and one payment's
//	        AUTHORISATION and CAPTURE differ in eventCode), or the
//	        fields Config.AdyenID names; each value with '\' written
//	        '\\' and ':' written '\:' (see joinEscaped)
//	Type    eventCode ("AUTHORISATION")
//	Source  merchantAccountCode
//	Subject pspReference
//	Time    eventDate (RFC 3339)
//	Data    the item's NotificationRequestItem object, as received
func (a adyen) extractAll(body []byte, _ http.Header) ([]Event, error) {
	items, err := adyenItems(body, ErrUnusable)
	if err != nil {
		return nil, err
	}
	events := make([]Event, len(items))
	for i, it := range items {
		e := Event{
			Type: it.field("eventCode"), Source: it.field("merchantAccountCode"), Subject: it.field("pspReference"),
			Data: it.raw, DataContentType: "application/json",
		}
		if t, err := time.Parse(time.RFC3339, it.field("eventDate")); err == nil {
			e.Time = t
		}
		if it.obj.err != nil {
			return nil, fmt.Errorf("notificationItems[%d]: %w", i, it.obj.err)
		}
		if e.Subject == "" || e.Type == "" {
			return nil, fmt.Errorf("notificationItems[%d]: no string pspReference or eventCode: %w", i, ErrUnusable)
		}
		e.ID = it.id(a.id)
		if it.obj.err != nil {
			return nil, fmt.Errorf("notificationItems[%d]: %w", i, it.obj.err)
		}
		events[i] = e
	}
	return events, nil
}

// sign sets no header: the signatures are in the body (signBody).
func (a adyen) sign([]byte, http.Header, time.Time) error { return nil }

// signBody re-encodes body with each item's additionalData.hmacSignature
// set, as Adyen would send it. It refuses a body whose result would not
// verify: a signed field written in two cases, which re-encoding keeps.
func (a adyen) signBody(body []byte) ([]byte, error) {
	var doc map[string]any
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	if err := d.Decode(&doc); err != nil {
		return nil, fmt.Errorf("adyen: body is not a JSON object: %w", err)
	}
	list, _ := doc["notificationItems"].([]any)
	for i, el := range list {
		wrap, _ := el.(map[string]any)
		item, ok := wrap["NotificationRequestItem"].(map[string]any)
		if !ok {
			return nil, fmt.Errorf("adyen: notificationItems[%d] has no NotificationRequestItem object", i)
		}
		extra, _ := item["additionalData"].(map[string]any)
		if extra == nil {
			extra = map[string]any{}
			item["additionalData"] = extra
		}
		extra["hmacSignature"] = "" // signed after encoding, below
	}
	out, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	items, err := adyenItems(out, ErrUnusable)
	if err != nil {
		return nil, err
	}
	for i, it := range items {
		list[i].(map[string]any)["NotificationRequestItem"].(map[string]any)["additionalData"].(map[string]any)["hmacSignature"] =
			base64Encoding.encode(a.keys.sign(it.signed()))
	}
	if out, err = json.Marshal(doc); err != nil {
		return nil, err
	}
	if err := a.verify(out, nil); err != nil {
		return nil, fmt.Errorf("adyen: cannot sign this body: %w", err)
	}
	return out, nil
}
