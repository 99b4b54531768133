package settings

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/hookbridge/hookbridge/bridge"
	"github.com/hookbridge/hookbridge/internal/config"
	"github.com/hookbridge/hookbridge/internal/natsserver"
)

var natsSchemes = []string{"nats", "tls", "ws", "wss"}

// NATS configures the JetStream connection and the stream deliveries are published to.
type NATS struct {
	// URL is empty for the embedded server, else a comma-separated list of nats://, tls://,
	// ws:// or wss:// server URLs.
	URL      string            `yaml:"url"`
	Embedded natsserver.Config `yaml:"embedded"` // used only when URL is empty
	// Stream is the stream's part: stream, subject_prefix, replicas, duplicate_window.
	Stream bridge.StreamConfig `yaml:",inline"`
	// PublishTimeout bounds the wait for the PubAck; default bridge.DefaultPublishTimeout.
	PublishTimeout time.Duration `yaml:"publish_timeout"`
}

func (n *NATS) setDefaults() {
	n.Embedded.SetDefaults()
	n.Stream.SetDefaults()
	setDuration(&n.PublishTimeout, bridge.DefaultPublishTimeout)
}

// check reports every problem in n, naming fields below f's root. The embedded server is
// checked only when URL is empty.
func (n *NATS) check(f *config.Fields) error {
	var errs []error
	if n.URL == "" {
		errs = append(errs, unjoin(n.Embedded.Check(f.At("embedded")))...)
	} else {
		of := ""
		if f.FromEnv("url") {
			of = " of " + f.Show("url", n.URL)
		}
		errs = append(errs, checkURLs(f.Path("url"), n.URL, of)...)
	}
	errs = append(errs, unjoin(n.Stream.Check(f))...)
	if n.Stream.Replicas > 1 && n.Stream.Replicas <= 5 && n.URL == "" {
		errs = append(errs, fmt.Errorf("%s: %s needs a JetStream cluster, but the embedded server is a single node (set nats.url, or replicas: 1)",
			f.Path("replicas"), f.Show("replicas", n.Stream.Replicas)))
	}
	errs = append(errs, config.CheckPositive(f, "publish_timeout", n.PublishTimeout))
	return errors.Join(errs...)
}

// checkURLs checks a comma-separated list of server URLs. Messages show a URL only with its
// password redacted, and not at all when it does not parse (it may hold credentials) or when
// it came from ${VAR}: then of names the variable (" of the value of ${NATS_URL}").
func checkURLs(field, urls, of string) []error {
	var errs []error
	for i, raw := range strings.Split(urls, ",") {
		raw = strings.TrimSpace(raw)
		entry := fmt.Sprintf("%s: entry %d%s", field, i+1, of)
		if raw == "" {
			errs = append(errs, fmt.Errorf("%s is empty", entry))
			continue
		}
		u, err := url.Parse(raw)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s is not a valid URL", entry))
			continue
		}
		shown := " (" + redacted(u) + ")"
		if of != "" {
			shown = ""
		}
		if !containsFold(natsSchemes, u.Scheme) {
			errs = append(errs, fmt.Errorf("%s%s must start with nats://, tls://, ws:// or wss://", entry, shown))
			continue
		}
		if u.Host == "" {
			errs = append(errs, fmt.Errorf("%s%s has no host", entry, shown))
		}
	}
	return errs
}

// redacted renders u without its user info: nats://TOKEN@host carries a token as the user name,
// which url.URL.Redacted would keep.
func redacted(u *url.URL) string {
	c := *u
	if c.User != nil {
		c.User = url.User("REDACTED")
	}
	return c.String()
}

func containsFold(set []string, s string) bool {
	for _, v := range set {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}
