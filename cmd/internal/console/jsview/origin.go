package jsview

import "strings"

// Origin is the provider and source a subject of s names, read from the
// subject's layout: <prefix>.<provider>.<source>.<type...> on WEBHOOKS,
// commerce.<entity>.<action>.<provider>.<source> on COMMERCE. Either is ""
// when the subject is not of s's layout.
func (s Stream) Origin(subject string) (provider, source string) {
	rest, ok := strings.CutPrefix(subject, s.prefix+".")
	if !ok {
		return "", ""
	}
	tokens := strings.Split(rest, ".")
	if s.layout == commerceLayout {
		if len(tokens) != 4 {
			return "", ""
		}
		return tokens[2], tokens[3]
	}
	if len(tokens) < 3 {
		return "", ""
	}
	return tokens[0], tokens[1]
}

// Matches reports whether subject is one that the subject filter filter
// selects, as the server decides it: tokens split on ".", "*" matches one
// token, a final ">" one or more. It lets the console pick a filter's
// messages out of messages it has already read.
func Matches(filter, subject string) bool {
	for {
		ft, frest, fmore := strings.Cut(filter, ".")
		st, srest, smore := strings.Cut(subject, ".")
		switch {
		case st == "":
			return false
		case ft == ">" && !fmore:
			return true
		case ft != "*" && ft != st:
			return false
		case !fmore || !smore:
			return fmore == smore
		}
		filter, subject = frest, srest
	}
}
