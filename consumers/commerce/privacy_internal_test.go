package commerce

import (
	"strings"
	"testing"
)

func orderWithPersonalData() *Order {
	return &Order{
		ID: "1", Platform: "shopify", Source: "s", LineItems: []LineItem{},
		Customer:     &Customer{ID: "207119551", Email: " Bob.Norman@Mail.example.com", Phone: "+1 555 0100"},
		ShippingAddr: &Address{Name: "Bob Norman", Line1: "Chestnut Street 92", City: "Louisville", PostalCode: "40202", Country: "US"},
	}
}

func TestPersonalData(t *testing.T) {
	key := []byte("0123456789abcdef")
	keep := orderWithPersonalData()
	personal(PersonalKeep, key, keep)
	if keep.Customer.Email != " Bob.Norman@Mail.example.com" || keep.ShippingAddr.Line1 != "Chestnut Street 92" {
		t.Errorf("keep changed the data: %+v %+v", keep.Customer, keep.ShippingAddr)
	}

	drop := orderWithPersonalData()
	personal(PersonalDrop, key, drop)
	if drop.Customer == nil || drop.Customer.ID != "207119551" || drop.Customer.Email != "" || drop.Customer.Phone != "" || drop.ShippingAddr != nil {
		t.Errorf("drop: customer %+v, address %+v; want the id only", drop.Customer, drop.ShippingAddr)
	}

	hashed := orderWithPersonalData()
	personal(PersonalHash, key, hashed)
	a := hashed.ShippingAddr
	for name, v := range map[string]string{"email": hashed.Customer.Email, "phone": hashed.Customer.Phone, "name": a.Name, "line1": a.Line1, "city": a.City, "postal code": a.PostalCode} {
		if !strings.HasPrefix(v, HashPrefix) || len(v) != len(HashPrefix)+64 {
			t.Errorf("%s = %q, want a keyed hash", name, v)
		}
	}
	if a.Country != "US" || hashed.Customer.ID != "207119551" {
		t.Errorf("hash changed what is not personal: country %q, customer id %q", a.Country, hashed.Customer.ID)
	}
	// The same customer however the platform cased the address; another key, another hash.
	other := orderWithPersonalData()
	other.Customer.Email = "bob.norman@mail.example.com"
	personal(PersonalHash, key, other)
	if other.Customer.Email != hashed.Customer.Email {
		t.Error("one address in two casings gave two hashes")
	}
	rekeyed := orderWithPersonalData()
	personal(PersonalHash, []byte("fedcba9876543210"), rekeyed)
	if rekeyed.Customer.Email == hashed.Customer.Email {
		t.Error("the hash does not depend on the key")
	}

	for mode, ok := range map[string]bool{"": true, "keep": true, "drop": true, "hash": true, "mask": false} {
		err := checkPersonal(mode, string(key), nil)
		if (err == nil) != ok {
			t.Errorf("mode %q: %v", mode, err)
		}
	}
	if checkPersonal(PersonalHash, "short", nil) == nil {
		t.Error("hash accepted a 5-byte key")
	}
}
