package settings

import (
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/hookbridge/hookbridge/internal/config"
)

// Console is admin.console: the web console served on the admin listener beside /healthz,
// /readyz and /metrics. Token, Username and Password are secrets: never logged, never shown in
// errors.
type Console struct {
	// Enabled serves the console; default true. A pointer, so that an absent key can mean true.
	Enabled *bool `yaml:"enabled"`
	// Token, if set, is accepted as a bearer token, or as the password of basic auth (any user
	// name), which is what a browser can send.
	Token string `yaml:"token"`
	// Username and Password, if set, are basic-auth credentials; each needs the other.
	Username string `yaml:"username"`
	Password string `yaml:"password"`
	// HideBodies keeps deliveries' bodies, which can hold personal data, off every page.
	HideBodies bool `yaml:"hide_bodies"`
}

// On reports whether the console is served.
func (c *Console) On() bool { return c.Enabled == nil || *c.Enabled }

// Protected reports whether credentials are configured: then every console page asks for them.
func (c *Console) Protected() bool { return c.Token != "" || c.Username != "" }

func (c *Console) setDefaults() {
	if c.Enabled == nil {
		on := true
		c.Enabled = &on
	}
}

// check reports every problem in c, naming fields below f's root (admin.console). listen is
// admin.listen: off loopback, anyone who reaches the port could read the console, so
// credentials are required there. Messages never hold a credential.
func (c *Console) check(f *config.Fields, listen string) error {
	var errs []error
	if c.Username != "" && c.Password == "" && !f.Bad("password") {
		errs = append(errs, fmt.Errorf("%s: required with %s%s", f.Path("password"), f.Path("username"), origin(f, "username")))
	}
	if c.Password != "" && c.Username == "" && !f.Bad("username") {
		errs = append(errs, fmt.Errorf("%s: required with %s%s", f.Path("username"), f.Path("password"), origin(f, "password")))
	}
	if c.On() && !c.Protected() && !isLoopback(listen) && !f.Bad("token") && !f.Bad("username") {
		errs = append(errs, fmt.Errorf("%s (or %s and %s): required while the admin listener is not on loopback, "+
			"since anyone who reaches it could read the console (or set %s: false)",
			f.Path("token"), f.Path("username"), f.Path("password"), f.Path("enabled")))
	}
	return errors.Join(errs...)
}

// origin names the variable a credential at rel came from, " (the value of ${VAR})", or
// nothing when it was written in the file: a credential itself is never shown.
func origin(f *config.Fields, rel string) string {
	if !f.FromEnv(rel) {
		return ""
	}
	return " (" + f.Show(rel, "") + ")"
}

// isLoopback reports whether addr (host:port) listens on loopback only: an empty host, 0.0.0.0
// or [::] listens on every interface.
func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return true // CheckListen reports it
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
