package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Why a decoder of our own rather than yaml.Node.Decode: we need, for every problem, the line in
// the original file and the config path (unknown keys, bad durations, unset variables), env
// expansion on values only, and one error per problem rather than the first. yaml.v3 gives
// KnownFields only on a byte stream, and its type errors name Go types, not config paths. So
// yaml.v3 parses the file into a Node tree and this file walks that tree against the yaml tags of
// the caller's structs, expanding each scalar value just before it is converted. Expanded text is
// never parsed as YAML again, so an env value cannot inject structure.

// maxSteps bounds the work of one decode. Aliases and merge keys (<<) can make a small document
// describe an exponentially large one; a real config needs a few hundred steps.
const maxSteps = 1 << 20

var durationType = reflect.TypeFor[time.Duration]()

// decoder turns a yaml.Node tree into a struct, collecting every problem it finds.
type decoder struct {
	file          string // for messages; "" when parsing bytes without a file name
	getenv        func(string) string
	ignoreUnknown bool
	ignoreOthers  bool // unknown top-level keys only
	fallbacks     []Fallback
	errs          []error
	// written holds the values that used ${VAR} (path -> the text as written: never to be
	// shown), failed those that could not be decoded; expanded lists written's paths in file
	// order.
	written   map[string]string
	failed    map[string]bool
	expanded  []string
	active    map[*yaml.Node]bool // alias targets being decoded, to stop alias cycles
	steps     int
	exhausted bool
	types     map[reflect.Type]structFields // cached per struct type
}

// spend counts one step of work and reports whether the budget still allows it.
func (d *decoder) spend(n *yaml.Node) bool {
	d.steps++
	if d.steps <= maxSteps {
		return true
	}
	if !d.exhausted {
		d.exhausted = true
		d.errorf(n, "", "document too complex: aliases expand to more than %d nodes", maxSteps)
	}
	return false
}

// at formats a position in the original file.
func (d *decoder) at(line int) string {
	return position(d.file, line)
}

func position(file string, line int) string {
	if file == "" {
		return "line " + strconv.Itoa(line)
	}
	return file + ":" + strconv.Itoa(line)
}

// errorf records a problem at n. A non-empty path names the value that could not be decoded,
// which is left zero.
func (d *decoder) errorf(n *yaml.Node, path, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if path != "" {
		msg = path + ": " + msg
		d.failed[path] = true
	}
	d.errs = append(d.errs, errors.New(d.at(n.Line)+": "+msg))
}

// show renders the value at path for a message (see Fields.Show).
func (d *decoder) show(path string, value any) string {
	return show(d.written, path, value)
}

// expansions lists the values that used ${VAR}, in file order.
func (d *decoder) expansions() Expansions {
	var out Expansions
	seen := make(map[string]bool, len(d.expanded))
	for _, path := range d.expanded {
		text, ok := d.written[path]
		if !ok || seen[path] {
			continue
		}
		seen[path] = true
		out = append(out, Expansion{Path: path, Text: text})
	}
	return out
}

