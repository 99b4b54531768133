package config_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookbridge/hookbridge/internal/config"
)

// The decoder is exercised through hookbridge's whole file in cmd/internal/settings; these
// tests pin what any caller's struct gets.

func getenvFrom(env map[string]string) func(string) string {
	return func(k string) string { return env[k] }
}

// part stands for a component's struct that another's section holds inline.
type part struct {
	Stream   string        `yaml:"stream"`
	Replicas int           `yaml:"replicas"`
	Window   time.Duration `yaml:"duplicate_window"`
}

type section struct {
	URL     string `yaml:"url"`
	Part    part   `yaml:",inline"`
	Timeout time.Duration
	Clock   func() time.Time `yaml:"-"`
}

type file struct {
	NATS    section `yaml:"nats"`
	Servers []struct {
		Name string `yaml:"name"`
		part `yaml:",inline"`
	} `yaml:"servers"`
}

func TestInline(t *testing.T) {
	data := `nats:
  url: nats://a
  stream: ${STREAM}
  replicas: 3
  timeout: 2s
servers:
  - {name: a, stream: S, duplicate_window: 1m}
`
	var got file
	f, err := config.Parse([]byte(data), getenvFrom(map[string]string{"STREAM": "FROM_ENV"}), &got)
	if err != nil {
		t.Fatal(err)
	}
	if got.NATS.Part != (part{Stream: "FROM_ENV", Replicas: 3}) || got.NATS.URL != "nats://a" || got.NATS.Timeout != 2*time.Second {
		t.Errorf("nats = %+v", got.NATS)
	}
	if s := got.Servers[0]; s.Name != "a" || s.Stream != "S" || s.Window != time.Minute {
		t.Errorf("servers[0] = %+v", s)
	}
	// An inline field's keys are paths of the mapping that holds it.
	if !f.FromEnv("nats.stream") || f.FromEnv("nats.replicas") {
		t.Errorf("FromEnv: nats.stream %v, nats.replicas %v", f.FromEnv("nats.stream"), f.FromEnv("nats.replicas"))
	}
	if want := (config.Expansions{{Path: "nats.stream", Text: "${STREAM}"}}); fmt.Sprint(f.Expansions()) != fmt.Sprint(want) {
		t.Errorf("Expansions = %v, want %v", f.Expansions(), want)
	}

	for _, tc := range []struct{ data, want string }{
		{"nats: {streem: X}", `line 1: unknown key "streem" in nats (did you mean "stream"?)`},
		{"nats: {part: {stream: X}}", `line 1: unknown key "part" in nats`},
		{"nats: {clock: x}", `line 1: unknown key "clock" in nats`},
		{"servers: [{name: a, replicas: many}]", `line 1: servers[0].replicas: "many" is not a whole number`},
		{"- nats", "line 1: expected a mapping of sections (nats, servers) at the top level, found a list"},
	} {
		var into file
		f, err := config.Parse([]byte(tc.data), nil, &into)
		if f == nil || err == nil || err.Error() != tc.want {
			t.Errorf("Parse(%q) = %v, %v; want a *Fields and %q", tc.data, f, err, tc.want)
		}
	}
}

func TestMap(t *testing.T) {
	type withMap struct {
		Headers map[string]string `yaml:"headers"`
	}
	data := "headers:\n  Authorization: \"Bearer ${TOKEN}\"\n  X-Team: payments\n"
	var got withMap
	f, err := config.Parse([]byte(data), getenvFrom(map[string]string{"TOKEN": "s3cret"}), &got)
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{"Authorization": "Bearer s3cret", "X-Team": "payments"}; fmt.Sprint(got.Headers) != fmt.Sprint(want) {
		t.Errorf("headers = %v, want %v", got.Headers, want)
	}
	// A value that used ${VAR} is known by its path, so that no message shows it.
	if !f.FromEnv("headers.Authorization") || f.FromEnv("headers.X-Team") {
		t.Errorf("FromEnv: Authorization %v, X-Team %v", f.FromEnv("headers.Authorization"), f.FromEnv("headers.X-Team"))
	}
	if s := f.Show("headers.Authorization", got.Headers["Authorization"]); strings.Contains(s, "s3cret") {
		t.Errorf("Show = %s", s)
	}

	for _, tc := range []struct{ data, want string }{
		{"headers: [a]", "line 1: headers: expected a mapping, found a list"},
		{"headers: {a: [b]}", "line 1: headers.a: expected a string, found a list"},
		{"headers: {a: x, a: y}", `line 1: duplicate key "a" in headers (first at line 1)`},
		{"headers: {\"\": x}", "line 1: headers: a key must be a plain, non-empty name"},
		{"headers: {a: \"${UNSET}\"}", "line 1: headers.a: environment variable UNSET is not set"},
	} {
		var into withMap
		f, err := config.Parse([]byte(tc.data), nil, &into)
		if f == nil || err == nil || err.Error() != tc.want {
			t.Errorf("Parse(%q) = %v; want %q", tc.data, err, tc.want)
		}
	}
}

