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
func (n *NATS) Validate() error { return n.validate(nil) }

func (n *NATS) validate(f *fields) error {
	var errs []error
	if n.URL == "" {
		errs = append(errs, unjoin(n.Embedded.validate(f))...)
	} else {
		of := ""
		if f.fromEnv("nats.url") {
			of = " of " + f.show("nats.url", n.URL)
		}
		errs = append(errs, checkURLs(n.URL, of)...)
	}
	switch {
	case n.Stream == "":
		errs = append(errs, errors.New("nats.stream: required"))
	case strings.IndexFunc(n.Stream, badStreamRune) >= 0:
		errs = append(errs, fmt.Errorf(`nats.stream: %s must not contain whitespace, control characters, '.', '*', '>', '/' or '\'`, f.show("nats.stream", n.Stream)))
	}
	if !subjectPrefixPattern.MatchString(n.SubjectPrefix) {
		errs = append(errs, fmt.Errorf("nats.subject_prefix: %s must be one or more dot-separated tokens of letters, digits, '_' and '-'", f.show("nats.subject_prefix", n.SubjectPrefix)))
	}
	switch {
	case n.Replicas < 1 || n.Replicas > 5:
		errs = append(errs, fmt.Errorf("nats.replicas: must be from 1 to 5 (got %s)", f.show("nats.replicas", n.Replicas)))
	case n.Replicas > 1 && n.URL == "":
		errs = append(errs, fmt.Errorf("nats.replicas: %s needs a JetStream cluster, but the embedded server is a single node (set nats.url, or replicas: 1)", f.show("nats.replicas", n.Replicas)))
	}
	errs = appendErr(errs, checkPositive(f, "nats.duplicate_window", n.DuplicateWindow))
	errs = appendErr(errs, checkPositive(f, "nats.publish_timeout", n.PublishTimeout))
	return errors.Join(errs...)
}

// Validate reports every problem in e.
func (e *Embedded) Validate() error { return e.validate(nil) }

func (e *Embedded) validate(f *fields) error {
	var errs []error
	errs = appendErr(errs, checkListen(f, "nats.embedded.listen", e.Listen))
	if e.StoreDir == "" {
		errs = append(errs, errors.New("nats.embedded.store_dir: required when nats.url is empty"))
	}
	return errors.Join(errs...)
}

func badStreamRune(r rune) bool {
	return unicode.IsSpace(r) || unicode.IsControl(r) || strings.ContainsRune(`.*>/\`, r)
}

// checkURLs checks a comma-separated list of server URLs. Messages show a URL only with its
// password redacted, and not at all when it does not parse (it may hold credentials) or when
// it came from ${VAR}: then of names the variable (" of the value of ${NATS_URL}").
func checkURLs(urls, of string) []error {
	var errs []error
	for i, raw := range strings.Split(urls, ",") {
		raw = strings.TrimSpace(raw)
		entry := fmt.Sprintf("nats.url: entry %d%s", i+1, of)
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
