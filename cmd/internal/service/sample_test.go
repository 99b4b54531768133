package service

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/nats-io/nats.go/jetstream"
)

// TestHealthcheckProbesNameListen: compose sets <NAME>_LISTEN for the
// service and relies on `healthcheck` probing that same address.
func TestHealthcheckProbesNameListen(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" {
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	dead := httptest.NewServer(http.NotFoundHandler())
	deadAddr := strings.TrimPrefix(dead.URL, "http://")
	dead.Close()

	for _, tc := range []struct {
		name, env, defaultListen string
		healthy                  bool
	}{
		{"env wins over the default", addr, deadAddr, true},
		{"default without env", "", addr, true},
		{"env names a dead address", deadAddr, addr, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			getenv := func(k string) string {
				if k == "DEMO_LISTEN" {
					return tc.env
				}
				return ""
			}
			var stdout bytes.Buffer
			err := Main(t.Context(), []string{"healthcheck"}, getenv, &stdout, io.Discard, Sample{
				Name: "demo", DefaultListen: tc.defaultListen, Start: mustNotStart(t),
			})
			if healthy := err == nil; healthy != tc.healthy {
				t.Fatalf("healthcheck = %v, want healthy %v", err, tc.healthy)
			}
			if tc.healthy && !strings.Contains(stdout.String(), "http://"+addr+"/healthz") {
				t.Errorf("stdout = %q, want the probed URL", stdout.String())
			}
		})
	}
}

// TestCheckRunsBeforeDialling: a sample's bad input is reported at once, not
// after a wait for a broker that may be down.
func TestCheckRunsBeforeDialling(t *testing.T) {
	errBad := errors.New("bad seed")
	err := Main(t.Context(), []string{"--nats", "nats://127.0.0.1:1"}, func(string) string { return "" }, io.Discard, io.Discard, Sample{
		Name: "demo", DefaultListen: "127.0.0.1:0",
		Check: func() error { return errBad },
		Start: mustNotStart(t),
	})
	if !errors.Is(err, errBad) {
		t.Errorf("Main = %v, want the Check error", err)
	}
}

func mustNotStart(t *testing.T) func(context.Context, jetstream.JetStream, *slog.Logger) (Domain, error) {
	return func(context.Context, jetstream.JetStream, *slog.Logger) (Domain, error) {
		t.Error("Start called")
		return Domain{}, errors.New("not started")
	}
}