// decodeValue decodes n into v (which must be settable), path naming v in messages.
func (d *decoder) decodeValue(n *yaml.Node, v reflect.Value, path string) {
	if !d.spend(n) {
		return
	}
	if n.Kind == yaml.AliasNode {
		d.decodeAlias(n, path, func(target *yaml.Node) { d.decodeValue(target, v, path) })
		return
	}
	if v.Type() == durationType {
		d.decodeDuration(n, v, path)
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		d.decodeStruct(n, v, path)
	case reflect.Slice:
		d.decodeSlice(n, v, path)
	case reflect.Map:
		d.decodeMap(n, v, path)
	case reflect.String:
		if s, ok := d.scalar(n, path, "a string"); ok {
			v.SetString(s)
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		s, ok := d.scalar(n, path, "a whole number")
		if !ok || s == "" {
			return
		}
		i, err := strconv.ParseInt(s, 10, v.Type().Bits())
		if err != nil {
			d.errorf(n, path, "%s is not a whole number", d.show(path, s))
			return
		}
		v.SetInt(i)
	case reflect.Bool:
		s, ok := d.scalar(n, path, "true or false")
		if !ok || s == "" {
			return
		}
		switch s {
		case "true", "True", "TRUE":
			v.SetBool(true)
		case "false", "False", "FALSE":
			v.SetBool(false)
		default:
			d.errorf(n, path, "%s is not true or false", d.show(path, s))
		}
	case reflect.Pointer:
		d.decodePointer(n, v, path)
	default:
		// Only reachable for a struct with a field of a type the file cannot hold.
		d.errorf(n, path, "internal error: cannot decode into %s", v.Type())
	}
}

// decodeAlias runs f on the target of alias n, refusing an alias that refers to a node that
// contains it (yaml.v3 registers an anchor before parsing its children, so &a [*a] is a cycle).
func (d *decoder) decodeAlias(n *yaml.Node, path string, f func(*yaml.Node)) {
	target := n.Alias
	if target == nil {
		d.errorf(n, path, "alias *%s refers to nothing", n.Value)
		return
	}
	if d.active[target] {
		d.errorf(n, path, "alias *%s refers to a node that contains it", n.Value)
		return
	}
	d.active[target] = true
	defer delete(d.active, target)
	f(target)
}

func (d *decoder) decodeDuration(n *yaml.Node, v reflect.Value, path string) {
	s, ok := d.scalar(n, path, "a duration such as 30s or 5m")
	if !ok || s == "" {
		return
	}
	dur, err := time.ParseDuration(s)
	if err != nil {
		d.errorf(n, path, "%s is not a duration (want a number with a unit, e.g. 500ms, 30s, 5m, 24h)", d.show(path, s))
		return
	}
	v.SetInt(int64(dur))
}

// scalar returns the expanded text of a scalar node. A YAML null (an empty value, ~ or null)
// gives "" so the field keeps its zero value and then its default; so does an expansion to "".
// The second result is false when a problem has been recorded.
func (d *decoder) scalar(n *yaml.Node, path, want string) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		d.errorf(n, path, "expected %s, found %s", want, kindName(n))
		return "", false
	}
	if n.ShortTag() == "!!null" {
		return "", true
	}
	s, fallbacks, used, err := expand(n.Value, d.getenv)
	if err != nil {
		d.errorf(n, path, "%s", err.Error())
		return "", false
	}
	// A key written after a merge key (<<) replaces the merged value, and with it its origin.
	if used {
		d.written[path] = n.Value
		d.expanded = append(d.expanded, path)
	} else {
		delete(d.written, path)
	}
	for _, name := range fallbacks {
		d.fallbacks = append(d.fallbacks, Fallback{Path: path, Var: name})
	}
	return s, true
}

// decodePointer decodes n into a new value for v to point to. A pointer field tells a value
// left out from a zero one (enabled: false where the default is true): null, and a scalar that
// expands to the empty string, leave it nil so that the default applies, as they leave other
// fields at their zero value.
func (d *decoder) decodePointer(n *yaml.Node, v reflect.Value, path string) {
	if isNull(n) {
		return
	}
	if n.Kind == yaml.ScalarNode {
		if s, _, _, err := expand(n.Value, d.getenv); err == nil && s == "" {
			d.scalar(n, path, "a value") // records the expansion and its fallbacks
			return
		}
	}
	elem := reflect.New(v.Type().Elem())
	d.decodeValue(n, elem.Elem(), path)
	v.Set(elem)
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		// Never the value itself: a misplaced value may be a secret.
		return "a single value"
	case yaml.AliasNode:
		return "an alias"
	case yaml.DocumentNode:
		return "a document"
	}
	return "nothing"
}

func (d *decoder) decodeSlice(n *yaml.Node, v reflect.Value, path string) {
	if isNull(n) {
		return
	}
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, path, "expected a list, found %s", kindName(n))
		return
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, c := range n.Content {
		d.decodeValue(c, s.Index(i), fmt.Sprintf("%s[%d]", path, i))
	}
	v.Set(s)
}

// decodeMap decodes a mapping whose keys are the file's own (HTTP headers, resource attributes)
// into a map with string keys. Keys are taken as written, never expanded, like every key; a
// value is at path.key.
func (d *decoder) decodeMap(n *yaml.Node, v reflect.Value, path string) {
	if isNull(n) {
		return
	}
	if v.Type().Key().Kind() != reflect.String {
		d.errorf(n, path, "internal error: cannot decode into %s", v.Type())
		return
	}
	if n.Kind != yaml.MappingNode {
		d.errorf(n, path, "expected a mapping, found %s", kindName(n))
		return
	}
	m := reflect.MakeMapWithSize(v.Type(), len(n.Content)/2)
	seen := make(map[string]int, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode || isMergeKey(k) || k.Value == "" {
			d.errorf(k, path, "a key must be a plain, non-empty name")
			continue
		}
		if first, dup := seen[k.Value]; dup {
			d.errorf(k, "", "duplicate key %q %s (first at line %d)", k.Value, where(path), first)
			continue
		}
		seen[k.Value] = k.Line
		elem := reflect.New(v.Type().Elem()).Elem()
		d.decodeValue(val, elem, join(path, k.Value))
		m.SetMapIndex(reflect.ValueOf(k.Value).Convert(v.Type().Key()), elem)
	}
	v.Set(m)
}

