package bridge_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/nats-io/nats.go"
)

// TestGitHubFormDelivery: a form-encoded GitHub delivery (the default of
// webhooks created through GitHub's REST API) is stored as a JSON delivery
// of the same payload is: the JSON as the data, the action in the type,
// source and subject from the payload, and data that decodes as a GitHub
// event would in a consumer.
func TestGitHubFormDelivery(t *testing.T) {
	h := newHarness(t)
	payload, jsonHdr := h.delivery("gh", "issues.opened", "json-1")
	form := []byte(url.Values{"payload": {string(payload)}}.Encode())
	_, hdr := h.delivery("gh", "issues.opened", "form-1")
	hdr.Set("Content-Type", "application/x-www-form-urlencoded")
	if err := h.providers["gh"].Sign(form, hdr, testNow); err != nil {
		t.Fatal(err)
	}

	a := h.post(http.MethodPost, "gh", form, hdr)
	if a.code != 200 || a.body["status"] != "published" {
		t.Fatalf("form delivery: %d %s", a.code, a.raw)
	}
	const subject = "webhooks.github.gh.issues.opened"
	if a.body["subject"] != subject {
		t.Fatalf("form delivery published on %v, want %s", a.body["subject"], subject)
	}
	m := h.last(subject)
	if !bytes.Equal(m.Data, payload) {
		t.Fatalf("stored data %q, want the payload field %q", m.Data, payload)
	}
	want := map[string]string{
		"ce-id":              "form-1",
		"ce-type":            "com.github.issues.opened",
		"ce-source":          "https://github.com/acme/shop",
		"ce-subject":         "1",
		"ce-datacontenttype": "application/json",
		"Nats-Msg-Id":        "gh:form-1",
	}
	checkHeaders(t, m.Header, want)
	// What a consumer does with a GitHub event (go-github's ParseWebHook
	// is json.Unmarshal into the event's struct).
	var ev struct {
		Action string `json:"action"`
		Issue  struct {
			Number int `json:"number"`
		} `json:"issue"`
		Repository struct {
			FullName string `json:"full_name"`
		} `json:"repository"`
	}
	if err := json.Unmarshal(m.Data, &ev); err != nil {
		t.Fatalf("stored data does not decode as a GitHub event: %v", err)
	}
	if ev.Action != "opened" || ev.Issue.Number != 1 || ev.Repository.FullName != "acme/shop" {
		t.Errorf("decoded %+v", ev)
	}

	// GitHub's redelivery carries the same X-GitHub-Delivery: one message.
	before := h.stored()
	if a := h.post(http.MethodPost, "gh", form, hdr); a.code != 200 || a.body["duplicate"] != true || h.stored() != before {
		t.Errorf("redelivery: %d %s, %d messages stored, want a duplicate", a.code, a.raw, h.stored()-before)
	}

	// The same payload sent as JSON gets the same attributes.
	if a := h.post(http.MethodPost, "gh", payload, jsonHdr); a.code != 200 {
		t.Fatalf("JSON delivery: %d %s", a.code, a.raw)
	}
	j := h.last(subject)
	for k, v := range want {
		if k == "ce-id" || k == "Nats-Msg-Id" {
			continue
		}
		if got := j.Header.Get(k); got != v {
			t.Errorf("JSON delivery: %s = %q, want %q as for the form", k, got, v)
		}
	}
}

