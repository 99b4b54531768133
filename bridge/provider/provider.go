// Package provider verifies and reads webhook deliveries, one file per platform.
//
// A provider is pure: a function of the raw body, the request headers, the
// configured secrets and a clock. It never touches the network, NATS or the
// HTTP server, so it can be tested with the platforms' public vectors and
// fuzzed directly.
package provider

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Errors returned by Verify and Extract. Callers match them with errors.Is;
// the bridge maps each to exactly one HTTP status. None of them ever carries
// a secret or a signature value.
var (
	// ErrMissingSignature: the signature (or a header the scheme signs) is absent.
	ErrMissingSignature = errors.New("missing signature")
	// ErrMalformedSignature: a signature header is present but cannot be parsed.
	ErrMalformedSignature = errors.New("malformed signature header")
	// ErrBadSignature: no configured secret produces a matching signature.
	ErrBadSignature = errors.New("signature mismatch")
	// ErrStale: the signed timestamp is outside the configured tolerance.
	ErrStale = errors.New("timestamp outside tolerance")
	// ErrUnusable: the delivery verified but lacks what an event needs (id,
	// type), or has a field JSON readers would read differently.
	ErrUnusable = errors.New("unusable payload")
	// ErrPing: a platform handshake that must be answered 200 and not published
	// (WooCommerce's unsigned webhook_id=N creation ping).
	ErrPing = errors.New("handshake ping")
)

// Event is what a provider reads from a verified delivery. The bridge turns it
// into a CloudEvent; the body itself travels untouched as the event's data,
// unless Data says otherwise.
type Event struct {
	// ID identifies the delivery and stays the same across the platform's
	// retries of it. It becomes the CloudEvent id and the dedup key.
	ID string
	// Type is the platform's event type as the platform spells it
	// ("orders/create", "payment_intent.succeeded", "pull_request.opened").
	Type string
	// Source is the platform's identity of the shop or account, or "" when
	// the delivery carries none.
	Source string
	// Subject is the resource id (an order id) when known, else "".
	Subject string
	// Time is the platform's event time, or the zero time when unknown.
	Time time.Time
	// Data, when not nil, is the event's data in place of the body, and
	// DataContentType its media type. Only a delivery whose body wraps the
	// event sets it (GitHub's form-encoded deliveries carry the JSON in a
	// "payload" field); for every other delivery both are zero and the body
	// is the data as received, with the request's Content-Type.
	Data            []byte
	DataContentType string
	// Extensions are CloudEvent extension attributes, name to value, that
	// the bridge writes beside the others (binary mode: a ce-<name>
	// header). Names are lower-case letters and digits, as CloudEvents
	// requires, and none is a name the specification defines. Nil for
	// most platforms; Shopware's delivery order is "sequence".
	Extensions map[string]string
}

// Provider is one configured platform: how to verify its deliveries, how to
// read an event from them, and how to sign a delivery the way it would.
// A Provider is immutable after New and safe for concurrent use.
type Provider struct {
	kind       string
	typePrefix string
	scheme     scheme
	accepted   string // see Accepted
	// bodyUnsigned: the signature does not cover the body (ecwid).
	bodyUnsigned bool
	// devKeys: the source trusts DevelopmentKeyPEM (Config.DevelopmentKeys).
	devKeys bool
	// weakBody: the signature covers the body only through a CRC (paypal).
	weakBody bool
}

// scheme is implemented once per platform.
type scheme interface {
	// verify checks body and headers against the platform's signature.
	verify(body []byte, h http.Header) error
	// extract reads the event from a verified delivery.
	extract(body []byte, h http.Header) (Event, error)
	// sign adds the headers the platform would send for body, signed with
	// the first configured secret, at time now.
	sign(body []byte, h http.Header, now time.Time) error
}

// batchScheme is implemented by the schemes whose one delivery carries
// several events: each signed on its own inside the body (Adyen), or a
// batch signed as a whole (Adobe I/O Events).
type batchScheme interface {
	// extractAll reads every event of a verified delivery, in order.
	extractAll(body []byte, h http.Header) ([]Event, error)
	// signBody returns body with what the platform writes inside it
	// for the receiver: the signatures made with the first configured
	// secret (adyen), the recipient (adobe).
	signBody(body []byte) ([]byte, error)
}

