package settings

import (
	"errors"
	"time"

	"github.com/hookbridge/hookbridge/bridge"
	"github.com/hookbridge/hookbridge/internal/config"
)

const (
	// DefaultAdminListen is admin.listen's default: the healthcheck asks there when it cannot
	// read the config.
	DefaultAdminListen = "127.0.0.1:9090"
	defaultHTTPListen  = "127.0.0.1:8080"
)

// HTTP configures the webhook server: its address and timeouts are the binary's, the limits on
// what deliveries hold are the bridge's.
type HTTP struct {
	Listen string `yaml:"listen"` // host:port; default 127.0.0.1:8080
	// Limits are the bridge's: max_body_bytes and max_body_bytes_in_flight.
	bridge.Limits `yaml:",inline"`
	// ReadHeaderTimeout, ReadTimeout and IdleTimeout cut off slow clients.
	ReadHeaderTimeout time.Duration `yaml:"read_header_timeout"` // default 5s
	ReadTimeout       time.Duration `yaml:"read_timeout"`        // default 15s
	// WriteTimeout must exceed NATS.PublishTimeout: the response is written after the PubAck.
	WriteTimeout time.Duration `yaml:"write_timeout"` // default 15s
	IdleTimeout  time.Duration `yaml:"idle_timeout"`  // default 60s
	// ShutdownGrace is how long in-flight deliveries may finish after SIGTERM.
	ShutdownGrace time.Duration `yaml:"shutdown_grace"` // default 10s
}

func (h *HTTP) setDefaults() {
	if h.Listen == "" {
		h.Listen = defaultHTTPListen
	}
	h.Limits.SetDefaults()
	setDuration(&h.ReadHeaderTimeout, 5*time.Second)
	setDuration(&h.ReadTimeout, 15*time.Second)
	setDuration(&h.WriteTimeout, 15*time.Second)
	setDuration(&h.IdleTimeout, 60*time.Second)
	setDuration(&h.ShutdownGrace, 10*time.Second)
}

// check reports every problem in h, naming fields below f's root.
func (h *HTTP) check(f *config.Fields) error {
	var errs []error
	errs = append(errs, config.CheckListen(f, "listen", h.Listen))
	errs = append(errs, unjoin(h.Limits.Check(f))...)
	errs = append(errs, config.CheckPositive(f, "read_header_timeout", h.ReadHeaderTimeout))
	errs = append(errs, config.CheckPositive(f, "read_timeout", h.ReadTimeout))
	errs = append(errs, config.CheckPositive(f, "write_timeout", h.WriteTimeout))
	errs = append(errs, config.CheckPositive(f, "idle_timeout", h.IdleTimeout))
	errs = append(errs, config.CheckPositive(f, "shutdown_grace", h.ShutdownGrace))
	return errors.Join(errs...)
}

// Admin configures the operations server (/healthz, /readyz, /metrics) and the console it
// serves beside them.
type Admin struct {
	Listen  string  `yaml:"listen"` // host:port; default 127.0.0.1:9090
	Console Console `yaml:"console"`
}

func (a *Admin) setDefaults() {
	if a.Listen == "" {
		a.Listen = DefaultAdminListen
	}
	a.Console.setDefaults()
}

func (a *Admin) check(f *config.Fields) error {
	err := config.CheckListen(f, "listen", a.Listen)
	if f.Bad("listen") || err != nil {
		return errors.Join(err, a.Console.check(f.At("console"), DefaultAdminListen))
	}
	return errors.Join(err, a.Console.check(f.At("console"), a.Listen))
}

func setDuration(d *time.Duration, def time.Duration) {
	if *d == 0 {
		*d = def
	}
}
