package settings_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookbridge/hookbridge/bridge"
	"github.com/hookbridge/hookbridge/bridge/provider"
	"github.com/hookbridge/hookbridge/cmd/internal/settings"
	"github.com/hookbridge/hookbridge/internal/config"
	"github.com/hookbridge/hookbridge/internal/natsserver"
)

// fixture is one valid config; each case mutates it. Line numbers in the cases refer to it, so
// mutations keep the line count unless a case says otherwise.
const fixture = `log:   {level: info, format: json}
http:
  listen: "127.0.0.1:8080"
  max_body_bytes: 1048576
  read_header_timeout: 5s
  read_timeout: 15s
  write_timeout: 15s
  idle_timeout: 60s
  shutdown_grace: 10s
admin: {listen: "127.0.0.1:9090"}
nats:
  url: ""
  embedded: {listen: "127.0.0.1:4222", store_dir: "./data/jetstream", sync_always: false}
  stream: WEBHOOKS
  subject_prefix: webhooks
  replicas: 1
  duplicate_window: 24h
  publish_timeout: 3s
sources:
  - name: acme-shop
    provider: shopify
    secrets: ["${ACME_SHOPIFY_SECRET:-dev-shopify-secret}"]
    tolerance: 5m
    type_prefix: ""
  - name: partner
    provider: hmac
    secrets: ["${PARTNER_SECRET}"]
    hmac:
      header: X-Signature
      algorithm: sha256
      encoding: hex
      prefix: "sha256="
      id: "header:X-Event-Id"
      type: "json:event"
      subject: "json:data.id"
      time: "json:created_at"
`

const partnerSecret = "partner-s3cret-value"

// baseEnv is the environment the fixture needs.
func baseEnv() map[string]string {
	return map[string]string{"PARTNER_SECRET": partnerSecret}
}

func getenvFrom(env map[string]string) func(string) string {
	return func(k string) string { return env[k] }
}

// edit replaces old, which must occur exactly once in s, by new.
func edit(t *testing.T, s, old, new string) string {
	t.Helper()
	if n := strings.Count(s, old); n != 1 {
		t.Fatalf("fixture edit: %q occurs %d times, want once", old, n)
	}
	return strings.Replace(s, old, new, 1)
}

// loadYAML writes data as hookbridge.yaml in a fresh directory and loads it.
func loadYAML(t *testing.T, data string, env map[string]string) (*settings.Config, string, error) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "hookbridge.yaml")
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := settings.Load(path, getenvFrom(env))
	return cfg, dir, err
}

func wantFixture() settings.Config {
	on := true
	return settings.Config{
		Log: settings.Log{Level: "info", Format: "json"},
		HTTP: settings.HTTP{
			Listen:            "127.0.0.1:8080",
			Limits:            bridge.Limits{MaxBodyBytes: 1 << 20, MaxBodyBytesInFlight: bridge.DefaultMaxBodyBytesInFlight},
			ReadHeaderTimeout: 5 * time.Second,
			ReadTimeout:       15 * time.Second,
			WriteTimeout:      15 * time.Second,
			IdleTimeout:       60 * time.Second,
			ShutdownGrace:     10 * time.Second,
		},
		Admin: settings.Admin{Listen: "127.0.0.1:9090", Console: settings.Console{Enabled: &on}},
		NATS: settings.NATS{
			URL:      "",
			Embedded: natsserver.Config{Listen: "127.0.0.1:4222", StoreDir: "./data/jetstream"},
			Stream: bridge.StreamConfig{
				Name:          "WEBHOOKS",
				SubjectPrefix: "webhooks",
				Replicas:      1,
				Duplicates:    24 * time.Hour,
			},
			PublishTimeout: 3 * time.Second,
		},
		Sources: []settings.Source{
			{
				Name: "acme-shop",
				Config: provider.Config{
					Kind:      "shopify",
					Secrets:   []string{"dev-shopify-secret"},
					Tolerance: 5 * time.Minute,
				},
			},
			{
				Name: "partner",
				Config: provider.Config{
					Kind:    "hmac",
					Secrets: []string{partnerSecret},
					HMAC: provider.HMACConfig{
						Header:    "X-Signature",
						Algorithm: "sha256",
						Encoding:  "hex",
						Prefix:    "sha256=",
						ID:        "header:X-Event-Id",
						Type:      "json:event",
						Subject:   "json:data.id",
						Time:      "json:created_at",
					},
				},
			},
		},
		Fallbacks: []config.Fallback{{Path: "sources[0].secrets[0]", Var: "ACME_SHOPIFY_SECRET"}},
		Expansions: []config.Expansion{
			{Path: "sources[0].secrets[0]", Text: "${ACME_SHOPIFY_SECRET:-dev-shopify-secret}"},
			{Path: "sources[1].secrets[0]", Text: "${PARTNER_SECRET}"},
		},
	}
}

func TestLoadFixture(t *testing.T) {
	cfg, _, err := loadYAML(t, fixture, baseEnv())
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if want := wantFixture(); !reflect.DeepEqual(*cfg, want) {
		t.Errorf("Load:\n got %+v\nwant %+v", *cfg, want)
	}
}

func TestDefaults(t *testing.T) {
	cfg, _, err := loadYAML(t, "sources: [{name: a, provider: p, secrets: [s]}]\n", nil)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	want := wantFixture()
	want.Sources = []settings.Source{{Name: "a", Config: provider.Config{Kind: "p", Secrets: []string{"s"}}}}
	want.Fallbacks, want.Expansions = nil, nil
	want.HTTP.MaxBodyBytes = bridge.DefaultMaxBodyBytes
	if !reflect.DeepEqual(*cfg, want) {
		t.Errorf("defaults:\n got %+v\nwant %+v", *cfg, want)
	}
}

