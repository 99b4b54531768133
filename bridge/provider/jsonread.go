//go:build !abscanner

package provider

import (
	"bytes"
	"encoding/json"
	"io"
)

// readObject reads the JSON object b one level deep with encoding/json:
// its members in order, repeats kept, each key as encoding/json decodes
// it and each value as the raw text written (a number stays exactly as
// the sender wrote it: no float64 round trip). It answers false when b is
// not exactly one JSON object; the whole text is validated, nested values
// included.
func readObject(b []byte) (jsonObject, bool) {
	d := json.NewDecoder(bytes.NewReader(b))
	if t, err := d.Token(); err != nil || t != json.Delim('{') {
		return nil, false
	}
	obj := make(jsonObject, 0, 16)
	for d.More() {
		t, err := d.Token()
		if err != nil {
			return nil, false
		}
		key, _ := t.(string)
		var v json.RawMessage
		if err := d.Decode(&v); err != nil {
			return nil, false
		}
		obj = append(obj, jsonMember{key: []byte(key), val: v})
	}
	if t, err := d.Token(); err != nil || t != json.Delim('}') {
		return nil, false
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, false // trailing data
	}
	return obj, true
}
