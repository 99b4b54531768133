package main

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/hookbridge/hookbridge/internal/natstest"
)

// TestAnswerKey: what each answer counts as in the status line, and which
// answers fail the run. A bridge must store a first send ("published") and
// recognise a platform retry ("duplicate"); any other target, any 2xx.
func TestAnswerKey(t *testing.T) {
	const published, duplicate = `{"status":"published","id":"x"}`, `{"status":"duplicate","id":"x"}`
	for _, tc := range []struct {
		status         int
		body           string
		replay, bridge bool
		key            string
		expected       bool
	}{
		{200, published, false, true, "200 published", true},
		{200, duplicate, true, true, "200 duplicate (replay)", true},
		{200, duplicate, false, true, "200 duplicate", false}, // a first send the stream already held
		{200, published, true, true, "200 published (replay)", false},
		{200, `{"status":"ok"}`, false, true, "200 other", false},
		{202, published, false, true, "202 published", true},
		{503, `{"error":"unavailable"}`, false, true, "503", false},
		{401, "", true, true, "401 (replay)", false},
		{204, "", false, false, "204", true},
		{200, duplicate, true, false, "200 (replay)", true},
		{500, "", false, false, "500", false},
	} {
		key, expected := answerKey(tc.status, []byte(tc.body), tc.replay, tc.bridge)
		if key != tc.key || expected != tc.expected {
			t.Errorf("%d %s replay=%t bridge=%t: %q %t, want %q %t", tc.status, tc.body, tc.replay, tc.bridge, key, expected, tc.key, tc.expected)
		}
	}
}

// TestUnansweredRequests: a request that gets no answer is counted as an
// unexpected one, by kind, and its delivery is not taken as answered (the
// check would count it as a lost ack if stored, never as lost).
func TestUnansweredRequests(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			c.Close()
		}
	}))
	defer srv.Close()
	ds := make([]delivery, 6)
	for i := range ds {
		ds[i] = delivery{path: "/webhooks/x", body: []byte("{}"), header: http.Header{}}
	}
	res, err := runLoad(t.Context(), runConfig{BaseURL: srv.URL, Conns: 2, Duration: natstest.Patience, Timeout: natstest.Patience}, ds)
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests != 6 || res.Unexpected != 6 || res.Status["error: connection closed"] != 6 || len(res.Errors) == 0 || res.Latency.n != 0 {
		t.Errorf("requests %d, unexpected %d, status %v, errors %q, latencies %d", res.Requests, res.Unexpected, res.Status, res.Errors, res.Latency.n)
	}
	for i, st := range res.States {
		if !st.sent || st.answered || st.first != 0 {
			t.Errorf("delivery %d: %+v", i, st)
		}
	}
}
