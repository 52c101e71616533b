package service

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/store"
)

// Attachments: the documents of a request (issue 20). One path adds a
// document, whichever way its bytes come (a multipart form, the API, a
// resumable tus upload):
//
//	Begin   checks who may add what to which request, and starts a file;
//	Upload  appends bytes to it as they arrive, chunk by chunk, never
//	        holding the file whole, up to the size limit;
//	Finish  reads it back once: hashes it, sniffs its type against the
//	        allow-list, streams it to clamd when one is configured; then,
//	        in one transaction with the request locked, asks the rulebook
//	        again, records the document and appends its event (its
//	        SHA-256, size, type and visibility) to the request's chain.
//
// The request is locked only for that last short transaction, never
// while bytes trickle in over a satellite link.
type Attachments struct {
	store   *store.Store
	now     func() time.Time
	log     *slog.Logger
	scanner Scanner
	maxSize int64
}

// Scanner scans a file streamed to it (clamd's INSTREAM).
type Scanner interface {
	Scan(ctx context.Context) (ScanSession, error)
}

// ScanSession is one file on its way to the scanner: bytes written to
// it are sent as they come; Close gives the verdict.
type ScanSession interface {
	io.Writer
	Close() (clean bool, threat string, err error)
	Abort()
}

// NewAttachments returns the Attachments service: no scanner, the
// default size limit.
func NewAttachments(st *store.Store, now func() time.Time, log *slog.Logger) *Attachments {
	return &Attachments{store: st, now: now, log: log, maxSize: domain.DefaultMaxAttachmentSize}
}

// WithScanner scans every document before it is recorded (nil: none;
// documents are then marked not scanned). It returns s.
func (s *Attachments) WithScanner(sc Scanner) *Attachments {
	s.scanner = sc
	return s
}

// WithMaxSize sets the largest document accepted, in bytes. It returns s.
func (s *Attachments) WithMaxSize(n int64) *Attachments {
	if n > 0 {
		s.maxSize = n
	}
	return s
}

// MaxSize is the largest document accepted, in bytes.
func (s *Attachments) MaxSize() int64 { return s.maxSize }

// Scanning reports whether documents are scanned before they are kept.
func (s *Attachments) Scanning() bool { return s.scanner != nil }

// AttachmentForm is what the faces need to offer adding a document to a
// request: nil when the actor may not.
type AttachmentForm struct {
	Kinds        []domain.AttachmentKind
	Visibilities []domain.AttachmentVisibility
	MaxSize      int64
	Scanning     bool
}

// AttachmentsView is a request's documents as an actor sees them, and
// what they may do with them.
type AttachmentsView struct {
	Request domain.RequestRef
	// Items are the documents the actor sees, removed ones included.
	Items []domain.Attachment
	// Removable names the documents the actor may remove.
	Removable map[int64]bool
	// Form is nil when the actor may not add one now; Blocked says why
	// (after the decision) when the role would allow it.
	Form    *AttachmentForm
	Blocked error
}

// List returns request id's documents as by sees them.
func (s *Attachments) List(ctx context.Context, by domain.Actor, id int64) ([]domain.Attachment, error) {
	v, err := s.View(ctx, by, id)
	return v.Items, err
}

// View returns request id's documents as by sees them, with what by may
// do.
func (s *Attachments) View(ctx context.Context, by domain.Actor, id int64) (AttachmentsView, error) {
	r, err := s.store.GetRequest(ctx, id)
	if err != nil {
		return AttachmentsView{}, err
	}
	if err := domain.Can(by, domain.ActionViewRequest, domain.OnRequest(r)); err != nil {
		return AttachmentsView{}, err
	}
	all, err := s.store.ListAttachments(ctx, id)
	if err != nil {
		return AttachmentsView{}, err
	}
	return s.viewOf(by, r.Ref(), all), nil
}

