package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookbridge/hookbridge/bridge/provider"
	"github.com/hookbridge/hookbridge/internal/logtest"
	"github.com/hookbridge/hookbridge/internal/natsserver"
	"github.com/hookbridge/hookbridge/internal/natstest"
	"github.com/hookbridge/hookbridge/internal/sample"
)

type instance struct {
	cfgPath, hook, admin, nats, store string
}

func newInstance(t *testing.T) instance {
	t.Helper()
	return newInstanceWith(t, "shutdown_grace: 10s")
}

// newInstanceWith writes a config whose http section has extra settings.
func newInstanceWith(t *testing.T, httpExtra string) instance {
	t.Helper()
	return newInstanceIn(t, "", httpExtra)
}

// newInstanceIn is newInstanceWith with the embedded server's store in
// store ("": a fresh temporary directory).
func newInstanceIn(t *testing.T, store, httpExtra string) instance {
	t.Helper()
	dir := t.TempDir()
	if store == "" {
		store = filepath.Join(dir, "js")
	}
	addrs := natstest.FreeAddrs(t, 3)
	in := instance{
		cfgPath: filepath.Join(dir, "hookbridge.yaml"),
		hook:    addrs[0], admin: addrs[1], nats: addrs[2],
		store: store,
	}
	cfg := fmt.Sprintf(`
log: {level: debug, format: text}
http: {listen: %q, %s}
admin: {listen: %q}
nats:
  embedded: {listen: %q, store_dir: %q}
  publish_timeout: 10s
sources:
  - name: shop
    provider: shopify
    secrets: ["${TEST_SHOP_SECRET:-dev-secret}"]
`, in.hook, httpExtra, in.admin, in.nats, in.store)
	if err := os.WriteFile(in.cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return in
}

// start runs the bridge until the returned cancel is called; wait returns
// run's error.
func (in instance) start(t *testing.T, logs io.Writer) (cancel func(), wait func() error) {
	t.Helper()
	return in.startEnv(t, logs, noEnv)
}

// startEnv is start with the environment getenv gives.
func (in instance) startEnv(t *testing.T, logs io.Writer, getenv func(string) string) (cancel func(), wait func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"--config", in.cfgPath}, getenv, logs, logs) }()
	natstest.Eventually(t, natstest.Within(startupWait), "/readyz 200", func() bool {
		select {
		case err := <-done:
			t.Fatalf("run returned early: %v", err)
		default:
		}
		return status(in.admin, "/readyz") == 200
	})
	var once sync.Once
	var err error
	return cancel, func() error {
		once.Do(func() {
			select {
			case err = <-done:
			case <-time.After(30 * time.Second):
				t.Fatal("run did not return after cancel")
			}
		})
		return err
	}
}

// serveUntilEnd runs the bridge until the test ends, when run must return
// nil; it returns the logs.
func (in instance) serveUntilEnd(t *testing.T) *logtest.Buffer {
	t.Helper()
	logs := new(logtest.Buffer)
	cancel, wait := in.start(t, logs)
	t.Cleanup(func() {
		cancel()
		if err := wait(); err != nil {
			t.Errorf("run: %v", err)
		}
	})
	return logs
}

func noEnv(string) string { return "" }

