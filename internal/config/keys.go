package config

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
)

// The keys of a file are the yaml tags of the caller's structs.

// structFields are the keys of a struct type: each key's field (an index path, through the
// fields tagged inline), and the keys in the order the struct declares them.
type structFields struct {
	index map[string][]int
	order []string
}

// yamlFields reads the keys of struct type t from its yaml tags: a field's key is its tag's name,
// else its name in lower case; "-" is never read; ",inline" lends a struct field's keys to t.
func yamlFields(t reflect.Type) structFields {
	sf := structFields{index: make(map[string][]int, t.NumField())}
	sf.add(t, nil)
	return sf
}

func (sf *structFields) add(t reflect.Type, outer []int) {
	for i := range t.NumField() {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		index := append(slices.Clone(outer), i)
		switch {
		case name == "-":
			continue
		case opts == "inline" && f.Type.Kind() == reflect.Struct && (f.IsExported() || f.Anonymous):
			// An embedded struct of an unexported type still lends its exported fields.
			sf.add(f.Type, index)
			continue
		case !f.IsExported():
			continue
		case name == "":
			name = strings.ToLower(f.Name)
		}
		if _, dup := sf.index[name]; !dup {
			sf.order = append(sf.order, name)
		}
		sf.index[name] = index
	}
}

// fieldsOf is yamlFields, cached for the decode.
func (d *decoder) fieldsOf(t reflect.Type) structFields {
	sf, ok := d.types[t]
	if !ok {
		sf = yamlFields(t)
		d.types[t] = sf
	}
	return sf
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// where names a mapping for "unknown key ... in http" style messages.
func where(path string) string {
	if path == "" {
		return "at the top level"
	}
	return "in " + path
}

// suggest returns ` (did you mean "x"?)` for the known key closest to a misspelt one.
func suggest(name string, keys []string) string {
	best, bestDist := "", 3 // suggest only within two edits
	for _, k := range keys {
		if dist := editDistance(name, k); dist < bestDist || (dist == bestDist && k < best) {
			best, bestDist = k, dist
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// editDistance is the Levenshtein distance between a and b, in bytes. Keys are short; inputs
// longer than 64 bytes are not worth comparing and count as far apart.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 1 << 30
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