func (s *Attachments) viewOf(by domain.Actor, ref domain.RequestRef, all []store.StoredAttachment) AttachmentsView {
	v := AttachmentsView{Request: ref, Removable: map[int64]bool{}}
	for _, t := range all {
		if !domain.AttachmentShown(by, ref, t.Visibility, domain.ChannelScreen) {
			continue
		}
		v.Items = append(v.Items, t.Attachment)
		if domain.CanRemoveAttachment(by, ref, t.Attachment) == nil {
			v.Removable[t.ID] = true
		}
	}
	switch err := domain.CanAttach(by, ref); {
	case err == nil:
		v.Form = &AttachmentForm{Kinds: domain.AttachmentKinds, Visibilities: domain.VisibilityChoices(by, ref),
			MaxSize: s.maxSize, Scanning: s.scanner != nil}
	case domain.ErrorCode(err) == domain.CodeConflict:
		v.Blocked = err
	}
	return v
}

// MayAttach is nil when by may add a document to request id now: what a
// face asks before reading an upload's body, so that who may not add
// sends no bytes for nothing.
func (s *Attachments) MayAttach(ctx context.Context, by domain.Actor, id int64) error {
	r, err := s.store.GetRequest(ctx, id)
	if err != nil {
		return err
	}
	return domain.CanAttach(by, r.Ref())
}

// Upload is a document's file on its way in.
type Upload struct {
	FileID   int64
	Size     int64 // bytes received so far
	Expected int64 // announced length; -1 when none
	Input    domain.AttachmentInput
	// RequestID is the request it is for.
	RequestID int64
}

// Begin checks that by may add document in to request id and starts its
// file; expected is the announced length (-1: unknown), refused at once
// when over the limit.
func (s *Attachments) Begin(ctx context.Context, by domain.Actor, id int64, in domain.AttachmentInput, expected int64) (Upload, error) {
	domain.NormalizeAttachmentInput(&in)
	r, err := s.store.GetRequest(ctx, id)
	if err != nil {
		return Upload{}, err
	}
	if err := domain.CanAttach(by, r.Ref()); err != nil {
		return Upload{}, err
	}
	if err := domain.ValidateAttachmentInput(by, r.Ref(), in); err != nil {
		return Upload{}, err
	}
	if expected > s.maxSize {
		return Upload{}, s.TooLarge()
	}
	f, err := s.store.CreateFile(ctx, by.UserID, s.now(), expected, map[string]string{
		"request_id": strconv.FormatInt(id, 10), "kind": string(in.Kind), "title": in.Title,
		"filename": in.Filename, "visibility": string(in.Visibility)})
	if err != nil {
		return Upload{}, err
	}
	return Upload{FileID: f.ID, Expected: expected, Input: in, RequestID: id}, nil
}

// TooLarge is the refusal of a document over the size limit, naming it.
func (s *Attachments) TooLarge() error {
	return &domain.Error{Code: domain.CodeInvalid, Message: "error.invalid",
		Fields: map[string]string{"file": "attachment.too_large"}, Data: map[string]any{"MB": s.maxSize >> 20}}
}

// GetUpload returns by's upload fileID as it stands (a resumed upload
// asks where it stopped). Another user's, or a finished one, is not
// found.
func (s *Attachments) GetUpload(ctx context.Context, by domain.Actor, fileID int64) (Upload, error) {
	f, err := s.store.GetFile(ctx, fileID)
	if err != nil {
		return Upload{}, err
	}
	if f.CreatedBy != by.UserID || by.UserID == 0 || !f.SealedAt.IsZero() {
		return Upload{}, domain.Errorf(domain.CodeNotFound, "error.not_found")
	}
	id, _ := strconv.ParseInt(f.Meta["request_id"], 10, 64)
	return Upload{FileID: f.ID, Size: f.Size, Expected: f.ExpectedSize, RequestID: id, Input: domain.AttachmentInput{
		Kind: domain.AttachmentKind(f.Meta["kind"]), Title: f.Meta["title"], Filename: f.Meta["filename"],
		Visibility: domain.AttachmentVisibility(f.Meta["visibility"])}}, nil
}

// Write appends what r yields to by's upload fileID, as it comes; the
// bytes that arrived before a cut connection are kept (a resumed upload
// goes on from there). It returns how many bytes it appended.
func (s *Attachments) Write(ctx context.Context, by domain.Actor, fileID int64, r io.Reader) (int64, error) {
	return s.WriteAt(ctx, by, fileID, -1, r)
}

