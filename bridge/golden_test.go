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

// goldenCase is one testdata/golden/<name>.in and the source it is posted to.
type goldenCase struct{ name, source string }

// goldenCases are one per test source (named after it), plus the ways of
// sending that a source's platform has besides its usual one.
func goldenCases() []goldenCase {
	var cs []goldenCase
	for _, src := range testSources() {
		cs = append(cs, goldenCase{src.name, src.name})
	}
	for _, src := range append(batchSources(), braintreeSources()...) {
		cs = append(cs, goldenCase{src.name, src.name})
	}
	// GitHub's form-encoded delivery, the default of webhooks created
	// through its REST API.
	return append(cs, goldenCase{"gh-form", "gh"})
}

// TestGolden posts each raw webhook in testdata/golden/<name>.in (an HTTP
// request, signed at test time) and compares the stored NATS message (subject
// and headers) with <name>.golden. The payload must be the body byte for
// byte, or <name>.data where there is one (a delivery whose body wraps the
// event), and sdk-go must decode the message back into the same event.
func TestGolden(t *testing.T) {
	h := newHarnessWith(t, append(batchSources(), braintreeSources()...))
	for _, c := range goldenCases() {
		t.Run(c.name, func(t *testing.T) {
			h.t = t
			in := filepath.Join("testdata", "golden", c.name+".in")
			if *update {
				if _, err := os.Stat(in); os.IsNotExist(err) {
					writeRequest(t, in, c.source, h)
				}
			}
			body, hdr := readRequest(t, in)
			p := h.providers[c.source]
			body, err := p.SignBody(body)
			if err != nil {
				t.Fatal(err)
			}
			if err := p.Sign(body, hdr, testNow); err != nil {
				t.Fatal(err)
			}
			a := h.post(http.MethodPost, c.source, body, hdr)
			if a.code != 200 {
				t.Fatalf("status %d: %s", a.code, a.raw)
			}
			m := h.lastStored()
			if subject, _ := a.body["subject"].(string); a.body != nil && m.Subject != subject {
				t.Fatalf("answer names subject %q, the last message stored is on %s", subject, m.Subject)
			}
			dataFile := filepath.Join("testdata", "golden", c.name+".data")
			if *update && !bytes.Equal(m.Data, body) {
				if err := os.WriteFile(dataFile, m.Data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			data, err := os.ReadFile(dataFile)
			if os.IsNotExist(err) {
				data, err = body, nil
			}
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(m.Data, data) {
				t.Errorf("stored payload differs from the data expected:\n got %q\nwant %q", m.Data, data)
			}
			got := render(m.Subject, m.Header)
			golden := filepath.Join("testdata", "golden", c.name+".golden")
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
			if ev.ID() != m.Header.Get("ce-id") || ev.Type() != m.Header.Get("ce-type") || !bytes.Equal(ev.Data(), data) {
				t.Errorf("decoded event %s does not match the headers or data", ev)
			}
			checkExtensionsDecoded(t, m.Header, ev.Extensions())
			if want := c.source + ":" + ev.ID(); m.Header.Get("Nats-Msg-Id") != want {
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
	// The other signed headers, which Sign sets at test time.
	for _, n := range []string{"Webhook-Timestamp", "Paypal-Transmission-Id", "Paypal-Transmission-Time", "Paypal-Cert-Url", "Paypal-Auth-Algo"} {
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

// ceAttrs are the ce-* headers of the attributes CloudEvents defines.
var ceAttrs = map[string]bool{
	"ce-specversion": true, "ce-id": true, "ce-source": true, "ce-type": true,
	"ce-subject": true, "ce-time": true, "ce-datacontenttype": true,
}

// checkExtensionsDecoded: every other ce-* header is an extension attribute
// that sdk-go decodes with the same value, and sdk-go decodes no other.
func checkExtensionsDecoded(t *testing.T, h nats.Header, ext map[string]any) {
	t.Helper()
	n := 0
	for k, v := range h {
		name, ok := strings.CutPrefix(k, "ce-")
		if !ok || ceAttrs[k] {
			continue
		}
		n++
		if got, _ := ext[name].(string); len(v) != 1 || got != v[0] {
			t.Errorf("extension %s: sdk-go decodes %v, header %v", name, ext[name], v)
		}
	}
	if n != len(ext) {
		t.Errorf("sdk-go decodes extensions %v from headers %v", ext, h)
	}
}
