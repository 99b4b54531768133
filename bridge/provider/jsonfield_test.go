package provider_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/hookbridge/hookbridge/bridge/provider"
)

// TestExtractRefusesFieldsReadersReadDifferently: every field a provider
// reads from a body is refused, naming it, when JSON readers would read it
// differently (a key repeated or differing only in case on its path, a
// string of invalid UTF-8 or with a lone surrogate escape); each body is
// otherwise one the provider reads.
func TestExtractRefusesFieldsReadersReadDifferently(t *testing.T) {
	cases := []struct {
		kind, field, body string
	}{
		{"stripe", "id", "{\"id\":\"evt_\xff\",\"type\":\"t\"}"},
		{"stripe", "id", `{"id":"evt_\ud800","type":"t"}`},
		{"stripe", "id", `{"ID":"evt_1","id":"evt_2","type":"t"}`},
		{"stripe", "id", `{"id":"evt_2","ID":"evt_1","type":"t"}`},
		{"stripe", "id", `{"ID":"evt_1","type":"t"}`},
		{"stripe", "id", `{"id":"evt_1","id":"evt_2","type":"t"}`},
		{"stripe", "type", `{"id":"evt_1","Type":"a","type":"b"}`},
		{"stripe", "type", "{\"id\":\"evt_1\",\"type\":\"charge.\xfe\"}"},
		{"stripe", "account", `{"id":"evt_1","type":"t","account":"acct_1","Account":"acct_2"}`},
		{"stripe", "data.object.id", `{"id":"evt_1","type":"t","data":{"object":{"id":"pi_\udfff"}}}`},
		{"stripe", "data.object.id", `{"id":"evt_1","type":"t","data":{"object":{"id":"pi_1"}},"DATA":{}}`},
		{"stripe", "data.object.id", `{"id":"evt_1","type":"t","data":{"object":{"id":"pi_1"},"Object":{"id":"pi_2"}}}`},
		{"stripe", "created", `{"id":"evt_1","type":"t","created":1,"Created":2}`},
		{"woocommerce", "id", `{"id":42,"ID":43}`},
		{"woocommerce", "date_modified_gmt", `{"id":42,"date_modified_gmt":"2026-11-27T12:00:00\ud800"}`},
		{"woocommerce", "date_created_gmt", `{"id":42,"date_created_gmt":"2026-11-27T12:00:00","Date_Created_GMT":"2026-11-27T12:00:01"}`},
		{"shopify", "id", `{"id":1,"Id":2}`},
		{"shopify", "admin_graphql_api_id", "{\"admin_graphql_api_id\":\"gid://shopify/Order/\xff\"}"},
		{"standardwebhooks", "type", `{"type":"a","TYPE":"b"}`},
		{"standardwebhooks", "scope", `{"scope":"store/order/\ud800"}`},
		{"standardwebhooks", "timestamp", `{"type":"a","timestamp":"2021-02-25T15:02:10Z","time\u017ftamp":"2021-02-25T15:02:11Z"}`},
		{"github", "action", `{"action":"opened","Action":"closed"}`},
		{"github", "repository.html_url", "{\"repository\":{\"html_url\":\"https://github.com/a/\xff\"}}"},
		{"github", "organization.html_url", `{"organization":{"html_url":"https://github.com/a","HTML_URL":"https://github.com/b"}}`},
		{"github", "pull_request.number", `{"pull_request":{"number":1,"number":2}}`},
		{"github", "issue.number", `{"Issue":{"number":1}}`},
		{"hmac", "id", `{"id":"ev_\ud800"}`},
	}
	for _, c := range cases {
		t.Run(c.kind+" "+c.field, func(t *testing.T) {
			kc := kindCaseOf(t, c.kind)
			p := mustNew(t, kc.cfg(kc.old))
			_, err := p.Extract([]byte(c.body), extractHeader(kc))
			checkSentinel(t, err, provider.ErrUnusable)
			if prefix := `unusable payload: field "` + c.field + `": `; !strings.HasPrefix(err.Error(), prefix) {
				t.Fatalf("%q: err = %q, want it to start with %q", c.body, err, prefix)
			}
		})
	}
}