func TestEmptySectionsTakeDefaults(t *testing.T) {
	data := "log:\nhttp: {}\nadmin: ~\nnats:\n  url:\n  replicas: ~\nsources: [{name: a, provider: p, secrets: [s]}]\n"
	cfg, _, err := loadYAML(t, data, nil)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	want := wantFixture()
	want.HTTP.MaxBodyBytes = bridge.DefaultMaxBodyBytes
	if cfg.HTTP != want.HTTP || cfg.NATS != want.NATS || cfg.Log != want.Log || !reflect.DeepEqual(cfg.Admin, want.Admin) {
		t.Errorf("got %+v, want the defaults", cfg)
	}
}

type errCase struct {
	name string
	data string // replaces the fixture when set
	// edits are (old, new) pairs applied to the fixture in order.
	edits []string
	env   map[string]string // merged over baseEnv; "" deletes
	want  []string          // each must occur in the error text
}

func runErrCases(t *testing.T, cases []errCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			data := fixture
			if tc.data != "" {
				data = tc.data
			}
			for i := 0; i+1 < len(tc.edits); i += 2 {
				data = edit(t, data, tc.edits[i], tc.edits[i+1])
			}
			env := baseEnv()
			for k, v := range tc.env {
				if v == "" {
					delete(env, k)
				} else {
					env[k] = v
				}
			}
			cfg, _, err := loadYAML(t, data, env)
			if err == nil {
				t.Fatalf("Load succeeded, want an error containing %q", tc.want)
			}
			if cfg != nil {
				t.Errorf("Load returned a config with its error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not contain %q:\n%v", w, err)
				}
			}
			if strings.Contains(err.Error(), partnerSecret) {
				t.Errorf("error contains the secret:\n%v", err)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	runErrCases(t, []errCase{
		{
			name:  "unknown key",
			edits: []string{`  listen: "127.0.0.1:8080"`, `  listn: "127.0.0.1:8080"`},
			want:  []string{`hookbridge.yaml:3: unknown key "listn" in http (did you mean "listen"?)`},
		},
		{
			name:  "unknown top-level key",
			edits: []string{"log:   {level", "logs:  {level"},
			want:  []string{`hookbridge.yaml:1: unknown key "logs" at the top level (did you mean "log"?)`},
		},
		{
			name:  "unknown key in flow mapping",
			edits: []string{`admin: {listen:`, `admin: {address:`},
			want:  []string{`hookbridge.yaml:10: unknown key "address" in admin`},
		},
		{
			name:  "unknown key in nested flow mapping",
			edits: []string{`sync_always: false`, `sync: false`},
			want:  []string{`hookbridge.yaml:13: unknown key "sync" in nats.embedded`},
		},
		{
			name:  "unknown key in a source",
			edits: []string{"    type_prefix:", "    typeprefix:"},
			want:  []string{`hookbridge.yaml:24: unknown key "typeprefix" in sources[0] (did you mean "type_prefix"?)`},
		},
		{
			name:  "unknown key in hmac",
			edits: []string{"      header: X-Signature", "      headr: X-Signature"},
			want:  []string{`hookbridge.yaml:29: unknown key "headr" in sources[1].hmac (did you mean "header"?)`},
		},
		{
			name:  "fallbacks is not a key",
			edits: []string{"sources:\n", "fallbacks: []\nsources:\n"},
			want:  []string{`hookbridge.yaml:19: unknown key "fallbacks" at the top level`},
		},
		{
			name:  "duplicate key",
			edits: []string{"  max_body_bytes: 1048576", `  listen: ":1"`},
			want:  []string{`hookbridge.yaml:4: duplicate key "listen" in http (first at line 3)`},
		},
		{
			name:  "bad duration",
			edits: []string{"duplicate_window: 24h", "duplicate_window: 5x"},
			want:  []string{`hookbridge.yaml:17: nats.duplicate_window: "5x" is not a duration`},
		},
		{
			name:  "duration without unit",
			edits: []string{"    tolerance: 5m", "    tolerance: 300"},
			want:  []string{`hookbridge.yaml:23: sources[0].tolerance: "300" is not a duration`, "with a unit"},
		},
		{
			name:  "string for an int",
			edits: []string{"replicas: 1", "replicas: three"},
			want:  []string{`hookbridge.yaml:16: nats.replicas: "three" is not a whole number`},
		},
		{
			name:  "float for an int64",
			edits: []string{"max_body_bytes: 1048576", "max_body_bytes: 1.5e6"},
			want:  []string{`hookbridge.yaml:4: http.max_body_bytes: "1.5e6" is not a whole number`},
		},
		{
			name:  "bad bool",
			edits: []string{"sync_always: false", "sync_always: maybe"},
			want:  []string{`hookbridge.yaml:13: nats.embedded.sync_always: "maybe" is not true or false`},
		},
		{
			name:  "mapping for a string",
			edits: []string{"stream: WEBHOOKS", "stream: {name: WEBHOOKS}"},
			want:  []string{`hookbridge.yaml:14: nats.stream: expected a string, found a mapping`},
		},
		{
			name:  "list for a mapping",
			edits: []string{`admin: {listen: "127.0.0.1:9090"}`, `admin: ["127.0.0.1:9090"]`},
			want:  []string{`hookbridge.yaml:10: admin: expected a mapping, found a list`},
		},
		{
			name:  "single value for a list",
			edits: []string{`secrets: ["${PARTNER_SECRET}"]`, `secrets: "${PARTNER_SECRET}"`},
			want:  []string{`hookbridge.yaml:27: sources[1].secrets: expected a list, found a single value`},
		},
		{
			name: "unset variable",
			env:  map[string]string{"PARTNER_SECRET": ""},
			want: []string{`hookbridge.yaml:27: sources[1].secrets[0]: environment variable PARTNER_SECRET is not set`},
		},
		{
			name:  "lone dollar",
			edits: []string{"subject_prefix: webhooks", "subject_prefix: web$hooks"},
			want:  []string{`hookbridge.yaml:15: nats.subject_prefix: lone "$" at offset 3 (write $$ for a literal $`},
		},
		{
			name:  "unterminated variable",
			edits: []string{"stream: WEBHOOKS", "stream: ${STREAM"},
			want:  []string{`hookbridge.yaml:14: nats.stream: unterminated "${"`},
		},
		{
			name:  "syntax error",
			edits: []string{"stream: WEBHOOKS", "stream: [WEBHOOKS"},
			want:  []string{"hookbridge.yaml:", "invalid YAML"},
		},
		{
			name:  "second document",
			edits: []string{"sources:\n", "---\nsources:\n"},
			want:  []string{"hookbridge.yaml:19: only one YAML document is allowed"},
		},
		{
			name: "top level is a list",
			data: "- log\n- http\n",
			want: []string{"hookbridge.yaml:1: expected a mapping of sections (log, http, admin, nats, sources, commerce, tracing) at the top level, found a list"},
		},
		{
			name: "all decode problems at once",
			edits: []string{
				`  listen: "127.0.0.1:8080"`, `  listn: "127.0.0.1:8080"`,
				"duplicate_window: 24h", "duplicate_window: 5x",
			},
			env: map[string]string{"PARTNER_SECRET": ""},
			want: []string{
				`hookbridge.yaml:3: unknown key "listn"`,
				`hookbridge.yaml:17: nats.duplicate_window: "5x" is not a duration`,
				`hookbridge.yaml:27: sources[1].secrets[0]: environment variable PARTNER_SECRET is not set`,
			},
		},
	})
}

