package provider_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hookbridge/hookbridge/bridge/provider"
)

// GitHub's documented vector ("Testing the webhook payload validation";
// PLATFORMS.md section 6, vector 7).
const (
	githubSecret = "It's a Secret to Everybody"
	githubBody   = "Hello, World!"
	githubSig    = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
)

func githubDelivery() delivery {
	return delivery{body: []byte(githubBody), h: header("X-Hub-Signature-256", githubSig, "X-GitHub-Event", "ping", "X-GitHub-Delivery", "d1")}
}

func TestGitHubVerify(t *testing.T) {
	p := mustNew(t, provider.Config{Kind: "github", Secrets: []string{githubSecret}})
	other := func() string {
		h := http.Header{}
		if err := mustNew(t, provider.Config{Kind: "github", Secrets: []string{"another secret"}}).Sign([]byte(githubBody), h, time.Time{}); err != nil {
			t.Fatal(err)
		}
		return h.Get("X-Hub-Signature-256")
	}()
	set := func(v string) func(d *delivery) { return func(d *delivery) { d.h.Set("X-Hub-Signature-256", v) } }
	runMutations(t, p, githubDelivery(), []string{githubSecret, githubSig[7:], other[7:]}, []mutation{
		{name: "vector", want: nil},
		{name: "upper-case hex", edit: set("sha256=" + strings.ToUpper(githubSig[7:])), want: nil},
		{name: "header missing", edit: func(d *delivery) { d.h.Del("X-Hub-Signature-256") }, want: provider.ErrMissingSignature},
		{name: "only the legacy SHA-1 header", edit: func(d *delivery) {
			d.h.Del("X-Hub-Signature-256")
			d.h.Set("X-Hub-Signature", "sha1=01dc10d0c83e72ed246219cdd91669667fe2ca59")
		}, want: provider.ErrMissingSignature},
		{name: "no prefix", edit: set(githubSig[7:]), want: provider.ErrMalformedSignature},
		{name: "sha1 prefix", edit: set("sha1=" + githubSig[7:]), want: provider.ErrMalformedSignature},
		{name: "upper-case prefix", edit: set("SHA256=" + githubSig[7:]), want: provider.ErrMalformedSignature},
		{name: "too short", edit: set(githubSig[:len(githubSig)-2]), want: provider.ErrMalformedSignature},
		{name: "not hex", edit: set(githubSig[:len(githubSig)-1] + "g"), want: provider.ErrMalformedSignature},
		{name: "prefix only", edit: set("sha256="), want: provider.ErrMalformedSignature},
		{name: "wrong secret", edit: set(other), want: provider.ErrBadSignature},
		{name: "body changed by one byte", edit: func(d *delivery) { d.body = flipByte(d.body, 0) }, want: provider.ErrBadSignature},
	})
}

func TestGitHubRotation(t *testing.T) {
	d := githubDelivery()
	for _, secrets := range [][]string{{"old", githubSecret}, {githubSecret, "old"}} {
		checkSentinel(t, mustNew(t, provider.Config{Kind: "github", Secrets: secrets}).Verify(d.body, d.h), nil)
	}
}

func TestGitHubExtract(t *testing.T) {
	p := mustNew(t, provider.Config{Kind: "github", Secrets: []string{githubSecret}})
	const guid = "72d3162e-cc78-11e3-81ab-4c9367dc0958"
	cases := []struct {
		name  string
		event string
		body  string
		want  provider.Event
		err   error
	}{
		{
			name: "pull request", event: "pull_request",
			body: `{"action":"opened","number":2,"pull_request":{"number":2,"id":279147437},"repository":{"html_url":"https://github.com/Codertocat/Hello-World"},"organization":{"html_url":"https://github.com/Octocoders"}}`,
			want: provider.Event{ID: guid, Type: "pull_request.opened", Source: "https://github.com/Codertocat/Hello-World", Subject: "2"},
		},
		{
			name: "issue comment", event: "issue_comment",
			body: `{"action":"created","issue":{"number":1347},"comment":{"id":1},"repository":{"html_url":"https://github.com/octocat/Hello-World"}}`,
			want: provider.Event{ID: guid, Type: "issue_comment.created", Source: "https://github.com/octocat/Hello-World", Subject: "1347"},
		},
		{
			name: "push: no action", event: "push",
			body: `{"ref":"refs/heads/main","repository":{"html_url":"https://github.com/octocat/Hello-World"}}`,
			want: provider.Event{ID: guid, Type: "push", Source: "https://github.com/octocat/Hello-World"},
		},
		{
			name: "organization event", event: "organization",
			body: `{"action":"member_added","organization":{"html_url":"https://github.com/octo-org"}}`,
			want: provider.Event{ID: guid, Type: "organization.member_added", Source: "https://github.com/octo-org"},
		},
		{
			name: "ping", event: "ping", body: `{"zen":"Keep it logically awesome.","hook_id":1}`,
			want: provider.Event{ID: guid, Type: "ping"},
		},
		{
			name: "action not a string", event: "check_run", body: `{"action":{"x":1}}`,
			want: provider.Event{ID: guid, Type: "check_run"},
		},
		{name: "no event", event: "", body: `{}`, err: provider.ErrUnusable},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := header("X-GitHub-Delivery", guid, "X-GitHub-Event", c.event)
			got, err := p.Extract([]byte(c.body), h)
			checkSentinel(t, err, c.err)
			if !eventEqual(got, c.want) {
				t.Fatalf("Extract = %+v, want %+v", got, c.want)
			}
		})
	}
	_, err := p.Extract([]byte(`{}`), header("X-GitHub-Event", "push"))
	checkSentinel(t, err, provider.ErrUnusable)
}

