package console

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hookbridge/hookbridge/cmd/internal/console/jsview"
	"github.com/hookbridge/hookbridge/internal/wire"
)

// shownBody is a message's body as a page shows it (templates/body.html): the delivery page
// and the dead-letter page show a body through it, so that a claim-checked body, the console's
// hide_bodies and the bound on what is read are treated the same on both.
type shownBody struct {
	// Hidden: the console is set to keep bodies off its pages.
	Hidden bool
	// Size is the body's size: the message's data, or for a claim check the size it states.
	Size string
	// Kind is "JSON", "text", "binary" or "empty", or "unread" for a claim check whose object
	// could not be read; Text is what is shown of it.
	Kind, Text string
	// Claim, for a claim check, says where its body is stored and how much of it is shown.
	Claim *claimNote
}

// body is m's body as a page shows it: a claim check's read from the object it names
// (claimed), any other's from the message; nothing of either when bodies are hidden.
func (c *Console) body(ctx context.Context, m jsview.Message) shownBody {
	b := shownBody{Hidden: c.cfg.HideBodies, Size: bytesText(uint64(m.BodySize))}
	switch {
	case m.Event.Extensions["dataref"] != "":
		c.claimed(ctx, &b, m)
	case !b.Hidden:
		b.Kind, b.Text = showBody(m.Body)
	}
	return b
}

// claimNote is what a page says of a claim check: a body too large for a message, stored as
// an object (see internal/wire).
type claimNote struct {
	Bucket, Name, Size, Digest string
	// Command fetches the whole body with the nats CLI, checked against its digest.
	Command string
	// Gone: the object is no longer stored. Unread, when not gone, says why it could not be
	// read now.
	Gone   bool
	Unread string
	// Shown, when the body is cut, is how much of it the page shows.
	Shown string
	// Replaced: the object's digest is not the message's: the object was stored again under
	// its name with other bytes, and what is shown is not this message's body.
	Replaced bool
}

// claimReadTimeout bounds reading a claim check's object for a page.
const claimReadTimeout = 5 * time.Second

// claimed fills b from the object m's dataref names, reading no more of it than a page shows
// of a body that travels in a message: the server's max_payload.
func (c *Console) claimed(ctx context.Context, b *shownBody, m jsview.Message) {
	ref := m.Event.Extensions["dataref"]
	limit := int(c.cfg.JS.Conn().MaxPayload())
	if limit <= 0 {
		limit = 1 << 20 // the server's default max_payload
	}
	ctx, cancel := context.WithTimeout(ctx, claimReadTimeout)
	defer cancel()
	obj, err := c.view.Claimed(ctx, ref, limit)
	n := &claimNote{Bucket: obj.Bucket, Name: obj.Name, Size: m.Event.Extensions["datasize"], Digest: m.Event.Extensions["datadigest"]}
	if size, err := strconv.ParseUint(n.Size, 10, 63); err == nil {
		n.Size = bytesText(size)
		b.Size = n.Size
	}
	b.Claim, b.Kind = n, "unread"
	switch {
	case errors.Is(err, jsview.ErrBodyGone):
		n.Gone = true
		return
	case errors.Is(err, wire.ErrDataRef):
		n.Unread = fmt.Sprintf("The dataref %q names no object: the body cannot be found.", ref)
		return
	case err != nil:
		c.cfg.Log.Warn("console: reading a claim-checked body", "bucket", obj.Bucket, "object", obj.Name, "error", err)
		n.Unread = "The object could not be read just now; reload to try again."
	}
	n.Replaced = err == nil && obj.Digest != n.Digest
	n.Command = "nats object get " + shellQuote(obj.Bucket) + " " + shellQuote(obj.Name) + " -O body --no-progress"
	if err != nil || b.Hidden {
		return
	}
	data := obj.Data
	if uint64(len(data)) < obj.Size {
		n.Shown = bytesText(uint64(len(data)))
		// Cut at a character, not inside one.
		for i := 0; i < utf8.UTFMax-1 && len(data) > 0 && !utf8.Valid(data); i++ {
			data = data[:len(data)-1]
		}
	}
	b.Kind, b.Text = showBody(data)
}

// shellQuote is s as one word for a POSIX shell.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.:/@") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// showBody is how a body is shown: JSON indented, other text as it is, and anything else
// not at all (its size is shown).
func showBody(b []byte) (kind, text string) {
	switch {
	case len(b) == 0:
		return "empty", ""
	case json.Valid(b):
		var out bytes.Buffer
		if err := json.Indent(&out, b, "", "  "); err == nil {
			return "JSON", out.String()
		}
		return "JSON", string(b)
	case utf8.Valid(b):
		return "text", string(b)
	default:
		return "binary", ""
	}
}
