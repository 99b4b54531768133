package settings_test

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"reflect"
	"strings"
	"syscall"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/hookbridge/hookbridge/cmd/internal/settings"
	"github.com/hookbridge/hookbridge/internal/config"
)

// envSecret is invalid for every field that checks its value: a space, a dot, a star and
// upper case break names, numbers, durations, addresses, URLs, headers and enums alike.
const envSecret = "Zq s3cret.*VALUE"

// leaves lists the config path of every value the file can hold, from the yaml tags, so that a
// field added later is covered without touching this test. A list stands for its first item.
// A map, for one entry.
func leaves(t reflect.Type, path string) []string {
	switch {
	case t == reflect.TypeFor[config.Fallback]() || t == reflect.TypeFor[config.Expansion]():
		return nil
	case t.Kind() == reflect.Struct && t.String() != "time.Duration":
		var out []string
		for i := range t.NumField() {
			f := t.Field(i)
			name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if name == "-" || !f.IsExported() {
				continue
			}
			if opts == "inline" {
				out = append(out, leaves(f.Type, path)...)
				continue
			}
			p := name
			if path != "" {
				p = path + "." + name
			}
			out = append(out, leaves(f.Type, p)...)
		}
		return out
	case t.Kind() == reflect.Slice:
		return leaves(t.Elem(), path+"[0]")
	case t.Kind() == reflect.Map:
		// A map stands for one entry, under a key of the file's own.
		return leaves(t.Elem(), path+".name")
	}
	return []string{path}
}

// withValue returns a valid config (as YAML) with the value at path set to value.
func withValue(t *testing.T, path, value string) []byte {
	t.Helper()
	doc := map[string]any{
		"sources": []any{map[string]any{"name": "a", "provider": "hmac", "secrets": []any{"base-s3cret"}}},
	}
	m := doc
	steps := strings.Split(path, ".")
	for i, step := range steps {
		key, isList := strings.CutSuffix(step, "[0]")
		last := i == len(steps)-1
		switch {
		case last && isList:
			m[key] = []any{value}
		case last:
			m[key] = value
		case isList:
			if _, ok := m[key]; !ok {
				m[key] = []any{map[string]any{}}
			}
			m = m[key].([]any)[0].(map[string]any)
		default:
			if _, ok := m[key]; !ok {
				m[key] = map[string]any{}
			}
			m = m[key].(map[string]any)
		}
	}
	data, err := yaml.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// echoingCheck stands for provider code that quotes the values it rejects, as bridge/provider
// does: config must cut them out.
func echoingCheck(s settings.Source) error {
	var errs []error
	for _, v := range []struct{ field, value string }{
		{"type_prefix", s.TypePrefix}, {"hmac.header", s.HMAC.Header}, {"hmac.algorithm", s.HMAC.Algorithm},
		{"hmac.encoding", s.HMAC.Encoding}, {"hmac.prefix", s.HMAC.Prefix}, {"hmac.id", s.HMAC.ID},
		{"hmac.type", s.HMAC.Type}, {"hmac.source", s.HMAC.Source}, {"hmac.subject", s.HMAC.Subject},
		{"hmac.time", s.HMAC.Time},
	} {
		if v.value != "" {
			errs = append(errs, fmt.Errorf("%s: %q is not acceptable", v.field, v.value))
		}
	}
	return errors.Join(errs...)
}

var testProviders = settings.ProviderCheck{Names: []string{"shopify", "hmac"}, Check: echoingCheck}

// An error never shows a value that came from ${VAR}: it names the field and the variable.
// Every field of the file, one at a time and all at once.
func TestErrorsNeverShowEnvValues(t *testing.T) {
	env := getenvFrom(map[string]string{"SECRET": envSecret})
	paths := leaves(reflect.TypeFor[settings.Config](), "")
	if len(paths) < 30 {
		t.Fatalf("found only %d fields: %q", len(paths), paths)
	}
	dir := t.TempDir()
	rejected := 0
	for _, path := range paths {
		_, err := settings.Parse(withValue(t, path, "${SECRET}"), dir, env, testProviders)
		if err == nil {
			continue // a field that takes any text: store_dir, a secret, a prefix
		}
		rejected++
		msg := err.Error()
		if strings.Contains(msg, envSecret) || strings.Contains(msg, "s3cret") {
			t.Errorf("%s from ${SECRET}: the error shows the value:\n%s", path, msg)
		}
		if !strings.Contains(msg, "${SECRET}") && !strings.HasPrefix(path, "sources[0].secrets") {
			t.Errorf("%s from ${SECRET}: the error does not name the variable:\n%s", path, msg)
		}
		field := path[strings.LastIndexAny(path, ".]")+1:]
		if !strings.Contains(msg, field) {
			t.Errorf("%s from ${SECRET}: the error does not name the field:\n%s", path, msg)
		}
	}
	if rejected < 20 {
		t.Errorf("only %d of %d fields rejected the value: the test no longer tests much", rejected, len(paths))
	}

	// All at once: one field of each kind spoils nothing for the others.
	all := map[string]any{}
	for _, path := range paths {
		var one map[string]any
		if err := yaml.Unmarshal(withValue(t, path, "${SECRET}"), &one); err != nil {
			t.Fatal(err)
		}
		merge(all, one)
	}
	data, err := yaml.Marshal(all)
	if err != nil {
		t.Fatal(err)
	}
	_, err = settings.Parse(data, dir, env, testProviders)
	if err == nil {
		t.Fatal("a config with ${SECRET} in every field was accepted")
	}
	if strings.Contains(err.Error(), "s3cret") {
		t.Errorf("the error shows the value:\n%s", err)
	}
	if n := strings.Count(err.Error(), "${SECRET}"); n < 20 {
		t.Errorf("only %d problems name ${SECRET}, want one per rejected field:\n%s", n, err)
	}
}

// merge adds src's keys to dst, recursing into maps and the first item of lists.
func merge(dst, src map[string]any) {
	for k, v := range src {
		switch v := v.(type) {
		case map[string]any:
			d, ok := dst[k].(map[string]any)
			if !ok {
				dst[k] = v
				continue
			}
			merge(d, v)
		case []any:
			d, ok := dst[k].([]any)
			sm, smOK := v[0].(map[string]any)
			if !ok || !smOK {
				dst[k] = v
				continue
			}
			merge(d[0].(map[string]any), sm)
		default:
			dst[k] = v
		}
	}
}

// A literal value in the file is shown; its neighbour from ${VAR} is not.
func TestLiteralValuesAreShown(t *testing.T) {
	data := `log: {level: verbose, format: "${FORMAT}"}
sources: [{name: a, provider: hmac, secrets: [x], hmac: {header: "bad header", algorithm: "${ALGO}"}}]
`
	env := getenvFrom(map[string]string{"FORMAT": "x-format", "ALGO": "x-algo"})
	_, err := settings.Parse([]byte(data), "", env, testProviders)
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{
		`log.level: "verbose" is not one of`,
		"log.format: the value of ${FORMAT} is not one of",
		`sources[0] "a": hmac.header: "bad header" is not acceptable`,
		`sources[0] "a": hmac.algorithm: the value of ${ALGO} is not acceptable`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%s", want, err)
		}
	}
	if strings.Contains(err.Error(), "x-format") || strings.Contains(err.Error(), "x-algo") {
		t.Errorf("error shows a value from the environment:\n%s", err)
	}
}

