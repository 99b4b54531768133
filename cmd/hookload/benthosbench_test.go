package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.yaml.in/yaml/v3"

	"github.com/hookbridge/hookbridge/bridge"
	"github.com/hookbridge/hookbridge/cmd/internal/settings"
	"github.com/hookbridge/hookbridge/internal/natstest"
)

// TestBenthosSources: Benthos verifies the bench's default sources with
// the very secrets and tolerance hookbridge is configured with, so that
// both are given the same deliveries and do the same work.
func TestBenthosSources(t *testing.T) {
	dir := t.TempDir()
	cfg, err := settings.Parse([]byte(benchConfig(benchPorts{http: 1, admin: 2, nats: 3, otlp: 4}, "", dir, false, "info")), dir, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range benthosSources {
		names = append(names, s.name)
		i := slices.IndexFunc(cfg.Sources, func(c settings.Source) bool { return c.Name == s.name })
		if i < 0 {
			t.Fatalf("source %s is not in the bench config", s.name)
		}
		c := cfg.Sources[i]
		if c.Kind != s.kind || !slices.Equal(c.Secrets, []string{s.secret}) {
			t.Errorf("%s: Benthos has %s with its secret, hookbridge %s with %d secrets (or another)", s.name, s.kind, c.Kind, len(c.Secrets))
		}
		if s.kind == "stripe" && c.Tolerance != benthosStripeTolerance {
			t.Errorf("%s: tolerance %s for hookbridge, %s for Benthos", s.name, c.Tolerance, benthosStripeTolerance)
		}
	}
	var f benchFlags
	f.register(flag.NewFlagSet("bench", flag.ContinueOnError))
	if got := strings.Join(names, ","); got != f.sources {
		t.Errorf("Benthos verifies %s, the bench's default load is %s", got, f.sources)
	}
}

// TestBenthosConfig: the config the bench gives Benthos listens on the
// variant's HTTP port, takes every source's path, publishes to the
// variant's nats-server with the chosen max_in_flight, and for e routes
// every source through its mapping and rejects what errored.
func TestBenthosConfig(t *testing.T) {
	const natsURL = "nats://127.0.0.1:4222"
	for _, key := range []string{"e", "e-plain"} {
		v := optInVariants[slices.IndexFunc(optInVariants, func(v variant) bool { return v.key == key })]
		var cfg struct {
			HTTP struct {
				Address string `yaml:"address"`
			} `yaml:"http"`
			Input struct {
				HTTPServer struct {
					Path string `yaml:"path"`
				} `yaml:"http_server"`
			} `yaml:"input"`
			Pipeline struct {
				Processors []struct {
					Switch []struct {
						Check      string           `yaml:"check"`
						Processors []map[string]any `yaml:"processors"`
					} `yaml:"switch"`
				} `yaml:"processors"`
			} `yaml:"pipeline"`
			Output map[string]any `yaml:"output"`
		}
		if err := yaml.Unmarshal([]byte(benthosConfig(v, 8080, natsURL, 17)), &cfg); err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		if cfg.HTTP.Address != "127.0.0.1:8080" || cfg.Input.HTTPServer.Path != "/webhooks/{source}" {
			t.Errorf("%s: listens on %q, path %q", key, cfg.HTTP.Address, cfg.Input.HTTPServer.Path)
		}
		out := cfg.Output
		if v.benthos.verify {
			if len(cfg.Pipeline.Processors) != 1 || len(cfg.Pipeline.Processors[0].Switch) != len(benthosSources)+1 {
				t.Fatalf("%s: processors %+v: want one switch with a case per source and a last one", key, cfg.Pipeline.Processors)
			}
			for i, s := range benthosSources {
				c := cfg.Pipeline.Processors[0].Switch[i]
				if c.Check != fmt.Sprintf("@source == %q", s.name) || len(c.Processors) != 1 || !strings.HasPrefix(c.Processors[0]["mapping"].(string), "root = content()\n") {
					t.Errorf("%s: case %d: %+v", key, i, c)
				}
			}
			if last := cfg.Pipeline.Processors[0].Switch[len(benthosSources)]; last.Check != "" || !strings.Contains(fmt.Sprint(last.Processors), "throw") {
				t.Errorf("%s: an unknown source is not refused: %+v", key, last)
			}
			cases := out["switch"].(map[string]any)["cases"].([]any)
			refuse, publish := cases[0].(map[string]any), cases[1].(map[string]any)
			if refuse["check"] != "errored()" || refuse["output"].(map[string]any)["reject"] == nil || publish["check"] != nil {
				t.Errorf("%s: output %+v: want errored() rejected, the rest published", key, out)
			}
			out = publish["output"].(map[string]any)
		}
		js, ok := out["nats_jetstream"].(map[string]any)
		if !ok {
			t.Fatalf("%s: output %+v", key, out)
		}
		// e's subject is the one its mapping built; e-plain's is one per
		// source, within the stream's subjects too.
		subject, _ := js["subject"].(string)
		wantSubject := subject == "${! @nats_subject }"
		if !v.benthos.verify {
			wantSubject = strings.HasPrefix(subject, bridge.DefaultSubjectPrefix+".")
		}
		if urls, _ := js["urls"].([]any); !slices.Equal(urls, []any{natsURL}) || js["max_in_flight"] != 17 || !wantSubject {
			t.Errorf("%s: nats_jetstream %+v", key, js)
		}
		headers, _ := js["headers"].(map[string]any)
		_, hasID := headers["Nats-Msg-Id"]
		if hasID != v.benthos.verify {
			t.Errorf("%s: Nats-Msg-Id set %t", key, hasID)
		}
	}
}

func TestTamper(t *testing.T) {
	for in, want := range map[string]string{`{"a":"xyz"}`: `{"a":"xya"}`, `{"n":1}`: `{"o":1}`, `{}`: `{} `} {
		if got := string(tamper([]byte(in))); got != want {
			t.Errorf("tamper(%s) = %s, want %s", in, got, want)
		}
	}
}

// TestBenthosVerifies runs the Benthos of variant e against a real
// nats-server: a delivery of each source signed as its platform signs is
// answered 200 and stored once under the subject and Nats-Msg-Id
// hookbridge would give it, the body unchanged; one altered after signing,
// a stale Stripe one and one for an unknown source are refused and not
// stored. It builds the nested module (about 40s cold), so it runs with
// the bench smoke test only.
func TestBenthosVerifies(t *testing.T) {
	if os.Getenv("HOOKLOAD_BENCH_SMOKE") == "" {
		t.Skip("set HOOKLOAD_BENCH_SMOKE=1 to build Benthos and run it (~40s the first time)")
	}
	ctx := t.Context()
	b := &benchRun{f: benchFlags{sources: "acme-shop,acme-woo,billing"}, work: t.TempDir()}
	gomod, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatal(err)
	}
	b.modRoot = filepath.Dir(strings.TrimSpace(string(gomod)))
	bin := filepath.Join(b.work, "benthos")
	if err := b.buildBenthos(ctx, bin); err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(b.work, "sources.yaml")
	if err := os.WriteFile(cfgPath, []byte(benchConfig(benchPorts{http: 1, admin: 2, nats: 3, otlp: 4}, "", b.work, false, "warn")), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := settings.Load(cfgPath, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if b.mix, err = parseMix(b.f.sources, cfg); err != nil {
		t.Fatal(err)
	}

	ns := natstest.Start(t)
	natsURL := "nats://" + ns.Listen
	if err := createBenchStream(ctx, natsURL); err != nil {
		t.Fatal(err)
	}
	_, js := ns.Connect(t)
	st, err := js.Stream(ctx, bridge.DefaultStream)
	if err != nil {
		t.Fatal(err)
	}
	port, err := freePorts(1)
	if err != nil {
		t.Fatal(err)
	}
	v := optInVariants[slices.IndexFunc(optInVariants, func(v variant) bool { return v.key == "e" })]
	conf := filepath.Join(b.work, "benthos.yaml")
	if err := os.WriteFile(conf, []byte(benthosConfig(v, port[0], natsURL, 4)), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := startChild("benthos", b.work, nil, bin, "-c", conf)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.stop(15 * time.Second) })
	base := fmt.Sprintf("http://127.0.0.1:%d", port[0])
	if err := c.waitReady(ctx, 30*time.Second, "/ready 200", func() bool { return httpOK(base + "/ready") }); err != nil {
		t.Fatal(err)
	}

	ds, err := b.mix.generate("verify-", len(b.mix.schedule), 512, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for i, d := range ds {
		src := b.mix.sources[b.mix.schedule[i]]
		status, body, err := postDelivery(ctx, base, d.path, d.body, d.header)
		if err != nil || status != 200 {
			t.Fatalf("%s signed: %d %q %v, want 200", src.name, status, body, err)
		}
		ev, err := src.provider.Extract(d.body, d.header)
		if err != nil {
			t.Fatal(err)
		}
		m, err := st.GetMsg(ctx, uint64(i+1))
		if err != nil {
			t.Fatalf("%s: %v", src.name, err)
		}
		wantSubject := bridge.DefaultSubjectPrefix + "." + src.kind + "." + src.name + "." + bridge.TypeSubject(ev.Type)
		if m.Subject != wantSubject || m.Header.Get(jetstream.MsgIDHeader) != d.msgID || string(m.Data) != string(d.body) {
			t.Errorf("%s stored on %s with Nats-Msg-Id %q (body unchanged %t), want %s and %q",
				src.name, m.Subject, m.Header.Get(jetstream.MsgIDHeader), string(m.Data) == string(d.body), wantSubject, d.msgID)
		}
	}
	// The same deliveries again: platform retries, dropped by the broker.
	for _, d := range ds {
		if status, body, err := postDelivery(ctx, base, d.path, d.body, d.header); err != nil || status != 200 {
			t.Fatalf("%s retried: %d %q %v, want 200", d.path, status, body, err)
		}
	}

	stale, err := b.mix.generate("stale-", len(b.mix.schedule), 512, time.Now().Add(-benthosStripeTolerance-time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	type refusal struct {
		what, path, why string
		d               delivery
	}
	var refused []refusal
	for _, d := range ds {
		bad := d
		bad.body = tamper(d.body)
		refused = append(refused, refusal{"altered after signing", d.path, "bad signature", bad})
	}
	for i, d := range stale {
		if b.mix.sources[b.mix.schedule[i]].kind == "stripe" {
			refused = append(refused, refusal{"signed more than the tolerance ago", d.path, "stale signature", d})
		}
	}
	refused = append(refused, refusal{"for an unknown source", "/webhooks/other", "no such source", ds[0]})
	for _, r := range refused {
		status, body, err := postDelivery(ctx, base, r.path, r.d.body, r.d.header)
		if err != nil || status/100 == 2 || !strings.Contains(body, r.why) {
			t.Errorf("%s %s: %d %q %v, want a refusal for %q", r.path, r.what, status, body, err, r.why)
		}
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != uint64(len(ds)) {
		t.Errorf("%d messages stored, want %d: a retry or a refused delivery was stored", info.State.Msgs, len(ds))
	}
}

// TestBenthosTargets: with e in the run, hookbridge external and embedded
// are held against it, each by the median of the ratios within a round;
// e's row gives Benthos's CPU and RSS in the server columns.
func TestBenthosTargets(t *testing.T) {
	b := threeRounds()
	e := optInVariants[slices.IndexFunc(optInVariants, func(v variant) bool { return v.key == "e" })]
	for round, rate := range []float64{400, 500, 600} {
		b.rows = append(b.rows, &benchRow{v: e, round: round + 1, rate: rate, requests: 1000,
			procs: []procFigures{{label: "nats-server", cpu: 30 * time.Millisecond}, {label: "benthos", cpu: 90 * time.Millisecond, hwm: 40 << 20}},
			check: &checkReport{Answered: 100, Once: 100}})
	}
	ss := b.summaries()
	got := b.targets(ss)
	// c: 900/400, 1000/500, 1300/600; d: 800/400, 900/500, 1000/600.
	for _, want := range [][]string{
		{"hookbridge external ≥ 2× Benthos doing the same work", "2.17× (1000 vs 500 req/s)", "yes"},
		{"embedded ≥ 2.5× Benthos doing the same work", "1.80× (900 vs 500 req/s)", "no"},
	} {
		if !slices.ContainsFunc(got, func(r []string) bool { return slices.Equal(r, want) }) {
			t.Errorf("targets lack %q: %q", want, got)
		}
	}
	_, rows := b.summaryTable(ss)
	row := rows[slices.IndexFunc(rows, func(r []string) bool { return strings.HasPrefix(r[0], "e ") })]
	if row[9] != "90.0µs" || row[10] != "30.0µs" || row[12] != "40.0 MiB" {
		t.Errorf("e's row %q: want Benthos's CPU/req and RSS as the server's", row)
	}

	// Beside the summary, c and d against e: the rate ratio within each
	// round, and the CPU per request with the broker (d's is inside it).
	var out bytes.Buffer
	printBenthos(&out, ss, true)
	for _, want := range []string{
		"| c hookbridge + external nats-server | 1000 | 2.17 | 100.0µs | 120.0µs | 1.20 |",
		"| d hookbridge, embedded nats | 900 | 1.80 | 80.0µs | 120.0µs | 1.50 |",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the Benthos table lacks %q:\n%s", want, out.String())
		}
	}

	// Without e, no Benthos target nor table.
	b.rows = slices.DeleteFunc(b.rows, func(r *benchRow) bool { return r.v.key == "e" })
	for _, r := range b.targets(b.summaries()) {
		if strings.Contains(r[0], "Benthos") {
			t.Errorf("a Benthos target without e: %q", r)
		}
	}
	out.Reset()
	if printBenthos(&out, b.summaries(), true); out.Len() > 0 {
		t.Errorf("a Benthos table without e: %s", out.String())
	}
}

// TestBenthosInFlight: Benthos publishes as many messages at once as the
// load has connections, unless told otherwise.
func TestBenthosInFlight(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want int
	}{
		{nil, 64},
		{[]string{"--conns", "8"}, 8},
		{[]string{"--conns", "8", "--benthos-max-in-flight", "1"}, 1},
	} {
		f, _, err := parseBenchFlags(append(tc.args, "--only", "e"), io.Discard)
		if err != nil || f.benthosInFlight != tc.want {
			t.Errorf("%q: max_in_flight %d %v, want %d", tc.args, f.benthosInFlight, err, tc.want)
		}
	}
}
