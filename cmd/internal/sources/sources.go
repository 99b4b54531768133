// Package sources turns the configured sources into the bridge's: the one
// place that maps config.Source onto provider.Config, shared by the bridge,
// `hookbridge send` and the load tool so that all three verify and sign
// exactly alike. (internal/config imports nothing of ours and bridge/provider
// only the standard library, so the mapping lives between them.)
package sources

import (
	"errors"
	"fmt"

	"github.com/hookbridge/hookbridge/bridge"
	"github.com/hookbridge/hookbridge/bridge/provider"
	"github.com/hookbridge/hookbridge/internal/config"
)

// Provider builds one source's provider.
func Provider(c config.Source) (*provider.Provider, error) {
	return provider.New(provider.Config{
		Kind:           c.Provider,
		Secrets:        c.Secrets,
		Tolerance:      c.Tolerance,
		TypePrefix:     c.TypePrefix,
		SecretEncoding: c.SecretEncoding,
		HMAC: provider.HMACConfig{
			Header:    c.HMAC.Header,
			Algorithm: c.HMAC.Algorithm,
			Encoding:  c.HMAC.Encoding,
			Prefix:    c.HMAC.Prefix,
			ID:        c.HMAC.ID,
			Type:      c.HMAC.Type,
			Source:    c.HMAC.Source,
			Subject:   c.HMAC.Subject,
			Time:      c.HMAC.Time,
		},
	})
}

// Providers is what config needs to report provider problems together with its own: the
// provider names, and a check that builds each source's provider. Pass it to config.Load.
func Providers() config.Providers {
	return config.Providers{
		Names: provider.Kinds(),
		Check: func(c config.Source) error {
			_, err := Provider(c)
			return err
		},
	}
}

// Bridge resolves every configured source into its provider once; errors
// name the source (`sources[1] "acme-shop": hmac.header: required`), all of
// them at once.
func Bridge(cfgs []config.Source) ([]bridge.Source, error) {
	var errs []error
	out := make([]bridge.Source, 0, len(cfgs))
	for i, c := range cfgs {
		p, err := Provider(c)
		if err != nil {
			errs = append(errs, fmt.Errorf("sources[%d] %q: %w", i, c.Name, err))
			continue
		}
		out = append(out, bridge.Source{Name: c.Name, Provider: p})
	}
	return out, errors.Join(errs...)
}
