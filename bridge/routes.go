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
	r.MethodNotAllowedHandler = http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("Allow", http.MethodPost)
		s.answer(w, req, nil, ErrMethodNotAllowed, deliveryLog{})
	})
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
