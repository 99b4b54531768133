package provider

import (
	"fmt"
	"net/http"
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

// extract maps a delivery to:
//
//	ID      X-GitHub-Delivery, the event's GUID: GitHub documents it as
//	        shared by all deliveries (redeliveries, other hooks) of one event
//	Type    X-GitHub-Event, followed by "." and the body's "action" when
//	        that is a non-empty string ("pull_request.opened", "push")
//	Source  body repository.html_url, else organization.html_url, else ""
//	Subject body pull_request.number, else issue.number, else ""
//	Time    zero: GitHub sends no event time
func (g github) extract(body []byte, h http.Header) (Event, error) {
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
	if e.Subject = obj.scalar("pull_request", "number"); e.Subject == "" {
		e.Subject = obj.scalar("issue", "number")
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
