package settings_test

import (
	"strings"
	"testing"
)

// TestConsoleSettings: the console is on unless switched off; off loopback it refuses to
// start without credentials, naming the key; user name and password go together; no error
// shows a credential.
func TestConsoleSettings(t *testing.T) {
	const sources = "sources: [{name: a, provider: p, secrets: [s]}]\n"
	env := map[string]string{"CONSOLE_TOKEN": "t0ken-Value"}
	for _, tc := range []struct {
		name, admin string
		on          bool
		wantErr     string // "" for none
	}{
		{"default", "admin: {}", true, ""},
		{"loopback needs nothing", "admin: {listen: \"127.0.0.1:9090\"}", true, ""},
		{"localhost needs nothing", "admin: {listen: \"localhost:9090\"}", true, ""},
		{"ipv6 loopback needs nothing", "admin: {listen: \"[::1]:9090\"}", true, ""},
		{"every interface needs credentials", "admin: {listen: \":9090\"}", true, "admin.console.token (or admin.console.username and admin.console.password): required while the admin listener is not on loopback"},
		{"0.0.0.0 needs credentials", "admin: {listen: \"0.0.0.0:9090\"}", true, "admin.console.token"},
		{"a token will do", "admin: {listen: \":9090\", console: {token: \"${CONSOLE_TOKEN}\"}}", true, ""},
		{"basic credentials will do", "admin: {listen: \":9090\", console: {username: ops, password: \"${CONSOLE_TOKEN}\"}}", true, ""},
		{"switched off", "admin: {listen: \":9090\", console: {enabled: false}}", false, ""},
		{"an empty expansion keeps the default", "admin: {console: {enabled: \"${CONSOLE_ON:-}\"}}", true, ""},
		{"a user name needs a password", "admin: {console: {username: s3cret-user}}", true, "admin.console.password: required with admin.console.username"},
		{"a password needs a user name", "admin: {console: {password: \"${CONSOLE_TOKEN}\"}}", true, "admin.console.username: required with admin.console.password (the value of ${CONSOLE_TOKEN})"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, _, err := loadYAML(t, tc.admin+"\n"+sources, env)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got %v, want an error with %q", err, tc.wantErr)
				}
				if msg := err.Error(); strings.Contains(msg, "t0ken") || strings.Contains(msg, "s3cret") {
					t.Fatalf("the error shows a credential: %s", msg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := cfg.Admin.Console.On(); got != tc.on {
				t.Errorf("On() = %v, want %v", got, tc.on)
			}
		})
	}
}