// WriteAt is Write for a resumed upload that says where it goes on
// (offset, the tus Upload-Offset): a conflict, with nothing written,
// unless the upload has exactly offset bytes now (offset < 0: anywhere).
func (s *Attachments) WriteAt(ctx context.Context, by domain.Actor, fileID, offset int64, r io.Reader) (int64, error) {
	u, err := s.GetUpload(ctx, by, fileID)
	if err != nil {
		return 0, err
	}
	limit := s.maxSize
	if u.Expected >= 0 && u.Expected < limit {
		limit = u.Expected
	}
	n, err := s.store.AppendFileAt(ctx, fileID, offset, r, limit)
	if errors.Is(err, store.ErrFileTooLarge) {
		return n, s.TooLarge()
	}
	return n, err
}

// Discard drops by's unfinished upload fileID.
func (s *Attachments) Discard(ctx context.Context, by domain.Actor, fileID int64) error {
	if _, err := s.GetUpload(ctx, by, fileID); err != nil {
		return err
	}
	return s.store.DeleteFile(ctx, fileID)
}

// Add is Begin, Write and Finish at once: a document whose bytes come in
// one body (a form, the API). A repeat of the same file by the same
// person moments ago (a double click) answers with the first.
func (s *Attachments) Add(ctx context.Context, by domain.Actor, id int64, in domain.AttachmentInput, body io.Reader) (domain.Attachment, error) {
	u, err := s.Begin(ctx, by, id, in, -1)
	if err != nil {
		return domain.Attachment{}, err
	}
	if _, err := s.Write(ctx, by, u.FileID, body); err != nil {
		s.drop(u.FileID)
		return domain.Attachment{}, err
	}
	t, err := s.Finish(ctx, by, u.FileID)
	if err != nil {
		s.drop(u.FileID) // kept by Finish for a resumable upload's retry; a form sends it again whole
	}
	return t, err
}

// drop deletes a file that will not become a document, logging (never
// failing) on error: the job removes what is left a day later.
func (s *Attachments) drop(fileID int64) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.store.DeleteFile(ctx, fileID); err != nil {
		s.log.Warn("drop upload", "file", fileID, "err", err)
	}
}

// checked is what Finish learnt reading a file back.
type checked struct {
	size        int64
	sum         []byte
	contentType string
	scanned     bool
	threat      string
}

// Finish turns by's complete upload fileID into a document of its
// request: the checks above, then the record and its event in one
// transaction. A file refused (empty, too large, a type off the list, a
// threat) is deleted; a threat is recorded in the request's chain.
func (s *Attachments) Finish(ctx context.Context, by domain.Actor, fileID int64) (domain.Attachment, error) {
	u, err := s.GetUpload(ctx, by, fileID)
	if err != nil {
		return domain.Attachment{}, err
	}
	if u.Expected >= 0 && u.Size != u.Expected {
		return domain.Attachment{}, domain.Errorf(domain.CodeConflict, "upload.incomplete")
	}
	c, err := s.check(ctx, fileID, u)
	if err != nil {
		if domain.ErrorCode(err) != domain.CodeUnavailable {
			s.drop(fileID)
		}
		return domain.Attachment{}, err
	}
	if c.threat != "" {
		s.drop(fileID)
		if err := s.recordThreat(ctx, by, u, c); err != nil {
			return domain.Attachment{}, err
		}
		return domain.Attachment{}, &domain.Error{Code: domain.CodeInvalid, Message: "error.invalid",
			Fields: map[string]string{"file": "attachment.infected"}, Data: map[string]any{"Threat": c.threat}}
	}
	var (
		out    domain.Attachment
		repeat bool
	)
	err = s.store.InTx(ctx, func(st *store.Store) error {
		r, err := st.LockRequest(ctx, u.RequestID)
		if err != nil {
			return err
		}
		if err := domain.CanAttach(by, r.Ref()); err != nil {
			return err
		}
		if err := domain.ValidateAttachmentInput(by, r.Ref(), u.Input); err != nil {
			return err
		}
		now := s.now()
		name := domain.FilenameFor(u.Input.Filename, c.contentType)
		if out, repeat, err = repeatedUpload(ctx, st, by, u, name, c.sum, now); err != nil || repeat {
			return err
		}
		if err := st.SealFile(ctx, fileID, c.size, c.sum, now); err != nil {
			return err
		}
		t := domain.Attachment{RequestID: u.RequestID, Kind: u.Input.Kind, Title: u.Input.Title, Filename: name,
			ContentType: c.contentType, Size: c.size, SHA256: c.sum, Visibility: u.Input.Visibility, Scanned: c.scanned,
			AddedBy: by.UserID, AddedAt: now}
		if t.ID, err = st.InsertAttachment(ctx, t, fileID); err != nil {
			return err
		}
		if err := appendEvent(ctx, st, u.RequestID, by.UserID, domain.EventAttachmentAdded, map[string]any{
			"attachment_id": t.ID, "kind": t.Kind, "title": t.Title, "filename": t.Filename, "content_type": t.ContentType,
			"size": t.Size, "sha256": t.HashHex(), "visibility": t.Visibility, "scanned": t.Scanned}, now); err != nil {
			return err
		}
		stored, err := st.GetAttachment(ctx, t.ID)
		out = stored.Attachment
		return err
	})
	if err != nil {
		return domain.Attachment{}, err
	}
	if repeat { // answered with the first: this copy is not kept
		s.drop(fileID)
	}
	return out, nil
}

