package bridge

import (
	"encoding/json"
	"testing"
)

// FuzzAnswerJSON: the hand-written answers read back, through encoding/json,
// exactly as encoding/json's own encoding of the same values would.
func FuzzAnswerJSON(f *testing.F) {
	f.Add("published", "evt_1", "webhooks.shopify.acme.orders.create", uint64(7), true, `unusable payload: event type "\x00" has no subject token`)
	f.Add("", "\xff\xfe", "\u2028<&>", uint64(0), false, "\"\\")
	f.Fuzz(func(t *testing.T, status, id, subject string, seq uint64, dup bool, msg string) {
		ok := okBody{Status: status, ID: id, Subject: subject, Seq: seq, Duplicate: dup}
		var got, want okBody
		if err := json.Unmarshal(ok.appendJSON(nil), &got); err != nil {
			t.Fatalf("invalid JSON %q: %v", ok.appendJSON(nil), err)
		}
		ref, _ := json.Marshal(ok)
		_ = json.Unmarshal(ref, &want)
		if got != want {
			t.Fatalf("read back %+v, encoding/json gives %+v", got, want)
		}
		e := errorBody{Error: msg}
		var gotE, wantE errorBody
		if err := json.Unmarshal(e.appendJSON(nil), &gotE); err != nil {
			t.Fatalf("invalid JSON %q: %v", e.appendJSON(nil), err)
		}
		ref, _ = json.Marshal(e)
		_ = json.Unmarshal(ref, &wantE)
		if gotE != wantE {
			t.Fatalf("read back %+v, encoding/json gives %+v", gotE, wantE)
		}
	})
}
