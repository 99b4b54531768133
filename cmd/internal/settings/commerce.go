package settings

import "github.com/hookbridge/hookbridge/consumers/commerce"

// Commerce is the commerce section: whether serve runs the normaliser
// in-process, and the normaliser's own part (commerce.Config:
// personal_data, hash_key), whose defaults and rules are its own.
type Commerce struct {
	Enabled         bool `yaml:"enabled"`
	commerce.Config `yaml:",inline"`
}
