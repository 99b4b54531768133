package commerce

// mapStripe maps stripe events. Not mapped yet: every event is skipped.
func mapStripe(raw Raw) ([]Canonical, error) {
	return nil, nil
}
