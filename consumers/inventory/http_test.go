package inventory_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/hookbridge/hookbridge/consumers/inventory"
)

func TestReadPath(t *testing.T) {
	e := newEnv(t, map[string]int{"HB-MUG-01": 100, "Mug Blue/L": 7})
	e.handle(t, canonical(t, shopifyCreate, shop, "1", shopifyOrder(1, "HB-MUG-01", 2))...)
	srv := httptest.NewServer(e.svc.Handler())
	t.Cleanup(srv.Close)

	get := func(path string, wantStatus int, v any) {
		t.Helper()
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != wantStatus {
			t.Fatalf("GET %s: %s, want %d", path, resp.Status, wantStatus)
		}
		if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("GET %s: Content-Type %q", path, ct)
		}
		if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
	}

	var one inventory.Stock
	get("/stock/HB-MUG-01", http.StatusOK, &one)
	if want := (inventory.Stock{SKU: "HB-MUG-01", OnHand: 100, Reserved: 2, Available: 98, Orders: 1}); one != want {
		t.Errorf("GET /stock/HB-MUG-01 = %+v, want %+v", one, want)
	}
	get("/stock/Mug%20Blue%2FL", http.StatusOK, &one)
	if one.SKU != "Mug Blue/L" || one.Available != 7 {
		t.Errorf("GET /stock/Mug%%20Blue%%2FL = %+v", one)
	}

	var all struct{ Stock []inventory.Stock }
	get("/stock", http.StatusOK, &all)
	if len(all.Stock) != 2 || all.Stock[0].SKU != "HB-MUG-01" || all.Stock[0].Available != 98 || all.Stock[1].SKU != "Mug Blue/L" {
		t.Errorf("GET /stock = %+v", all)
	}

	var bad struct{ Error string }
	get("/stock/NOPE", http.StatusNotFound, &bad)
	if bad.Error != "unknown sku" {
		t.Errorf("GET /stock/NOPE error %q", bad.Error)
	}

	resp, err := http.Post(srv.URL+"/stock/HB-MUG-01", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST: %s, want 405", resp.Status)
	}
}

func TestReadPathEmpty(t *testing.T) {
	e := newEnv(t, nil)
	rec := httptest.NewRecorder()
	e.svc.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/stock", nil))
	if rec.Code != http.StatusOK || rec.Body.String() != "{\"stock\":[]}\n" {
		t.Errorf("GET /stock on an empty bucket: %d %q", rec.Code, rec.Body.String())
	}
}
