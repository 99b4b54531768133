package provider

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Square signs the notification URL and the raw body, concatenated with
// nothing between them: x-square-hmacsha256-signature is
// base64(HMAC-SHA256(subscription signature key, url + body)), the key
// taken as the string's bytes. The URL is the one the subscription was
// made with, written exactly as Square has it, so it comes from the
// source's configuration and never from the request: a proxy in front of
// the bridge changes the scheme, host or path the bridge sees. Nothing
// signed carries a time, so there is no replay window.
//
// The legacy x-square-signature (HMAC-SHA1 of the same bytes) is not
// accepted: a delivery with only that one is unsigned as far as we are
// concerned.
const (
	squareSignature       = "X-Square-Hmacsha256-Signature"
	squareLegacySignature = "X-Square-Signature"
)

type square struct{ mac bodyMAC }

var _ scheme = square{}

func newSquare(secrets []string, notificationURL string) (square, error) {
	if err := checkNotificationURL(notificationURL); err != nil {
		return square{}, err
	}
	return square{mac: bodyMAC{
		keys: sha256Keys(rawKeys(secrets)), enc: base64Encoding, header: squareSignature, lead: []byte(notificationURL),
	}}, nil
}

// checkNotificationURL accepts an absolute https URL, or http (a local
// test subscription), with a host. It is not normalised: the bytes
// configured are the bytes signed.
func checkNotificationURL(s string) error {
	if s == "" {
		return errors.New("notification_url: required for square (the URL exactly as subscribed)")
	}
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return errors.New("notification_url: not a URL")
	case !strings.HasPrefix(s, "https://") && !strings.HasPrefix(s, "http://"):
		return errors.New("notification_url: want an absolute https:// URL (or http:// for local testing)")
	case u.Host == "":
		return errors.New("notification_url: has no host")
	case strings.Contains(s, "#"):
		return errors.New("notification_url: has a fragment, which no request carries")
	case strings.TrimSpace(s) != s:
		return errors.New("notification_url: has leading or trailing white space")
	}
	return nil
}

func (s square) verify(body []byte, h http.Header) error {
	if len(h.Values(squareSignature)) == 0 && len(h.Values(squareLegacySignature)) > 0 {
		return fmt.Errorf("%s: only the legacy HMAC-SHA1 %s, which is not accepted: %w", squareSignature, squareLegacySignature, ErrMissingSignature)
	}
	return s.mac.verify(squareSignature, h.Get(squareSignature), body)
}

// extract maps a delivery (a Square event) to:
//
//	ID      body "event_id", Square's idempotency value, the same on
//	        every retry
//	Type    body "type" ("order.created", "payment.updated")
//	Source  body "merchant_id"
//	Subject body data.id (the resource id)
//	Time    body "created_at" (RFC 3339)
func (s square) extract(body []byte, _ http.Header) (Event, error) {
	obj := parseJSONObject(body)
	e := Event{ID: obj.str("event_id"), Type: obj.str("type"), Source: obj.str("merchant_id"), Subject: obj.id("data", "id")}
	if t, err := time.Parse(time.RFC3339, obj.str("created_at")); err == nil {
		e.Time = t
	}
	if obj.err != nil {
		return Event{}, obj.err
	}
	if e.ID == "" {
		return Event{}, fmt.Errorf("body has no string \"event_id\": %w", ErrUnusable)
	}
	if e.Type == "" {
		return Event{}, fmt.Errorf("body has no string \"type\": %w", ErrUnusable)
	}
	return e, nil
}

func (s square) sign(body []byte, h http.Header, _ time.Time) error {
	s.mac.sign(body, h)
	return nil
}