// challengeScheme is implemented by the schemes whose platform checks a
// destination with a GET handshake before it delivers (Braintree's
// bt_challenge, Adobe I/O Events' challenge).
type challengeScheme interface {
	// challenge is the answer to a GET with query q, or false when q is
	// not the platform's handshake.
	challenge(q url.Values) ([]byte, bool)
}

// Kind is the provider kind as configured ("shopify", "stripe", ...).
func (p *Provider) Kind() string { return p.kind }

// SignsBody reports whether a verified delivery's body is authenticated.
// It is false for ecwid, whose signature covers only the event's id and
// time: the rest of its body may have been forged, and consumers must
// fetch the entity from the platform before trusting it.
func (p *Provider) SignsBody() bool { return !p.bodyUnsigned }

// SignsBodyWeakly reports whether the signature covers the body only
// through a digest that is not cryptographic: PayPal signs the body's
// CRC-32, so whoever holds one genuine delivery can write another body
// with the same CRC-32, and the genuine signature verifies it within the
// tolerance of its transmission time.
func (p *Provider) SignsBodyWeakly() bool { return p.weakBody }

// FetchesKeys reports whether Verify may wait for its platform's public
// keys, fetched over the network through the KeyFetcher (paypal, adobe and
// saleor, unless they trust the development key): every other kind
// verifies from memory in microseconds.
func (p *Provider) FetchesKeys() bool { return fetchesKeys(p.kind) && !p.devKeys }

// TrustsDevelopmentKey reports whether the provider verifies with the
// published DevelopmentKeyPEM in place of its platform's keys
// (Config.DevelopmentKeys): anybody can forge its deliveries.
func (p *Provider) TrustsDevelopmentKey() bool { return p.devKeys }

// CEType is the CloudEvent type for a platform event type: the provider's
// type prefix followed by the event type with '/' mapped to '.'.
func (p *Provider) CEType(eventType string) string {
	return p.typePrefix + strings.ReplaceAll(eventType, "/", ".")
}

// Verify checks that body and h were signed by the platform with one of the
// configured secrets (and, where the scheme signs a timestamp, within the
// tolerance). body must be the raw bytes as received, and h the request's
// headers as net/http canonicalises them (values are read with h.Get).
//
// A nil error means the delivery is genuine. Otherwise the error wraps
// exactly one of ErrMissingSignature, ErrMalformedSignature,
// ErrBadSignature, ErrStale or ErrPing, or, for the kinds that fetch their
// platform's public keys (paypal, adobe, saleor), ErrKeyUnavailable when
// the keys cannot be had; its text names the header at fault but never a
// secret, a signature value or the body.
//
// Schemes that sign a timestamp check the MAC before the time: a
// well-formed signature that no configured secret produced is
// ErrBadSignature whatever its timestamp, so only a genuine but old (or
// future-dated) delivery is ever reported as ErrStale, and a forger learns
// nothing about the clock or the tolerance.
func (p *Provider) Verify(body []byte, h http.Header) error { return p.scheme.verify(body, h) }

// Extract reads the event from a delivery that Verify accepted. It does not
// verify. On success ID and Type are non-empty; when the delivery lacks
// either, the error wraps ErrUnusable. Optional attributes (Source,
// Subject, Time) that are absent or unparseable are left zero.
//
// Every field read from the body, optional or not, must read the same to
// every common JSON reader: when a key on its path repeats or differs from
// another key of its object only in case (encoding/json, decoding into a
// struct, matches keys ignoring case), or its string is not valid UTF-8 or
// has a \u escape of a lone surrogate (which encoding/json decodes as
// U+FFFD), the error wraps ErrUnusable and reads
// `unusable payload: field "<path>": <why>`. Nothing else in the body is
// checked.
func (p *Provider) Extract(body []byte, h http.Header) (Event, error) {
	return p.scheme.extract(body, h)
}

// ExtractAll reads every event of a delivery that Verify accepted, in the
// order the delivery has them: one for every kind but adyen, whose
// deliveries carry a batch of notification items, and adobe, whose batch
// deliveries carry an array of events (Extract then reads the first). The
// errors are Extract's.
func (p *Provider) ExtractAll(body []byte, h http.Header) ([]Event, error) {
	if b, ok := p.scheme.(batchScheme); ok {
		return b.extractAll(body, h)
	}
	e, err := p.scheme.extract(body, h)
	if err != nil {
		return nil, err
	}
	return []Event{e}, nil
}

