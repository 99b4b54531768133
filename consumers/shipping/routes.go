package shipping

import (
	"encoding/json"
	"errors"
	"net/http"
)

// ReadHandler is the read path, every route of it here:
//
//	GET /shipments        {"shipments":[Shipment...]}, in key order, tombstones included
//	GET /shipments/{key}  the Shipment; 404 {"error":...} if there is none
//
// Other methods get 405. It reads the KV bucket on every request.
func (s *Service) ReadHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /shipments", func(w http.ResponseWriter, r *http.Request) {
		all, err := s.All(r.Context())
		if err != nil {
			s.log.Error("listing shipments", "error", err)
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "shipments unavailable"})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"shipments": all})
	})
	mux.HandleFunc("GET /shipments/{key}", func(w http.ResponseWriter, r *http.Request) {
		sh, err := s.Shipment(r.Context(), r.PathValue("key"))
		switch {
		case errors.Is(err, ErrNotFound):
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "shipment not found"})
		case err != nil:
			s.log.Error("reading shipment", "key", r.PathValue("key"), "error", err)
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "shipments unavailable"})
		default:
			writeJSON(w, http.StatusOK, sh)
		}
	})
	return mux
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
