package provider

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// GitHub signs the raw body: X-Hub-Signature-256 is
// "sha256=" + hex(HMAC-SHA256(webhook secret, body)). The legacy SHA-1
// X-Hub-Signature is ignored: a delivery with only that is unsigned as far
// as we are concerned. Nothing signed carries a time.
const (
	githubSignature = "X-Hub-Signature-256"
	githubDelivery  = "X-Github-Delivery"
	githubEvent     = "X-Github-Event"
)

type github struct{ mac bodyMAC }

var _ scheme = github{}

func newGitHub(secrets []string) github {
	return github{mac: bodyMAC{keys: sha256Keys(rawKeys(secrets)), enc: hexEncoding, header: githubSignature, prefix: "sha256="}}
}

func (g github) verify(body []byte, h http.Header) error {
	return g.mac.verify(githubSignature, h.Get(githubSignature), body)
}

// extract reads a JSON delivery as it is, and a form delivery (the default
// of webhooks created through GitHub's REST API, content_type "form") by
// first taking the JSON out of its "payload" field: that JSON is then read
// exactly as a JSON delivery's body would be, and becomes the event's data
// (application/json), so that consumers get the same event either way.
// The signature is over the form body as received, and verify checks it
// before anything is decoded.
func (g github) extract(body []byte, h http.Header) (Event, error) {
	if !isFormContentType(h.Get("Content-Type")) {
		return g.extractJSON(body, h)
	}
	payload, err := githubFormPayload(body)
	if err != nil {
		return Event{}, err
	}
	e, err := g.extractJSON(payload, h)
	if err != nil {
		return Event{}, err
	}
	e.Data, e.DataContentType = payload, "application/json"
	return e, nil
}

// formContentType is what GitHub sends with a form delivery.
const formContentType = "application/x-www-form-urlencoded"

// isFormContentType reports whether a Content-Type value is the form media
// type, compared as mime.ParseMediaType would (case-insensitive, parameters
// ignored, as go-github's ValidatePayload does) but without its allocations,
// since every GitHub delivery asks.
func isFormContentType(v string) bool {
	mediaType, _, _ := strings.Cut(v, ";")
	return strings.EqualFold(strings.TrimSpace(mediaType), formContentType)
}

// githubFormPayload returns the JSON a form delivery carries: the value of
// its one "payload" field, decoded as GitHub encodes it and as go-github's
// ValidatePayload reads it (url.ParseQuery: "+" is a space, %XX a byte).
// A body that is not valid form encoding, has no payload field or more than
// one, or whose payload is not a JSON object, cannot be published as
// application/json and is ErrUnusable. GitHub sends exactly one payload;
// of two, go-github would read the first and other form readers the last,
// so neither is a safe guess.
func githubFormPayload(body []byte) ([]byte, error) {
	form, err := url.ParseQuery(string(body))
	if err != nil {
		// The error of ParseQuery quotes the offending bytes: not repeated.
		return nil, fmt.Errorf("form body is not valid URL encoding: %w", ErrUnusable)
	}
	switch n := len(form["payload"]); {
	case n == 0:
		return nil, fmt.Errorf("form body has no \"payload\" field: %w", ErrUnusable)
	case n > 1:
		return nil, fmt.Errorf("form body has %d \"payload\" fields, want one: %w", n, ErrUnusable)
	}
	payload := []byte(form["payload"][0])
	if trimmed := bytes.TrimLeft(payload, " \t\r\n"); len(trimmed) == 0 || trimmed[0] != '{' || !json.Valid(payload) {
		return nil, fmt.Errorf("form field \"payload\" is not a JSON object: %w", ErrUnusable)
	}
	return payload, nil
}

// extractJSON maps a delivery with a JSON body to:
//
//	ID      X-GitHub-Delivery, the event's GUID: GitHub documents it as
//	        shared by all deliveries (redeliveries, other hooks) of one event
//	Type    X-GitHub-Event, followed by "." and the body's "action" when
//	        that is a non-empty string ("pull_request.opened", "push")
//	Source  body repository.html_url, else organization.html_url, else ""
//	Subject body pull_request.number, else issue.number, else ""
//	Time    zero: GitHub sends no event time
func (g github) extractJSON(body []byte, h http.Header) (Event, error) {
	e := Event{ID: h.Get(githubDelivery), Type: h.Get(githubEvent)}
	if e.ID == "" {
		return Event{}, fmt.Errorf("X-GitHub-Delivery is missing: %w", ErrUnusable)
	}
	if e.Type == "" {
		return Event{}, fmt.Errorf("X-GitHub-Event is missing: %w", ErrUnusable)
	}
	obj := parseJSONObject(body)
	if action := obj.str("action"); action != "" {
		e.Type += "." + action
	}
	if e.Source = obj.str("repository", "html_url"); e.Source == "" {
		e.Source = obj.str("organization", "html_url")
	}
	if e.Subject = obj.id("pull_request", "number"); e.Subject == "" {
		e.Subject = obj.id("issue", "number")
	}
	if obj.err != nil {
		return Event{}, obj.err
	}
	return e, nil
}

func (g github) sign(body []byte, h http.Header, _ time.Time) error {
	g.mac.sign(body, h)
	return nil
}