// Accepted is the body the platform wants with the 200 that tells it a
// delivery is stored ("[accepted]" for adyen), or "" when any body will
// do. It is text/plain.
func (p *Provider) Accepted() string { return p.accepted }

// SignBody returns body as the platform would send it signed with the
// first configured secret, for the schemes that sign inside the body
// (adyen: each notification item's additionalData.hmacSignature;
// braintree: the bt_signature form field beside bt_payload), which
// re-encode it, and addressed to the source for adobe (each event's
// recipient fields set to the client id, as I/O Events writes them,
// re-encoding only a body that needs it); for the others it is body
// itself. Call it before Sign.
// Used by `hookbridge send` and tests.
func (p *Provider) SignBody(body []byte) ([]byte, error) {
	if b, ok := p.scheme.(batchScheme); ok {
		return b.signBody(body)
	}
	return body, nil
}

// Sign sets on h the headers the platform would send with body, signed with
// the first configured secret at time now: the signature header and, for
// the schemes that sign them, the timestamp (and Standard Webhooks'
// webhook-id, kept when h already has one). It sets nothing else (topic,
// event type, delivery id): that is the caller's to set. Timestamps are
// whole Unix seconds (Recurly's whole milliseconds), so now must not be
// before 1970. Ecwid signs two fields of the body (its eventCreated, not
// now): for ecwid, Sign fails on a body without them. The kinds that
// verify with their platform's keys sign with the development key, and
// only for a source with DevelopmentKeys (paypal: its five headers, with
// a new transmission id; saleor: also the headers that name the shop
// whose key signs, Saleor-Api-Url and Saleor-Domain); for any other
// source of theirs Sign fails and says so. Used by `hookbridge send` and
// tests.
func (p *Provider) Sign(body []byte, h http.Header, now time.Time) error {
	return p.scheme.sign(body, h, now)
}

// Challenge is the body (text/plain) that answers a GET with query q
// to the source's URL, for the platforms that check a destination that
// way before delivering to it (braintree: ?bt_challenge=...; adobe:
// ?challenge=...), or false when the provider has no such handshake or q
// is not one.
func (p *Provider) Challenge(q url.Values) (body []byte, ok bool) {
	if c, ok := p.scheme.(challengeScheme); ok {
		return c.challenge(q)
	}
	return nil, false
}

// DefaultTolerance is how far a signed timestamp may be from now, either way,
// when Config.Tolerance is zero. It matches stripe-go, recurly-client-go
// and the Standard Webhooks libraries (Paddle's SDKs allow only 5 seconds,
// which a delayed retry or a skewed clock can exceed).
const DefaultTolerance = 5 * time.Minute

// EcwidDefaultTolerance is the tolerance of an ecwid source whose
// Config.Tolerance is zero; an explicit Tolerance wins. Ecwid retries a
// failed delivery for up to 24 hours with its original, signed
// eventCreated, so DefaultTolerance would refuse every retry after the
// first few minutes. eventCreated is the only replay protection Ecwid
// gives, but a replay (or a body forged around a genuine eventId) that
// arrives within the stream's duplicate window is dropped as a duplicate
// anyway, since the eventId is the message id; only one arriving later
// than that window and within the 24 hours gets through (none with
// hookbridge's default 24h nats.duplicate_window, once the genuine
// delivery was stored).
const EcwidDefaultTolerance = 24 * time.Hour