// TestPointer: a pointer tells a value left out from a zero one; null and an expansion to the
// empty string leave it nil, as they leave other fields at their zero value, so that the
// caller's default (such as true) applies.
func TestPointer(t *testing.T) {
	type withPointer struct {
		Enabled *bool `yaml:"enabled"`
	}
	env := getenvFrom(map[string]string{"ON": "false"})
	for _, tc := range []struct {
		data string
		want string // "nil", "true" or "false"
	}{
		{"{}", "nil"},
		{"enabled: ~", "nil"},
		{"enabled: \"${OFF:-}\"", "nil"},
		{"enabled: false", "false"},
		{"enabled: true", "true"},
		{"enabled: \"${ON}\"", "false"},
	} {
		var got withPointer
		if _, err := config.Parse([]byte(tc.data), env, &got); err != nil {
			t.Fatalf("Parse(%q): %v", tc.data, err)
		}
		s := "nil"
		if got.Enabled != nil {
			s = fmt.Sprint(*got.Enabled)
		}
		if s != tc.want {
			t.Errorf("Parse(%q): %s, want %s", tc.data, s, tc.want)
		}
	}
	var got withPointer
	if _, err := config.Parse([]byte("enabled: yes please"), nil, &got); err == nil || err.Error() != `line 1: enabled: "yes please" is not true or false` {
		t.Errorf("a bad value: %v", err)
	}
}

func TestIgnoreUnknownKeys(t *testing.T) {
	data := "log: {level: \"${UNSET}\"}\nservers: [{name: a, stream: \"${S:-dev}\", tolerance: x}]\n"
	var got file
	f, err := config.Parse([]byte(data), nil, &got, config.IgnoreUnknownKeys())
	if err != nil {
		t.Fatal(err)
	}
	if got.Servers[0].Stream != "dev" {
		t.Errorf("servers[0] = %+v", got.Servers[0])
	}
	if want := []config.Fallback{{Path: "servers[0].stream", Var: "S"}}; fmt.Sprint(f.Fallbacks()) != fmt.Sprint(want) {
		t.Errorf("Fallbacks = %v, want %v", f.Fallbacks(), want)
	}
	if _, err := config.Parse([]byte(data), nil, &got); err == nil || !strings.Contains(err.Error(), `unknown key "log"`) {
		t.Errorf("without the option: %v", err)
	}
}

// TestIgnoreOtherSections: other sections pass unread; the ones read stay strict.
func TestIgnoreOtherSections(t *testing.T) {
	var got file
	_, err := config.Parse([]byte("log: {level: \"${UNSET}\"}\nnats: {url: nats://a}\n"), nil, &got, config.IgnoreOtherSections())
	if err != nil || got.NATS.URL != "nats://a" {
		t.Errorf("Parse = %v, nats.url %q", err, got.NATS.URL)
	}
	_, err = config.Parse([]byte("log: x\nnats: {ulr: nats://a}\n"), nil, &got, config.IgnoreOtherSections())
	if err == nil || err.Error() != `line 2: unknown key "ulr" in nats (did you mean "url"?)` {
		t.Errorf("a misspelt key in a section read: %v", err)
	}
}

func TestNotAStruct(t *testing.T) {
	var m map[string]string
	for _, into := range []any{nil, file{}, &m, (*file)(nil)} {
		if f, err := config.Parse([]byte("a: b"), nil, into); f != nil || err == nil {
			t.Errorf("Parse into %T = %v, %v; want an error", into, f, err)
		}
	}
}