// repeatedUpload finds the same submission — the same file, kind,
// title, name and visibility — added to the same request by the same
// person within domain.RepeatWindow, and not removed: a double click,
// answered with the first. The same file sent with anything else is a
// document of its own.
func repeatedUpload(ctx context.Context, st *store.Store, by domain.Actor, u Upload, name string, sum []byte, now time.Time) (domain.Attachment, bool, error) {
	all, err := st.ListAttachments(ctx, u.RequestID)
	if err != nil {
		return domain.Attachment{}, false, err
	}
	for i := len(all) - 1; i >= 0; i-- {
		t := all[i]
		if t.AddedBy == by.UserID && !t.Removed() && bytes.Equal(t.SHA256, sum) && now.Sub(t.AddedAt) < domain.RepeatWindow &&
			t.Kind == u.Input.Kind && t.Title == u.Input.Title && t.Filename == name && t.Visibility == u.Input.Visibility {
			return t.Attachment, true, nil
		}
	}
	return domain.Attachment{}, false, nil
}

// check reads file fileID back once: its size, SHA-256 and sniffed type,
// and the scanner's verdict.
func (s *Attachments) check(ctx context.Context, fileID int64, u Upload) (checked, error) {
	var (
		c    checked
		head = make([]byte, 0, domain.SniffLen)
		h    = sha256.New()
		sess ScanSession
	)
	if s.scanner != nil {
		var err error
		if sess, err = s.scanner.Scan(ctx); err != nil {
			s.log.Error("virus scanner unreachable", "err", err)
			return c, domain.Errorf(domain.CodeUnavailable, "attachment.scanner_unavailable")
		}
		defer func() {
			if sess != nil {
				sess.Abort()
			}
		}()
	}
	err := s.store.ReadFile(ctx, fileID, func(b []byte) error {
		c.size += int64(len(b))
		h.Write(b)
		if room := domain.SniffLen - len(head); room > 0 {
			head = append(head, b[:min(room, len(b))]...)
		}
		if sess != nil {
			if _, err := sess.Write(b); err != nil {
				return errScan{err}
			}
		}
		return nil
	})
	var se errScan
	switch {
	case errors.As(err, &se):
		s.log.Error("virus scan failed", "err", se.err)
		return c, domain.Errorf(domain.CodeUnavailable, "attachment.scanner_unavailable")
	case err != nil:
		return c, err
	}
	c.sum = h.Sum(nil)
	if c.size == 0 {
		return c, &domain.Error{Code: domain.CodeInvalid, Message: "error.invalid", Fields: map[string]string{"file": "attachment.empty"}}
	}
	if c.size > s.maxSize {
		return c, s.TooLarge()
	}
	if c.contentType = domain.SniffContentType(head, u.Input.Filename); c.contentType == "" {
		return c, &domain.Error{Code: domain.CodeInvalid, Message: "error.invalid", Fields: map[string]string{"file": "attachment.type_not_allowed"}}
	}
	if sess != nil {
		clean, threat, err := sess.Close()
		sess = nil
		if err != nil {
			s.log.Error("virus scan failed", "err", err)
			return c, domain.Errorf(domain.CodeUnavailable, "attachment.scanner_unavailable")
		}
		if !clean {
			c.threat = threat
			if c.threat == "" {
				c.threat = "unknown"
			}
		}
		c.scanned = true
	}
	return c, nil
}