// Config builds a Provider. It is the only input a provider has. Its yaml
// tags are the keys of a source in hookbridge's config file, which decodes a
// source's provider settings straight into it.
type Config struct {
	// Kind is one of Kinds().
	Kind string `yaml:"provider"`
	// Secrets are tried in order; any one may match (rotation), and the
	// first signs. At least one, and none empty. For standardwebhooks each
	// is "whsec_" + base64 of the key (or the base64 alone) unless
	// SecretEncoding is SecretRaw; for chargebee each is the
	// "username:password" of the endpoint's Basic auth; for adyen it is the
	// HMAC key in hex as the Customer Area shows it, and is hex-decoded; for
	// braintree each is "public_key:private_key" of an API key pair; for
	// the other kinds the string's bytes are the key (woocommerce first
	// decodes the HTML entities WordPress stores it with; bigcommerce takes
	// the app's client secret as it is).
	Secrets []string `yaml:"secrets"`
	// Tolerance bounds the age (and future skew) of signed timestamps: a
	// timestamp further than Tolerance from Now, either way, is ErrStale;
	// one exactly Tolerance away is accepted. Zero means DefaultTolerance;
	// negative is an error. Ignored by schemes that sign no timestamp
	// (shopify, woocommerce, github, hmac, razorpay, square, adyen,
	// shopware, chargebee, lemonsqueezy, mollie, braintree, saleor, adobe). Ecwid applies it to the
	// body's signed eventCreated, and zero means EcwidDefaultTolerance
	// there; paypal applies it to PAYPAL-TRANSMISSION-TIME, which every
	// retry signs afresh.
	Tolerance time.Duration `yaml:"tolerance"`
	// Now is the clock; nil means time.Now.
	Now func() time.Time `yaml:"-"`
	// TypePrefix is put before the event type in the CloudEvent type, for
	// standardwebhooks and hmac, as written (include the trailing dot:
	// "com.bigcommerce."). The platform kinds have a fixed prefix and
	// setting one for them is an error.
	TypePrefix string `yaml:"type_prefix"`
	// SecretEncoding says how a standardwebhooks secret turns into the
	// HMAC key: SecretWhsec ("" means the same) base64-decodes it after an
	// optional "whsec_", as the Standard Webhooks libraries do; SecretRaw
	// uses the string's bytes as they are, as BigCommerce signs with its
	// app's client secret. Setting it for another kind is an error.
	SecretEncoding string `yaml:"secret_encoding"`
	// HMAC configures the generic hmac kind; it must be zero for the others.
	HMAC HMACConfig `yaml:"hmac"`
	// NotificationURL is, for square (required there, an error elsewhere),
	// the subscription's notification URL exactly as subscribed: Square
	// signs it in front of the body, byte for byte, so it is not taken
	// from the request, which a proxy may have rewritten. An absolute
	// https URL (http for local testing).
	NotificationURL string `yaml:"notification_url"`
	// AdyenID is, for adyen (an error elsewhere), the NotificationRequestItem
	// fields whose values, joined with ':', make each item's event id; nil
	// means [pspReference, eventCode]. Adyen documents no delivery id, so
	// this is a guess a deployment may need to correct. The fields are
	// AdyenIDFields (signed strings), each at most once, pspReference
	// among them; a value's ':' and '\' are escaped as in the signature.
	AdyenID []string `yaml:"adyen_id"`

	// The kinds that sign with a private key (paypal, adobe, saleor) take
	// no secrets: they verify with the public keys their platform
	// publishes, which Keys fetches. The fields below are theirs; each is
	// an error for another kind.

	// WebhookID is, for paypal (required), the id of the webhook
	// subscription as PayPal shows it: PayPal signs it into every
	// delivery, so a delivery meant for another subscription fails.
	WebhookID string `yaml:"webhook_id"`
	// ClientID is, for adobe (required), the client id (API key) of the
	// project's credential: every event must name it as its recipient
	// (recipientclientid, and recipient_client_id while Adobe still writes
	// it), since Adobe signs every registration's events with the same
	// keys.
	ClientID string `yaml:"client_id"`
	// APIURL is, for saleor (required), the shop's GraphQL API URL as
	// Saleor sends it in Saleor-Api-Url ("https://shop.example/graphql/",
	// trailing slash included): a delivery whose Saleor-Api-Url differs by
	// a byte is refused. The shop's keys are fetched over https from the
	// JWKS at its host's /.well-known/jwks.json.
	APIURL string `yaml:"api_url"`
	// KeyHosts are the hosts ("host" for port 443, or "host:port") the
	// platform's public keys may be fetched from, over https only; empty
	// means DefaultKeyHosts(kind), and for saleor the host of APIURL.
	// Set it only for a platform that moves its keys, or a test server.
	KeyHosts []string `yaml:"key_hosts"`
	// DevelopmentKeys makes the source trust DevelopmentKeyPEM, which is
	// published, instead of its platform's keys, so that `hookbridge
	// send` can sign for it. Anybody can then forge its deliveries: for
	// a laptop only, and hookbridge warns about it in its logs.
	DevelopmentKeys bool `yaml:"development_keys"`
	// Keys fetches and caches the platforms' public keys (package
	// bridge/keys). Nil makes every key lookup ErrKeyUnavailable, which
	// is fine for a provider built only to check a config.
	Keys KeyFetcher `yaml:"-"`
}

