package service_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/service"
	"github.com/cmcoord/cmcoord/internal/store"
	"github.com/cmcoord/cmcoord/internal/testutil/clamdtest"
)

// docFixture has the lifecycle's cast, a viewer, and the documents
// service over the same database.
type docFixture struct {
	*lifeFixture
	attach  *service.Attachments
	exports *service.Exports
	viewer  domain.Actor
}

func newDocFixture(t *testing.T) *docFixture {
	t.Helper()
	f := &docFixture{lifeFixture: newLifeFixture(t)}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	f.attach = service.NewAttachments(store.New(f.pool), f.clock.now, log)
	f.reqs.WithAttachments(f.attach)
	f.exports = service.NewExports(store.New(f.pool), f.clock.now, log).WithActionLimits(nil)
	f.viewer = f.member(t, "viewer@example.org", f.officer.OrganizationID, domain.RoleViewer)
	return f
}

func (f *docFixture) add(t *testing.T, by domain.Actor, r domain.Request, vis domain.AttachmentVisibility, title, content string) domain.Attachment {
	t.Helper()
	a, err := f.attach.Add(t.Context(), by, r.ID, domain.AttachmentInput{Kind: domain.KindOther, Title: title,
		Filename: strings.ToLower(title) + ".txt", Visibility: vis}, strings.NewReader(content))
	if err != nil {
		t.Fatalf("add %s: %v", title, err)
	}
	return a
}