func status(addr, path string) int {
	resp, err := http.Get("http://" + addr + path)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestServeAndSend(t *testing.T) {
	in := newInstance(t)
	var logs logtest.Buffer
	cancel, wait := in.start(t, &logs)

	var out bytes.Buffer
	if err := run(context.Background(), []string{"send", "--config", in.cfgPath, "shop", "--id", "d1"}, noEnv, &out, &out); err != nil {
		t.Fatalf("send: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "200 OK") || !strings.Contains(out.String(), "webhooks.shopify.shop.orders.create") {
		t.Errorf("send printed %q", out.String())
	}
	out.Reset()
	if err := run(context.Background(), []string{"send", "--config", in.cfgPath, "--id", "d1", "shop"}, noEnv, &out, &out); err != nil {
		t.Fatalf("send again: %v", err)
	}
	if !strings.Contains(out.String(), `"duplicate":true`) {
		t.Errorf("a repeated delivery id was not reported as a duplicate: %q", out.String())
	}
	if code := status(in.admin, "/healthz"); code != 200 {
		t.Errorf("/healthz %d", code)
	}
	out.Reset()
	env := func(k string) string {
		if k == "HOOKBRIDGE_CONFIG" {
			return in.cfgPath
		}
		return ""
	}
	if err := run(context.Background(), []string{"healthcheck"}, env, &out, &out); err != nil {
		t.Errorf("healthcheck of a ready bridge: %v", err)
	}
	metrics := get(t, in.admin, "/metrics")
	for _, want := range []string{
		`hookbridge_deliveries_total{outcome="published",provider="shopify",source="shop"} 1`,
		`hookbridge_deliveries_total{outcome="duplicate",provider="shopify",source="shop"} 1`,
		`hookbridge_duplicates_total{source="shop"} 1`,
		`hookbridge_publish_duration_seconds_count 2`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	cancel()
	if err := wait(); err != nil {
		t.Fatalf("run returned %v after a clean shutdown", err)
	}
	if l := logs.String(); !strings.Contains(l, "INSECURE") || strings.Contains(l, "dev-secret") {
		t.Errorf("start-up must warn about the development secret without printing it")
	}
}

// TestShutdownFinishesDeliveriesInFlight: a delivery whose body is still
// arriving when SIGTERM comes is finished and stored; readiness is 503 in the
// meantime; run returns nil; a restart keeps the stream and its messages.
func TestShutdownFinishesDeliveriesInFlight(t *testing.T) {
	in := newInstance(t)
	var logs logtest.Buffer
	cancel, wait := in.start(t, &logs)

	p, err := provider.New(provider.Config{Kind: "shopify", Secrets: []string{"dev-secret"}})
	if err != nil {
		t.Fatal(err)
	}
	body, hdr, err := sample.Delivery("shopify", sample.Locators{}, "", "inflight-1", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Sign(body, hdr, time.Now()); err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", in.hook)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var req bytes.Buffer
	fmt.Fprintf(&req, "POST /webhooks/shop HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n", len(body))
	_ = hdr.Write(&req)
	req.WriteString("\r\n")
	half := len(body) / 2
	req.Write(body[:half])
	if _, err := conn.Write(req.Bytes()); err != nil {
		t.Fatal(err)
	}
	natstest.Eventually(t, natstest.Patience, "the delivery to be in flight", func() bool {
		return strings.Contains(get(t, in.admin, "/metrics"), "hookbridge_inflight_deliveries 1")
	})

	cancel()
	natstest.Eventually(t, natstest.Patience, "/readyz 503 while draining", func() bool {
		return status(in.admin, "/readyz") == 503
	})
	if _, err := conn.Write(body[half:]); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("in-flight delivery got no answer: %v", err)
	}
	answer, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("in-flight delivery: %d %s", resp.StatusCode, answer)
	}
	if err := wait(); err != nil {
		t.Fatalf("run: %v", err)
	}

	// Restart on the same store: the stream and the message are still there.
	cancel, wait = in.start(t, &logs)
	defer func() { cancel(); _ = wait() }()
	nc, err := nats.Connect("nats://" + in.nats)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	s, err := js.Stream(context.Background(), "WEBHOOKS")
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.GetLastMsgForSubject(context.Background(), "webhooks.shopify.shop.orders.create")
	if err != nil {
		t.Fatalf("the delivery finished during shutdown is not in the stream after a restart: %v", err)
	}
	if !bytes.Equal(m.Data, body) || m.Header.Get("ce-id") != "inflight-1" {
		t.Errorf("stored message %q %v", m.Data, m.Header)
	}
}

func TestStartupErrorsNameTheProblem(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct{ name, yaml, want string }{
		{"unknown provider", "sources: [{name: a, provider: shopfy, secrets: [x]}]", `"a"`},
		{"no secret", "sources: [{name: a, provider: shopify, secrets: [\"\"]}]", "secret"},
		{"unknown key", "http: {listn: x}\nsources: [{name: a, provider: shopify, secrets: [x]}]", "listn"},
		{"bad hmac section", "sources: [{name: a, provider: hmac, secrets: [x], hmac: {header: X-Sig, algorithm: md5, id: 'header:X-Id', type: 'json:t'}}]", `sources[0] "a": hmac.algorithm`},
		{"square without notification url", "sources: [{name: a, provider: square, secrets: [sq-key]}]", `sources[0] "a": notification_url: required for square`},
		{"notification url on shopify", "sources: [{name: a, provider: shopify, secrets: [shop-key], notification_url: 'https://a.example/'}]", `sources[0] "a": notification_url: only for square`},
		{"unknown adyen id field", "sources: [{name: a, provider: adyen, secrets: ['00ff'], adyen_id: [pspReference, eventDate]}]", `sources[0] "a": adyen_id[1]: "eventDate" is unknown`},
		{"adyen id on stripe", "sources: [{name: a, provider: stripe, secrets: [st-key], adyen_id: [pspReference]}]", `sources[0] "a": adyen_id: only for adyen`},
	} {
		path := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "-")+".yaml")
		if err := os.WriteFile(path, []byte(c.yaml), 0o600); err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		err := run(context.Background(), []string{"serve", "--config", path}, noEnv, &out, &out)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want it to mention %s", c.name, err, c.want)
		}
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"frobnicate"}, noEnv, &out, &out); err == nil {
		t.Error("unknown command accepted")
	}
}