// The values of Config.SecretEncoding.
const (
	SecretWhsec = "whsec"
	SecretRaw   = "raw"
)

// HMACConfig describes a platform that signs the raw body with an HMAC and
// signs no timestamp (Lemon Squeezy, Razorpay, GitHub-style senders).
//
// Locators name where a value comes from: "header:<Name>" or "json:<path>"
// where path is a dot-separated list of object keys into the JSON body
// ("json:data.id"; a key that itself contains a dot or U+FFFD cannot be
// named). As for every field read from a body, a json locator whose value
// JSON readers could read differently is ErrUnusable (see Extract). A
// JSON value must be a string or a number; numbers are taken exactly as
// written ("json:id" of {"id": 1e3} is "1e3"). Objects, arrays, booleans
// and null count as absent.
type HMACConfig struct {
	Header    string `yaml:"header"`    // signature header, e.g. X-Signature (required)
	Algorithm string `yaml:"algorithm"` // sha256 (default) or sha512
	Encoding  string `yaml:"encoding"`  // hex (default; either case accepted) or base64 (standard, padded)
	Prefix    string `yaml:"prefix"`    // literal before the digest, e.g. "sha256=" (required on the header when set)
	ID        string `yaml:"id"`        // locator of the delivery id (required)
	Type      string `yaml:"type"`      // locator of the event type (required)
	Source    string `yaml:"source"`    // locator of the shop/account identity (optional)
	Subject   string `yaml:"subject"`   // locator of the resource id (optional)
	Time      string `yaml:"time"`      // locator of the event time, RFC 3339 or Unix seconds as a number or string (optional)
}

// Kinds lists the provider kinds New accepts.
func Kinds() []string {
	return []string{"shopify", "woocommerce", "stripe", "standardwebhooks", "github", "hmac",
		"paddle", "recurly", "razorpay", "square", "adyen", "bigcommerce", "shopware", "chargebee",
		"lemonsqueezy", "mollie", "ecwid", "braintree", "paypal", "saleor", "adobe"}
}