type errScan struct{ err error }

func (e errScan) Error() string { return "scan: " + e.err.Error() }

// recordThreat appends to the request's chain that a file was refused
// for a threat: its name, size, hash and the threat.
func (s *Attachments) recordThreat(ctx context.Context, by domain.Actor, u Upload, c checked) error {
	return s.store.InTx(ctx, func(st *store.Store) error {
		r, err := st.LockRequest(ctx, u.RequestID)
		if err != nil {
			return err
		}
		if err := domain.Can(by, domain.ActionViewRequest, domain.OnRequest(r)); err != nil {
			return err
		}
		s.log.Warn("upload refused: threat found", "request", u.RequestID, "user", by.UserID, "threat", c.threat,
			"sha256", hex.EncodeToString(c.sum), "size", c.size)
		return appendEvent(ctx, st, u.RequestID, by.UserID, domain.EventAttachmentRefused, map[string]any{
			"kind": u.Input.Kind, "title": u.Input.Title, "filename": u.Input.Filename, "size": c.size,
			"sha256": hex.EncodeToString(c.sum), "visibility": u.Input.Visibility, "threat": c.threat}, s.now())
	})
}

// Download is a document ready to be streamed to its reader.
type Download struct {
	domain.Attachment
	// WriteTo streams the content, chunk by chunk.
	WriteTo func(w io.Writer) error
}

// Open returns document attID of request id for by to download: 404
// when by may not see it (or it belongs to another request), not found, saying so, once
// removed or purged.
func (s *Attachments) Open(ctx context.Context, by domain.Actor, id, attID int64) (Download, error) {
	r, err := s.store.GetRequest(ctx, id)
	if err != nil {
		return Download{}, err
	}
	if err := domain.Can(by, domain.ActionViewRequest, domain.OnRequest(r)); err != nil {
		return Download{}, err
	}
	t, err := s.store.GetAttachment(ctx, attID)
	if err != nil || t.RequestID != id || !domain.AttachmentShown(by, r.Ref(), t.Visibility, domain.ChannelScreen) {
		return Download{}, domain.Errorf(domain.CodeNotFound, "error.not_found")
	}
	if t.Purged() {
		return Download{}, domain.Errorf(domain.CodeNotFound, "attachment.purged")
	}
	if !t.Downloadable() {
		return Download{}, domain.Errorf(domain.CodeNotFound, "attachment.removed")
	}
	if !t.Intact() { // the record no longer says what the chain recorded
		s.log.Error("document's record differs from the SHA-256 its event recorded: run cmcoord audit verify", "attachment", t.ID, "request", id)
		return Download{}, ErrContentDiffers
	}
	fileID, want, size := t.FileID, t.SHA256, t.Size
	return Download{Attachment: t.Attachment, WriteTo: func(w io.Writer) error {
		// What goes out is what was recorded, or the stream fails: a file
		// changed behind cmcoord's back is never handed on as the
		// document (the faces then cut the download).
		// The last chunk is held back until the whole has been checked,
		// so a client never receives all of a changed file.
		h := sha256.New()
		var (
			n       int64
			pending []byte
		)
		err := s.store.ReadFile(ctx, fileID, func(b []byte) error {
			n += int64(len(b))
			h.Write(b)
			if n > size {
				return ErrContentDiffers
			}
			if len(pending) > 0 {
				if _, err := w.Write(pending); err != nil {
					return err
				}
			}
			pending = append(pending[:0], b...)
			return nil
		})
		if err == nil && (n != size || !bytes.Equal(h.Sum(nil), want)) {
			err = ErrContentDiffers
		}
		if err == nil && len(pending) > 0 {
			_, err = w.Write(pending)
		}
		if errors.Is(err, ErrContentDiffers) {
			s.log.Error("stored document differs from its recorded SHA-256: run cmcoord audit verify", "attachment", t.ID, "request", id)
		}
		return err
	}}, nil
}

// ErrContentDiffers is a download's failure when the stored content no
// longer matches the size and SHA-256 recorded when it was added.
var ErrContentDiffers = errors.New("stored document differs from its recorded SHA-256")

