package service

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookbridge/hookbridge/consumers"
	"github.com/hookbridge/hookbridge/internal/logtest"
	"github.com/hookbridge/hookbridge/internal/natstest"
	"github.com/hookbridge/hookbridge/internal/otlptest"
)

// TestMainTracesFromConfigFile: a sample given a config file (here by
// <NAME>_CONFIG, the default of --config) follows its tracing section
// alone, the file's other sections unread: the endpoint receives the
// consumer span as hookbridge-<name>, and the handler's line, logged with
// its ctx on the logger Start is given, names that span.
func TestMainTracesFromConfigFile(t *testing.T) {
	recv, endpoint := otlptest.Start(t)
	path := filepath.Join(t.TempDir(), "hookbridge.yaml")
	file := fmt.Sprintf("log: {level: chatty}\nsources: []\ntracing: {endpoint: %q}\n", endpoint)
	if err := os.WriteFile(path, []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	ns := natstest.Start(t)
	_, js := ns.Connect(t)
	if _, err := js.CreateStream(t.Context(), jetstream.StreamConfig{Name: "DEMO", Subjects: []string{"demo.>"}}); err != nil {
		t.Fatal(err)
	}
	getenv := func(k string) string {
		if k == "DEMO_CONFIG" {
			return path
		}
		return ""
	}

	ctx, stop := context.WithCancel(t.Context())
	defer stop()
	var stdout logtest.Buffer
	done := make(chan error, 1)
	go func() {
		done <- Main(ctx, []string{"--nats", "nats://" + ns.Listen, "--listen", "127.0.0.1:0"}, getenv, &stdout, io.Discard, Sample{
			Name: "demo",
			Start: func(_ context.Context, _ jetstream.JetStream, log *slog.Logger) (Domain, error) {
				return Domain{
					Read:     http.NotFoundHandler(),
					Consumer: consumers.Config{Stream: "DEMO", Name: "demo", FilterSubjects: []string{"demo.>"}},
					Handle: func(ctx context.Context, ev event.Event) error {
						log.InfoContext(ctx, "handled", "id", ev.ID())
						return nil
					},
				}, nil
			},
		})
	}()
	ev := event.New()
	ev.SetID("ev-1")
	ev.SetType("demo.happened")
	ev.SetSource("test")
	msg, err := consumers.EncodeEvent(t.Context(), "demo.one", ev)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.PublishMsg(t.Context(), msg); err != nil {
		t.Fatal(err)
	}
	natstest.Eventually(t, natstest.Patience, "the handler's line", func() bool {
		select {
		case err := <-done:
			t.Fatalf("Main returned early: %v\n%s", err, stdout.String())
		default:
		}
		return strings.Contains(stdout.String(), `"msg":"handled"`)
	})
	stop()
	if err := <-done; err != nil {
		t.Fatalf("Main: %v\n%s", err, stdout.String())
	}

	spans := recv.Named("process DEMO")
	if len(spans) != 1 || spans[0].Service != "hookbridge-demo" {
		t.Fatalf("exported %d spans; want the consumer span as hookbridge-demo", len(recv.Spans()))
	}
	proc := `"trace_id":"` + spans[0].TraceID() + `","span_id":"` + spans[0].SpanID() + `"`
	for _, line := range strings.Split(stdout.String(), "\n") {
		if strings.Contains(line, `"msg":"handled"`) && !strings.Contains(line, proc) {
			t.Errorf("the handler's line does not name its span (%s): %s", proc, line)
		}
	}
}

// TestMainConfigErrors: a tracing section that cannot be followed stops the
// sample before it dials NATS, naming the key and the flag.
func TestMainConfigErrors(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hookbridge.yaml")
	if err := os.WriteFile(path, []byte("tracing: {endpiont: http://c:4318}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := Main(t.Context(), []string{"--nats", "nats://127.0.0.1:1", "--config", path}, func(string) string { return "" }, io.Discard, io.Discard, Sample{
		Name: "demo", DefaultListen: "127.0.0.1:0", Start: mustNotStart(t),
	})
	if err == nil || !strings.Contains(err.Error(), `--config: `) || !strings.Contains(err.Error(), `unknown key "endpiont" in tracing`) {
		t.Errorf("Main = %v", err)
	}
}