// New builds the provider described by cfg. Errors name the field at fault
// (e.g. `secrets: at least one non-empty secret is required`,
// `hmac.header: required`, `provider "foo" is unknown (want one of
// shopify, ...)`) and never contain a secret.
//
// This is the one place that knows every kind: each case turns the
// secrets into that platform's keys and fixes its CloudEvent type prefix.
func New(cfg Config) (*Provider, error) {
	if cfg.Kind == "" {
		return nil, fmt.Errorf("kind: required (want one of %s)", strings.Join(Kinds(), ", "))
	}
	if !slices.Contains(Kinds(), cfg.Kind) {
		return nil, unknownKind(cfg.Kind)
	}
	if err := CheckSecrets(cfg.Kind, cfg.Secrets); err != nil {
		return nil, err
	}
	if err := CheckTolerance(cfg.Tolerance); err != nil {
		return nil, err
	}
	if cfg.Kind != "hmac" && cfg.HMAC != (HMACConfig{}) {
		return nil, errors.New("hmac: only for kind hmac")
	}
	if cfg.Kind != "square" && cfg.NotificationURL != "" {
		return nil, errors.New("notification_url: only for square")
	}
	if cfg.Kind != "adyen" && cfg.AdyenID != nil {
		return nil, errors.New("adyen_id: only for adyen")
	}
	keys, err := newKeySource(cfg)
	if err != nil {
		return nil, err
	}
	switch {
	case cfg.SecretEncoding != "" && cfg.Kind != "standardwebhooks":
		return nil, errors.New("secret_encoding: only for standardwebhooks")
	case cfg.SecretEncoding != "" && cfg.SecretEncoding != SecretWhsec && cfg.SecretEncoding != SecretRaw:
		return nil, fmt.Errorf("secret_encoding: %q is unknown (want %s or %s)", cfg.SecretEncoding, SecretWhsec, SecretRaw)
	}
	w := window{now: cfg.Now, tolerance: cfg.Tolerance}
	if w.now == nil {
		w.now = time.Now
	}
	if w.tolerance == 0 {
		w.tolerance = DefaultTolerance
	}

	var (
		s        scheme
		prefix   = cfg.TypePrefix // the platform kinds replace it with their fixed one
		fixed    = true
		accepted string
		// unsigned: the platform does not sign the body
		unsigned bool
	)
	switch cfg.Kind {
	case "shopify":
		prefix, s = "com.shopify.", newShopify(cfg.Secrets)
	case "woocommerce":
		prefix, s = "com.woocommerce.", newWooCommerce(cfg.Secrets)
	case "stripe":
		prefix, s = "com.stripe.", newStripe(cfg.Secrets, w)
	case "github":
		prefix, s = "com.github.", newGitHub(cfg.Secrets)
	case "paddle":
		prefix, s = "com.paddle.", newPaddle(cfg.Secrets, w)
	case "recurly":
		prefix, s = "com.recurly.", newRecurly(cfg.Secrets, w)
	case "razorpay":
		prefix, s = "com.razorpay.", newRazorpay(cfg.Secrets)
	case "bigcommerce":
		prefix, s = "com.bigcommerce.", newBigCommerce(cfg.Secrets, w)
	case "shopware":
		prefix, s = "com.shopware.", newShopware(cfg.Secrets)
	case "chargebee":
		prefix = "com.chargebee."
		s, err = newChargebee(cfg.Secrets)
	case "lemonsqueezy":
		prefix, s = "com.lemonsqueezy.", newLemonSqueezy(cfg.Secrets)
	case "mollie":
		prefix, s = "com.mollie.", newMollie(cfg.Secrets)
	case "ecwid":
		if cfg.Tolerance == 0 {
			w.tolerance = EcwidDefaultTolerance
		}
		prefix, s, unsigned = "com.ecwid.", newEcwid(cfg.Secrets, w), true
	case "standardwebhooks":
		fixed = false
		s, err = newStandardWebhooks(cfg.Secrets, cfg.SecretEncoding == SecretRaw, w)
	case "hmac":
		fixed = false
		s, err = newGenericHMAC(cfg.Secrets, cfg.HMAC)
	case "square":
		prefix = "com.square."
		s, err = newSquare(cfg.Secrets, cfg.NotificationURL)
	case "adyen":
		prefix, accepted = "com.adyen.", "[accepted]"
		s, err = newAdyen(cfg.Secrets, cfg.AdyenID)
	case "braintree":
		prefix = "com.braintree."
		s, err = newBraintree(cfg.Secrets)
	// The kinds that fetch their platform's public keys (keys.go).
	case "paypal":
		prefix = "com.paypal."
		s, err = newPayPal(cfg, keys, w)
	case "saleor":
		prefix = "com.saleor."
		s, err = newSaleor(cfg, keys)
	case "adobe":
		prefix, s = adobeTypePrefix, newAdobe(cfg.ClientID, keys)
	default:
		return nil, unknownKind(cfg.Kind)
	}
	if err != nil {
		return nil, err
	}
	if fixed && cfg.TypePrefix != "" {
		return nil, errors.New("type_prefix: only for standardwebhooks and hmac")
	}
	return &Provider{kind: cfg.Kind, typePrefix: prefix, scheme: s, accepted: accepted, bodyUnsigned: unsigned, devKeys: keys.dev, weakBody: cfg.Kind == "paypal"}, nil
}

func unknownKind(kind string) error {
	return fmt.Errorf("provider %q is unknown (want one of %s)", kind, strings.Join(Kinds(), ", "))
}

// CheckSecrets reports secrets New refuses for kind: none at all, or an
// empty one anywhere in the list (an HMAC under the empty key is one
// anybody can compute, and an empty entry is usually an unset environment
// variable); for paypal, adobe and saleor, which verify with their
// platform's public keys, any at all. New applies it; it is exported so
// that a config loader can report the problem together with the config's
// others, in the same words.
func CheckSecrets(kind string, secrets []string) error {
	if fetchesKeys(kind) {
		if len(secrets) > 0 {
			return fmt.Errorf("secrets: %s verifies with its platform's public keys and takes no secrets", kind)
		}
		return nil
	}
	if len(secrets) == 0 {
		return errors.New("secrets: at least one non-empty secret is required")
	}
	for i, s := range secrets {
		if s == "" {
			return fmt.Errorf("secrets[%d]: empty (an empty key would accept forged signatures)", i)
		}
	}
	return nil
}

// CheckTolerance reports a tolerance New refuses: a negative one. Like
// CheckSecrets, New applies it and a config loader may report it earlier.
func CheckTolerance(d time.Duration) error {
	if d < 0 {
		return fmt.Errorf("tolerance: must not be negative (got %s; 0 means the provider's default)", d)
	}
	return nil
}