func get(t *testing.T, addr, path string) string {
	t.Helper()
	resp, err := http.Get("http://" + addr + path)
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// TestSlowClientsAreCutOff: a client that never finishes its headers, or
// its body, is disconnected by the read timeouts instead of holding a
// connection for ever.
func TestSlowClientsAreCutOff(t *testing.T) {
	in := newInstanceWith(t, "read_header_timeout: 300ms, read_timeout: 600ms")
	var logs logtest.Buffer
	cancel, wait := in.start(t, &logs)
	defer func() { cancel(); _ = wait() }()

	for name, partial := range map[string]string{
		"headers never end": "POST /webhooks/shop HTTP/1.1\r\nHost: x\r\n",
		"body never ends":   "POST /webhooks/shop HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{",
	} {
		conn, err := net.Dial("tcp", in.hook)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Write([]byte(partial)); err != nil {
			t.Fatal(err)
		}
		_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, err = io.ReadAll(conn) // returns once the server closes the connection
		conn.Close()
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Errorf("%s: the connection was still open after 10s", name)
		}
	}
}

// TestExternalNATSStartedLater: with nats.url set the bridge uses that
// server, and waits for it at start-up when it is not up yet.
func TestExternalNATSStartedLater(t *testing.T) {
	dir := t.TempDir()
	natsAddr := natstest.FreeAddr(t)
	addrs := natstest.FreeAddrs(t, 2)
	hook, admin := addrs[0], addrs[1]
	path := filepath.Join(dir, "hookbridge.yaml")
	cfg := fmt.Sprintf(`
http: {listen: %q}
admin: {listen: %q}
nats: {url: "nats://%s", publish_timeout: 10s}
sources: [{name: shop, provider: shopify, secrets: [s3cret]}]
`, hook, admin, natsAddr)
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var logs logtest.Buffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"--config", path}, noEnv, &logs, &logs) }()
	natstest.Eventually(t, natstest.Patience, "the bridge waiting for NATS", func() bool {
		return strings.Contains(logs.String(), "stream not ready yet")
	})
	ns := natstest.StartAt(t, natsAddr, t.TempDir())
	natstest.Eventually(t, natstest.Within(startupWait), "/readyz 200 once NATS is up", func() bool {
		return status(admin, "/readyz") == 200
	})
	var out bytes.Buffer
	if err := run(context.Background(), []string{"send", "--config", path, "shop", "--id", "ext-1"}, noEnv, &out, &out); err != nil {
		t.Fatalf("send: %v\n%s", err, out.String())
	}
	_, js := ns.Connect(t)
	s, err := js.Stream(context.Background(), "WEBHOOKS")
	if err != nil {
		t.Fatal(err)
	}
	if m, err := s.GetLastMsgForSubject(context.Background(), "webhooks.shopify.shop.orders.create"); err != nil || m.Header.Get("ce-id") != "ext-1" {
		t.Fatalf("the delivery is not in the external server's stream: %v", err)
	}
	if strings.Contains(logs.String(), "embedded nats") {
		t.Error("an embedded server was started although nats.url is set")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
}

