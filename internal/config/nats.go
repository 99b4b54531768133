package config

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode"
)

// NATS configures the JetStream connection and the stream deliveries are published to.
type NATS struct {
	// URL is empty for the embedded server, else a comma-separated list of nats://, tls://,
	// ws:// or wss:// server URLs.
	URL             string        `yaml:"url"`
	Embedded        Embedded      `yaml:"embedded"`         // used only when URL is empty
	Stream          string        `yaml:"stream"`           // default WEBHOOKS
	SubjectPrefix   string        `yaml:"subject_prefix"`   // default webhooks
	Replicas        int           `yaml:"replicas"`         // 1..5; default 1
	DuplicateWindow time.Duration `yaml:"duplicate_window"` // JetStream dedup window; default 24h
	PublishTimeout  time.Duration `yaml:"publish_timeout"`  // wait for the PubAck; default 3s
}

// Embedded configures the in-process nats-server used when NATS.URL is empty.
type Embedded struct {
	Listen     string `yaml:"listen"`      // host:port; default 127.0.0.1:4222
	StoreDir   string `yaml:"store_dir"`   // JetStream storage; default ./data/jetstream
	SyncAlways bool   `yaml:"sync_always"` // fsync every write; default false
}

var (
	// subjectPrefixPattern: one or more dot-separated tokens, none empty and none a wildcard.
	subjectPrefixPattern = regexp.MustCompile(`^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$`)
	natsSchemes          = []string{"nats", "tls", "ws", "wss"}
)

func (n *NATS) setDefaults() {
	n.Embedded.setDefaults()
	if n.Stream == "" {
		n.Stream = "WEBHOOKS"
	}
	if n.SubjectPrefix == "" {
		n.SubjectPrefix = "webhooks"
	}
	if n.Replicas == 0 {
		n.Replicas = 1
	}
	setDuration(&n.DuplicateWindow, 24*time.Hour)
	setDuration(&n.PublishTimeout, 3*time.Second)
}

func (e *Embedded) setDefaults() {
	if e.Listen == "" {
		e.Listen = "127.0.0.1:4222"
	}
	if e.StoreDir == "" {
		e.StoreDir = "./data/jetstream"
	}
}

// Validate reports every problem in n. The embedded server is checked only when URL is empty.
func (n *NATS) Validate() error {
	var errs []error
	if n.URL == "" {
		errs = append(errs, unjoin(n.Embedded.Validate())...)
	} else {
		errs = append(errs, checkURLs(n.URL)...)
	}
	switch {
	case n.Stream == "":
		errs = append(errs, errors.New("nats.stream: required"))
	case strings.IndexFunc(n.Stream, badStreamRune) >= 0:
		errs = append(errs, fmt.Errorf(`nats.stream: %q must not contain whitespace, control characters, '.', '*', '>', '/' or '\'`, n.Stream))
	}
	if !subjectPrefixPattern.MatchString(n.SubjectPrefix) {
		errs = append(errs, fmt.Errorf("nats.subject_prefix: %q must be one or more dot-separated tokens of letters, digits, '_' and '-'", n.SubjectPrefix))
	}
	switch {
	case n.Replicas < 1 || n.Replicas > 5:
		errs = append(errs, fmt.Errorf("nats.replicas: must be from 1 to 5 (got %d)", n.Replicas))
	case n.Replicas > 1 && n.URL == "":
		errs = append(errs, fmt.Errorf("nats.replicas: %d needs a JetStream cluster, but the embedded server is a single node (set nats.url, or replicas: 1)", n.Replicas))
	}
	errs = appendErr(errs, checkPositive("nats.duplicate_window", n.DuplicateWindow))
	errs = appendErr(errs, checkPositive("nats.publish_timeout", n.PublishTimeout))
	return errors.Join(errs...)
}

// Validate reports every problem in e.
func (e *Embedded) Validate() error {
	var errs []error
	errs = appendErr(errs, checkListen("nats.embedded.listen", e.Listen))
	if e.StoreDir == "" {
		errs = append(errs, errors.New("nats.embedded.store_dir: required when nats.url is empty"))
	}
	return errors.Join(errs...)
}

func badStreamRune(r rune) bool {
	return unicode.IsSpace(r) || unicode.IsControl(r) || strings.ContainsRune(`.*>/\`, r)
}

// checkURLs checks a comma-separated list of server URLs. Messages show a URL only with its
// password redacted, and not at all when it does not parse: it may hold credentials.
func checkURLs(urls string) []error {
	var errs []error
	for i, raw := range strings.Split(urls, ",") {
		raw = strings.TrimSpace(raw)
		entry := fmt.Sprintf("nats.url: entry %d", i+1)
		if raw == "" {
			errs = append(errs, fmt.Errorf("%s is empty", entry))
			continue
		}
		u, err := url.Parse(raw)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s is not a valid URL", entry))
			continue
		}
		if !containsFold(natsSchemes, u.Scheme) {
			errs = append(errs, fmt.Errorf("%s (%s) must start with nats://, tls://, ws:// or wss://", entry, redacted(u)))
			continue
		}
		if u.Host == "" {
			errs = append(errs, fmt.Errorf("%s (%s) has no host", entry, redacted(u)))
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
