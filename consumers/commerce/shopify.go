package commerce

// mapShopify maps shopify events. Not mapped yet: every event is skipped.
func mapShopify(raw Raw) ([]Canonical, error) {
	return nil, nil
}
