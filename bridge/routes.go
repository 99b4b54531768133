package bridge

import (
	"net/http"

	"github.com/gorilla/mux"
)

// routes is every route of the webhook listener. Each request, whatever
// route it takes, is answered, logged and counted by answer.
func (s *server) routes() http.Handler {
	r := mux.NewRouter()
	r.HandleFunc("/webhooks/{source}", s.handleDelivery).Methods(http.MethodPost)
	r.HandleFunc("/webhooks/{source}", s.handleChallenge).Methods(http.MethodGet)
	r.MethodNotAllowedHandler = http.HandlerFunc(s.methodNotAllowed)
	r.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		s.answer(w, req, nil, ErrNotFound, deliveryLog{})
	})
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if refuseNext(req.Context()) {
			// The body's end is unknown, so nothing after it on this
			// connection can be trusted: answer and close.
			w.Header().Set("Connection", "close")
			s.answer(w, req, nil, ErrAmbiguousFraming, deliveryLog{})
			return
		}
		r.ServeHTTP(w, req)
	})
}

// handleChallenge answers a GET to a source's URL: with the provider's
// answer when the platform checks destinations with a GET handshake and
// the query is one (Braintree's ?bt_challenge=), else 405 as any other
// method but POST.
func (s *server) handleChallenge(w http.ResponseWriter, r *http.Request) {
	if rt := s.sources[mux.Vars(r)["source"]]; rt != nil {
		if body, ok := rt.Provider.Challenge(r.URL.Query()); ok {
			s.answer(w, r, rt, errChallenge, deliveryLog{reply: string(body)})
			return
		}
	}
	s.methodNotAllowed(w, r)
}

func (s *server) methodNotAllowed(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Allow", http.MethodPost)
	s.answer(w, r, nil, ErrMethodNotAllowed, deliveryLog{})
}