func TestValidationErrors(t *testing.T) {
	runErrCases(t, []errCase{
		{
			name:  "log level",
			edits: []string{"level: info", "level: verbose"},
			want:  []string{`log.level: "verbose" is not one of debug, info, warn or error`},
		},
		{
			name:  "log format",
			edits: []string{"format: json", "format: xml"},
			want:  []string{`log.format: "xml" is not one of json or text`},
		},
		{
			name:  "http listen without port",
			edits: []string{`listen: "127.0.0.1:8080"`, `listen: "8080"`},
			want:  []string{`http.listen: "8080" is not host:port`},
		},
		{
			name:  "http listen named port",
			edits: []string{`listen: "127.0.0.1:8080"`, `listen: "127.0.0.1:http"`},
			want:  []string{`http.listen: port "http" is not a number from 0 to 65535`},
		},
		{
			name:  "max body bytes",
			edits: []string{"max_body_bytes: 1048576", "max_body_bytes: -1"},
			want:  []string{"http.max_body_bytes: must be greater than 0 (got -1)"},
		},
		{
			name:  "body bytes in flight below one body",
			edits: []string{"max_body_bytes: 1048576", "max_body_bytes: 1048576\n  max_body_bytes_in_flight: 1024"},
			want:  []string{"http.max_body_bytes_in_flight: must be at least http.max_body_bytes (1048576)"},
		},
		{
			name:  "read header timeout",
			edits: []string{"read_header_timeout: 5s", "read_header_timeout: -5s"},
			want:  []string{"http.read_header_timeout: must be greater than 0 (got -5s)"},
		},
		{
			name:  "read timeout",
			edits: []string{"read_timeout: 15s", "read_timeout: -1s"},
			want:  []string{"http.read_timeout: must be greater than 0"},
		},
		{
			name:  "write timeout",
			edits: []string{"write_timeout: 15s", "write_timeout: -1s"},
			want:  []string{"http.write_timeout: must be greater than 0"},
		},
		{
			name:  "idle timeout",
			edits: []string{"idle_timeout: 60s", "idle_timeout: -1s"},
			want:  []string{"http.idle_timeout: must be greater than 0"},
		},
		{
			name:  "shutdown grace",
			edits: []string{"shutdown_grace: 10s", "shutdown_grace: -1s"},
			want:  []string{"http.shutdown_grace: must be greater than 0"},
		},
		{
			name:  "write timeout not above publish timeout",
			edits: []string{"write_timeout: 15s", "write_timeout: 3s"},
			want:  []string{"http.write_timeout (3s) must be greater than nats.publish_timeout (3s): the response is written only after the PubAck"},
		},
		{
			name:  "admin listen",
			edits: []string{`admin: {listen: "127.0.0.1:9090"}`, `admin: {listen: "localhost"}`},
			want:  []string{`admin.listen: "localhost" is not host:port`},
		},
		{
			name:  "admin listen same as http",
			edits: []string{`admin: {listen: "127.0.0.1:9090"}`, `admin: {listen: "127.0.0.1:8080"}`},
			want:  []string{`admin.listen: must differ from http.listen (both "127.0.0.1:8080")`},
		},
		{
			name:  "embedded listen",
			edits: []string{`listen: "127.0.0.1:4222"`, `listen: "127.0.0.1"`},
			want:  []string{`nats.embedded.listen: "127.0.0.1" is not host:port`},
		},
		{name: "stream with space", edits: []string{"stream: WEBHOOKS", `stream: "WEB HOOKS"`}, want: []string{`nats.stream: "WEB HOOKS" must not contain`}},
		{name: "stream with dot", edits: []string{"stream: WEBHOOKS", "stream: WEB.HOOKS"}, want: []string{`nats.stream: "WEB.HOOKS" must not contain`}},
		{name: "stream with star", edits: []string{"stream: WEBHOOKS", `stream: "WEB*"`}, want: []string{`nats.stream: "WEB*" must not contain`}},
		{name: "stream with gt", edits: []string{"stream: WEBHOOKS", `stream: "WEB>"`}, want: []string{`nats.stream: "WEB>" must not contain`}},
		{name: "stream with slash", edits: []string{"stream: WEBHOOKS", `stream: "WEB/HOOKS"`}, want: []string{`nats.stream: "WEB/HOOKS" must not contain`}},
		{name: "stream with backslash", edits: []string{"stream: WEBHOOKS", `stream: 'WEB\HOOKS'`}, want: []string{`nats.stream: "WEB\\HOOKS" must not contain`}},
		{name: "stream with tab", edits: []string{"stream: WEBHOOKS", `stream: "WEB\tHOOKS"`}, want: []string{`nats.stream: "WEB\tHOOKS" must not contain`}},
		{name: "subject prefix empty token", edits: []string{"subject_prefix: webhooks", "subject_prefix: a..b"}, want: []string{`nats.subject_prefix: "a..b" must be one or more dot-separated tokens`}},
		{name: "subject prefix wildcard", edits: []string{"subject_prefix: webhooks", `subject_prefix: "a.*"`}, want: []string{`nats.subject_prefix: "a.*"`}},
		{name: "subject prefix full wildcard", edits: []string{"subject_prefix: webhooks", `subject_prefix: "a.>"`}, want: []string{`nats.subject_prefix: "a.>"`}},
		{name: "subject prefix leading dot", edits: []string{"subject_prefix: webhooks", `subject_prefix: ".a"`}, want: []string{`nats.subject_prefix: ".a"`}},
		{name: "subject prefix trailing dot", edits: []string{"subject_prefix: webhooks", `subject_prefix: "a."`}, want: []string{`nats.subject_prefix: "a."`}},
		{name: "subject prefix space", edits: []string{"subject_prefix: webhooks", `subject_prefix: "a b"`}, want: []string{`nats.subject_prefix: "a b"`}},
		{name: "replicas too many", edits: []string{"replicas: 1", "replicas: 6"}, want: []string{"nats.replicas: must be from 1 to 5 (got 6)"}},
		{name: "replicas negative", edits: []string{"replicas: 1", "replicas: -1"}, want: []string{"nats.replicas: must be from 1 to 5 (got -1)"}},
		{
			name:  "replicas with the embedded server",
			edits: []string{"replicas: 1", "replicas: 3"},
			want:  []string{"nats.replicas: 3 needs a JetStream cluster, but the embedded server is a single node"},
		},
		{name: "duplicate window", edits: []string{"duplicate_window: 24h", "duplicate_window: -1h"}, want: []string{"nats.duplicate_window: must be greater than 0 (got -1h0m0s)"}},
		{name: "publish timeout", edits: []string{"publish_timeout: 3s", "publish_timeout: -3s"}, want: []string{"nats.publish_timeout: must be greater than 0 (got -3s)"}},
		{
			name:  "url scheme",
			edits: []string{`url: ""`, `url: "nats://a:4222,http://b:4222"`},
			want:  []string{"nats.url: entry 2 (http://b:4222) must start with nats://, tls://, ws:// or wss://"},
		},
		{
			name:  "url without scheme",
			edits: []string{`url: ""`, `url: "localhost:4222"`},
			want:  []string{"nats.url: entry 1 (localhost:4222) must start with nats://"},
		},
		{
			name:  "url without host",
			edits: []string{`url: ""`, `url: "nats://"`},
			want:  []string{"nats.url: entry 1 (nats:) has no host"},
		},
		{
			name:  "url empty entry",
			edits: []string{`url: ""`, `url: "nats://a:4222, "`},
			want:  []string{"nats.url: entry 2 is empty"},
		},
		{
			name:  "url unparsable",
			edits: []string{`url: ""`, `url: "nats://a b:%zz"`},
			want:  []string{"nats.url: entry 1 is not a valid URL"},
		},
		{
			name: "no sources",
			data: "nats: {stream: X}\nsources: []\n",
			want: []string{"sources: at least one source is required"},
		},
		{
			name: "sources missing",
			data: "nats: {stream: X}\n",
			want: []string{"sources: at least one source is required"},
		},
		{
			name:  "source name pattern",
			edits: []string{"name: acme-shop", `name: "Acme Shop"`},
			want:  []string{`sources[0] "Acme Shop": name: "Acme Shop" must match ^[a-z0-9_-]+$`},
		},
		{
			name:  "source name with dot",
			edits: []string{"name: acme-shop", `name: "acme.shop"`},
			want:  []string{`sources[0] "acme.shop": name: "acme.shop" must match`},
		},
		{
			name:  "source name missing",
			edits: []string{"  - name: acme-shop\n", "  - name: \n"},
			want:  []string{"sources[0]: name: required"},
		},
		{
			name:  "duplicate source name",
			edits: []string{"name: partner", "name: acme-shop"},
			want:  []string{`sources[1] "acme-shop": name: duplicate of sources[0]`},
		},
		{
			name:  "provider missing",
			edits: []string{"provider: shopify", `provider: ""`},
			want:  []string{`sources[0] "acme-shop": provider: required`},
		},
		{
			name:  "no secrets",
			edits: []string{`secrets: ["${ACME_SHOPIFY_SECRET:-dev-shopify-secret}"]`, "secrets: []"},
			want:  []string{`sources[0] "acme-shop": secrets: at least one non-empty secret is required`},
		},
		{
			name:  "only empty secrets",
			edits: []string{`secrets: ["${ACME_SHOPIFY_SECRET:-dev-shopify-secret}"]`, `secrets: ["", "${NEXT:-}"]`},
			want:  []string{`sources[0] "acme-shop": secrets: at least one non-empty secret is required`},
		},
		{
			name:  "negative tolerance",
			edits: []string{"tolerance: 5m", "tolerance: -5m"},
			want:  []string{`sources[0] "acme-shop": tolerance: must not be negative (got -5m0s`},
		},
		{
			name: "log level override invalid",
			env:  map[string]string{"HOOKBRIDGE_LOG_LEVEL": "loud"},
			want: []string{`HOOKBRIDGE_LOG_LEVEL: not one of debug, info, warn or error (its value is not shown)`},
		},
		{
			name: "all validation problems at once",
			edits: []string{
				"level: info", "level: verbose",
				"replicas: 1", "replicas: 6",
				"name: partner", "name: Partner",
			},
			want: []string{
				`log.level: "verbose"`,
				"nats.replicas: must be from 1 to 5",
				`sources[1] "Partner": name:`,
			},
		},
	})
}

