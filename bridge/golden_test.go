package bridge_test

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	cejs "github.com/cloudevents/sdk-go/protocol/nats_jetstream/v2"
	"github.com/cloudevents/sdk-go/v2/binding"
	"github.com/nats-io/nats.go"
)

var update = flag.Bool("update", false, "rewrite the golden files of bridge/testdata/golden")

// TestGolden posts each raw webhook in testdata/golden/<source>.in (an HTTP
// request, signed at test time) and compares the stored NATS message (subject
// and headers) with <source>.golden. The payload must be the body byte for
// byte, and sdk-go must decode the message back into the same event.
func TestGolden(t *testing.T) {
	h := newHarness(t)
	for _, src := range testSources() {
		t.Run(src.name, func(t *testing.T) {
			h.t = t
			in := filepath.Join("testdata", "golden", src.name+".in")
			if *update {
				if _, err := os.Stat(in); os.IsNotExist(err) {
					writeRequest(t, in, src.name, h)
				}
			}
			body, hdr := readRequest(t, in)
			if err := h.providers[src.name].Sign(body, hdr, testNow); err != nil {
				t.Fatal(err)
			}
			a := h.post(http.MethodPost, src.name, body, hdr)
			if a.code != 200 {
				t.Fatalf("status %d: %s", a.code, a.raw)
			}
			subject, _ := a.body["subject"].(string)
			m := h.last(subject)
			if !bytes.Equal(m.Data, body) {
				t.Errorf("stored payload differs from the body as received:\n got %q\nwant %q", m.Data, body)
			}
			got := render(m.Subject, m.Header)
			golden := filepath.Join("testdata", "golden", src.name+".golden")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./bridge -run TestGolden -update)", err)
			}
			if got != string(want) {
				t.Errorf("stored message differs from %s:\n--- got\n%s--- want\n%s", golden, got, want)
			}

			ev, err := binding.ToEvent(context.Background(), cejs.NewMessage(&nats.Msg{Subject: m.Subject, Header: m.Header, Data: m.Data}))
			if err != nil {
				t.Fatalf("sdk-go cannot decode the stored message: %v", err)
			}
			if err := ev.Validate(); err != nil {
				t.Errorf("decoded event is invalid: %v", err)
			}
			if ev.ID() != m.Header.Get("ce-id") || ev.Type() != m.Header.Get("ce-type") || !bytes.Equal(ev.Data(), body) {
				t.Errorf("decoded event %s does not match the headers or body", ev)
			}
			if want := src.name + ":" + ev.ID(); m.Header.Get("Nats-Msg-Id") != want {
				t.Errorf("Nats-Msg-Id = %q, want %q", m.Header.Get("Nats-Msg-Id"), want)
			}
		})
	}
}

// render prints a message's subject and headers in a stable order.
func render(subject string, h nats.Header) string {
	var b strings.Builder
	fmt.Fprintf(&b, "subject: %s\n", subject)
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		for _, v := range h[k] {
			fmt.Fprintf(&b, "%s: %s\n", k, v)
		}
	}
	return b.String()
}

func readRequest(t *testing.T, path string) ([]byte, http.Header) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./bridge -run TestGolden -update)", err)
	}
	req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(raw)))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var body bytes.Buffer
	if _, err := body.ReadFrom(req.Body); err != nil {
		t.Fatal(err)
	}
	return body.Bytes(), req.Header
}

// writeRequest seeds a missing .in file with the source's sample delivery.
func writeRequest(t *testing.T, path, source string, h *harness) {
	t.Helper()
	body, hdr := h.delivery(source, "", "golden-"+source)
	for _, n := range signatureHeaders[h.providers[source].Kind()] {
		hdr.Del(n)
	}
	for _, n := range []string{"Webhook-Timestamp"} {
		hdr.Del(n)
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "POST /webhooks/%s HTTP/1.1\r\nHost: hookbridge.test\r\nContent-Length: %d\r\n", source, len(body))
	if err := hdr.Write(&b); err != nil {
		t.Fatal(err)
	}
	b.WriteString("\r\n")
	b.Write(body)
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}
