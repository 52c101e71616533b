package domain

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// TestAttachmentTables: every visibility has a rule that exists and
// reads (never a step), and the kinds and visibilities are distinct.
func TestAttachmentTables(t *testing.T) {
	seen := map[AttachmentVisibility]bool{}
	for _, v := range AttachmentVisibilities {
		if seen[v.Visibility] {
			t.Errorf("%s twice", v.Visibility)
		}
		seen[v.Visibility] = true
		r, ok := RuleFor(v.Reads)
		if !ok || !r.Reads || r.Scope != ScopeRequest {
			t.Errorf("%s: %s is not a request rule that reads", v.Visibility, v.Reads)
		}
		if len(v.Channels) == 0 || slices.Contains(v.Channels, ChannelPublic) {
			t.Errorf("%s: channels %v (never the public variant)", v.Visibility, v.Channels)
		}
	}
	if slices.Contains(AttachmentVisibilities[2].Channels, ChannelExport) {
		t.Error("HRDDP-restricted documents leave the system in a file")
	}
	kinds := map[AttachmentKind]bool{}
	for _, k := range AttachmentKinds {
		if kinds[k] {
			t.Errorf("kind %s twice", k)
		}
		kinds[k] = true
	}
	for _, a := range []Action{ActionAttach, ActionAttachAsRequester, ActionRemoveAttachment} {
		if r, _ := RuleFor(a); r.Step() {
			t.Errorf("%s is a step of the request: documents have their own routes", a)
		}
	}
}

