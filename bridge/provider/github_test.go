package provider_test

import (
	"net/http"
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
