package inventory

import (
	"encoding/json"
	"errors"
	"net/http"
)

// Handler is the read path:
//
//	GET /stock        {"stock":[{"sku":…,"on_hand":…,"reserved":…,"available":…,"orders":…}, …]} sorted by SKU
//	GET /stock/{sku}  one such object; 404 {"error":"unknown sku"}
//
// A SKU is taken from the path after URL-unescaping, so "/stock/A%2FB" is
// SKU "A/B". Store failures are 503 with {"error":…}. It reads only; it is
// safe for concurrent use.
func (s *Service) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /stock", func(w http.ResponseWriter, r *http.Request) {
		all, err := s.All(r.Context())
		if err != nil {
			writeJSON(w, http.StatusServiceUnavailable, errorBody{err.Error()})
			return
		}
		if all == nil {
			all = []Stock{}
		}
		writeJSON(w, http.StatusOK, struct {
			Stock []Stock `json:"stock"`
		}{all})
	})
	mux.HandleFunc("GET /stock/{sku...}", func(w http.ResponseWriter, r *http.Request) {
		st, err := s.Stock(r.Context(), r.PathValue("sku"))
		switch {
		case errors.Is(err, ErrUnknownSKU):
			writeJSON(w, http.StatusNotFound, errorBody{err.Error()})
		case err != nil:
			writeJSON(w, http.StatusServiceUnavailable, errorBody{err.Error()})
		default:
			writeJSON(w, http.StatusOK, st)
		}
	})
	return mux
}

type errorBody struct {
	Error string `json:"error"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