// A value from ${VAR} elsewhere in a source never costs the message about a literal one, even
// when its text occurs in that message ("de" occurs in "default").
func TestLiteralToleranceShownBesideEnvValues(t *testing.T) {
	data := `sources: [{name: "${NAME}", provider: shopify, secrets: [abc], tolerance: -5m}]
`
	for _, env := range []map[string]string{{"NAME": "de"}, {"NAME": "provider"}} {
		_, err := settings.Parse([]byte(data), "", getenvFrom(env), testProviders)
		want := "sources[0]: tolerance: must not be negative (got -5m0s; 0 means the provider's default)"
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("NAME=%s: error %v, want it to hold %q", env["NAME"], err, want)
		}
	}
	env := getenvFrom(map[string]string{"TOL": "-7m"})
	_, err := settings.Parse([]byte(strings.Replace(data, "-5m", `"${TOL}"`, 1)), "", env, testProviders)
	if want := "tolerance: must not be negative (got the value of ${TOL};"; err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "7m") {
		t.Errorf("tolerance from ${TOL}: error %v, want it to hold %q and not the value", err, want)
	}
}

// A provider check that prints a value in a form config cannot recognise loses its details, and
// one that prints a secret (it must not, but config does not rely on it) never shows it.
func TestProviderCheckErrorsNeverShowHiddenValues(t *testing.T) {
	for _, tc := range []struct {
		name, secrets, algorithm string
		check                    func(settings.Source) error
		want                     string
	}{
		{
			name: "unquoted value from env", secrets: "[x]", algorithm: "${ALGO}",
			check: func(s settings.Source) error { return fmt.Errorf("hmac.algorithm: %s is unknown", s.HMAC.Algorithm) },
			want:  "invalid (the details are not shown",
		},
		{
			name: "quoted literal secret", secrets: "[lit-s3cret]", algorithm: "sha256",
			check: func(s settings.Source) error { return fmt.Errorf("secrets[0]: %q is weak", s.Secrets[0]) },
			want:  "secrets[0]: a secret is weak",
		},
		{
			name: "unquoted secret from env", secrets: `["${SECRET}"]`, algorithm: "sha256",
			check: func(s settings.Source) error { return fmt.Errorf("bad key %s", s.Secrets[0]) },
			want:  "invalid (the details are not shown",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := fmt.Sprintf("sources: [{name: a, provider: hmac, secrets: %s, hmac: {algorithm: %q}}]", tc.secrets, tc.algorithm)
			env := getenvFrom(map[string]string{"ALGO": "md5-from-env", "SECRET": "env-s3cret"})
			_, err := settings.Parse([]byte(data), "", env, settings.ProviderCheck{Check: tc.check})
			if err == nil {
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), `sources[0] "a": `) {
				t.Errorf("got %q, want it to contain %q", err, tc.want)
			}
			for _, leak := range []string{"md5-from-env", "s3cret"} {
				if strings.Contains(err.Error(), leak) {
					t.Errorf("error shows %q: %s", leak, err)
				}
			}
		})
	}
}

