package healthcheck

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	code := http.StatusOK
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(code)
		_, _ = w.Write([]byte(`{"error":"nats connection is RECONNECTING"}`))
	}))
	defer srv.Close()
	var out bytes.Buffer
	if err := Run(context.Background(), nil, srv.URL, &out, &out); err != nil {
		t.Fatalf("healthy server: %v", err)
	}
	code = http.StatusServiceUnavailable
	err := Run(context.Background(), []string{"--url", srv.URL}, "", &out, &out)
	if err == nil || !strings.Contains(err.Error(), "RECONNECTING") {
		t.Fatalf("unhealthy server: %v", err)
	}
	srv.Close()
	if err := Run(context.Background(), nil, srv.URL, &out, &out); err == nil {
		t.Fatal("no server: want an error")
	}
}

func TestLocalURL(t *testing.T) {
	for in, want := range map[string]string{
		"0.0.0.0:9090":   "http://127.0.0.1:9090/readyz",
		":9090":          "http://127.0.0.1:9090/readyz",
		"127.0.0.1:9091": "http://127.0.0.1:9091/readyz",
		"[::]:9090":      "http://127.0.0.1:9090/readyz",
	} {
		if got := LocalURL(in, "/readyz"); got != want {
			t.Errorf("LocalURL(%q) = %q, want %q", in, got, want)
		}
	}
}
