package domain_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
)

// mustEvent is domain.NewEvent failing t on error.
func mustEvent(t *testing.T, prev *domain.Event, action string, payload map[string]any, at time.Time) domain.Event {
	t.Helper()
	e, err := domain.NewEvent(prev, 42, 7, action, payload, at)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// chain returns three chained events of request 42.
func chain(t *testing.T) []domain.Event {
	t.Helper()
	e1 := mustEvent(t, nil, domain.EventCreated, map[string]any{"title": "Airlift", "reference": "NPL-RFA-0042"}, testNow)
	e1.ID = 101
	e2 := mustEvent(t, &e1, string(domain.ActionSubmit), map[string]any{"from": "draft", "to": "submitted", "version": 1}, testNow.Add(time.Minute))
	e2.ID = 102
	e3 := mustEvent(t, &e2, string(domain.ActionReturn), map[string]any{"from": "submitted", "to": "returned", "reason": "Add the exit plan"}, testNow.Add(time.Hour))
	e3.ID = 103
	return []domain.Event{e1, e2, e3}
}

func TestNewEvent(t *testing.T) {
	t.Parallel()
	ev := chain(t)
	e1, e2, e3 := ev[0], ev[1], ev[2]
	if e1.Seq != 1 || e1.PrevHash != nil {
		t.Errorf("first event Seq, PrevHash = %d, %x; want 1, nil", e1.Seq, e1.PrevHash)
	}
	if e2.Seq != 2 || !bytes.Equal(e2.PrevHash, e1.Hash) || e3.Seq != 3 || !bytes.Equal(e3.PrevHash, e2.Hash) {
		t.Errorf("chain Seq %d %d, PrevHash links %v %v", e2.Seq, e3.Seq, bytes.Equal(e2.PrevHash, e1.Hash), bytes.Equal(e3.PrevHash, e2.Hash))
	}
	for _, e := range ev {
		if len(e.Hash) != 32 || !bytes.Equal(e.Hash, e.ComputeHash()) {
			t.Errorf("event %d: Hash %x, ComputeHash %x", e.Seq, e.Hash, e.ComputeHash())
		}
		if e.RequestID != 42 || e.ActorID != 7 {
			t.Errorf("event %d: RequestID, ActorID = %d, %d", e.Seq, e.RequestID, e.ActorID)
		}
	}
	if bytes.Equal(e1.Hash, e2.Hash) || bytes.Equal(e2.Hash, e3.Hash) {
		t.Error("different events share a hash")
	}
	if got, want := string(e2.Payload), `{"from":"draft","to":"submitted","version":1}`; got != want {
		t.Errorf("Payload = %s, want %s", got, want)
	}

	// The time is kept in UTC to the microsecond, as the database keeps it.
	at := time.Date(2026, 3, 2, 13, 45, 1, 123456789, time.FixedZone("NPT", 5*3600+45*60))
	e := mustEvent(t, nil, domain.EventEdited, nil, at)
	if want := time.Date(2026, 3, 2, 8, 0, 1, 123456000, time.UTC); !e.At.Equal(want) || e.At.Location() != time.UTC {
		t.Errorf("At = %v, want %v", e.At, want)
	}
	if string(e.Payload) != "{}" {
		t.Errorf("nil payload = %s, want {}", e.Payload)
	}
	// A round trip through the database (microseconds, another zone) keeps the hash.
	stored := e
	stored.At = e.At.In(time.FixedZone("CET", 3600))
	if !bytes.Equal(stored.ComputeHash(), e.Hash) {
		t.Error("the hash depends on the time zone")
	}

	// Equal inputs give equal hashes, whatever the map order.
	p1 := map[string]any{"a": 1, "b": []string{"x"}, "c": map[string]any{"y": true, "x": nil}}
	p2 := map[string]any{"c": map[string]any{"x": nil, "y": true}, "b": []string{"x"}, "a": 1}
	if h1, h2 := mustEvent(t, &e1, "x", p1, testNow).Hash, mustEvent(t, &e1, "x", p2, testNow).Hash; !bytes.Equal(h1, h2) {
		t.Error("equal payloads hash differently")
	}

	if _, err := domain.NewEvent(nil, 42, 7, "x", map[string]any{"bad": make(chan int)}, testNow); err == nil {
		t.Error("NewEvent accepted a payload JSON cannot encode")
	}
}

func TestVerifyNext(t *testing.T) {
	t.Parallel()
	ev := chain(t)
	for i, e := range ev {
		var prev *domain.Event
		if i > 0 {
			prev = &ev[i-1]
		}
		if brk := domain.VerifyNext(prev, e); brk != nil {
			t.Fatalf("intact event %d: %+v", e.Seq, brk)
		}
	}
	tests := []struct {
		name    string
		prev    int // index of prev in the chain, -1 for none
		event   func([]domain.Event) domain.Event
		seq     int
		problem string // a part of the break's Problem
	}{
		{"AlteredPayload", 0, func(ev []domain.Event) domain.Event {
			e := ev[1]
			e.Payload = []byte(`{"from":"draft","to":"submitted","version":2}`)
			return e
		}, 2, "altered"},
		{"AlteredPayloadSpacing", 0, func(ev []domain.Event) domain.Event {
			e := ev[1]
			e.Payload = []byte(`{"from": "draft","to":"submitted","version":1}`)
			return e
		}, 2, "altered"},
		{"AlteredAction", 1, func(ev []domain.Event) domain.Event {
			e := ev[2]
			e.Action = string(domain.ActionRedirect)
			return e
		}, 3, "altered"},
		{"AlteredTime", 0, func(ev []domain.Event) domain.Event {
			e := ev[1]
			e.At = e.At.Add(time.Microsecond)
			return e
		}, 2, "altered"},
		{"AlteredActor", 0, func(ev []domain.Event) domain.Event {
			e := ev[1]
			e.ActorID = 8
			return e
		}, 2, "altered"},
		{"MovedToAnotherRequest", 0, func(ev []domain.Event) domain.Event {
			e := ev[1]
			e.RequestID = 43
			return e
		}, 2, "altered"},
		{"AlteredFirstEvent", -1, func(ev []domain.Event) domain.Event {
			e := ev[0]
			e.Payload = []byte(`{"reference":"NPL-RFA-0042","title":"Sealift"}`)
			return e
		}, 1, "altered"},
		{"MissingEvent", 0, func(ev []domain.Event) domain.Event { return ev[2] }, 3, "missing"},
		{"FirstEventMissing", -1, func(ev []domain.Event) domain.Event { return ev[1] }, 2, "missing"},
		{"Renumbered", 0, func(ev []domain.Event) domain.Event {
			// Event 2 deleted and event 3 renumbered with a recomputed hash:
			// its previous hash still names the deleted event.
			e := ev[2]
			e.Seq = 2
			e.Hash = e.ComputeHash()
			return e
		}, 2, "previous hash"},
		{"WrongPrevHash", 0, func(ev []domain.Event) domain.Event {
			e := ev[1]
			e.PrevHash = bytes.Clone(e.PrevHash)
			e.PrevHash[0] ^= 1
			e.Hash = e.ComputeHash() // even with a consistent own hash
			return e
		}, 2, "previous hash"},
		{"FirstEventWithPrevHash", -1, func(ev []domain.Event) domain.Event {
			e := ev[0]
			e.PrevHash = ev[2].Hash
			e.Hash = e.ComputeHash()
			return e
		}, 1, "previous hash"},
		{"AlteredHash", 0, func(ev []domain.Event) domain.Event {
			e := ev[1]
			e.Hash = bytes.Clone(e.Hash)
			e.Hash[31] ^= 0x80
			return e
		}, 2, "altered"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ev := chain(t)
			var prev *domain.Event
			if tt.prev >= 0 {
				prev = &ev[tt.prev]
			}
			e := tt.event(ev)
			brk := domain.VerifyNext(prev, e)
			if brk == nil {
				t.Fatal("VerifyNext = nil, want a break")
			}
			if brk.Seq != tt.seq || brk.RequestID != e.RequestID || brk.EventID != e.ID {
				t.Errorf("break = %+v, want Seq %d of event %d", brk, tt.seq, e.ID)
			}
			if !strings.Contains(brk.Problem, tt.problem) {
				t.Errorf("Problem = %q, want it to mention %q", brk.Problem, tt.problem)
			}
		})
	}

	// An attacker who rewrites an event and its hash breaks the next link.
	t.Run("RewrittenEventBreaksNext", func(t *testing.T) {
		t.Parallel()
		ev := chain(t)
		ev[0].Payload = []byte(`{"reference":"NPL-RFA-0042","title":"Sealift"}`)
		ev[0].Hash = ev[0].ComputeHash()
		if brk := domain.VerifyNext(nil, ev[0]); brk != nil {
			t.Fatalf("rewritten first event: %+v", brk)
		}
		if brk := domain.VerifyNext(&ev[0], ev[1]); brk == nil || brk.Seq != 2 {
			t.Fatalf("VerifyNext after a rewrite = %+v, want a break at 2", brk)
		}
	})
}

func TestCanonicalJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   any
		want string
	}{
		{"Nil", nil, `{}`},
		{"NilMap", map[string]any(nil), `{}`},
		{"Empty", map[string]any{}, `{}`},
		{"SortedKeys", map[string]any{"to": "submitted", "from": "draft", "b": 1, "a": 2}, `{"a":2,"b":1,"from":"draft","to":"submitted"}`},
		{"NestedSorted", map[string]any{"z": map[string]any{"y": 1, "x": []any{map[string]any{"d": 1, "c": 2}}}, "a": nil},
			`{"a":null,"z":{"x":[{"c":2,"d":1}],"y":1}}`},
		{"NoHTMLEscaping", map[string]any{"reason": "<b>roads & bridges</b>"}, `{"reason":"<b>roads & bridges</b>"}`},
		{"Unicode", map[string]any{"title": "Évacuation médicale — Gorkhā"}, `{"title":"Évacuation médicale — Gorkhā"}`},
		{"Numbers", map[string]any{"i": 42, "f": 1.5, "big": int64(1) << 53}, `{"big":9007199254740992,"f":1.5,"i":42}`},
		// Struct values (the edit event carries []domain.Change) are
		// objects too: their keys must be sorted like a map's, or the
		// encoding is not canonical.
		{"StructKeysSorted", map[string]any{"changes": []domain.Change{{Field: "title", Old: "a", New: "b"}}},
			`{"changes":[{"field":"title","new":"b","old":"a"}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := domain.CanonicalJSON(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("CanonicalJSON = %s, want %s", got, tt.want)
			}
			again, _ := domain.CanonicalJSON(tt.in)
			if !bytes.Equal(got, again) {
				t.Errorf("CanonicalJSON is not stable: %s, then %s", got, again)
			}
			// Canonical means a fixed point: decoding and re-encoding gives the same bytes.
			dec := json.NewDecoder(bytes.NewReader(got))
			dec.UseNumber()
			var v any
			if err := dec.Decode(&v); err != nil {
				t.Fatal(err)
			}
			if re, _ := domain.CanonicalJSON(v); !bytes.Equal(re, got) {
				t.Errorf("re-encoding changes the bytes: %s, then %s", got, re)
			}
		})
	}
	if _, err := domain.CanonicalJSON(map[string]any{"f": func() {}}); err == nil {
		t.Error("CanonicalJSON encoded a function")
	}
}

func TestDiff(t *testing.T) {
	t.Parallel()
	old := complete()
	if got := domain.Diff(old, complete()); len(got) != 0 {
		t.Fatalf("Diff(equal) = %+v, want none", got)
	}
	t.Run("ChangedFieldsInOrder", func(t *testing.T) {
		t.Parallel()
		n := complete()
		// Changed in an order different from the audit order.
		n.Checklist["LR2"] = domain.Answer{Value: "no"}
		n.POC.Email = "logs@example.org"
		n.Sectors = []string{"LOG"}
		n.Title = "Airlift shelter kits to Barpak and Laprak"
		n.EndDate = day(14)
		n.Destination.Lat = ptr(28.3)
		got := domain.Diff(old, n)
		var fields []string
		for _, c := range got {
			fields = append(fields, c.Field)
		}
		want := []string{"title", "sectors", "destination", "end_date", "poc", "checklist"}
		if !reflect.DeepEqual(fields, want) {
			t.Fatalf("Diff fields = %v, want %v", fields, want)
		}
		if got[0].Old != "Airlift shelter kits to Barpak" || got[0].New != n.Title {
			t.Errorf("title change = %+v", got[0])
		}
		if !reflect.DeepEqual(got[1].Old, []string{"SHL", "LOG"}) || !reflect.DeepEqual(got[1].New, []string{"LOG"}) {
			t.Errorf("sectors change = %+v", got[1])
		}
		if got[2].Old.(map[string]string)["lat"] != "28.2081" || got[2].New.(map[string]string)["lat"] != "28.3" {
			t.Errorf("destination change = %+v", got[2])
		}
		if got[3].Old != "2026-03-12" || got[3].New != "2026-03-14" {
			t.Errorf("end_date change = %+v", got[3])
		}
		if got[4].New.(map[string]string)["email"] != "logs@example.org" {
			t.Errorf("poc change = %+v", got[4])
		}
		if got[5].New.(map[string]map[string]string)["LR2"]["value"] != "no" {
			t.Errorf("checklist change = %+v", got[5])
		}
		if b, err := domain.CanonicalJSON(map[string]any{"changes": got}); err != nil || !bytes.Contains(b, []byte(`"field":"title"`)) {
			t.Errorf("changes do not encode: %s, %v", b, err)
		}
	})
	t.Run("EveryField", func(t *testing.T) {
		t.Parallel()
		n := domain.Request{}
		got := domain.Diff(old, n)
		var fields []string
		for _, c := range got {
			fields = append(fields, c.Field)
		}
		// complete() fills every audited field; urgency_reason is empty in both.
		want := []string{"title", "sectors", "need", "people_targeted", "task_category", "capability", "support_type",
			"task_description", "origin", "destination", "required_by", "start_date", "end_date", "priority",
			"civilian_options", "complementarity", "exit_strategy", "poc", "checklist"}
		if !reflect.DeepEqual(fields, want) {
			t.Errorf("Diff fields = %v, want %v", fields, want)
		}
	})
	t.Run("NotChanges", func(t *testing.T) {
		t.Parallel()
		a, b := complete(), complete()
		// Empty and nil collections are the same, as are equal coordinates
		// at different addresses and equal instants in other zones.
		a.Sectors, b.Sectors = nil, []string{}
		a.CivilianOptions, b.CivilianOptions = nil, []domain.CivilianCheck{}
		a.Checklist, b.Checklist = nil, map[string]domain.Answer{}
		b.Origin.Lat = ptr(*a.Origin.Lat)
		b.RequiredBy = a.RequiredBy.In(time.FixedZone("NPT", 5*3600+45*60))
		// Fields outside the audit (status, version, timestamps).
		b.Status, b.Version, b.UpdatedAt, b.SubmittedAt = domain.StatusSubmitted, 9, testNow, testNow
		if got := domain.Diff(a, b); len(got) != 0 {
			t.Errorf("Diff = %+v, want none", got)
		}
	})
	t.Run("Escort", func(t *testing.T) {
		t.Parallel()
		n := complete()
		n.Escort.SecurityAssessment = "UNDSS SRA 2026-07"
		got := domain.Diff(old, n)
		if len(got) != 1 || got[0].Field != "escort" || got[0].New.(map[string]string)["security_assessment"] != "UNDSS SRA 2026-07" {
			t.Errorf("Diff = %+v", got)
		}
	})
	t.Run("Snapshot", func(t *testing.T) {
		t.Parallel()
		s := domain.Snapshot(complete())
		if len(s) != 21 || s["title"] != "Airlift shelter kits to Barpak" || s["required_by"] != "2026-03-05T08:00:00Z" || s["start_date"] != "2026-03-05" {
			t.Errorf("Snapshot = %v", s)
		}
		if _, err := domain.CanonicalJSON(s); err != nil {
			t.Errorf("Snapshot does not encode: %v", err)
		}
	})
}

// TestPayloadHas: a member name anywhere in a canonical payload is found;
// a name only inside a string value may be (a false positive costs a
// decode, never a wrong answer); an absent one is not.
func TestPayloadHas(t *testing.T) {
	p, err := domain.CanonicalJSON(map[string]any{"cancelled": map[string]any{"from": "hct_review", "to": "returned"}, "note": "reason"})
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]bool{"from": true, "to": true, "cancelled": true, "reason": true, "reason_code": false, "body": false} {
		if got := domain.PayloadHas(p, key); got != want {
			t.Errorf("PayloadHas(%s, %q) = %v, want %v", p, key, got, want)
		}
	}
}
