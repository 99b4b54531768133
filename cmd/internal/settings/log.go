package settings

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/hookbridge/hookbridge/internal/config"
)

// EnvLogLevel names the environment variable that, when set, overrides log.level.
const EnvLogLevel = "HOOKBRIDGE_LOG_LEVEL"

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

// override sets the level from HOOKBRIDGE_LOG_LEVEL's value, when it has one.
func (l *Log) override(level string) error {
	switch {
	case level == "":
	case slices.Contains(logLevels, level):
		l.Level = level
	default:
		return fmt.Errorf("%s: not one of %s (its value is not shown)", EnvLogLevel, list(logLevels))
	}
	return nil
}

// check reports every problem in l, naming fields below f's root.
func (l *Log) check(f *config.Fields) error {
	var errs []error
	if !slices.Contains(logLevels, l.Level) {
		errs = append(errs, fmt.Errorf("%s: %s is not one of %s", f.Path("level"), f.Show("level", l.Level), list(logLevels)))
	}
	if !slices.Contains(logFormats, l.Format) {
		errs = append(errs, fmt.Errorf("%s: %s is not one of %s", f.Path("format"), f.Show("format", l.Format), list(logFormats)))
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
