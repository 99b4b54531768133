package console

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"
)

// Auth holds the console's credentials; all empty means none is asked.
type Auth struct {
	// Token is accepted as "Authorization: Bearer <token>", or as the password of basic auth
	// with any user name: a browser can send only the latter.
	Token string
	// Username and Password are basic-auth credentials.
	Username, Password string
}

func (a Auth) configured() bool { return a.Token != "" || a.Username != "" }

// require answers 401 to a request without the configured credentials.
func (a Auth) require(h http.Handler) http.Handler {
	if !a.configured() {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !a.allows(r) {
			w.Header().Set("WWW-Authenticate", `Basic realm="hookbridge console", charset="UTF-8"`)
			http.Error(w, "credentials required", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// allows compares every configured credential in constant time, whatever matched before.
func (a Auth) allows(r *http.Request) bool {
	ok := 0
	if bearer, found := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); found && a.Token != "" {
		ok |= equal(bearer, a.Token)
	}
	if user, pass, found := r.BasicAuth(); found {
		if a.Token != "" {
			ok |= equal(pass, a.Token)
		}
		if a.Username != "" {
			ok |= equal(user, a.Username) & equal(pass, a.Password)
		}
	}
	return ok == 1
}

// equal compares digests, so that the time taken tells nothing of the length either.
func equal(got, want string) int {
	g, w := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(g[:], w[:])
}