// A form delivery, as a webhook created through GitHub's REST API sends it
// by default (content_type "form"): the JSON is the url-encoded value of
// the one field "payload", "+" standing for a space. The title has the
// characters form encoding must escape.
const (
	githubFormJSON = `{"action":"opened","issue":{"number":1347,"title":"Found a bug & a fix: 1+1=2; 100%"},"repository":{"html_url":"https://github.com/octocat/Hello-World"},"sender":{"login":"octocat"}}`
	githubFormBody = "payload=%7B%22action%22%3A%22opened%22%2C%22issue%22%3A%7B%22number%22%3A1347%2C%22title%22%3A%22Found+a+bug+%26+a+fix%3A+1%2B1%3D2%3B+100%25%22%7D%2C%22repository%22%3A%7B%22html_url%22%3A%22https%3A%2F%2Fgithub.com%2Foctocat%2FHello-World%22%7D%2C%22sender%22%3A%7B%22login%22%3A%22octocat%22%7D%7D"
	githubGUID     = "72d3162e-cc78-11e3-81ab-4c9367dc0958"
	// githubFormSig is HMAC-SHA256(githubSecret, githubFormBody) in hex,
	// computed with Python's hmac module.
	githubFormSig = "f72ef9fd4478487f03fa91c737fb3cb1743a84d6f3477005a33724deb44ccea7"
)

// githubFormDelivery is the form delivery signed with githubSecret.
func githubFormDelivery(t *testing.T) delivery {
	t.Helper()
	if got := (url.Values{"payload": {githubFormJSON}}).Encode(); got != githubFormBody {
		t.Fatalf("the fixture is not form encoding of its JSON:\n%s\n%s", got, githubFormBody)
	}
	return delivery{body: []byte(githubFormBody), h: header(
		"Content-Type", "application/x-www-form-urlencoded",
		"X-GitHub-Event", "issues", "X-GitHub-Delivery", githubGUID,
		"X-Hub-Signature-256", "sha256="+githubFormSig,
	)}
}

// TestGitHubFormVerify: the signature is over the form body as received,
// never over the JSON inside it.
func TestGitHubFormVerify(t *testing.T) {
	p := mustNew(t, provider.Config{Kind: "github", Secrets: []string{githubSecret}})
	d := githubFormDelivery(t)
	overJSON := d.clone()
	if err := p.Sign([]byte(githubFormJSON), overJSON.h, time.Time{}); err != nil {
		t.Fatal(err)
	}
	runMutations(t, p, d, []string{githubSecret, githubFormSig}, []mutation{
		{name: "form body", want: nil},
		{name: "signed over the decoded JSON", edit: func(d *delivery) { d.h = overJSON.h }, want: provider.ErrBadSignature},
		{name: "re-encoded with %20 for spaces", edit: func(d *delivery) {
			d.body = []byte(strings.ReplaceAll(githubFormBody, "+", "%20"))
		}, want: provider.ErrBadSignature},
	})
}

