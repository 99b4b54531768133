package settings_test

import (
	"reflect"
	"testing"

	"github.com/hookbridge/hookbridge/bridge"
)

// threeSources is the fixture with a third source, so that a stream can hold two.
func threeSources(t *testing.T) string {
	t.Helper()
	return edit(t, fixture, "sources:\n", `sources:
  - name: eu-shop
    provider: shopify
    secrets: ["eu-secret"]
`)
}

// TestStreams: which streams the bridge sets up, and which sources each captures, for the ways
// sources[].stream can be written.
func TestStreams(t *testing.T) {
	def := bridge.StreamConfig{Name: "WEBHOOKS", SubjectPrefix: "webhooks", Replicas: 1, Duplicates: 24 * 60 * 60 * 1e9}
	named := func(name string, sources ...string) bridge.WebhookStream {
		s := bridge.WebhookStream{StreamConfig: def, Sources: sources}
		s.Name = name
		return s
	}
	cases := []struct {
		name  string
		edits []string
		want  []bridge.WebhookStream
	}{
		{
			name: "no source names a stream: the default alone, capturing every source",
			want: []bridge.WebhookStream{{StreamConfig: def}},
		},
		{
			name:  "a source names the default stream: nothing changes",
			edits: []string{"    provider: hmac\n", "    provider: hmac\n    stream: WEBHOOKS\n"},
			want:  []bridge.WebhookStream{{StreamConfig: def}},
		},
		{
			name:  "one source on a stream of its own: the default is narrowed to the others",
			edits: []string{"    secrets: [\"eu-secret\"]\n", "    secrets: [\"eu-secret\"]\n    stream: WEBHOOKS_EU\n"},
			want:  []bridge.WebhookStream{named("WEBHOOKS", "acme-shop", "partner"), named("WEBHOOKS_EU", "eu-shop")},
		},
		{
			name: "two sources share a named stream, in the order they appear",
			edits: []string{
				"    secrets: [\"eu-secret\"]\n", "    secrets: [\"eu-secret\"]\n    stream: WEBHOOKS_EU\n",
				"    provider: hmac\n", "    provider: hmac\n    stream: WEBHOOKS_EU\n",
			},
			want: []bridge.WebhookStream{named("WEBHOOKS", "acme-shop"), named("WEBHOOKS_EU", "eu-shop", "partner")},
		},
		{
			name: "every source names a stream: the default stream is left out",
			edits: []string{
				"    secrets: [\"eu-secret\"]\n", "    secrets: [\"eu-secret\"]\n    stream: WEBHOOKS_EU\n",
				"    provider: shopify\n    secrets: [\"${ACME", "    provider: shopify\n    stream: WEBHOOKS_US\n    secrets: [\"${ACME",
				"    provider: hmac\n", "    provider: hmac\n    stream: WEBHOOKS_EU\n",
			},
			want: []bridge.WebhookStream{named("WEBHOOKS_EU", "eu-shop", "partner"), named("WEBHOOKS_US", "acme-shop")},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			data := threeSources(t)
			for i := 0; i+1 < len(tc.edits); i += 2 {
				data = edit(t, data, tc.edits[i], tc.edits[i+1])
			}
			cfg, _, err := loadYAML(t, data, baseEnv())
			if err != nil {
				t.Fatal(err)
			}
			got := cfg.Streams()
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Streams() =\n%+v\nwant\n%+v", got, tc.want)
			}
			names := cfg.StreamNames()
			for i, s := range got {
				if names[i] != s.Name {
					t.Errorf("StreamNames() = %v, not the names of Streams()", names)
				}
			}
			// A narrowed default keeps its own subjects only; JetStream refuses overlaps.
			if len(got) > 1 && reflect.DeepEqual(got[0].Subjects(), []string{"webhooks.>"}) {
				t.Errorf("the default stream still captures webhooks.> beside %v", got[1:])
			}
		})
	}
}

func TestSourceStreamErrors(t *testing.T) {
	runErrCases(t, []errCase{
		{
			name:  "a dot in the stream name",
			edits: []string{"    provider: hmac\n", "    provider: hmac\n    stream: WEBHOOKS.EU\n"},
			want:  []string{`sources[1] "partner": stream: "WEBHOOKS.EU" must not contain whitespace, control characters, '.', '*', '>', '/' or '\'`},
		},
		{
			name:  "a wildcard in the stream name",
			edits: []string{"    provider: hmac\n", "    provider: hmac\n    stream: \"EU*\"\n"},
			want:  []string{`sources[1] "partner": stream: "EU*" must not contain`},
		},
		{
			name:  "a stream name no body bucket can be named after",
			edits: []string{"    provider: hmac\n", "    provider: hmac\n    stream: \"WEBHOOKS:EU\"\n"},
			want:  []string{`sources[1] "partner": stream: "WEBHOOKS:EU" may hold only ASCII letters, digits, '_' and '-'`},
		},
		{
			name:  "the normaliser's stream",
			edits: []string{"    provider: hmac\n", "    provider: hmac\n    stream: COMMERCE\n"},
			want:  []string{`sources[1] "partner": stream: "COMMERCE" is the commerce normaliser's stream of canonical events`},
		},
		{
			name:  "the dead letters' stream",
			edits: []string{"    provider: hmac\n", "    provider: hmac\n    stream: DEADLETTER\n"},
			want:  []string{`sources[1] "partner": stream: "DEADLETTER" is the consumers' dead-letter stream`},
		},
		{
			name:  "a stream from a variable is not shown",
			edits: []string{"    provider: hmac\n", "    provider: hmac\n    stream: ${EU_STREAM}\n"},
			env:   map[string]string{"EU_STREAM": "EU STREAM"},
			want:  []string{`sources[1] "partner": stream: the value of ${EU_STREAM} must not contain`},
		},
		{
			name:  "not a string",
			edits: []string{"    provider: hmac\n", "    provider: hmac\n    stream: [EU]\n"},
			want:  []string{`hookbridge.yaml:27: sources[1].stream: expected a string`},
		},
	})
}
