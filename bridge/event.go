package bridge

import (
	"fmt"
	"mime"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookbridge/hookbridge/bridge/provider"
)

// maxAttrLen bounds every CloudEvent attribute taken from a delivery.
const maxAttrLen = 1024

// delivery is one verified request on its way to the broker.
type delivery struct {
	body        []byte
	contentType string
	received    time.Time
	event       provider.Event
}

// CloudEvents binary-mode header names, exactly as sdk-go's nats_jetstream
// codec writes them ("ce-" + the attribute name).
const (
	hdrSpecVersion     = "ce-specversion"
	hdrID              = "ce-id"
	hdrSource          = "ce-source"
	hdrType            = "ce-type"
	hdrSubject         = "ce-subject"
	hdrTime            = "ce-time"
	hdrDataContentType = "ce-datacontenttype"
)

// message encodes d as a CloudEvent in binary mode and returns it with its
// dedup id. The headers are the ones sdk-go's nats_jetstream codec writes
// for the same event, value for value (TestEncodingMatchesSDK holds it to
// that), but written directly: the payload is the body itself (or the
// provider's Event.Data), not a copy, and there is no event object to build
// and validate. Attributes come from untrusted input and travel as NATS
// header values, so they are checked first.
func (s *server) message(rt *route, d delivery) (*nats.Msg, error) {
	ev := d.event
	src := ev.Source
	if src == "" {
		src = "/" + rt.Provider.Kind() + "/" + rt.Name
	}
	ceType := rt.Provider.CEType(ev.Type)
	if ev.ID == "" || ev.Type == "" {
		return nil, fmt.Errorf("%w: id and type are required", provider.ErrUnusable)
	}
	for _, a := range [...]struct{ name, value string }{
		{"id", ev.ID}, {"type", ceType}, {"source", src}, {"subject", ev.Subject},
	} {
		if err := checkAttr(a.name, a.value); err != nil {
			return nil, err
		}
	}
	if err := checkExtensions(ev.Extensions); err != nil {
		return nil, err
	}
	src, err := rt.sourceURI(src)
	if err != nil {
		return nil, err
	}

	subject := make([]byte, 0, len(rt.subjectBase)+len(ev.Type)+4)
	subject = append(subject, rt.subjectBase...)
	subject, tokens := appendTypeTokens(subject, ev.Type)
	if tokens == 0 {
		return nil, fmt.Errorf("%w: event type %q has no subject token", provider.ErrUnusable, ev.Type)
	}

	t := ev.Time
	if t.IsZero() {
		t = d.received
	}
	// The data is the body as received, except where the provider read the
	// event out of a wrapper (GitHub's form deliveries) and hands back what
	// it wrapped.
	data, contentType := d.body, d.contentType
	if ev.Data != nil {
		data, contentType = ev.Data, ev.DataContentType
	}
	contentType = rt.mediaType(contentType)

	// One backing array for all header values.
	vals := [8]string{"1.0", ev.ID, src, ceType, t.UTC().Format(time.RFC3339Nano), rt.Name + ":" + ev.ID, ev.Subject, contentType}
	hdr := make(nats.Header, 8+s.traceHeaders)
	hdr[hdrSpecVersion] = vals[0:1:1]
	hdr[hdrID] = vals[1:2:2]
	hdr[hdrSource] = vals[2:3:3]
	hdr[hdrType] = vals[3:4:4]
	hdr[hdrTime] = vals[4:5:5]
	hdr[jetstream.MsgIDHeader] = vals[5:6:6]
	if ev.Subject != "" {
		hdr[hdrSubject] = vals[6:7:7]
	}
	if contentType != "" {
		hdr[hdrDataContentType] = vals[7:8:8]
	}
	for name, v := range ev.Extensions {
		if v != "" {
			hdr["ce-"+name] = []string{v}
		}
	}
	return &nats.Msg{Subject: string(subject), Header: hdr, Data: data}, nil
}

// normalSource is a CloudEvents source as a delivery named it and as its
// message carries it.
type normalSource struct{ raw, uri string }

// sourceURI is src as its message carries it. CloudEvents' source is a
// URI-reference; sdk-go stores it parsed and writes it back with
// url.URL.String, so do the same. The route's last answer is kept.
func (rt *route) sourceURI(src string) (string, error) {
	if last := rt.lastSource.Load(); last != nil && last.raw == src {
		return last.uri, nil
	}
	u, err := url.Parse(src)
	if err != nil || u.String() == "" {
		return "", fmt.Errorf("%w: source is not a URI reference", provider.ErrUnusable)
	}
	uri := u.String()
	rt.lastSource.Store(&normalSource{raw: src, uri: uri})
	return uri, nil
}

// mediaType is the data content type a message carries for ct: trimmed, as
// sdk-go does (and nats.go would trim it anyway), and left out when it is
// not a valid media type rather than refusing a verified delivery. The
// route's last valid one is kept.
func (rt *route) mediaType(ct string) string {
	ct = strings.TrimSpace(ct)
	if ct == "" {
		return ""
	}
	if last := rt.lastContentType.Load(); last != nil && *last == ct {
		return ct
	}
	if _, _, err := mime.ParseMediaType(ct); err != nil {
		return ""
	}
	kept := ct // its own variable: storing &ct would put ct on the heap on every call
	rt.lastContentType.Store(&kept)
	return ct
}

// maxExtNameLen is the longest extension name: CloudEvents asks names to
// be at most 20 characters.
const maxExtNameLen = 20

// specAttrs are the names an extension must not take: the attributes the
// CloudEvents specification defines, and its data.
var specAttrs = map[string]bool{
	"specversion": true, "id": true, "source": true, "type": true, "subject": true,
	"time": true, "datacontenttype": true, "dataschema": true, "data": true,
}

// checkExtensions refuses extension attributes that sdk-go would not
// decode back as they are: a name that is not 1 to 20 lower-case ASCII
// letters or digits (sdk-go lower-cases names it reads), or is a name of
// the specification, and values as checkAttr. The names are the
// providers' own, so a bad one is a bug, not the sender's fault: it is not
// ErrUnusable. An empty value means the attribute is absent.
func checkExtensions(ext map[string]string) error {
	for name, v := range ext {
		if name == "" || len(name) > maxExtNameLen || strings.Trim(name, "abcdefghijklmnopqrstuvwxyz0123456789") != "" || specAttrs[name] {
			return fmt.Errorf("extension attribute name %q is not a lower-case CloudEvents extension name", name)
		}
		if v == "" {
			continue
		}
		if err := checkAttr(name, v); err != nil {
			return err
		}
	}
	return nil
}

// checkAttr refuses attribute values that a NATS header cannot carry intact:
// invalid UTF-8, control characters (nats.go would rewrite CR/LF) and
// surrounding whitespace (nats.go and sdk-go trim it), or absurd lengths.
func checkAttr(name, v string) error {
	if len(v) > maxAttrLen {
		return fmt.Errorf("%w: %s longer than %d bytes", provider.ErrUnusable, name, maxAttrLen)
	}
	if !utf8.ValidString(v) {
		return fmt.Errorf("%w: %s is not valid UTF-8", provider.ErrUnusable, name)
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x20 || c == 0x7f {
			return fmt.Errorf("%w: %s contains a control character", provider.ErrUnusable, name)
		}
	}
	// sdk-go trims attributes with strings.TrimSpace when it reads them:
	// refuse what would not come back the same.
	if strings.TrimSpace(v) != v {
		return fmt.Errorf("%w: %s has surrounding whitespace", provider.ErrUnusable, name)
	}
	return nil
}
