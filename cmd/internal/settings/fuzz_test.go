package settings_test

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/hookbridge/hookbridge/cmd/internal/settings"
)

func FuzzParse(f *testing.F) {
	f.Add([]byte(fixture))
	for _, s := range []string{
		"",
		"~",
		"sources: [{name: a, provider: p, secrets: [s]}]",
		"sources: [{name: a, provider: p, secrets: [\"${S:-x}\"], tolerance: ${T:-5m}}]\nnats: {replicas: ${R:-1}}",
		"sources:\n  - &a {name: a, provider: p, secrets: [s]}\n  - {<<: *a, name: b}\n",
		"sources: [&a {<<: *a}]",
		"http: {listn: x, read_timeout: 5x}\nnats: {replicas: three}",
		"a: 1\n---\nb: 2",
		"- [",
		"sources: [{name: a, provider: p, secret_files: [s.secret]}]",
		"log: {level: \"${HOOKBRIDGE_LOG_LEVEL}\"}",
		"#\n-\n{",
		"http: {listen: \"${LEAK}\"}\nnats: {replicas: ${LEAK}, stream: \"${LEAK}\"}\nsources: [{name: \"${LEAK}\", provider: \"${LEAK}\", secrets: [\"${LEAK}\"]}]",
		"log: {level: \"x${LEAK}\"}\nsources: [{name: a, provider: p, secrets: [s], tolerance: \"${LEAK:-1m}\", secret_files: [\"${LEAK}\"]}]",
		"tracing: {endpoint: http://c:4318, headers: {Authorization: \"Bearer ${S}\"}, resource_attributes: {a.b: c}, sampler: traceidratio, sampler_arg: 0.5, timeout: 2s}",
		"tracing: {endpoint: \"${LEAK}\", headers: {\"${LEAK}\": \"${LEAK}\", a: [b]}, timeout: \"${LEAK}\", sampler: \"${LEAK}\", exporter: \"${LEAK:-otlp}\"}",
		"tracing: {headers: {a: 1, a: 2}, resource_attributes: [x]}",
		"sources: [{name: a, provider: p, secrets: [s], stream: EU}, {name: b, provider: p, secrets: [s]}, {name: c, provider: q, secrets: [s], stream: EU}]",
		"nats: {stream: W}\nsources: [{name: a, provider: p, secrets: [s], stream: W}, {name: b, provider: p, secrets: [s], stream: \"${LEAK}\"}]",
		"sources: [{name: a, provider: p, secrets: [s], stream: \"E.U\"}, {name: b, provider: p, secrets: [s], stream: COMMERCE}]",
	} {
		f.Add([]byte(s))
	}
	// LEAK's value must never appear in an error unless the file itself holds it.
	const leak = "LeAk-\u00e9-9"
	env := map[string]string{"S": "secret", "T": "1m", "R": "2", "HOOKBRIDGE_LOG_LEVEL": "debug", "COLON": "a: {x}", "LEAK": leak}
	getenv := func(k string) string { return env[k] }
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		// secret_files are read from disk: keep the fuzzer inside its temporary directory, away
		// from devices that could block a read.
		for _, risky := range []string{"dev", "proc", "sys", "..", "\\", "/"} {
			if bytes.Contains(data, []byte(risky)) && bytes.Contains(data, []byte("secret_files")) {
				t.Skip()
			}
		}
		cfg, err := settings.Parse(data, dir, getenv, settings.ProviderCheck{Names: []string{"p", "q"}, Check: echoingCheck})
		if err != nil && strings.Contains(err.Error(), leak) && !bytes.Contains(data, []byte(leak)) {
			t.Fatalf("error shows the value of ${LEAK}: %v", err)
		}
		switch {
		case err != nil && cfg != nil:
			t.Fatalf("Parse returned a config with error %v", err)
		case err != nil && strings.TrimSpace(err.Error()) == "":
			t.Fatalf("Parse returned an empty error")
		case err == nil && cfg == nil:
			t.Fatalf("Parse returned neither config nor error")
		case err == nil:
			if verr := cfg.Validate(); verr != nil {
				t.Fatalf("Parse accepted a config that does not validate: %v", verr)
			}
			checkStreams(t, cfg)
			for _, s := range cfg.Sources {
				for _, secret := range s.Secrets {
					if secret == "" {
						t.Fatalf("Parse kept an empty secret in source %q", s.Name)
					}
				}
			}
		}
	})
}

// checkStreams asserts what the bridge relies on of an accepted config's streams: distinct
// names, and every source captured by exactly one of them.
func checkStreams(t *testing.T, cfg *settings.Config) {
	t.Helper()
	streams := cfg.Streams()
	seen := map[string]int{}
	names := map[string]bool{}
	for _, st := range streams {
		if names[st.Name] {
			t.Fatalf("stream %s listed twice: %+v", st.Name, streams)
		}
		names[st.Name] = true
		if st.Sources != nil && len(st.Sources) == 0 {
			t.Fatalf("stream %s captures no source", st.Name)
		}
		for _, src := range cfg.Sources {
			if st.Sources == nil || slices.Contains(st.Sources, src.Name) {
				seen[src.Name]++
			}
		}
	}
	for _, src := range cfg.Sources {
		if seen[src.Name] != 1 {
			t.Fatalf("source %s is captured by %d streams: %+v", src.Name, seen[src.Name], streams)
		}
	}
}