// TestGitHubFormUnusable: a signed form body that holds no JSON object
// under "payload" is a 400 naming the problem, and nothing is stored.
func TestGitHubFormUnusable(t *testing.T) {
	h := newHarness(t)
	for _, c := range []struct{ body, error string }{
		{"zen=Keep+it+logically+awesome.", `form body has no "payload" field: unusable payload`},
		{"payload=%5B%5D", `form field "payload" is not a JSON object: unusable payload`},
		{"payload=%7B%7D&payload=%7B%7D", `form body has 2 "payload" fields, want one: unusable payload`},
		{"payload=%zz", "form body is not valid URL encoding: unusable payload"},
	} {
		_, hdr := h.delivery("gh", "issues.opened", "bad-form")
		hdr.Set("Content-Type", "application/x-www-form-urlencoded")
		if err := h.providers["gh"].Sign([]byte(c.body), hdr, testNow); err != nil {
			t.Fatal(err)
		}
		a := h.post(http.MethodPost, "gh", []byte(c.body), hdr)
		if a.code != 400 || a.body["error"] != c.error {
			t.Errorf("%q: %d %s, want 400 %q", c.body, a.code, a.raw, c.error)
		}
	}
	if n := h.stored(); n != 0 {
		t.Errorf("%d messages stored", n)
	}
}

// TestSvixHeadersDelivery: a Standard Webhooks delivery under Svix's header
// names is published, with svix-id as the CloudEvent id and dedup key.
func TestSvixHeadersDelivery(t *testing.T) {
	h := newHarness(t)
	body, hdr := h.delivery("std", "invoice.paid", "svix-1")
	svix := http.Header{"Content-Type": {"application/json"}}
	for _, n := range []string{"id", "timestamp", "signature"} {
		svix.Set("svix-"+n, hdr.Get("webhook-"+n))
	}
	a := h.post(http.MethodPost, "std", body, svix)
	if a.code != 200 || a.body["status"] != "published" {
		t.Fatalf("svix-* delivery: %d %s", a.code, a.raw)
	}
	m := h.last(a.body["subject"].(string))
	if got, want := m.Header.Get("ce-id"), hdr.Get("webhook-id"); got != want {
		t.Errorf("ce-id = %q, want the svix-id %q", got, want)
	}
	if a := h.post(http.MethodPost, "std", body, svix); a.code != 200 || a.body["duplicate"] != true {
		t.Errorf("svix-* retry: %d %s, want a duplicate", a.code, a.raw)
	}
}

// TestShopwareSequenceDelivery: Shopware's X-Shopware-Sequence reaches
// consumers as the CloudEvent extension ce-sequence, padded so that it
// orders as a string; a replay whose unsigned headers give a new event id
// or a higher sequence than the signed body is a 400, and nothing is
// stored.
func TestShopwareSequenceDelivery(t *testing.T) {
	h := newHarness(t)
	body, hdr := h.delivery("sware", "order.written", "sw-seq-1")
	a := h.post(http.MethodPost, "sware", body, hdr)
	if a.code != 200 || a.body["status"] != "published" {
		t.Fatalf("delivery: %d %s", a.code, a.raw)
	}
	m := h.last("webhooks.shopware.sware.order.written")
	seq := hdr.Get("X-Shopware-Sequence")
	if got := m.Header.Get("ce-sequence"); len(got) != 20 || strings.TrimLeft(got, "0") != seq {
		t.Errorf("ce-sequence = %q, want %s padded to 20 digits", got, seq)
	}
	if got := m.Header.Get("ce-subject"); got == "" {
		t.Errorf("no ce-subject: the written order's primaryKey")
	}
	for _, c := range []struct{ header, value, error string }{
		{"X-Shopware-Event-Id", "sw-seq-replayed", "X-Shopware-Event-Id differs from the signed source.eventId: unusable payload"},
		{"X-Shopware-Sequence", seq + "0", "X-Shopware-Sequence differs from the signed source.sequence: unusable payload"},
	} {
		replay := hdr.Clone()
		replay.Set(c.header, c.value)
		if a := h.post(http.MethodPost, "sware", body, replay); a.code != 400 || a.body["error"] != c.error {
			t.Errorf("%s changed: %d %s, want 400 %q", c.header, a.code, a.raw, c.error)
		}
	}
	if n := h.stored(); n != 1 {
		t.Errorf("%d messages stored, want 1", n)
	}
}

// checkHeaders fails for each header of want whose value in h differs.
func checkHeaders(t *testing.T, h nats.Header, want map[string]string) {
	t.Helper()
	for k, v := range want {
		if got := h.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
}
