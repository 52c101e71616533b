package web

import (
	"bytes"
	"context"
	"encoding/hex"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/recordbundle"
	"github.com/cmcoord/cmcoord/internal/service"
	"github.com/cmcoord/cmcoord/web/components"
	"github.com/cmcoord/cmcoord/web/pages"
)

// handleRecordKeys publishes the keys that sign decision records, as an
// OpenSSH allowed_signers file: no session, cacheable a few minutes.
func (s *Server) handleRecordKeys(w http.ResponseWriter, r *http.Request) error {
	if s.recordKeys == nil {
		return domain.Errorf(domain.CodeNotFound, "not_found")
	}
	b, err := s.recordKeys.AllowedSigners(r.Context())
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Cache-Control", "public, max-age=300")
	_, err = w.Write(b)
	return err
}

// handleRecordBundle downloads the signed decision record of a request:
// the record page (self-contained) and the same content as JSON, the
// events as the reader sees them with the chain head, the documents'
// hashes, a manifest and its SSH signature. Who may have it is who may
// read the record (Requests.Page); what it holds is what they see.
func (s *Server) handleRecordBundle(w http.ResponseWriter, r *http.Request) error {
	if s.recordKeys == nil {
		return domain.Errorf(domain.CodeNotFound, "not_found")
	}
	id, err := pathIDParam(r, "id")
	if err != nil {
		return err
	}
	// Everything but the files' content within a page's time.
	ctx, cancel := context.WithTimeout(r.Context(), pageTimeout)
	defer cancel()
	a := actor(r)
	d, err := s.requests.Page(ctx, a, id)
	if err != nil {
		return err
	}
	// The documents as the record page lists them (the page's own read).
	atts := d.Attachments.Items
	for _, t := range atts {
		if !t.Intact() { // never sign a record the chain does not vouch for
			s.log.ErrorContext(ctx, "document's record differs from the SHA-256 its event recorded: run cmcoord audit verify", "attachment", t.ID, "request", id)
			return service.ErrContentDiffers
		}
	}
	signer, err := s.recordKeys.Signer(ctx)
	if err != nil {
		return err
	}
	v := s.requestPageView(w, r, d, pageState{record: true})
	v.Shell = components.Shell{Title: v.Shell.Title, Version: v.Shell.Version, SigningIn: true, Standalone: true}
	var html bytes.Buffer
	if err := pages.RequestPage(v).Render(components.WithFormKeys(ctx, newIdempotencyKey), &html); err != nil {
		return err
	}
	c := recordbundle.Contents{Reference: d.Request.Reference, RequestID: d.Request.ID, HTML: html.Bytes(),
		Record: recordDocumentOf(v), Events: d.Events, Attachments: bundleAttachments(atts)}
	withFiles := r.URL.Query().Get("files") == "1" && s.attachments != nil
	filesCtx, cancelFiles := context.WithTimeout(r.Context(), recordFilesTimeout)
	defer cancelFiles()
	if withFiles {
		// The files the reader may download, streamed from the store
		// through the same check as their own download (Attachments.Open).
		for i, t := range atts {
			if !t.Downloadable() {
				continue
			}
			name := strconv.FormatInt(t.ID, 10) + "-" + safeFilename(t.Filename)
			c.Attachments[i].File = recordbundle.DirFiles + name
			attID := t.ID
			c.Files = append(c.Files, recordbundle.File{Name: name, WriteTo: func(w io.Writer) error {
				dl, err := s.attachments.Open(filesCtx, a, id, attID)
				if err != nil {
					return err
				}
				return dl.WriteTo(w)
			}})
		}
	}
	h := w.Header()
	h.Set("Content-Type", "application/zip")
	h.Set("Content-Disposition", `attachment; filename="`+safeFilename(d.Request.Reference)+`-record.zip"`)
	h.Set("Cache-Control", "no-store")
	if withFiles {
		// Streamed: the files may be large. A failure midway leaves a
		// truncated archive, which no verifier accepts.
		rc := http.NewResponseController(w)
		_ = rc.SetWriteDeadline(time.Now().Add(recordFilesTimeout))
		if err := recordbundle.Write(w, c, signer); err != nil {
			logger(ctx).ErrorContext(ctx, "signed record with files cut short", "err", err)
			panic(http.ErrAbortHandler) // the client sees the download fail
		}
		return nil
	}
	var zip bytes.Buffer
	if err := recordbundle.Write(&zip, c, signer); err != nil {
		return err
	}
	h.Set("Content-Length", strconv.Itoa(zip.Len()))
	_, err = zip.WriteTo(w)
	return err
}

