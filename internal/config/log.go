package config

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

var (
	logLevels  = []string{"debug", "info", "warn", "error"}
	logFormats = []string{"json", "text"}
)

// Log configures the process logger.
type Log struct {
	Level  string `yaml:"level"`  // debug | info | warn | error; default info
	Format string `yaml:"format"` // json | text; default json
}

func (l *Log) setDefaults() {
	if l.Level == "" {
		l.Level = "info"
	}
	if l.Format == "" {
		l.Format = "json"
	}
}

// Validate reports every problem in l.
func (l *Log) Validate() error { return l.validate(nil) }

func (l *Log) validate(f *fields) error {
	var errs []error
	if !slices.Contains(logLevels, l.Level) {
		errs = append(errs, fmt.Errorf("log.level: %s is not one of %s", f.show("log.level", l.Level), list(logLevels)))
	}
	if !slices.Contains(logFormats, l.Format) {
		errs = append(errs, fmt.Errorf("log.format: %s is not one of %s", f.show("log.format", l.Format), list(logFormats)))
	}
	return errors.Join(errs...)
}

// list renders a set of allowed values for a message: "debug, info, warn or error".
func list(values []string) string {
	if len(values) < 2 {
		return strings.Join(values, "")
	}
	return strings.Join(values[:len(values)-1], ", ") + " or " + values[len(values)-1]
}
