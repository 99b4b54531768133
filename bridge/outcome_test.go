package bridge_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// Every request the webhook listener answers is logged and counted by the
// one place that answers, the 404 for a path that is no route included.
func TestEveryAnswerIsLoggedAndCounted(t *testing.T) {
	h := newHarness(t)
	for _, c := range []struct {
		method, path string
		code         int
		outcome      string
	}{
		{http.MethodGet, "/favicon.ico", http.StatusNotFound, "not_found"},
		{http.MethodPost, "/webhooks/shop/extra", http.StatusNotFound, "not_found"},
		{http.MethodGet, "/webhooks/shop", http.StatusMethodNotAllowed, "method_not_allowed"},
		{http.MethodPost, "/webhooks/nope", http.StatusNotFound, "unknown_source"},
	} {
		before := h.counter("hookbridge_deliveries_total", "outcome", c.outcome)
		req, err := http.NewRequest(c.method, h.srv.URL+c.path, strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.code || resp.Header.Get("Content-Type") != "application/json" {
			t.Errorf("%s %s: %d %q, want %d JSON", c.method, c.path, resp.StatusCode, resp.Header.Get("Content-Type"), c.code)
		}
		if got := h.counter("hookbridge_deliveries_total", "outcome", c.outcome) - before; got != 1 {
			t.Errorf("%s %s: counted %v times as %s, want once", c.method, c.path, got, c.outcome)
		}
		if !strings.Contains(h.logs.String(), `"outcome":"`+c.outcome+`"`) {
			t.Errorf("%s %s: no log line with outcome %s", c.method, c.path, c.outcome)
		}
	}
}

// counter is the sum of a counter's series whose label has value.
func (h *harness) counter(name, label, value string) float64 {
	h.t.Helper()
	mfs, err := h.reg.Gather()
	if err != nil {
		h.t.Fatal(err)
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == label && l.GetValue() == value {
					sum += m.GetCounter().GetValue()
				}
			}
		}
	}
	return sum
}