// Remove withdraws document attID of request id, for reason
// (domain.CanRemoveAttachment); its content stays for the record, no
// longer offered, and the removal is an event of the request's chain.
func (s *Attachments) Remove(ctx context.Context, by domain.Actor, id, attID int64, reason string) error {
	return s.store.InTx(ctx, func(st *store.Store) error {
		r, err := st.LockRequest(ctx, id)
		if err != nil {
			return err
		}
		if err := domain.Can(by, domain.ActionViewRequest, domain.OnRequest(r)); err != nil {
			return err
		}
		t, err := st.LockAttachment(ctx, attID)
		if err != nil || t.RequestID != id {
			return domain.Errorf(domain.CodeNotFound, "error.not_found")
		}
		if err := domain.CanRemoveAttachment(by, r.Ref(), t.Attachment); err != nil {
			return err
		}
		if err := domain.ValidateRemovalReason(reason); err != nil {
			return err
		}
		now := s.now()
		if err := st.RemoveAttachment(ctx, attID, by.UserID, strings.TrimSpace(reason), now); err != nil {
			return err
		}
		return appendEvent(ctx, st, id, by.UserID, domain.EventAttachmentRemoved, map[string]any{
			"attachment_id": attID, "title": t.Title, "kind": t.Kind, "filename": t.Filename, "size": t.Size,
			"sha256": t.HashHex(), "visibility": t.Visibility, "reason": strings.TrimSpace(reason)}, now)
	})
}

// Purge deletes document attID's content for data protection, as an
// administrator (domain.ActionPurgeAttachment): the document is removed
// if it was not, its row and hash stay, and the purge is an event of its
// request's chain. A document of another request than requestID is not
// found; one already purged is CodeConflict.
func (s *Attachments) Purge(ctx context.Context, by domain.Actor, requestID, attID int64, reason string) error {
	if err := domain.Can(by, domain.ActionPurgeAttachment, domain.OnInstance()); err != nil {
		return err
	}
	if err := domain.ValidateRemovalReason(reason); err != nil {
		return err
	}
	return s.purge(ctx, by, requestID, attID, reason)
}

// PurgeDocument is Purge from the administrators' page, which names the
// document alone and asks them to confirm (domain.ValidatePurge). It
// returns the reference of the document's request, with a refusal of
// the form too (CodeInvalid), for the page to be shown again.
func (s *Attachments) PurgeDocument(ctx context.Context, by domain.Actor, attID int64, reason string, confirmed bool) (string, error) {
	if err := domain.Can(by, domain.ActionPurgeAttachment, domain.OnInstance()); err != nil {
		return "", err
	}
	t, err := s.store.GetAttachment(ctx, attID)
	if domain.ErrorCode(err) == domain.CodeNotFound {
		return "", domain.Errorf(domain.CodeNotFound, "error.not_found")
	} else if err != nil {
		return "", err
	}
	r, err := s.store.GetRequest(ctx, t.RequestID)
	if err != nil {
		return "", err
	}
	if err := domain.ValidatePurge(reason, confirmed); err != nil {
		return r.Reference, err
	}
	return r.Reference, s.purge(ctx, by, t.RequestID, attID, reason)
}

// purge is Purge once the rulebook and the reason said yes: one
// transaction, the request then the document locked.
func (s *Attachments) purge(ctx context.Context, by domain.Actor, requestID, attID int64, reason string) error {
	return s.store.InTx(ctx, func(st *store.Store) error {
		t, err := st.GetAttachment(ctx, attID)
		if err != nil || t.RequestID != requestID {
			return domain.Errorf(domain.CodeNotFound, "error.not_found")
		}
		if _, err := st.LockRequest(ctx, t.RequestID); err != nil {
			return err
		}
		if t, err = st.LockAttachment(ctx, attID); err != nil {
			return err
		}
		if t.Purged() {
			return domain.Errorf(domain.CodeConflict, "attachment.already_purged")
		}
		now := s.now()
		if err := st.PurgeAttachment(ctx, attID, by.UserID, strings.TrimSpace(reason), now); err != nil {
			return err
		}
		return appendEvent(ctx, st, t.RequestID, by.UserID, domain.EventAttachmentPurged, map[string]any{
			"attachment_id": attID, "title": t.Title, "kind": t.Kind, "filename": t.Filename, "size": t.Size,
			"sha256": t.HashHex(), "visibility": t.Visibility, "reason": strings.TrimSpace(reason)}, now)
	})
}