// One report holds every problem: a value that cannot be decoded hides neither an unknown
// provider nor the provider's own checks, and adds no second error about its zero value.
func TestAllProblemsAtOnce(t *testing.T) {
	data := `log: {level: verbose}
nats: {duplicate_window: 5x}
sources:
  - name: shop
    provider: shopfy
    secrets: [x]
    tolerance: ${TOLERANCE}
  - name: partner
    provider: hmac
    secrets: ["${PARTNER_SECRET}"]
  - name: signer
    provider: hmac
    secrets: [x]
    hmac: {algorithm: md5}
`
	env := getenvFrom(map[string]string{"TOLERANCE": "forever"})
	_, err := settings.Parse([]byte(data), "", env, testProviders)
	if err == nil {
		t.Fatal("accepted")
	}
	want := []string{
		`line 2: nats.duplicate_window: "5x" is not a duration`,
		"line 7: sources[0].tolerance: the value of ${TOLERANCE} is not a duration",
		"line 10: sources[1].secrets[0]: environment variable PARTNER_SECRET is not set",
		`log.level: "verbose" is not one of debug, info, warn or error`,
		`sources[0] "shop": provider: "shopfy" is not one of shopify or hmac`,
		`sources[2] "signer": hmac.algorithm: "md5" is not acceptable`,
	}
	got := strings.Split(err.Error(), "\n")
	if len(got) != len(want) {
		t.Fatalf("got %d problems, want %d:\n%s", len(got), len(want), err)
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("problem %d:\n got %s\nwant %s...", i, got[i], want[i])
		}
	}
}

func TestValueError(t *testing.T) {
	data := `http: {listen: "${ADDR}"}
admin: {listen: "127.0.0.1:9999"}
nats: {embedded: {store_dir: "${DIR}/js"}}
sources: [{name: a, provider: p, secrets: [x]}]
`
	cfg, err := settings.Parse([]byte(data), "", getenvFrom(map[string]string{"ADDR": "h1dden:8080", "DIR": "/h1dden"}))
	if err != nil {
		t.Fatal(err)
	}
	inUse := &net.OpError{Op: "listen", Net: "tcp", Addr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8080},
		Err: os.NewSyscallError("bind", syscall.EADDRINUSE)}
	notDir := fmt.Errorf("store dir: %w", &fs.PathError{Op: "mkdir", Path: "/h1dden", Err: syscall.ENOTDIR})
	for _, tc := range []struct {
		path, value string
		err         error
		want        string
	}{
		{"http.listen", cfg.HTTP.Listen, inUse, "http.listen: listen tcp the value of ${ADDR}: bind: address already in use"},
		{"http.listen", cfg.HTTP.Listen, &net.OpError{Op: "listen", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: "h1dden"}},
			"http.listen: listen tcp the value of ${ADDR}: lookup the value of ${ADDR}: no such host"},
		{"http.listen", cfg.HTTP.Listen, errors.New("cannot listen on h1dden:8080 now"), "http.listen: cannot listen on the value of ${ADDR} now"},
		{"admin.listen", cfg.Admin.Listen, inUse, "admin.listen: listen tcp 127.0.0.1:8080: bind: address already in use"},
		{"nats.embedded.store_dir", cfg.NATS.Embedded.StoreDir, notDir, `nats.embedded.store_dir: mkdir the value of "${DIR}/js": not a directory`},
	} {
		got := cfg.ValueError(tc.path, tc.value, tc.err)
		if got.Error() != tc.want {
			t.Errorf("ValueError(%s):\n got %q\nwant %q", tc.path, got, tc.want)
		}
		if !errors.Is(got, tc.err) {
			t.Errorf("ValueError(%s) does not wrap its cause", tc.path)
		}
		if strings.Contains(got.Error(), "h1dden") {
			t.Errorf("ValueError(%s) shows the value: %q", tc.path, got)
		}
	}
	if !errors.Is(cfg.ValueError("http.listen", cfg.HTTP.Listen, inUse), syscall.EADDRINUSE) {
		t.Error("the cause's errno is lost")
	}
}