func TestValidCornerCases(t *testing.T) {
	cases := []struct {
		name  string
		edits []string
		check func(t *testing.T, c *settings.Config)
	}{
		{
			name:  "replicas with a cluster url",
			edits: []string{`url: ""`, `url: "nats://a:4222, tls://b:4222,ws://c:8080,wss://user:pw@d:443"`, "replicas: 1", "replicas: 3"},
			check: func(t *testing.T, c *settings.Config) {
				if c.NATS.Stream.Replicas != 3 {
					t.Errorf("replicas = %d", c.NATS.Stream.Replicas)
				}
			},
		},
		{
			name:  "dotted subject prefix",
			edits: []string{"subject_prefix: webhooks", "subject_prefix: acme.in-bound_1.webhooks"},
			check: func(t *testing.T, c *settings.Config) {
				if c.NATS.Stream.SubjectPrefix != "acme.in-bound_1.webhooks" {
					t.Errorf("subject_prefix = %q", c.NATS.Stream.SubjectPrefix)
				}
			},
		},
		{
			name:  "zero port for admin and http",
			edits: []string{`listen: "127.0.0.1:8080"`, `listen: "127.0.0.1:0"`, `admin: {listen: "127.0.0.1:9090"}`, `admin: {listen: "127.0.0.1:0"}`},
			check: func(t *testing.T, c *settings.Config) {},
		},
		{
			name:  "empty secrets are dropped",
			edits: []string{`secrets: ["${ACME_SHOPIFY_SECRET:-dev-shopify-secret}"]`, `secrets: ["${NEXT:-}", "current", ""]`},
			check: func(t *testing.T, c *settings.Config) {
				if got := c.Sources[0].Secrets; !reflect.DeepEqual(got, []string{"current"}) {
					t.Errorf("secrets = %q", got)
				}
			},
		},
		{
			name:  "tolerance zero means provider default",
			edits: []string{"tolerance: 5m", "tolerance: 0s"},
			check: func(t *testing.T, c *settings.Config) {
				if c.Sources[0].Tolerance != 0 {
					t.Errorf("tolerance = %s", c.Sources[0].Tolerance)
				}
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			data := fixture
			for i := 0; i+1 < len(tc.edits); i += 2 {
				data = edit(t, data, tc.edits[i], tc.edits[i+1])
			}
			cfg, _, err := loadYAML(t, data, baseEnv())
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			tc.check(t, cfg)
		})
	}
}

