package provider

import (
	"bytes"
	"encoding/json"
)

// jsonObject is a JSON object decoded one level deep. Each value keeps its
// bytes as written, so a number comes out exactly as the sender wrote it
// (no float64 round trip: 12345678901234567890 stays that) and nothing
// below the looked-up path is decoded. As in encoding/json, a key that
// appears twice has its last value.
type jsonObject map[string]json.RawMessage

// parseJSONObject returns nil when b is not a JSON object (invalid JSON,
// trailing data, or another kind of value).
func parseJSONObject(b []byte) jsonObject {
	var o jsonObject
	if json.Unmarshal(b, &o) != nil {
		return nil
	}
	return o
}

// lookup follows path through nested objects.
func (o jsonObject) lookup(path ...string) (json.RawMessage, bool) {
	cur := o
	for i, key := range path {
		v, ok := cur[key]
		if !ok {
			return nil, false
		}
		if i == len(path)-1 {
			return bytes.TrimSpace(v), true
		}
		if cur = parseJSONObject(v); cur == nil {
			return nil, false
		}
	}
	return nil, false
}

// str is the JSON string at path, or "" when there is none.
func (o jsonObject) str(path ...string) string {
	v, _ := o.lookup(path...)
	return jsonString(v)
}

// scalar is the JSON string at path, or the JSON number there exactly as
// written, or "" for anything else.
func (o jsonObject) scalar(path ...string) string {
	v, _ := o.lookup(path...)
	if len(v) > 0 && (v[0] == '-' || ('0' <= v[0] && v[0] <= '9')) {
		return string(v) // a valid number: Unmarshal checked the whole document
	}
	return jsonString(v)
}

func jsonString(v json.RawMessage) string {
	if len(v) == 0 || v[0] != '"' {
		return ""
	}
	var s string
	if json.Unmarshal(v, &s) != nil {
		return ""
	}
	return s
}
