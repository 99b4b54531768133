package commerce

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/hookbridge/hookbridge/internal/config"
)

// What the normaliser does with personal data (a customer's email and
// phone, a shipping address): Config.PersonalData.
const (
	// PersonalKeep publishes it as the platform sent it (the default).
	PersonalKeep = "keep"
	// PersonalDrop leaves it out.
	PersonalDrop = "drop"
	// PersonalHash replaces each value with a keyed hash,
	// "hmac-sha256:<hex>", so that a team can still join on a customer
	// without seeing who it is. The key (Config.HashKey) must stay secret:
	// without it nobody can test a guessed address against the hash.
	PersonalHash = "hash"
)

// HashPrefix starts every hashed personal value.
const HashPrefix = "hmac-sha256:"

// personal applies the mode to the personal data of one canonical event's
// data, in place.
func personal(mode string, key []byte, data any) {
	o, ok := data.(*Order)
	if !ok || mode == PersonalKeep || mode == "" {
		return // payments and refunds carry no personal data in v1
	}
	switch mode {
	case PersonalDrop:
		if o.Customer != nil {
			o.Customer.Email, o.Customer.Phone = "", ""
			if *o.Customer == (Customer{}) {
				o.Customer = nil
			}
		}
		o.ShippingAddr = nil
	case PersonalHash:
		h := func(s *string) {
			if *s != "" {
				m := hmac.New(sha256.New, key)
				m.Write([]byte(*s))
				*s = HashPrefix + hex.EncodeToString(m.Sum(nil))
			}
		}
		if o.Customer != nil && o.Customer.Email != "" {
			// One customer, however the platform cased the address: joins hold.
			o.Customer.Email = strings.ToLower(strings.TrimSpace(o.Customer.Email))
			h(&o.Customer.Email)
		}
		if o.Customer != nil {
			h(&o.Customer.Phone)
		}
		if a := o.ShippingAddr; a != nil {
			for _, f := range []*string{&a.Name, &a.Company, &a.Line1, &a.Line2, &a.City, &a.Region, &a.PostalCode, &a.Phone} {
				h(f)
			}
			// The country is kept: it says where to ship, not who lives there.
		}
	}
}

// checkPersonal checks the mode and, for hash, the key's length (never the
// key itself: it is a secret).
func checkPersonal(mode, key string, f *config.Fields) error {
	switch mode {
	case "", PersonalKeep, PersonalDrop:
		return nil
	case PersonalHash:
		if len(key) < 16 {
			return fmt.Errorf("%s: hash needs %s of at least 16 bytes (got %d)", f.Path("personal_data"), f.Path("hash_key"), len(key))
		}
		return nil
	}
	return fmt.Errorf("%s: %s is not one of keep, drop or hash", f.Path("personal_data"), f.Show("personal_data", mode))
}
