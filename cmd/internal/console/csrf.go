package console

import (
	"crypto/subtle"
	"net/http"
	"net/url"
)

// csrfFieldName is the hidden form field that carries the token (see the csrfField template
// function).
const csrfFieldName = "csrf"

// guard refuses a state-changing request that another site could have made a browser send:
// one the browser marks as not same-origin (Sec-Fetch-Site), one whose Origin is not this
// host, and one without this process's token in its form. Credentials a browser keeps for the
// console (basic auth) are sent with cross-site requests too, so authentication alone does not
// protect a POST.
func (c *Console) guard(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" {
			http.Error(w, "cross-site request refused", http.StatusForbidden)
			return
		}
		if origin := r.Header.Get("Origin"); origin != "" {
			u, err := url.Parse(origin)
			if err != nil || u.Host != r.Host {
				http.Error(w, "cross-origin request refused", http.StatusForbidden)
				return
			}
		}
		token := r.PostFormValue(csrfFieldName)
		if subtle.ConstantTimeCompare([]byte(token), []byte(c.csrf)) != 1 {
			http.Error(w, "the form is stale or not the console's: reload the page", http.StatusForbidden)
			return
		}
		h.ServeHTTP(w, r)
	})
}