// TestExtractIgnoresOdditiesOffThePath: repeats, case variants, invalid
// UTF-8 and lone surrogates in fields a provider does not read are the
// platform's business.
func TestExtractIgnoresOdditiesOffThePath(t *testing.T) {
	const odd = "\"note\":\"\xff\\ud800\",\"Note\":1,\"note\":2"
	cases := []struct {
		kind, body string
		want       provider.Event
	}{
		{
			"stripe", `{"id":"evt_1","type":"t",` + odd + `,"data":{"object":{"id":"pi_1",` + odd + `},"Previous_Attributes":{},"previous_attributes":{}}}`,
			provider.Event{ID: "evt_1", Type: "t", Subject: "pi_1"},
		},
		{
			"shopify", `{"id":820982911946154508,` + odd + `,"line_items":[{"id":1,"ID":2}]}`,
			provider.Event{ID: "b54557e4", Type: "orders/create", Subject: "820982911946154508"},
		},
		{
			"github", `{"action":"opened",` + odd + `,"pull_request":{"number":7,"Title":"a","title":"b"},"repository":{"html_url":"https://github.com/a/b","Name":"b","name":"b"}}`,
			provider.Event{ID: "72d3162e-cc78-11e3-81ab-4c9367dc0958", Type: "pull_request.opened", Source: "https://github.com/a/b", Subject: "7"},
		},
	}
	for _, c := range cases {
		t.Run(c.kind, func(t *testing.T) {
			kc := kindCaseOf(t, c.kind)
			p := mustNew(t, kc.cfg(kc.old))
			got, err := p.Extract([]byte(c.body), extractHeader(kc))
			checkSentinel(t, err, nil)
			if !eventEqual(got, c.want) {
				t.Fatalf("Extract = %+v, want %+v", got, c.want)
			}
		})
	}
}

// TestExtractSubjectIsAPlatformID: a platform's object id reads as the
// consumers read it (internal/platformid), so the subject of an order
// written as a number and as a string of the same digits is one subject,
// and a number that is no id is no subject.
func TestExtractSubjectIsAPlatformID(t *testing.T) {
	bodies := map[string]string{
		"shopify":     `{"id":%s}`,
		"woocommerce": `{"id":%s}`,
		"github":      `{"issue":{"number":%s}}`,
		"stripe":      `{"id":"evt_1","type":"t","data":{"object":{"id":%s}}}`,
	}
	for kind, body := range bodies {
		kc := kindCaseOf(t, kind)
		p := mustNew(t, kc.cfg(kc.old))
		for value, want := range map[string]string{`4711`: "4711", `" 4711 "`: "4711", `47.11`: "", `-4711`: ""} {
			t.Run(kind+" "+value, func(t *testing.T) {
				b := strings.Replace(body, "%s", value, 1)
				got, err := p.Extract([]byte(b), extractHeader(kc))
				checkSentinel(t, err, nil)
				if got.Subject != want {
					t.Fatalf("%s: Subject %q, want %q", b, got.Subject, want)
				}
			})
		}
	}
}

func kindCaseOf(t *testing.T, kind string) kindCase {
	t.Helper()
	for _, kc := range kindCases() {
		if kc.kind == kind {
			return kc
		}
	}
	t.Fatalf("no kindCase for %s", kind)
	return kindCase{}
}

// extractHeader is the kindCase's headers, with the webhook-id a
// standardwebhooks delivery must carry.
func extractHeader(kc kindCase) http.Header {
	h := kc.header.Clone()
	if h == nil {
		h = http.Header{}
	}
	if kc.kind == "standardwebhooks" {
		h.Set("webhook-id", "msg_1")
	}
	return h
}