// TestSniffContentType: what the allow-list takes, by its bytes, and
// what it refuses whatever the file is called.
func TestSniffContentType(t *testing.T) {
	for _, c := range []struct {
		name, head, want string
	}{
		{"a.pdf", "%PDF-1.7\n", "application/pdf"},
		{"renamed.txt", "%PDF-1.4\n", "application/pdf"},
		{"p.png", "\x89PNG\r\n\x1a\n\x00\x00", "image/png"},
		{"p.jpg", "\xff\xd8\xff\xe1", "image/jpeg"},
		{"p.gif", "GIF89a", "image/gif"},
		{"p.webp", "RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"},
		{"p.tif", "II*\x00", "image/tiff"},
		{"d.docx", "PK\x03\x04....[Content_Types].xml", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
		{"d.xlsx", "PK\x03\x04....[Content_Types].xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
		{"d.odt", "PK\x03\x04" + strings.Repeat("\x00", 26) + "mimetypeapplication/vnd.oasis.opendocument.text", "application/vnd.oasis.opendocument.text"},
		{"d.doc", "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "application/msword"},
		{"n.txt", "Road cut at km 12.\r\n\tDetour by Syabru.", "text/plain"},
		{"n.csv", "\xef\xbb\xbfvillage,people\nJiri,1200\n", "text/csv"},
		{"n.txt", "Népal — ☃ " + string([]byte{0xe2, 0x98}), "text/plain"}, // a rune cut by the window
		// Refused whatever the name.
		{"x.html", "<!DOCTYPE html>", ""},
		{"x.txt", "\n  <script>alert(1)</script>", ""},
		{"x.svg", "<svg xmlns='http://www.w3.org/2000/svg'/>", ""},
		{"x.xml", "<?xml version='1.0'?>", ""},
		{"x.pdf", "MZ\x90\x00", ""},
		{"x.zip", "PK\x03\x04evil.exe", ""},
		{"x.docx", "PK\x03\x04evil.exe", ""},
		{"x.jar", "PK\x03\x04....[Content_Types].xml", ""},
		{"x.doc", "\x00\x01\x02", ""},
		{"x.txt", "bad \xff\xfe bytes", ""},
		{"x.sh", "#!/bin/sh\nrm -rf /\n", ""},
		{"x.txt", "", ""},
		{"x.odt", "PK\x03\x04mimetypeapplication/vnd.oasis.opendocument.text-template", ""},
	} {
		if got := SniffContentType([]byte(c.head), c.name); got != c.want {
			t.Errorf("%s %q: %q, want %q", c.name, c.head, got, c.want)
		}
		if got := SniffContentType([]byte(c.head), c.name); got != "" && !slices.Contains(AllowedContentTypes(), got) {
			t.Errorf("%s: %s is not on the allow-list", c.name, got)
		}
	}
}

// TestCanAttach walks every role and status: the officer, the HC and
// HRDDP reviewers at any status they see; the requesting organisation
// until the decision; nobody else.
func TestCanAttach(t *testing.T) {
	const op, org = 1, 10
	for _, st := range Statuses() {
		ref := RequestRef{ID: 1, OperationID: op, RequestingOrgID: org, Status: st}
		for _, role := range AllRoles {
			a := Actor{UserID: 5, OrganizationID: org, Roles: map[int64]RoleSet{op: {role}}}
			err := CanAttach(a, ref)
			var want Code
			switch {
			case !visible(a, ref):
				want = CodeNotFound
			case role == RoleOfficer || role == RoleHC || role == RoleHRDDPReviewer:
				want = ""
			case role == RoleRequester && slices.Contains(beforeDecision, st):
				want = ""
			case role == RoleRequester:
				want = CodeConflict
			default:
				want = CodeForbidden
			}
			if got := ErrorCode(err); got != want {
				t.Errorf("%s on %s: %v, want %q", role, st, err, want)
			}
		}
	}
}

// TestAttachmentEventsHideWhatTheReaderMayNotSee: a document's event
// keeps only its visibility for who may not see it, on every channel.
func TestAttachmentEventsHideWhatTheReaderMayNotSee(t *testing.T) {
	const op, org = 1, 10
	ref := RequestRef{ID: 1, OperationID: op, RequestingOrgID: org, Status: StatusSubmitted}
	for _, vis := range AttachmentVisibilityNames() {
		for _, action := range []string{EventAttachmentAdded, EventAttachmentRefused, EventAttachmentRemoved, EventAttachmentPurged} {
			e, err := NewEvent(nil, 1, 5, action, map[string]any{"title": "CANARY", "sha256": "feedface", "visibility": vis, "reason": "CANARY"}, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
			if err != nil {
				t.Fatal(err)
			}
			for _, role := range AllRoles {
				a := Actor{UserID: 9, OrganizationID: org, Roles: map[int64]RoleSet{op: {role}}}
				for _, ch := range Channels {
					got := EventFor(a, ref, e, ch, nil)
					leaks := strings.Contains(string(got.Payload), "CANARY") || strings.Contains(string(got.Payload), "feedface")
					if shown := AttachmentShown(a, ref, vis, ch); leaks != shown {
						t.Errorf("%s %s as %s on %s: payload %s (shown %t)", action, vis, role, ch, got.Payload, shown)
					}
				}
			}
		}
	}
}

// TestValidatePurge: a purge from a form needs a reason and the
// confirmation, each named on its field.
func TestValidatePurge(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		reason    string
		confirmed bool
		want      []string
	}{
		{"Personal data of a third party", true, nil},
		{"Personal data of a third party", false, []string{"confirm"}},
		{"  ", true, []string{"reason"}},
		{"a\x00b", true, []string{"reason"}},
		{strings.Repeat("x", maxRemovalReason+1), true, []string{"reason"}},
		{"", false, []string{"confirm", "reason"}},
	} {
		err := ValidatePurge(tt.reason, tt.confirmed)
		var got []string
		if e, ok := err.(*Error); ok {
			for f := range e.Fields {
				got = append(got, f)
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, tt.want) {
			t.Errorf("ValidatePurge(%.20q, %v) fields = %v, want %v", tt.reason, tt.confirmed, got, tt.want)
		}
	}
}

// TestAttachmentNames: a saved name carries an extension of its sniffed
// type; bidirectional controls never reach a name or a title.
func TestAttachmentNames(t *testing.T) {
	for _, c := range []struct{ name, ct, want string }{
		{"scan.pdf", "application/pdf", "scan.pdf"},
		{"SCAN.PDF", "application/pdf", "SCAN.PDF"},
		{"poly.html", "application/pdf", "poly.html.pdf"},
		{"setup.exe", "image/png", "setup.exe.png"},
		{"photo.jpeg", "image/jpeg", "photo.jpeg"},
		{"notes", "text/plain", "notes.txt"},
		{strings.Repeat("a", 255), "application/pdf", strings.Repeat("a", 251) + ".pdf"},
	} {
		if got := FilenameFor(c.name, c.ct); got != c.want {
			t.Errorf("FilenameFor(%q, %s) = %q, want %q", c.name, c.ct, got, c.want)
		}
	}
	for _, ct := range AllowedContentTypes() {
		if FilenameFor("x", ct) == "x" {
			t.Errorf("%s has no extension", ct)
		}
	}
	in := AttachmentInput{Filename: "contract\u202efdp.exe", Title: "Lettre \u202dRLO\u2066 x"}
	NormalizeAttachmentInput(&in)
	if in.Filename != "contractfdp.exe" || in.Title != "Lettre RLO x" {
		t.Errorf("normalised %q, %q", in.Filename, in.Title)
	}
}