// writeConfig writes a config for the given listen addresses and store dir (any may be a
// ${VAR}) and returns its path. The console has a token, so that an admin
// address off loopback is accepted.
func writeConfig(t *testing.T, hook, admin, nats, store string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "hookbridge.yaml")
	cfg := fmt.Sprintf(`
http: {listen: %q}
admin: {listen: %q, console: {token: console-token}}
nats:
  embedded: {listen: %q, store_dir: %q}
sources: [{name: shop, provider: shopify, secrets: [s3cret]}]
`, hook, admin, nats, store)
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// startFails runs the bridge, which must fail before it does anything: it returns at once (well
// within the embedded server's ready wait), and it has created no store (hence no stream) and
// started no embedded server.
func startFails(t *testing.T, path, store string, env func(string) string) (error, string) {
	t.Helper()
	var logs logtest.Buffer
	start := time.Now()
	err := run(context.Background(), []string{"--config", path}, env, &logs, &logs)
	if took := time.Since(start); took > natsserver.DefaultReadyTimeout/4 {
		t.Errorf("run took %s to fail, want well under the embedded server's ready wait (%s)", took, natsserver.DefaultReadyTimeout)
	}
	if err == nil {
		t.Fatal("run succeeded")
	}
	if _, serr := os.Stat(store); serr == nil || !(errors.Is(serr, fs.ErrNotExist) || errors.Is(serr, syscall.ENOTDIR)) {
		t.Errorf("the store dir %s exists after a failed start (%v): start-up went half-way", store, serr)
	}
	if strings.Contains(logs.String(), "embedded nats listening") {
		t.Errorf("the embedded server was started before the failure")
	}
	return err, logs.String()
}