func TestValidateZeroValues(t *testing.T) {
	var c settings.Config
	err := c.Validate()
	if err == nil {
		t.Fatal("zero Config validated")
	}
	for _, w := range []string{"log.level", "http.listen: required", "nats.embedded.store_dir: required when nats.url is empty", "nats.stream: required", "sources: at least one"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error does not contain %q:\n%v", w, err)
		}
	}
	s := settings.Source{Name: "a", Config: provider.Config{Kind: "p", Secrets: []string{"k", ""}}}
	if err := s.Validate(); err == nil || !strings.Contains(err.Error(), "secrets[1]: empty") {
		t.Errorf("Source.Validate with an empty secret = %v", err)
	}
	if err := (natsserver.Config{Listen: ":4222"}).Check(nil); err == nil || !strings.Contains(err.Error(), "store_dir") {
		t.Errorf("natsserver.Config.Check without store_dir = %v", err)
	}
}

func TestNoConfig(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "hookbridge.yaml")
	_, err := settings.Load(missing, nil)
	if !errors.Is(err, config.ErrNoConfig) {
		t.Fatalf("missing file: %v, want ErrNoConfig", err)
	}
	if want := "no config file at " + missing + ": pass --config FILE or set HOOKBRIDGE_CONFIG"; err.Error() != want {
		t.Errorf("missing file:\n got %q\nwant %q", err, want)
	}
	for _, content := range []string{"", "\n  \n", "# only a comment\n", "~\n", "---\n"} {
		_, _, err := loadYAML(t, content, nil)
		if !errors.Is(err, config.ErrNoConfig) {
			t.Errorf("content %q: %v, want ErrNoConfig", content, err)
			continue
		}
		if !strings.Contains(err.Error(), "hookbridge.yaml is empty: pass --config FILE or set HOOKBRIDGE_CONFIG") {
			t.Errorf("content %q: %v", content, err)
		}
	}
	if _, err := settings.Load(dir, nil); err == nil || errors.Is(err, config.ErrNoConfig) {
		t.Errorf("directory as config: %v", err)
	}
}

func TestEnvExpansion(t *testing.T) {
	data := `
log: {level: "${LEVEL:-warn}"}
http:
  listen: "${HOST:-127.0.0.1}:${PORT:-8080}"
  max_body_bytes: ${MAX_BODY}
nats:
  replicas: ${REPLICAS:-1}
  url: ${NATS_URL:-}
  embedded: {sync_always: "${SYNC:-true}"}
  publish_timeout: ${PUBLISH_TIMEOUT:-2s}
sources:
  - name: ${NAME}
    provider: p
    secrets: ["pa$$word", "$${NOT_A_VAR}", "${SECRET}"]
    tolerance: ${X:-5m}
`
	env := map[string]string{"PORT": "9000", "MAX_BODY": "2048", "REPLICAS": "", "NAME": "shop", "SECRET": "from-env$HOME${HOME}"}
	cfg, err := settings.Parse([]byte(data), "", getenvFrom(env))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if got, want := cfg.HTTP.Listen, "127.0.0.1:9000"; got != want {
		t.Errorf("listen = %q, want %q", got, want)
	}
	if cfg.HTTP.MaxBodyBytes != 2048 || cfg.NATS.Stream.Replicas != 1 || !cfg.NATS.Embedded.SyncAlways ||
		cfg.NATS.PublishTimeout != 2*time.Second || cfg.Sources[0].Tolerance != 5*time.Minute ||
		cfg.Log.Level != "warn" || cfg.NATS.URL != "" || cfg.Sources[0].Name != "shop" {
		t.Errorf("expanded values not decoded into their types: %+v", cfg)
	}
	if got, want := cfg.Sources[0].Secrets, []string{"pa$word", "${NOT_A_VAR}", "from-env$HOME${HOME}"}; !reflect.DeepEqual(got, want) {
		t.Errorf("secrets = %q, want %q", got, want)
	}
	wantFallbacks := []config.Fallback{
		{Path: "log.level", Var: "LEVEL"},
		{Path: "http.listen", Var: "HOST"},
		{Path: "nats.replicas", Var: "REPLICAS"},
		{Path: "nats.url", Var: "NATS_URL"},
		{Path: "nats.embedded.sync_always", Var: "SYNC"},
		{Path: "nats.publish_timeout", Var: "PUBLISH_TIMEOUT"},
		{Path: "sources[0].tolerance", Var: "X"},
	}
	if !reflect.DeepEqual(cfg.Fallbacks, wantFallbacks) {
		t.Errorf("fallbacks:\n got %+v\nwant %+v", cfg.Fallbacks, wantFallbacks)
	}
}

