package bridge

import (
	"io"
	"net/http"
	"strconv"
	"unicode/utf8"
)

// errorBody and okBody are the answers' JSON. They are written by hand
// (appendJSON) rather than with encoding/json, which on this path cost
// reflection and allocations per request; TestAnswerJSON holds the output to
// encoding/json's reading of it.
type errorBody struct {
	Error string `json:"error"`
}

type okBody struct {
	Status    string `json:"status"`
	ID        string `json:"id,omitempty"`
	Subject   string `json:"subject,omitempty"`
	Seq       uint64 `json:"seq,omitempty"`
	Duplicate bool   `json:"duplicate,omitempty"`
}

func (b errorBody) appendJSON(dst []byte) []byte {
	dst = append(dst, `{"error":`...)
	dst = appendJSONString(dst, b.Error)
	return append(dst, "}\n"...)
}

func (b okBody) appendJSON(dst []byte) []byte {
	dst = append(dst, `{"status":`...)
	dst = appendJSONString(dst, b.Status)
	if b.ID != "" {
		dst = append(dst, `,"id":`...)
		dst = appendJSONString(dst, b.ID)
	}
	if b.Subject != "" {
		dst = append(dst, `,"subject":`...)
		dst = appendJSONString(dst, b.Subject)
	}
	if b.Seq != 0 {
		dst = append(dst, `,"seq":`...)
		dst = strconv.AppendUint(dst, b.Seq, 10)
	}
	if b.Duplicate {
		dst = append(dst, `,"duplicate":true`...)
	}
	return append(dst, "}\n"...)
}

// appendJSONString appends s as a JSON string. Invalid UTF-8 becomes
// U+FFFD, as encoding/json does; '<', '>' and '&' are not escaped (no HTML
// here).
func appendJSONString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				dst = append(dst, '\\', c)
			case c < 0x20:
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				dst = append(dst, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, "\\ufffd"...)
		case r == '\u2028' || r == '\u2029':
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[r&0xf])
		default:
			dst = append(dst, s[i:i+size]...)
		}
		i += size
	}
	return append(dst, '"')
}

// writeJSON and writeText leave Content-Length to net/http, which sets it
// for an answer written whole before the handler returns (all of these,
// far below its 2 KiB buffer) without the two allocations of doing it here.
func writeJSON(w http.ResponseWriter, code int, body interface{ appendJSON([]byte) []byte }) {
	var buf [256]byte
	out := body.appendJSON(buf[:0])
	h := w.Header()
	h["Content-Type"] = contentTypeJSON
	h["X-Content-Type-Options"] = nosniff
	w.WriteHeader(code)
	_, _ = w.Write(out)
}

// writeText answers body as text/plain: what a platform that wants a
// fixed answer to a stored delivery (Adyen's "[accepted]") reads.
func writeText(w http.ResponseWriter, code int, body string) {
	h := w.Header()
	h["Content-Type"] = contentTypeText
	h["X-Content-Type-Options"] = nosniff
	w.WriteHeader(code)
	_, _ = io.WriteString(w, body)
}

// Shared, never modified header values.
var (
	contentTypeText = []string{"text/plain; charset=utf-8"}
	contentTypeJSON = []string{"application/json"}
	nosniff         = []string{"nosniff"}
)