// TestNoHalfWayStart: a listen address that cannot be bound, by another process or because
// two of the bridge's own settings reach the same socket, stops start-up before the embedded
// server, its store and the stream exist; the error names the field.
func TestNoHalfWayStart(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	takenAddr := taken.Addr().String()
	port := func(addr string) string { _, p, _ := net.SplitHostPort(addr); return p }

	free := natstest.FreeAddr(t)
	ipv6 := true
	if ln, err := net.Listen("tcp", "[::1]:0"); err != nil {
		ipv6 = false
	} else {
		ln.Close()
	}
	for _, tc := range []struct {
		name             string
		hook, admin, nat string // "" is a free address
		want             []string
		needIPv6         bool
	}{
		{name: "http port taken", hook: takenAddr, want: []string{"http.listen: listen tcp " + takenAddr, "address already in use"}},
		{name: "admin port taken", admin: takenAddr, want: []string{"admin.listen: listen tcp " + takenAddr, "address already in use"}},
		{name: "nats port taken", nat: takenAddr, want: []string{"nats.embedded.listen: listen tcp " + takenAddr, "address already in use"}},
		{name: "localhost and 127.0.0.1", hook: free, admin: "localhost:" + port(free),
			want: []string{"admin.listen: ", "address already in use", "http.listen, which this bridge has just bound, has the same port"}},
		{name: "0.0.0.0 and 127.0.0.1", hook: free, admin: "0.0.0.0:" + port(free),
			want: []string{"admin.listen: ", "address already in use", "http.listen, which this bridge has just bound"}},
		{name: "[::] and 127.0.0.1", hook: free, admin: "[::]:" + port(free), needIPv6: true,
			want: []string{"admin.listen: ", "address already in use", "http.listen, which this bridge has just bound"}},
		{name: "nats and http", hook: free, nat: "localhost:" + port(free),
			want: []string{"nats.embedded.listen: ", "address already in use", "http.listen, which this bridge has just bound"}},
		{name: "nats and admin", admin: free, nat: "0.0.0.0:" + port(free),
			want: []string{"nats.embedded.listen: ", "address already in use", "admin.listen, which this bridge has just bound"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.needIPv6 && !ipv6 {
				t.Skip("no IPv6 on this machine")
			}
			or := func(addr string) string {
				if addr == "" {
					return natstest.FreeAddr(t)
				}
				return addr
			}
			store := filepath.Join(t.TempDir(), "js")
			path := writeConfig(t, or(tc.hook), or(tc.admin), or(tc.nat), store)
			err, _ := startFails(t, path, store, noEnv)
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

// TestUnusableStoreDir: a store dir that cannot be created or written stops start-up at once
// with the real cause, naming nats.embedded.store_dir; not after a wait, blaming a port.
func TestUnusableStoreDir(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	store := filepath.Join(file, "js")
	addrs := natstest.FreeAddrs(t, 3)
	path := writeConfig(t, addrs[0], addrs[1], addrs[2], store)
	err, _ := startFails(t, path, store, noEnv)
	if !errors.Is(err, syscall.ENOTDIR) || !strings.HasPrefix(err.Error(), "nats.embedded.store_dir: ") || strings.Contains(err.Error(), "in use") {
		t.Errorf("error %q: want nats.embedded.store_dir and not a directory, and no port blamed", err)
	}
}

// TestStartupErrorsNeverShowEnvValues: values from ${VAR} stay out of the errors of the checks
// made at start-up, after the config is loaded, too.
func TestStartupErrorsNeverShowEnvValues(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	file := filepath.Join(t.TempDir(), "s3cret-dir")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"ADDR": taken.Addr().String(), "DIR": file}
	getenv := func(k string) string { return env[k] }
	store := filepath.Join(file, "js")

	addrs := natstest.FreeAddrs(t, 3)
	path := writeConfig(t, "${ADDR}", addrs[1], addrs[2], store)
	err, _ = startFails(t, path, store, getenv)
	if want := "http.listen: listen tcp the value of ${ADDR}: bind: address already in use"; err.Error() != want {
		t.Errorf("got %q, want %q", err, want)
	}

	addrs = natstest.FreeAddrs(t, 3)
	path = writeConfig(t, addrs[0], addrs[1], addrs[2], "${DIR}/js")
	err, _ = startFails(t, path, store, getenv)
	if !strings.HasPrefix(err.Error(), `nats.embedded.store_dir: mkdir the value of "${DIR}/js": not a directory`) || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("got %q", err)
	}
}

// TestAllProblemsInOneReport: the serve command reports a bad duration, an unknown provider and
// a provider's own problem together, each naming its field, and never a value from ${VAR}.
func TestAllProblemsInOneReport(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hookbridge.yaml")
	data := `http: {read_timeout: 15x}
sources:
  - {name: shop, provider: shopfy, secrets: [s3cret]}
  - {name: pay, provider: stripe, secrets: [s3cret], tolerance: "${TOLERANCE}"}
  - {name: other, provider: hmac, secrets: [s3cret], hmac: {header: X-Sig, id: "header:X-Id", type: "json:t", algorithm: "${ALGO}"}}
`
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"TOLERANCE": "env-value-1", "ALGO": "env-value-2"}
	var out bytes.Buffer
	err := run(context.Background(), []string{"serve", "--config", path}, func(k string) string { return env[k] }, &out, &out)
	if err == nil {
		t.Fatal("run succeeded")
	}
	for _, want := range []string{
		`hookbridge.yaml:1: http.read_timeout: "15x" is not a duration`,
		"hookbridge.yaml:4: sources[1].tolerance: the value of ${TOLERANCE} is not a duration",
		`sources[0] "shop": provider: "shopfy" is not one of shopify, woocommerce, stripe, standardwebhooks, github, hmac, `,
		`sources[2] "other": hmac.algorithm: the value of ${ALGO} is unknown (want sha256 or sha512)`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), "env-value") || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("error shows a value from the environment or a secret:\n%v", err)
	}
}