func hashOf(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// TestDocumentCanaries walks every role against every visibility and
// every channel a document's name or hash could leave by: the list, the
// download, the request page's trail, the JSON and CSV exports. Each
// document carries a canary in its title and its content (so its hash);
// a reader the table does not let see it finds neither anywhere.
func TestDocumentCanaries(t *testing.T) {
	t.Parallel()
	f := newDocFixture(t)
	ctx := t.Context()
	r := f.submitted(t, "Bridge at Jiri")
	docs := map[domain.AttachmentVisibility]domain.Attachment{}
	contents := map[domain.AttachmentVisibility]string{}
	for _, v := range domain.AttachmentVisibilityNames() {
		title := "CANARY" + strings.ToUpper(strings.ReplaceAll(string(v), "_", ""))
		contents[v] = "content of " + title + "\n"
		by := f.officer
		if v == domain.VisibleToAll {
			by = f.requester
		}
		docs[v] = f.add(t, by, r, v, title, contents[v])
		if docs[v].HashHex() != hashOf(contents[v]) || docs[v].Size != int64(len(contents[v])) || docs[v].ContentType != "text/plain" {
			t.Fatalf("%s: recorded %s %d %s", v, docs[v].HashHex(), docs[v].Size, docs[v].ContentType)
		}
	}
	all := []domain.AttachmentVisibility{domain.VisibleToAll, domain.VisibleToOfficerHC, domain.VisibleToHRDDP}
	everyone := all[:1]
	// Who sees what, written out (not read from the table it tests).
	cast := []struct {
		name   string
		by     domain.Actor
		screen []domain.AttachmentVisibility
		export []domain.AttachmentVisibility // nil: may not export
		hidden bool                          // may not see the request at all
	}{
		{"requester", f.requester, everyone, nil, false},
		{"officer", f.officer, all, all[:2], false},
		{"hct member", f.hct[0], everyone, nil, false},
		{"hc", f.hc, all, all[:2], false},
		{"hrddp reviewer", f.hrddp, []domain.AttachmentVisibility{domain.VisibleToAll, domain.VisibleToHRDDP}, nil, false},
		{"viewer", f.viewer, everyone, everyone, false},
		{"requester of another organisation", f.outsider, nil, nil, true},
	}
	for _, c := range cast {
		seen := map[domain.AttachmentVisibility]bool{}
		for _, v := range c.screen {
			seen[v] = true
		}
		list, err := f.attach.List(ctx, c.by, r.ID)
		if c.hidden {
			wantCode(t, err, domain.CodeNotFound, "")
		} else if err != nil {
			t.Fatalf("%s: list: %v", c.name, err)
		}
		if len(list) != len(c.screen) {
			t.Errorf("%s lists %d documents, want %d", c.name, len(list), len(c.screen))
		}
		page, perr := f.reqs.Page(ctx, c.by, r.ID)
		var trail bytes.Buffer
		for _, e := range page.Events {
			trail.Write(e.Payload)
		}
		for _, d := range page.Attachments.Items {
			fmt.Fprint(&trail, d.Title, d.HashHex())
		}
		if c.hidden && perr == nil {
			t.Errorf("%s sees the request page", c.name)
		}
		for _, v := range all {
			dl, err := f.attach.Open(ctx, c.by, r.ID, docs[v].ID)
			var got bytes.Buffer
			if err == nil {
				if err := dl.WriteTo(&got); err != nil {
					t.Fatal(err)
				}
			}
			canary, hash := docs[v].Title, docs[v].HashHex()
			switch {
			case seen[v] && (err != nil || got.String() != contents[v]):
				t.Errorf("%s: %s document: %v, %q", c.name, v, err, got.String())
			case !seen[v] && domain.ErrorCode(err) != domain.CodeNotFound:
				t.Errorf("%s downloads the %s document: %v", c.name, v, err)
			case !seen[v] && (strings.Contains(trail.String(), canary) || strings.Contains(trail.String(), hash)):
				t.Errorf("%s finds the %s document's name or hash on the request page", c.name, v)
			case seen[v] && !c.hidden && (!strings.Contains(trail.String(), canary) || !strings.Contains(trail.String(), hash)):
				t.Errorf("%s does not find the %s document on the page", c.name, v)
			}
		}
		// The files that leave the system.
		if c.export == nil {
			continue
		}
		inFile := map[domain.AttachmentVisibility]bool{}
		for _, v := range c.export {
			inFile[v] = true
		}
		for _, format := range []string{service.FormatJSON, service.FormatCSV} {
			var out bytes.Buffer
			if err := f.exports.Requests(ctx, c.by, f.op.Code, service.ExportFilter{}, format, &out, service.ExportOptions{}); err != nil {
				t.Fatalf("%s: export %s: %v", c.name, format, err)
			}
			for _, v := range all {
				has := strings.Contains(out.String(), docs[v].HashHex())
				if format == service.FormatJSON && has != inFile[v] {
					t.Errorf("%s: JSON export lists the %s document: %t, want %t", c.name, v, has, inFile[v])
				}
				if format == service.FormatCSV && (has || strings.Contains(out.String(), docs[v].Title)) {
					t.Errorf("%s: the CSV names a document", c.name)
				}
			}
			if format == service.FormatCSV {
				want := fmt.Sprintf(",%d,", len(c.export))
				if !strings.Contains(out.String(), "Documents") || !strings.Contains(out.String(), want) {
					t.Errorf("%s: the CSV does not count %d documents:\n%s", c.name, len(c.export), out.String())
				}
			}
		}
	}
}

// TestDocumentRules: who may add, when, at which visibility; who may
// remove; the removal and the purge as events; what a removed or purged
// document still shows.
func TestDocumentRules(t *testing.T) {
	t.Parallel()
	f := newDocFixture(t)
	ctx := t.Context()
	r := f.submitted(t, "Airlift to Jumla")
	in := func(vis domain.AttachmentVisibility) domain.AttachmentInput {
		return domain.AttachmentInput{Kind: domain.KindConsentLetter, Title: "Letter", Filename: "letter.txt", Visibility: vis}
	}
	body := func() io.Reader { return strings.NewReader("Consent of the Ministry.\n") }
	// Nobody files what they could not read back.
	_, err := f.attach.Add(ctx, f.requester, r.ID, in(domain.VisibleToOfficerHC), body())
	wantField(t, err, "visibility")
	_, err = f.attach.Add(ctx, f.hct[0], r.ID, in(domain.VisibleToAll), body())
	wantCode(t, err, domain.CodeForbidden, "")
	_, err = f.attach.Add(ctx, f.viewer, r.ID, in(domain.VisibleToAll), body())
	wantCode(t, err, domain.CodeForbidden, "")
	_, err = f.attach.Add(ctx, f.outsider, r.ID, in(domain.VisibleToAll), body())
	wantCode(t, err, domain.CodeNotFound, "")
	mine := f.add(t, f.requester, r, domain.VisibleToAll, "Map", "Road cut at km 12.\n")
	// A double click: the same file moments later is the same document.
	again, err := f.attach.Add(ctx, f.requester, r.ID, domain.AttachmentInput{Kind: domain.KindOther, Title: "Map",
		Filename: "map.txt", Visibility: domain.VisibleToAll}, strings.NewReader("Road cut at km 12.\n"))
	if err != nil || again.ID != mine.ID {
		t.Fatalf("repeat = %d, %v; want %d", again.ID, err, mine.ID)
	}
	// The same file as something else is a document of its own.
	other, err := f.attach.Add(ctx, f.requester, r.ID, domain.AttachmentInput{Kind: domain.KindMap, Title: "Map, annotated",
		Filename: "map.txt", Visibility: domain.VisibleToAll}, strings.NewReader("Road cut at km 12.\n"))
	if err != nil || other.ID == mine.ID || other.Kind != domain.KindMap {
		t.Fatalf("same bytes, other title = %+v, %v", other, err)
	}
	if err := f.attach.Remove(ctx, f.requester, r.ID, other.ID, "A duplicate."); err != nil {
		t.Fatal(err)
	}
	hrddpDoc := f.add(t, f.hrddp, r, domain.VisibleToHRDDP, "Risk", "Escort risk.\n")

	// Removal: a reason; the HC may not remove the requester's; the
	// requester their own; the officer any.
	wantCode(t, f.attach.Remove(ctx, f.requester, r.ID, mine.ID, " "), domain.CodeInvalid, "")
	wantCode(t, f.attach.Remove(ctx, f.hc, r.ID, mine.ID, "Not needed."), domain.CodeForbidden, "attachment.not_yours")
	wantCode(t, f.attach.Remove(ctx, f.requester, r.ID, hrddpDoc.ID, "Mine?"), domain.CodeNotFound, "")
	if err := f.attach.Remove(ctx, f.requester, r.ID, mine.ID, "Wrong map."); err != nil {
		t.Fatal(err)
	}
	wantCode(t, f.attach.Remove(ctx, f.officer, r.ID, mine.ID, "Again."), domain.CodeConflict, "attachment.already_removed")
	_, err = f.attach.Open(ctx, f.officer, r.ID, mine.ID)
	wantCode(t, err, domain.CodeNotFound, "attachment.removed")
	list, err := f.attach.List(ctx, f.requester, r.ID)
	if err != nil || len(list) != 2 || !list[0].Removed() || list[0].RemovalReason != "Wrong map." {
		t.Fatalf("after removal: %+v, %v", list, err)
	}

	// After the decision the requester adds nothing; the officer still does.
	r = f.decide(t, r)
	_, err = f.attach.Add(ctx, f.requester, r.ID, in(domain.VisibleToAll), body())
	wantCode(t, err, domain.CodeConflict, "attachment.after_decision")
	late := f.add(t, f.officer, r, domain.VisibleToOfficerHC, "Provider acceptance", "Accepted.\n")

	// The purge: administrators only, with a reason; the content goes,
	// the record and its hash stay.
	wantCode(t, f.attach.Purge(ctx, f.officer, r.ID, late.ID, "Data protection."), domain.CodeForbidden, "")
	wantCode(t, f.attach.Purge(ctx, f.admin, r.ID, late.ID, ""), domain.CodeInvalid, "")
	if err := f.attach.Purge(ctx, f.admin, r.ID, late.ID, "Data protection request DP-14."); err != nil {
		t.Fatal(err)
	}
	wantCode(t, f.attach.Purge(ctx, f.admin, r.ID, late.ID, "Again."), domain.CodeConflict, "attachment.already_purged")
	_, err = f.attach.Open(ctx, f.hc, r.ID, late.ID)
	wantCode(t, err, domain.CodeNotFound, "attachment.purged")
	var n int
	if err := f.pool.QueryRow(ctx, `SELECT count(*) FROM file_chunks c JOIN attachments a ON a.file_id = c.file_id WHERE a.id = $1`, late.ID).Scan(&n); err != nil || n != 0 {
		t.Fatalf("purged chunks left: %d, %v", n, err)
	}
	// Every step is an event of the chain, and the chain verifies.
	evs, err := f.reqs.Events(ctx, f.officer, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range evs {
		if domain.AttachmentEvent(e.Action) {
			actions = append(actions, e.Action)
		}
	}
	want := []string{domain.EventAttachmentAdded, domain.EventAttachmentAdded, domain.EventAttachmentRemoved,
		domain.EventAttachmentAdded, domain.EventAttachmentRemoved, domain.EventAttachmentAdded, domain.EventAttachmentPurged}
	if fmt.Sprint(actions) != fmt.Sprint(want) {
		t.Errorf("document events = %v, want %v", actions, want)
	}
	rep, err := f.reqs.VerifyAudit(ctx)
	if err != nil || rep.Break != nil {
		t.Fatalf("audit: %+v, %v", rep.Break, err)
	}
	// The database keeps what a document's record says.
	if _, err := f.pool.Exec(ctx, `UPDATE attachments SET sha256 = sha256(sha256) WHERE id = $1`, hrddpDoc.ID); err == nil {
		t.Error("a document's hash was changed in place")
	}
	if _, err := f.pool.Exec(ctx, `DELETE FROM file_chunks WHERE file_id = (SELECT file_id FROM attachments WHERE id = $1)`, hrddpDoc.ID); err == nil {
		t.Error("a document's content was deleted without a purge")
	}
	if _, err := f.pool.Exec(ctx, `INSERT INTO file_chunks (file_id, seq, data) SELECT file_id, 99, 'EXTRA' FROM attachments WHERE id = $1`, hrddpDoc.ID); err == nil {
		t.Error("a sealed file took a new chunk")
	}
}

// decide takes r through its review to approval.
func (f *docFixture) decide(t *testing.T, r domain.Request) domain.Request {
	t.Helper()
	ctx := t.Context()
	f.open(t, r)
	for _, a := range f.hct {
		if _, err := f.reviews.Vote(ctx, a, r.ID, service.VoteInput{Value: domain.VoteSupport}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.reviews.Close(ctx, f.officer, r.ID, nowVersion(t, f.reqs, r.ID)); err != nil {
		t.Fatal(err)
	}
	if _, err := f.reviews.Decide(ctx, f.hc, r.ID, service.DecisionInput{Version: nowVersion(t, f.reqs, r.ID),
		Outcome: domain.StatusApproved, Rationale: "Passed."}); err != nil {
		t.Fatal(err)
	}
	d, err := f.reqs.Get(ctx, f.officer, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	return d.Request
}

// TestDocumentContentChecks: what is not on the allow-list, an empty
// file and one over the limit are refused, naming the file field, and
// leave no bytes behind.
func TestDocumentContentChecks(t *testing.T) {
	t.Parallel()
	f := newDocFixture(t)
	f.attach.WithMaxSize(1 << 20)
	ctx := t.Context()
	r := f.submitted(t, "Field hospital")
	cases := []struct {
		name, file, content, key string
	}{
		{"html", "page.html", "<!doctype html><script>alert(1)</script>", "attachment.type_not_allowed"},
		{"html named text", "notes.txt", "  <html><body onload=alert(1)>", "attachment.type_not_allowed"},
		{"svg", "map.svg", `<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`, "attachment.type_not_allowed"},
		{"zip", "bundle.zip", "PK\x03\x04\x14\x00\x00\x00evil.exe", "attachment.type_not_allowed"},
		{"executable", "setup.pdf", "MZ\x90\x00\x03\x00\x00\x00", "attachment.type_not_allowed"},
		{"empty", "empty.txt", "", "attachment.empty"},
		{"too large", "big.txt", strings.Repeat("a", 1<<20+1), "attachment.too_large"},
	}
	for _, c := range cases {
		_, err := f.attach.Add(ctx, f.officer, r.ID, domain.AttachmentInput{Kind: domain.KindOther, Title: c.name,
			Filename: c.file, Visibility: domain.VisibleToAll}, strings.NewReader(c.content))
		var e *domain.Error
		if !errorsAs(err, &e) || e.Fields["file"] != c.key {
			t.Errorf("%s: %v, want file: %s", c.name, err, c.key)
		}
	}
	for _, ok := range []struct{ file, content, want string }{
		{"scan.pdf", "%PDF-1.7\n%âãÏÓ\n", "application/pdf"},
		{"scan.html", "%PDF-1.7\n<html><script>alert(1)</script>", "application/pdf"},
		{"photo.jpg", "\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"},
		{"list.csv", "village,people\nJiri,1200\n", "text/csv"},
		{"letter.docx", "PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00[Content_Types].xml", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
	} {
		a, err := f.attach.Add(ctx, f.officer, r.ID, domain.AttachmentInput{Kind: domain.KindOther, Filename: ok.file,
			Visibility: domain.VisibleToAll}, strings.NewReader(ok.content))
		if err != nil || a.ContentType != ok.want || a.Title != ok.file || a.Filename != domain.FilenameFor(ok.file, ok.want) ||
			(ok.file == "scan.html" && a.Filename != "scan.html.pdf") {
			t.Errorf("%s: %+v, %v", ok.file, a, err)
		}
	}
	var left int
	if err := f.pool.QueryRow(ctx, `SELECT count(*) FROM files WHERE sealed_at IS NULL`).Scan(&left); err != nil || left != 0 {
		t.Errorf("refused uploads left %d files, %v", left, err)
	}
}

// TestDocumentThreatRefused runs a real clamd with a signature database
// written here (the EICAR test file's hash): the file is refused with
// the threat named, the refusal is an event of the request's chain, and
// nothing of the file is kept. A clean file is marked scanned.
func TestDocumentThreatRefused(t *testing.T) {
	t.Parallel()
	f := newDocFixture(t)
	f.attach.WithScanner(service.ClamdScanner(clamdtest.Start(t)))
	ctx := t.Context()
	r := f.submitted(t, "Water trucking")
	eicar := clamdtest.EICAR()
	_, err := f.attach.Add(ctx, f.requester, r.ID, domain.AttachmentInput{Kind: domain.KindPhoto, Title: "Photo",
		Filename: "photo.txt", Visibility: domain.VisibleToAll}, bytes.NewReader(eicar))
	var e *domain.Error
	if !errorsAs(err, &e) || e.Fields["file"] != "attachment.infected" || !strings.HasPrefix(fmt.Sprint(e.Data["Threat"]), clamdtest.Signature) {
		t.Fatalf("EICAR: %v (%+v)", err, e)
	}
	evs, err := f.reqs.Events(ctx, f.officer, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	last := evs[len(evs)-1]
	h := sha256.Sum256(eicar)
	if last.Action != domain.EventAttachmentRefused || !bytes.Contains(last.Payload, []byte(hex.EncodeToString(h[:]))) ||
		!bytes.Contains(last.Payload, []byte(clamdtest.Signature)) {
		t.Fatalf("last event %s %s", last.Action, last.Payload)
	}
	var kept int
	if err := f.pool.QueryRow(ctx, `SELECT count(*) FROM files`).Scan(&kept); err != nil || kept != 0 {
		t.Errorf("files kept after the refusal: %d, %v", kept, err)
	}
	clean, err := f.attach.Add(ctx, f.requester, r.ID, domain.AttachmentInput{Kind: domain.KindPhoto, Title: "Notes",
		Filename: "notes.txt", Visibility: domain.VisibleToAll}, strings.NewReader("All clear.\n"))
	if err != nil || !clean.Scanned {
		t.Fatalf("clean file: %+v, %v", clean, err)
	}
}

// TestVerifyFilesFindsTampering: a stored file changed behind cmcoord's
// back (the trigger that forbids it disabled, as by someone with the
// database's keys) is named by VerifyFiles (cmcoord audit verify).
func TestVerifyFilesFindsTampering(t *testing.T) {
	t.Parallel()
	f := newDocFixture(t)
	ctx := t.Context()
	r := f.submitted(t, "Bridge")
	a := f.add(t, f.officer, r, domain.VisibleToAll, "Assessment", "Bridge load 20 t.\n")
	b := f.add(t, f.officer, r, domain.VisibleToHRDDP, "Risk", "Escort needed.\n")
	rep, err := f.attach.VerifyFiles(ctx)
	if err != nil || rep.Files != 2 || len(rep.Mismatches) != 0 {
		t.Fatalf("before: %+v, %v", rep, err)
	}
	if _, err := f.pool.Exec(ctx, `ALTER TABLE file_chunks DISABLE TRIGGER file_chunks_guard;
		UPDATE file_chunks SET data = convert_to('Bridge load 40 t.'||chr(10), 'UTF8') WHERE file_id = (SELECT file_id FROM attachments WHERE id = `+fmt.Sprint(a.ID)+`);
		ALTER TABLE file_chunks ENABLE TRIGGER file_chunks_guard`); err != nil {
		t.Fatal(err)
	}
	rep, err = f.attach.VerifyFiles(ctx)
	if err != nil || len(rep.Mismatches) != 1 || rep.Mismatches[0].AttachmentID != a.ID || rep.Mismatches[0].RequestID != r.ID {
		t.Fatalf("after: %+v, %v", rep, err)
	}
	// The changed file is never handed on as the document: its download
	// fails; the other still downloads.
	dl, err := f.attach.Open(ctx, f.officer, r.ID, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := dl.WriteTo(io.Discard); !errors.Is(err, service.ErrContentDiffers) {
		t.Errorf("download of a changed file = %v, want ErrContentDiffers", err)
	}
	if dl, err = f.attach.Open(ctx, f.officer, r.ID, b.ID); err != nil || dl.WriteTo(io.Discard) != nil {
		t.Errorf("download of an intact file: %v", err)
	}
	// The record forged too (content and its row's hash, as by someone
	// with the database's keys): the chain's event still says what was
	// added, so the download is refused and the record is not intact.
	if _, err := f.pool.Exec(ctx, `ALTER TABLE attachments DISABLE TRIGGER attachments_guard;
		ALTER TABLE files DISABLE TRIGGER files_guard;
		UPDATE attachments SET sha256 = sha256(convert_to('Bridge load 40 t.'||chr(10), 'UTF8')) WHERE id = `+fmt.Sprint(a.ID)+`;
		UPDATE files SET sha256 = sha256(convert_to('Bridge load 40 t.'||chr(10), 'UTF8')) WHERE id = (SELECT file_id FROM attachments WHERE id = `+fmt.Sprint(a.ID)+`);
		ALTER TABLE files ENABLE TRIGGER files_guard;
		ALTER TABLE attachments ENABLE TRIGGER attachments_guard`); err != nil {
		t.Fatal(err)
	}
	if _, err := f.attach.Open(ctx, f.officer, r.ID, a.ID); !errors.Is(err, service.ErrContentDiffers) {
		t.Errorf("download of a forged record = %v, want ErrContentDiffers", err)
	}
	list, err := f.attach.List(ctx, f.officer, r.ID)
	if err != nil || len(list) != 2 || list[0].Intact() || !list[1].Intact() {
		t.Errorf("intact: %+v, %v", list, err)
	}
	if rep, err = f.attach.VerifyFiles(ctx); err != nil || len(rep.Mismatches) != 1 {
		t.Errorf("VerifyFiles after the forged record: %+v, %v", rep, err)
	}
}

// TestDocumentMemoryStaysFlat adds and downloads a 100 MB document and
// samples the heap all along: it never holds more than a few chunks,
// far below the file's size.
func TestDocumentMemoryStaysFlat(t *testing.T) {
	f := newDocFixture(t)
	const size = 100 << 20
	f.attach.WithMaxSize(128 << 20)
	ctx := t.Context()
	r := f.submitted(t, "Large map set")
	var peak atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	go func() {
		defer close(done)
		var m runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
		}
	}()
	src := io.LimitReader(&pattern{}, size)
	a, err := f.attach.Add(ctx, f.officer, r.ID, domain.AttachmentInput{Kind: domain.KindMap, Title: "Maps",
		Filename: "maps.txt", Visibility: domain.VisibleToAll}, src)
	if err != nil {
		t.Fatal(err)
	}
	dl, err := f.attach.Open(ctx, f.officer, r.ID, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	n := &countWriter{w: h}
	if err := dl.WriteTo(n); err != nil {
		t.Fatal(err)
	}
	close(stop)
	<-done
	want := sha256.New()
	io.Copy(want, io.LimitReader(&pattern{}, size))
	if n.n != size || !bytes.Equal(h.Sum(nil), want.Sum(nil)) || a.Size != size {
		t.Fatalf("downloaded %d bytes, hash match %t", n.n, bytes.Equal(h.Sum(nil), want.Sum(nil)))
	}
	grew := int64(peak.Load()) - int64(base.HeapInuse)
	t.Logf("heap in use grew by at most %d KB for a %d MB document", grew>>10, size>>20)
	if grew > 32<<20 {
		t.Errorf("heap grew by %d MB for a %d MB document: not streamed", grew>>20, size>>20)
	}
}

// pattern is an endless stream of printable text.
type pattern struct{ i int }

func (p *pattern) Read(b []byte) (int, error) {
	for k := range b {
		b[k] = 'a' + byte(p.i%26)
		if p.i%80 == 79 {
			b[k] = '\n'
		}
		p.i++
	}
	return len(b), nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

func errorsAs(err error, e **domain.Error) bool { return errors.As(err, e) }

// wantField fails unless err is invalid input naming field.
func wantField(t *testing.T, err error, field string) {
	t.Helper()
	var e *domain.Error
	if !errors.As(err, &e) || e.Code != domain.CodeInvalid || e.Fields[field] == "" {
		t.Fatalf("err = %v, want invalid %s", err, field)
	}
}
