package config

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"
)

// HTTP configures the webhook server.
type HTTP struct {
	Listen       string `yaml:"listen"`         // host:port; default 127.0.0.1:8080
	MaxBodyBytes int64  `yaml:"max_body_bytes"` // larger bodies get 413; default 1 MiB
	// MaxBodyBytesInFlight bounds the body bytes held by all requests at once; past it a new
	// delivery gets 503 with Retry-After. Default 64 MiB (at least max_body_bytes).
	MaxBodyBytesInFlight int64         `yaml:"max_body_bytes_in_flight"`
	ReadHeaderTimeout    time.Duration `yaml:"read_header_timeout"` // default 5s
	ReadTimeout          time.Duration `yaml:"read_timeout"`        // default 15s
	// WriteTimeout must exceed NATS.PublishTimeout: the response is written after the PubAck.
	WriteTimeout time.Duration `yaml:"write_timeout"` // default 15s
	IdleTimeout  time.Duration `yaml:"idle_timeout"`  // default 60s
	// ShutdownGrace is how long in-flight deliveries may finish after SIGTERM.
	ShutdownGrace time.Duration `yaml:"shutdown_grace"` // default 10s
}

func (h *HTTP) setDefaults() {
	if h.Listen == "" {
		h.Listen = "127.0.0.1:8080"
	}
	if h.MaxBodyBytes == 0 {
		h.MaxBodyBytes = 1 << 20
	}
	if h.MaxBodyBytesInFlight == 0 {
		h.MaxBodyBytesInFlight = max(64<<20, h.MaxBodyBytes)
	}
	setDuration(&h.ReadHeaderTimeout, 5*time.Second)
	setDuration(&h.ReadTimeout, 15*time.Second)
	setDuration(&h.WriteTimeout, 15*time.Second)
	setDuration(&h.IdleTimeout, 60*time.Second)
	setDuration(&h.ShutdownGrace, 10*time.Second)
}

// Validate reports every problem in h.
func (h *HTTP) Validate() error { return h.validate(nil) }

func (h *HTTP) validate(f *fields) error {
	var errs []error
	errs = appendErr(errs, checkListen(f, "http.listen", h.Listen))
	if h.MaxBodyBytes <= 0 {
		errs = append(errs, fmt.Errorf("http.max_body_bytes: must be greater than 0 (got %s)", f.show("http.max_body_bytes", h.MaxBodyBytes)))
	}
	if h.MaxBodyBytesInFlight < h.MaxBodyBytes {
		errs = append(errs, fmt.Errorf("http.max_body_bytes_in_flight: must be at least http.max_body_bytes (%s), or no body of the largest size could ever be accepted (got %s)",
			f.show("http.max_body_bytes", h.MaxBodyBytes), f.show("http.max_body_bytes_in_flight", h.MaxBodyBytesInFlight)))
	}
	errs = appendErr(errs, checkPositive(f, "http.read_header_timeout", h.ReadHeaderTimeout))
	errs = appendErr(errs, checkPositive(f, "http.read_timeout", h.ReadTimeout))
	errs = appendErr(errs, checkPositive(f, "http.write_timeout", h.WriteTimeout))
	errs = appendErr(errs, checkPositive(f, "http.idle_timeout", h.IdleTimeout))
	errs = appendErr(errs, checkPositive(f, "http.shutdown_grace", h.ShutdownGrace))
	return errors.Join(errs...)
}

// Admin configures the operations server (/healthz, /readyz, /metrics).
type Admin struct {
	Listen string `yaml:"listen"` // host:port; default 127.0.0.1:9090
}

func (a *Admin) setDefaults() {
	if a.Listen == "" {
		a.Listen = "127.0.0.1:9090"
	}
}

// Validate reports every problem in a.
func (a *Admin) Validate() error { return a.validate(nil) }

func (a *Admin) validate(f *fields) error {
	return checkListen(f, "admin.listen", a.Listen)
}

func setDuration(d *time.Duration, def time.Duration) {
	if *d == 0 {
		*d = def
	}
}

func checkPositive(f *fields, field string, d time.Duration) error {
	if d <= 0 {
		return fmt.Errorf("%s: must be greater than 0 (got %s)", field, f.show(field, d))
	}
	return nil
}

// checkListen accepts host:port with a numeric port, as net.Listen("tcp", addr) takes it.
func checkListen(f *fields, field, addr string) error {
	if addr == "" {
		return fmt.Errorf("%s: required (host:port, e.g. 127.0.0.1:8080 or :8080)", field)
	}
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%s: %s is not host:port (e.g. 127.0.0.1:8080 or :8080)", field, f.show(field, addr))
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		if f.fromEnv(field) {
			return fmt.Errorf("%s: the port in %s is not a number from 0 to 65535", field, f.show(field, addr))
		}
		return fmt.Errorf("%s: port %q is not a number from 0 to 65535", field, port)
	}
	return nil
}

// isPortZero reports whether addr asks the system for a free port, so two of them never clash.
func isPortZero(addr string) bool {
	_, port, err := net.SplitHostPort(addr)
	return err == nil && port == "0"
}

func appendErr(errs []error, err error) []error {
	if err != nil {
		return append(errs, err)
	}
	return errs
}