func TestEnvNeverExpandsKeys(t *testing.T) {
	_, err := settings.Parse([]byte("${KEY}: x\nsources: [{name: a, provider: p, secrets: [s]}]\n"), "", getenvFrom(map[string]string{"KEY": "log"}))
	if err == nil || !strings.Contains(err.Error(), `line 1: unknown key "${KEY}" at the top level`) {
		t.Errorf("got %v, want an unknown key error for the literal ${KEY}", err)
	}
}

// An env value is one plain value: it cannot add keys, list items or documents.
func TestEnvValueCannotInjectYAML(t *testing.T) {
	for _, v := range []string{
		"a: {x}",
		"{x: y}",
		"line1\nline2",
		"x\nprovider: evil\nsecrets: [y]",
		"- a\n- b",
		"[a, b]",
		"!!int 3",
		"&a x",
		"*a",
		"\"quoted\"",
		"---\nlog: {}",
		"# not a comment",
	} {
		data := `sources: [{name: a, provider: p, secrets: ["${SECRET}"], type_prefix: "${SECRET}"}]`
		cfg, err := settings.Parse([]byte(data), "", getenvFrom(map[string]string{"SECRET": v}))
		if err != nil {
			t.Errorf("value %q: %v", v, err)
			continue
		}
		if got := cfg.Sources[0].Secrets; len(got) != 1 || got[0] != v {
			t.Errorf("value %q: secrets = %q", v, got)
		}
		if got := cfg.Sources[0].TypePrefix; got != v {
			t.Errorf("value %q: type_prefix = %q", v, got)
		}
		if cfg.Sources[0].Kind != "p" {
			t.Errorf("value %q: provider = %q", v, cfg.Sources[0].Kind)
		}
	}
	// In a typed field the same value is a type error, not structure.
	_, err := settings.Parse([]byte("nats: {replicas: \"${R}\"}\nsources: [{name: a, provider: p, secrets: [s]}]\n"), "",
		getenvFrom(map[string]string{"R": "1\nstream: X"}))
	if err == nil || !strings.Contains(err.Error(), `line 1: nats.replicas: the value of ${R} is not a whole number`) {
		t.Errorf("got %v", err)
	}
}

func TestLogLevelOverride(t *testing.T) {
	for _, tc := range []struct{ env, want string }{
		{"", "info"},
		{"debug", "debug"},
		{"error", "error"},
	} {
		env := baseEnv()
		if tc.env != "" {
			env["HOOKBRIDGE_LOG_LEVEL"] = tc.env
		}
		cfg, _, err := loadYAML(t, fixture, env)
		if err != nil {
			t.Fatalf("HOOKBRIDGE_LOG_LEVEL=%q: %v", tc.env, err)
		}
		if cfg.Log.Level != tc.want {
			t.Errorf("HOOKBRIDGE_LOG_LEVEL=%q: level %q, want %q", tc.env, cfg.Log.Level, tc.want)
		}
	}
}

func TestSecretFiles(t *testing.T) {
	dir := t.TempDir()
	abs := filepath.Join(t.TempDir(), "abs.secret")
	write := func(path, content string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(dir, "secrets", "lf.secret"), "lf-secret\n")
	write(filepath.Join(dir, "crlf.secret"), "crlf-secret\r\n")
	write(abs, "abs-secret")
	data := `sources:
  - name: acme
    provider: p
    secrets: [inline]
    secret_files: [secrets/lf.secret, "./crlf.secret", "` + abs + `"]
`
	cfgPath := filepath.Join(dir, "hookbridge.yaml")
	write(cfgPath, data)

	want := []string{"inline", "lf-secret", "crlf-secret", "abs-secret"}
	cfg, err := settings.Load(cfgPath, nil)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if got := cfg.Sources[0].Secrets; !reflect.DeepEqual(got, want) {
		t.Errorf("Load: secrets = %q, want %q", got, want)
	}
	cfg, err = settings.Parse([]byte(data), dir, nil)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if got := cfg.Sources[0].Secrets; !reflect.DeepEqual(got, want) {
		t.Errorf("Parse: secrets = %q, want %q", got, want)
	}

	// secret_files alone satisfy "at least one secret".
	cfg, err = settings.Parse([]byte("sources: [{name: a, provider: p, secret_files: [crlf.secret]}]"), dir, nil)
	if err != nil || !reflect.DeepEqual(cfg.Sources[0].Secrets, []string{"crlf-secret"}) {
		t.Errorf("secret_files only: %v %+v", err, cfg)
	}

	write(filepath.Join(dir, "empty.secret"), "\r\n\n")
	write(filepath.Join(dir, "leaky.secret"), "file-s3cret\n")
	for _, tc := range []struct {
		file string
		want string
	}{
		{"missing.secret", `sources[0] "a": secret_files[1]: open ` + filepath.Join(dir, "missing.secret") + ": no such file or directory"},
		{"empty.secret", `sources[0] "a": secret_files[1]: ` + filepath.Join(dir, "empty.secret") + " is empty"},
		{"secrets", `sources[0] "a": secret_files[1]: read ` + filepath.Join(dir, "secrets") + ": is a directory"},
		{"", `sources[0] "a": secret_files[1]: empty path`},
	} {
		data := `sources: [{name: a, provider: p, secret_files: [leaky.secret, "` + tc.file + `"]}]`
		_, err := settings.Parse([]byte(data), dir, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("secret file %q: got %v, want %q", tc.file, err, tc.want)
			continue
		}
		if strings.Contains(err.Error(), "file-s3cret") {
			t.Errorf("error contains a secret file's content: %v", err)
		}
	}
}