// recordFilesTimeout bounds a signed record carrying its documents'
// files.
const recordFilesTimeout = 10 * time.Minute

// recordDocument is record.json: the record page's content as its reader
// sees it, from the same view model the page renders, so the two never
// differ.
type recordDocument struct {
	Reference         string                  `json:"reference"`
	Title             string                  `json:"title"`
	Status            pages.StatusBadge       `json:"status"`
	StatusReason      string                  `json:"status_reason,omitempty"`
	StatusReasonLabel string                  `json:"status_reason_label,omitempty"`
	StatusReasonAt    string                  `json:"status_reason_at,omitempty"`
	CivilianReference string                  `json:"civilian_reference,omitempty"`
	Record            *pages.RecordInfo       `json:"record"`
	Meta              []pages.Fact            `json:"meta"`
	Sections          []pages.FactGroup       `json:"sections"`
	Evaluation        pages.EvaluationView    `json:"evaluation"`
	Resubmission      *pages.ResubmissionView `json:"resubmission,omitempty"`
	Review            *pages.ReviewPanel      `json:"review,omitempty"`
	Lifecycle         *pages.LifecyclePanel   `json:"lifecycle,omitempty"`
	Comments          []pages.CommentView     `json:"comments"`
	Events            []pages.EventView       `json:"events"`
	HeadHash          string                  `json:"head_hash"`
	ExtensionOf       *pages.Link             `json:"extension_of,omitempty"`
	Extensions        []pages.Link            `json:"extensions,omitempty"`
}

func recordDocumentOf(v pages.RequestPageView) recordDocument {
	return recordDocument{Reference: v.Reference, Title: v.Title, Status: v.Status,
		StatusReason: v.StatusReason, StatusReasonLabel: v.StatusReasonLabel, StatusReasonAt: v.StatusReasonAt,
		CivilianReference: v.CivilianReference, Record: v.Record, Meta: v.Meta, Sections: v.Sections,
		Evaluation: v.Evaluation, Resubmission: v.Resubmission, Review: v.Review, Lifecycle: v.Lifecycle,
		Comments: v.Comments, Events: v.Events, HeadHash: v.HeadHash, ExtensionOf: v.ExtensionOf, Extensions: v.Extensions}
}

// bundleAttachments is attachments.json: every document the reader may
// see, with its hash; removed and purged ones say so.
func bundleAttachments(atts []domain.Attachment) []recordbundle.Attachment {
	out := make([]recordbundle.Attachment, 0, len(atts))
	for _, t := range atts {
		a := recordbundle.Attachment{ID: t.ID, Kind: string(t.Kind), Title: t.Title, Filename: t.Filename,
			ContentType: t.ContentType, Size: t.Size, SHA256: hex.EncodeToString(t.SHA256),
			Visibility: string(t.Visibility), AddedBy: t.AddedByName, AddedAt: t.AddedAt.UTC(), RemovalReason: t.RemovalReason}
		if t.AddedByOrg != "" {
			a.AddedBy += " (" + t.AddedByOrg + ")"
		}
		if !t.RemovedAt.IsZero() {
			at := t.RemovedAt.UTC()
			a.RemovedAt = &at
		}
		if !t.PurgedAt.IsZero() {
			at := t.PurgedAt.UTC()
			a.PurgedAt = &at
		}
		out = append(out, a)
	}
	return out
}

// safeFilename keeps the ASCII letters, digits, '-', '_' and (not
// first) '.' of a name, for a Content-Disposition file name or a file
// of the bundle; anything else becomes '_'.
func safeFilename(s string) string {
	out := strings.Map(func(r rune) rune {
		if r == '-' || r == '_' || r == '.' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
			return r
		}
		return '_'
	}, s)
	if strings.HasPrefix(out, ".") {
		out = "_" + out[1:]
	}
	return out
}