func isMergeKey(k *yaml.Node) bool {
	return k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge"
}

func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, path string) {
	if isNull(n) {
		return
	}
	fields := d.fieldsOf(v.Type())
	if n.Kind != yaml.MappingNode {
		if path == "" {
			d.errorf(n, "", "expected a mapping of sections (%s) at the top level, found %s", strings.Join(fields.order, ", "), kindName(n))
		} else {
			d.errorf(n, path, "expected a mapping, found %s", kindName(n))
		}
		return
	}
	// Merge keys first, so that keys written in this mapping override merged ones whatever
	// their order, as YAML's merge key specifies.
	for i := 0; i+1 < len(n.Content); i += 2 {
		if isMergeKey(n.Content[i]) {
			d.merge(n.Content[i+1], v, path, true)
		}
	}
	seen := make(map[string]int, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if isMergeKey(k) {
			continue
		}
		if k.Kind != yaml.ScalarNode {
			d.errorf(k, "", "%s: a key must be a plain name, found %s", where(path), kindName(k))
			continue
		}
		name := k.Value
		if first, dup := seen[name]; dup {
			d.errorf(k, "", "duplicate key %q %s (first at line %d)", name, where(path), first)
			continue
		}
		seen[name] = k.Line
		idx, ok := fields.index[name]
		switch {
		case !ok && (d.ignoreUnknown || d.ignoreOthers && path == ""):
			continue
		case !ok:
			d.errorf(k, "", "unknown key %q %s%s", name, where(path), suggest(name, fields.order))
			continue
		}
		// Decode into a fresh value: a key replaces what a merge key set, it does not deep-merge.
		f := v.FieldByIndex(idx)
		fresh := reflect.New(f.Type()).Elem()
		d.decodeValue(val, fresh, join(path, name))
		f.Set(fresh)
	}
}

// merge applies the value of a merge key (<<): a mapping, an alias of one, or (at the top of the
// merge only) a list of those, where earlier mappings win.
func (d *decoder) merge(val *yaml.Node, v reflect.Value, path string, top bool) {
	if !d.spend(val) {
		return
	}
	switch {
	case val.Kind == yaml.AliasNode:
		d.decodeAlias(val, path, func(target *yaml.Node) { d.merge(target, v, path, top) })
	case val.Kind == yaml.MappingNode:
		d.decodeStruct(val, v, path)
	case val.Kind == yaml.SequenceNode && top:
		for i := len(val.Content) - 1; i >= 0; i-- {
			d.merge(val.Content[i], v, path, false)
		}
	default:
		d.errorf(val, "", "%s: the value of << must be a mapping or a list of mappings, found %s", where(path), kindName(val))
	}
}

// yamlLine matches yaml.v3 syntax errors, which carry the line in their text only.
var yamlLine = regexp.MustCompile(`^yaml: line (\d+): `)

// parseYAML parses data into a document node. It returns (nil, nil) for a stream without a
// document (empty, or only comments).
func parseYAML(file string, data []byte) (doc *yaml.Node, err error) {
	// yaml.v3 turns its own parse failures into errors but re-panics on "internal error"
	// states some malformed inputs reach. Input must never crash the caller.
	defer func() {
		if r := recover(); r != nil {
			doc, err = nil, fmt.Errorf("%s: invalid YAML: %v", fileOr(file), r)
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var root yaml.Node
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, yamlError(file, err)
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case errors.Is(err, io.EOF):
	case err != nil:
		return nil, yamlError(file, err)
	default:
		return nil, fmt.Errorf("%s: only one YAML document is allowed, found a second one", position(file, extra.Line))
	}
	return &root, nil
}

func fileOr(file string) string {
	if file == "" {
		return "config"
	}
	return file
}

// yamlError rewrites "yaml: line 3: msg" as "file:3: msg".
func yamlError(file string, err error) error {
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return fmt.Errorf("%s: invalid YAML: %s", position(file, line), msg[len(m[0]):])
	}
	return fmt.Errorf("%s: invalid YAML: %s", fileOr(file), strings.TrimPrefix(msg, "yaml: "))
}