// PurgeRequest is a request's documents as the administrators' purge
// page lists them.
type PurgeRequest struct {
	ID            int64
	Reference     string
	OperationCode string
	Items         []PurgeItem
}

// PurgeItem is what the purge page shows of a document: never its
// title, file name or hash (an administrator is not, as such, one who
// may see a restricted document), nor why it was removed.
type PurgeItem struct {
	ID          int64
	Kind        domain.AttachmentKind
	Visibility  domain.AttachmentVisibility
	Size        int64
	AddedAt     time.Time
	RemovedAt   time.Time
	PurgedAt    time.Time
	PurgeReason string // the administrator's own
}

// Purged reports whether the document's content was purged.
func (p PurgeItem) Purged() bool { return !p.PurgedAt.IsZero() }

// ForPurge returns the documents of the requests numbered reference
// (usually one; two operations in one country number alike), for an
// administrator (domain.ActionPurgeAttachment, else CodeForbidden). A
// reference of no request, or not of a reference's form, gives none.
func (s *Attachments) ForPurge(ctx context.Context, by domain.Actor, reference string) ([]PurgeRequest, error) {
	if err := domain.Can(by, domain.ActionPurgeAttachment, domain.OnInstance()); err != nil {
		return nil, err
	}
	reference = strings.ToUpper(strings.TrimSpace(reference))
	if !domain.IsReference(reference) {
		return nil, nil
	}
	var out []PurgeRequest
	err := s.store.InTxWith(ctx, readOnlySnapshot, func(st *store.Store) error {
		reqs, err := st.ListRequestsByReference(ctx, reference)
		if err != nil {
			return err
		}
		for _, r := range reqs {
			all, err := st.ListAttachments(ctx, r.ID)
			if err != nil {
				return err
			}
			pr := PurgeRequest{ID: r.ID, Reference: r.Reference, OperationCode: r.OperationCode}
			for _, t := range all {
				pr.Items = append(pr.Items, PurgeItem{ID: t.ID, Kind: t.Kind, Visibility: t.Visibility, Size: t.Size,
					AddedAt: t.AddedAt, RemovedAt: t.RemovedAt, PurgedAt: t.PurgedAt, PurgeReason: t.PurgeReason})
			}
			out = append(out, pr)
		}
		return nil
	})
	return out, err
}

// FileMismatch is a stored document whose content no longer matches
// the hash its event recorded.
type FileMismatch struct {
	AttachmentID int64
	RequestID    int64
	Problem      string
}

// FilesReport is what VerifyFiles found.
type FilesReport struct {
	Files      int
	Bytes      int64
	Mismatches []FileMismatch
}

// VerifyFiles rehashes every stored document's content, streaming, and
// compares it with the SHA-256 its added event recorded in the
// request's chain (and its row): `cmcoord audit verify`.
func (s *Attachments) VerifyFiles(ctx context.Context) (FilesReport, error) {
	var rep FilesReport
	err := s.store.EachStoredAttachment(ctx, func(t store.StoredAttachment) error {
		h := sha256.New()
		var n int64
		if err := s.store.ReadFile(ctx, t.FileID, func(b []byte) error {
			n += int64(len(b))
			h.Write(b)
			return nil
		}); err != nil {
			return err
		}
		rep.Files++
		rep.Bytes += n
		got := hex.EncodeToString(h.Sum(nil))
		problem := ""
		switch { // RecordedSHA256 is the chain's (the event's), read with the row
		case t.RecordedSHA256 == "":
			problem = "no event of the request's chain records it"
		case got != t.RecordedSHA256:
			problem = "content differs from the SHA-256 its event recorded (" + t.RecordedSHA256 + "); stored content hashes to " +
				got + ", " + strconv.FormatInt(n, 10) + " bytes"
		case !t.Intact():
			problem = "its record's SHA-256 differs from its event's"
		}
		if problem != "" {
			rep.Mismatches = append(rep.Mismatches, FileMismatch{AttachmentID: t.ID, RequestID: t.RequestID, Problem: problem})
		}
		return nil
	})
	return rep, err
}
