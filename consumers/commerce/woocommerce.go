package commerce

// mapWooCommerce maps woocommerce events. Not mapped yet: every event is skipped.
func mapWooCommerce(raw Raw) ([]Canonical, error) {
	return nil, nil
}