// No error text may contain a secret value, whichever way the secret arrived.
func TestErrorsNeverContainSecrets(t *testing.T) {
	const (
		inline  = "inline-s3cret"
		fromEnv = "env-s3cret"
		inFile  = "file-s3cret"
		natsPW  = "nats-pa55word"
		token   = "nats-t0ken"
	)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "s"), []byte(inFile+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"SECRET": fromEnv, "NATS_URL": "nats://u:" + natsPW + "@h:4222,http://" + token + "@x"}
	broken := []string{
		// validation errors next to secrets
		`sources: [{name: BAD, provider: "", secrets: [` + inline + `, "${SECRET}"], secret_files: [s, missing], tolerance: -1s}]`,
		`nats: {url: "${NATS_URL}", replicas: 9}
sources: [{name: a, provider: p, secrets: [` + inline + `]}]`,
		`nats: {url: "nats://` + token + `@h:4222, nats://:` + natsPW + `@"}
sources: [{name: a, provider: p, secrets: [x]}]`,
		// secrets in the wrong shape
		`sources: [{name: a, provider: p, secrets: ` + inline + `}]`,
		`sources: [{name: a, provider: p, secrets: {` + inline + `: x}}]`,
		`sources: [{name: a, provider: p, secrets: [[` + inline + `]]}]`,
		`sources: [{name: a, provider: p, secrets: [{k: ` + inline + `}]}]`,
		// expansion errors inside a secret
		`sources: [{name: a, provider: p, secrets: ["` + inline + `$"]}]`,
		`sources: [{name: a, provider: p, secrets: ["` + inline + `${"]}]`,
		`sources: [{name: a, provider: p, secrets: ["${` + inline + `}"]}]`,
		`sources: [{name: a, provider: p, secrets: ["${SECRET}${UNSET}"]}]`,
		// decode errors next to secrets
		`sources: [{name: a, provider: p, secrets: [` + inline + `, "${SECRET}"], secret_files: [s], bogus: 1}]`,
		"sources:\n  - name: a\n    secrets: [" + inline + "]\n    secrets: [" + inline + "]\n",
		// syntax errors around secrets
		`sources: [{name: a, provider: p, secrets: ["` + inline + `]}]`,
		"sources:\n  - secrets: [" + inline + "\n  bad",
		"sources: [{secrets: [\"" + inline + "\\q\"]}]",
	}
	for _, data := range broken {
		_, err := settings.Parse([]byte(data), dir, getenvFrom(env))
		if err == nil {
			t.Errorf("Parse(%q) succeeded", data)
			continue
		}
		for _, secret := range []string{inline, fromEnv, inFile, natsPW, token} {
			if strings.Contains(err.Error(), secret) {
				t.Errorf("Parse(%q): error contains %q:\n%v", data, secret, err)
			}
		}
	}
}

func TestAnchorsAndMergeKeys(t *testing.T) {
	data := `
defaults: &base
  provider: shopify
  secrets: ["${S:-a}"]
  tolerance: 5m
sources:
  - <<: *base
    name: one
  - <<: *base
    name: two
    tolerance: 1m
    secrets: [b]
`
	// An unknown top-level key is the price of a separate anchor holder; hold it in a source instead.
	_, err := settings.Parse([]byte(data), "", nil)
	if err == nil || !strings.Contains(err.Error(), `line 2: unknown key "defaults"`) {
		t.Fatalf("got %v", err)
	}
	data = `
sources:
  - &base
    name: one
    provider: shopify
    secrets: ["${S:-a}"]
    tolerance: 5m
  - <<: *base
    name: two
    tolerance: 1m
    secrets: [b]
  - *base
`
	cfg, err := settings.Parse([]byte(data), "", nil)
	if err == nil || !strings.Contains(err.Error(), `sources[2] "one": name: duplicate of sources[0]`) {
		t.Fatalf("got %v", err)
	}
	data = strings.TrimSuffix(data, "  - *base\n")
	cfg, err = settings.Parse([]byte(data), "", nil)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	two := cfg.Sources[1]
	if two.Name != "two" || two.Kind != "shopify" || two.Tolerance != time.Minute || !reflect.DeepEqual(two.Secrets, []string{"b"}) {
		t.Errorf("merged source = %+v", two)
	}
	for cyclic, want := range map[string]string{
		"sources: &a [*a]":                     "line 1: sources[0]: expected a mapping, found a list",
		"sources: [&a {name: x, secrets: *a}]": "line 1: sources[0].secrets: expected a list, found a mapping",
		"sources: [&a {<<: *a}]":               "line 1: sources[0]: alias *a refers to a node that contains it",
		"http: &a {<<: [*a]}\nsources: []":     "line 1: http: alias *a refers to a node that contains it",
	} {
		if _, err := settings.Parse([]byte(cyclic), "", nil); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%q) = %v, want %q", cyclic, err, want)
		}
	}
}

// Many aliases of aliases describe a huge document in a few lines; decoding must stop early.
func TestAliasBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("sources:\n  - &a0 {name: a, provider: p, secrets: [s]}\n")
	for i := 1; i < 30; i++ {
		b.WriteString("  - &a" + strconv.Itoa(i) + " {<<: [")
		for j := range 10 {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("*a" + strconv.Itoa(i-1))
		}
		b.WriteString("]}\n")
	}
	start := time.Now()
	_, err := settings.Parse([]byte(b.String()), "", nil)
	if err == nil || !strings.Contains(err.Error(), "document too complex") {
		t.Errorf("got %v", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %s", d)
	}
}