func TestNoConfig(t *testing.T) {
	dir := t.TempDir()
	var into file
	missing := filepath.Join(dir, "x.yaml")
	if f, err := config.Load(missing, nil, &into); f != nil || !errors.Is(err, config.ErrNoConfig) {
		t.Errorf("missing: %v, %v", f, err)
	}
	if err := os.WriteFile(missing, []byte("# nothing\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if f, err := config.Load(missing, nil, &into); f != nil || err == nil || err.Error() != "config file "+missing+" is empty: pass --config FILE or set HOOKBRIDGE_CONFIG" {
		t.Errorf("empty: %v, %v", f, err)
	}
}

func TestPath(t *testing.T) {
	env := getenvFrom(map[string]string{"HOOKBRIDGE_CONFIG": "/etc/hookbridge.yaml"})
	none := getenvFrom(nil)
	for _, tc := range []struct {
		flag   string
		getenv func(string) string
		want   string
	}{
		{"custom.yaml", env, "custom.yaml"},
		{"", env, "/etc/hookbridge.yaml"},
		{"", none, "hookbridge.yaml"},
		{"", nil, "hookbridge.yaml"},
	} {
		if got := config.Path(tc.flag, tc.getenv); got != tc.want {
			t.Errorf("Path(%q) = %q, want %q", tc.flag, got, tc.want)
		}
	}
}

// A component's check sees paths relative to its part and writes messages with the full path;
// values from ${VAR} are named, not shown, and a field that failed to decode is bad.
func TestFieldsView(t *testing.T) {
	data := "nats: {url: \"${URL}\", replicas: x, stream: S}\n"
	var into file
	f, err := config.Parse([]byte(data), getenvFrom(map[string]string{"URL": "h1dden"}), &into)
	if f == nil || err == nil {
		t.Fatalf("Parse = %v, %v", f, err)
	}
	nats := f.At("nats")
	for _, tc := range []struct{ got, want string }{
		{nats.Path("url"), "nats.url"},
		{nats.At("embedded").Path("listen"), "nats.embedded.listen"},
		{f.At("servers[1]").Path("name"), "servers[1].name"},
		{f.At("servers").Path("[1]"), "servers[1]"},
		{nats.Path(""), "nats"},
		{nats.Show("url", "h1dden"), "the value of ${URL}"},
		{nats.Show("stream", "S"), `"S"`},
		{nats.Show("window", 90*time.Second), "1m30s"},
		{fmt.Sprint(nats.FromEnv("url"), nats.FromEnv("stream")), "true false"},
		{fmt.Sprint(nats.Bad("replicas"), nats.Bad("stream"), f.Bad("nats"), nats.Bad("")), "true false true true"},
		{fmt.Sprint(f.At("servers").Bad("")), "false"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
	// A nil *Fields knows nothing, at the top of the file or at the path asked for.
	var none *config.Fields
	if got := none.At("http").Path("listen"); got != "http.listen" {
		t.Errorf("nil At.Path = %q", got)
	}
	if got := none.Show("url", "h1dden"); got != `"h1dden"` || none.FromEnv("url") || none.Bad("url") {
		t.Errorf("nil Fields: %q", got)
	}
}

func TestScrub(t *testing.T) {
	data := "servers: [{name: \"${NAME}\", stream: S, duplicate_window: \"${WINDOW}\"}]\n"
	var into file
	f, err := config.Parse([]byte(data), getenvFrom(map[string]string{"NAME": "n4me", "WINDOW": "-90s"}), &into)
	if err != nil {
		t.Fatal(err)
	}
	s := f.At("servers[0]")
	for _, tc := range []struct {
		err  error
		want string
	}{
		{fmt.Errorf("name %q is taken", "n4me"), "name the value of ${NAME} is taken"},
		{fmt.Errorf("window: %s is negative", -90*time.Second), "window: the value of ${WINDOW} is negative"},
		{fmt.Errorf("stream %q with key %q", "S", "k3y"), "stream \"S\" with key a secret"},
		{fmt.Errorf("name n4me, unquoted"), "invalid (the details are not shown: they hold a secret or a value from the environment)"},
		{fmt.Errorf("key k3y, unquoted"), "invalid (the details are not shown: they hold a secret or a value from the environment)"},
		// A part of a value quoted on its own is not the value's quoted form.
		{fmt.Errorf("name %q: part %q", "n4me", "4m"), "invalid (the details are not shown: they hold a secret or a value from the environment)"},
		{fmt.Errorf("secret part %q", "k3"), "invalid (the details are not shown: they hold a secret or a value from the environment)"},
		{errors.New("nothing to hide"), "nothing to hide"},
	} {
		got := s.Scrub(tc.err, &into.Servers[0], []string{"k3y"})
		if got.Error() != tc.want || !errors.Is(got, tc.err) && !strings.HasPrefix(tc.want, "invalid") {
			t.Errorf("Scrub(%q) = %q, want %q", tc.err, got, tc.want)
		}
	}
	if s.Scrub(nil, &into.Servers[0], nil) != nil {
		t.Error("Scrub(nil) is not nil")
	}
}

func ExampleParse() {
	// A component owns its part of the file: its keys are its yaml tags.
	type embedded struct {
		Listen   string `yaml:"listen"`
		StoreDir string `yaml:"store_dir"`
	}
	var file struct {
		NATS struct {
			Embedded embedded `yaml:"embedded"`
		} `yaml:"nats"`
	}
	data := []byte("nats:\n  embedded: {listen: \"${HOST:-127.0.0.1}:4222\", store_dir: /data}\n")
	f, err := config.Parse(data, func(string) string { return "" }, &file)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(file.NATS.Embedded.Listen, file.NATS.Embedded.StoreDir)
	for _, fb := range f.Fallbacks() {
		fmt.Printf("%s uses the default of unset %s\n", fb.Path, fb.Var)
	}
	// A check names the field by its path and never shows a value from ${VAR}.
	fmt.Println(config.CheckListen(f.At("nats.embedded"), "listen", "h1dden"))
	// Output:
	// 127.0.0.1:4222 /data
	// nats.embedded.listen uses the default of unset HOST
	// nats.embedded.listen: the value of "${HOST:-127.0.0.1}:4222" is not host:port (e.g. 127.0.0.1:8080 or :8080)
}