// TestGitHubFormExtract: a form delivery gives the event a JSON delivery
// of the same payload gives, with the JSON as its data.
func TestGitHubFormExtract(t *testing.T) {
	p := mustNew(t, provider.Config{Kind: "github", Secrets: []string{githubSecret}})
	full := provider.Event{
		ID: githubGUID, Type: "issues.opened", Source: "https://github.com/octocat/Hello-World", Subject: "1347",
		Data: []byte(githubFormJSON), DataContentType: "application/json",
	}
	setBody := func(b string) func(d *delivery) { return func(d *delivery) { d.body = []byte(b) } }
	setType := func(v string) func(d *delivery) { return func(d *delivery) { d.h.Set("Content-Type", v) } }
	cases := []struct {
		name string
		edit func(d *delivery)
		want provider.Event
		err  error
	}{
		{name: "form", want: full},
		{name: "charset parameter", edit: setType("application/x-www-form-urlencoded; charset=utf-8"), want: full},
		{name: "media type in upper case", edit: setType("Application/X-WWW-Form-URLEncoded"), want: full},
		{name: "other fields are ignored", edit: setBody("hook=1&" + githubFormBody + "&x="), want: full},
		{
			name: "hand-encoded, with %20 and a raw space sign",
			edit: setBody("payload=%7B%22action%22:%22closed%22,%22issue%22:%7B%22number%22:7,%22title%22:%22a+b%20c%22%7D%7D"),
			want: provider.Event{ID: githubGUID, Type: "issues.closed", Subject: "7", Data: []byte(`{"action":"closed","issue":{"number":7,"title":"a b c"}}`), DataContentType: "application/json"},
		},
		{
			name: "payload with surrounding whitespace",
			edit: setBody("payload=+%7B%22action%22%3A%22labeled%22%7D%0A"),
			want: provider.Event{ID: githubGUID, Type: "issues.labeled", Data: []byte(" {\"action\":\"labeled\"}\n"), DataContentType: "application/json"},
		},
		{
			// Content type decides: a JSON delivery is read as JSON, body as data.
			name: "form body sent as application/json", edit: setType("application/json"),
			want: provider.Event{ID: githubGUID, Type: "issues"},
		},
		{name: "no payload field", edit: setBody("foo=bar"), err: provider.ErrUnusable},
		{name: "empty body", edit: setBody(""), err: provider.ErrUnusable},
		{name: "payload field twice", edit: setBody(githubFormBody + "&" + githubFormBody), err: provider.ErrUnusable},
		{name: "payload empty", edit: setBody("payload="), err: provider.ErrUnusable},
		{name: "payload not JSON", edit: setBody("payload=hello"), err: provider.ErrUnusable},
		{name: "payload a JSON array", edit: setBody("payload=%5B%7B%7D%5D"), err: provider.ErrUnusable},
		{name: "payload a JSON string", edit: setBody("payload=%22%7B%7D%22"), err: provider.ErrUnusable},
		{name: "payload JSON with trailing data", edit: setBody("payload=%7B%7D%7B%7D"), err: provider.ErrUnusable},
		{name: "payload not encoded", edit: setBody(`payload={"action":"opened"}`), want: provider.Event{
			ID: githubGUID, Type: "issues.opened", Data: []byte(`{"action":"opened"}`), DataContentType: "application/json",
		}},
		{name: "invalid escape", edit: setBody(githubFormBody + "%zz"), err: provider.ErrUnusable},
		{name: "semicolon separator", edit: setBody("a=1;b=2&" + githubFormBody), err: provider.ErrUnusable},
		{name: "raw JSON body", edit: setBody(githubFormJSON), err: provider.ErrUnusable},
		{name: "no X-GitHub-Event", edit: func(d *delivery) { d.h.Del("X-GitHub-Event") }, err: provider.ErrUnusable},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := githubFormDelivery(t)
			if c.edit != nil {
				c.edit(&d)
			}
			got, err := p.Extract(d.body, d.h)
			checkSentinel(t, err, c.err)
			checkNoLeak(t, err, string(d.body), githubFormJSON, "Found a bug")
			if !eventEqual(got, c.want) {
				t.Fatalf("Extract = %+v, want %+v", got, c.want)
			}
		})
	}
}

// TestGitHubJSONKeepsBody: a JSON delivery hands back no data of its own,
// so its body travels untouched.
func TestGitHubJSONKeepsBody(t *testing.T) {
	p := mustNew(t, provider.Config{Kind: "github", Secrets: []string{githubSecret}})
	e, err := p.Extract([]byte(githubFormJSON), header("Content-Type", "application/json", "X-GitHub-Event", "issues", "X-GitHub-Delivery", githubGUID))
	checkSentinel(t, err, nil)
	if e.Data != nil || e.DataContentType != "" || e.Type != "issues.opened" {
		t.Fatalf("Extract = %+v, want issues.opened with no Data", e)
	}
}