// The commerce section: off unless enabled, the personal-data mode checked,
// and the hash key (a secret) never shown, wherever it came from.
func TestCommerceSection(t *testing.T) {
	env := getenvFrom(map[string]string{"ACME_SHOPIFY_SECRET": "x", "PARTNER_SECRET": partnerSecret, "HASH_KEY": "k3y-from-the-env"})
	cfg, err := settings.Parse([]byte(fixture), "", env)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Commerce.Enabled || cfg.Commerce.PersonalData != "" {
		t.Errorf("commerce without a section: %+v, want off and keep", cfg.Commerce)
	}
	cfg, err = settings.Parse([]byte(fixture+"commerce: {enabled: true, personal_data: hash, hash_key: \"${HASH_KEY:-0123456789abcdef}\"}\n"), "", env)
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.Commerce.Enabled || cfg.Commerce.PersonalData != "hash" || cfg.Commerce.HashKey != "k3y-from-the-env" {
		t.Errorf("commerce %+v", cfg.Commerce)
	}
	for section, want := range map[string]string{
		`{enabled: true, personal_data: mask}`:            `commerce.personal_data: "mask" is not one of keep, drop or hash`,
		`{personal_data: "${MODE}"}`:                      `commerce.personal_data: the value of ${MODE} is not one of keep, drop or hash`,
		`{personal_data: hash}`:                           `commerce.personal_data: hash needs commerce.hash_key of at least 16 bytes (got 0)`,
		`{personal_data: hash, hash_key: "${SHORT}"}`:     `commerce.personal_data: hash needs commerce.hash_key of at least 16 bytes (got 12)`,
		`{personal_data: hash, hash_key: "short-secret"}`: `commerce.personal_data: hash needs commerce.hash_key of at least 16 bytes (got 12)`,
		`{enabled: maybe}`:                                `commerce.enabled`,
	} {
		env := getenvFrom(map[string]string{"ACME_SHOPIFY_SECRET": "x", "PARTNER_SECRET": partnerSecret, "MODE": "m0de-secret", "SHORT": "short-s3cret"})
		_, err := settings.Parse([]byte(fixture+"commerce: "+section+"\n"), "", env)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("commerce %s: error %v, want %q", section, err, want)
			continue
		}
		for _, secret := range []string{"m0de-secret", "short-s3cret", "short-secret"} {
			if strings.Contains(err.Error(), secret) {
				t.Errorf("commerce %s: the error shows %q: %v", section, secret, err)
			}
		}
	}
}

// The example config the quick start runs turns the normaliser on, so that
// `go run ./cmd/hookbridge` shows canonical events at once; compose turns it
// off in the bridge with HOOKBRIDGE_COMMERCE=false, to run it apart.
func TestExampleConfigRunsTheNormaliser(t *testing.T) {
	path := filepath.Join("..", "..", "..", "hookbridge.yaml")
	for env, want := range map[string]bool{"": true, "false": false} {
		cfg, err := settings.Load(path, getenvFrom(map[string]string{"HOOKBRIDGE_COMMERCE": env}))
		if err != nil {
			t.Fatalf("HOOKBRIDGE_COMMERCE=%q: %v", env, err)
		}
		if cfg.Commerce.Enabled != want {
			t.Errorf("HOOKBRIDGE_COMMERCE=%q: commerce.enabled %v, want %v", env, cfg.Commerce.Enabled, want)
		}
	}
}

// The tracing section is internal/tracing's, checked in the one report with
// the OTEL_* variables laid over it: a variable that is set wins over its
// key, and a bad value is named by its key (or variable), never a header's.
func TestTracingSection(t *testing.T) {
	section := "tracing:\n  endpoint: http://collector:4318\n  headers: {Authorization: \"Bearer ${OTLP_TOKEN}\"}\n  sampler: always_on\n"
	env := baseEnv()
	env["OTLP_TOKEN"] = "t0ken"
	cfg, _, err := loadYAML(t, fixture+section, env)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Tracing.Endpoint != "http://collector:4318" || cfg.Tracing.Headers["Authorization"] != "Bearer t0ken" {
		t.Errorf("tracing = endpoint %q, %d headers", cfg.Tracing.Endpoint, len(cfg.Tracing.Headers))
	}

	for _, tc := range []struct{ name, section, envKey, envValue, want string }{
		{"bad key", "tracing: {endpoint: http://c:4318, sampler: sometimes}", "", "", `tracing.sampler: "sometimes" is not supported`},
		{"bad line", "tracing: {endpoint: http://c:4318, timeout: soon}", "", "", `hookbridge.yaml:37: tracing.timeout: "soon" is not a duration`},
		{"bad variable over a good key", "tracing: {endpoint: http://c:4318, sampler: always_on}", "OTEL_TRACES_SAMPLER", "t0ken", `OTEL_TRACES_SAMPLER: its value is not supported`},
		{"header variable", "tracing: {endpoint: http://c:4318}", "OTEL_EXPORTER_OTLP_HEADERS", "Authorization=t0ken%zz", `OTEL_EXPORTER_OTLP_HEADERS: the entry for "Authorization"`},
		{"header from a variable", "tracing: {endpoint: \"${OTLP_TOKEN}\", headers: {Authorization: \"${OTLP_TOKEN}\"}}", "", "", `tracing.endpoint: the value of ${OTLP_TOKEN} is not`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := baseEnv()
			env["OTLP_TOKEN"] = "t0ken"
			if tc.envKey != "" {
				env[tc.envKey] = tc.envValue
			}
			_, _, err := loadYAML(t, fixture+tc.section+"\n", env)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one containing %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "t0ken") {
				t.Errorf("the error shows a credential: %v", err)
			}
		})
	}
	// A variable that is set wins: a file otherwise fine is not rejected
	// for what the variable turns off.
	if _, _, err := loadYAML(t, fixture+"tracing: {endpoint: http://c:4318, sampler: sometimes}\n", map[string]string{"PARTNER_SECRET": partnerSecret, "OTEL_SDK_DISABLED": "true"}); err != nil {
		t.Errorf("OTEL_SDK_DISABLED=true: %v", err)
	}
}
