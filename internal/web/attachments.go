package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/httpface"
	"github.com/cmcoord/cmcoord/internal/i18n"
	"github.com/cmcoord/cmcoord/internal/service"
	"github.com/cmcoord/cmcoord/web/components"
	"github.com/cmcoord/cmcoord/web/pages"
)

// A request's documents on its page: the list, the multipart form that
// adds one without JavaScript (upload.js makes it resumable through
// /uploads/), the download, and the removal with a reason.

func attachmentURL(requestID, id int64) string {
	return requestURL(requestID) + "/attachments/" + strconv.FormatInt(id, 10)
}

// documentsView is the documents section of the page of a request as
// the reader sees it (service.AttachmentsView); nil when documents are
// off.
func (s *Server) documentsView(ctx context.Context, r *http.Request, v service.AttachmentsView, st pageState, f *form) *pages.DocumentsView {
	if s.attachments == nil {
		return nil
	}
	out := &pages.DocumentsView{NotScanned: !s.attachments.Scanning()}
	for _, t := range v.Items {
		dv := pages.DocumentView{ID: strconv.FormatInt(t.ID, 10), Title: t.Title, Filename: t.Filename,
			Kind:       i18n.T(ctx, "documents.kind."+string(t.Kind)),
			Visibility: i18n.T(ctx, "documents.visibility."+string(t.Visibility)),
			Restricted: t.Visibility != domain.VisibleToAll,
			Size:       byteSize(ctx, t.Size), Type: t.ContentType, SHA256: t.HashHex(),
			AddedBy: t.AddedByName + " (" + t.AddedByOrg + ")", AddedAt: displayTime(ctx, t.AddedAt),
			Scanned: t.Scanned, Purged: t.Purged()}
		if t.Downloadable() {
			dv.URL = attachmentURL(v.Request.ID, t.ID)
		}
		switch {
		case t.Purged():
			dv.Removed = i18n.T(ctx, "documents.purged", "When", displayTime(ctx, t.PurgedAt), "Reason", t.PurgeReason)
		case t.Removed():
			dv.Removed = i18n.T(ctx, "documents.removed", "Who", t.RemovedByName, "When", displayTime(ctx, t.RemovedAt), "Reason", t.RemovalReason)
		}
		if v.Removable[t.ID] {
			key := "document-" + dv.ID
			rf := prefilledForm(r, url.Values{})
			if st.form == key {
				rf = newForm(r, st.err)
				rf.values = st.values
			}
			reason := rf.field("reason", "documents.remove_reason", "textarea", true)
			reason.ID, reason.Name, reason.Maxlength = "reason-document-"+dv.ID, "reason", 1000
			dv.Remove = &pages.RemoveDocumentForm{URL: attachmentURL(v.Request.ID, t.ID) + "/remove", Reason: reason, Open: st.form == key}
		}
		out.Items = append(out.Items, dv)
	}
	if v.Blocked != nil {
		out.Blocked = httpface.Message(ctx, v.Blocked)
	}
	if fm := v.Form; fm != nil {
		af := prefilledForm(r, url.Values{"kind": {string(domain.KindOther)}, "visibility": {string(domain.VisibleToAll)}})
		if st.form == "attachment" {
			af = f
		}
		var kinds []components.Option
		for _, k := range fm.Kinds {
			kinds = append(kinds, components.Option{Value: string(k), Label: i18n.T(ctx, "documents.kind."+string(k))})
		}
		form := &pages.DocumentForm{URL: requestURL(v.Request.ID) + "/attachments", UploadURL: "/uploads/",
			Kind: af.choice("kind", "documents.kind", true, kinds), Title: af.text("title", "documents.doc_title", false, 200),
			VisibilityError: af.errs["visibility"], Accept: domain.AttachmentAccept()}
		form.Title.Hint = i18n.T(ctx, "documents.title_hint")
		cur := af.values.Get("visibility")
		for _, vis := range fm.Visibilities {
			form.Visibility = append(form.Visibility, pages.DocumentChoice{Value: string(vis),
				Label: i18n.T(ctx, "documents.visibility."+string(vis)), Hint: i18n.T(ctx, "documents.visibility_hint."+string(vis)),
				Checked: cur == string(vis) || (cur == "" && vis == domain.VisibleToAll)})
		}
		af.rendered("visibility", i18n.T(ctx, "documents.visibility"))
		form.File = af.field("file", "documents.file", "file", true)
		hint := "documents.file_hint"
		if !fm.Scanning {
			hint = "documents.file_hint_unscanned"
		}
		form.Hint = i18n.T(ctx, hint, "MB", strconv.FormatInt(fm.MaxSize>>20, 10))
		form.File.Hint = form.Hint
		out.Form = form
	}
	return out
}

// byteSize is n bytes for people, in the reader's language: 512 B,
// 12 KB, 3.4 MB (3,4 Mo in French).
func byteSize(ctx context.Context, n int64) string {
	l := i18n.FromContext(ctx)
	switch {
	case n < 1<<10:
		return i18n.T(ctx, "documents.size_b", "N", l.Number(int(n)))
	case n < 1<<20:
		return i18n.T(ctx, "documents.size_kb", "N", l.Number(int((n+512)>>10)))
	case n < 100<<20:
		zero := []rune(l.Decimal(0, 1)) // "0.0", "0,0": a whole number drops its ".0"
		return i18n.T(ctx, "documents.size_mb", "N", strings.TrimSuffix(l.Decimal(float64(n)/(1<<20), 1), string(zero[1:])))
	}
	return i18n.T(ctx, "documents.size_mb", "N", l.Number(int((n+(1<<19))>>20)))
}

// handleAttachmentAdd takes a document from the page's multipart form,
// as it streams: the same use case as the API and the resumable upload.
func (s *Server) handleAttachmentAdd(w http.ResponseWriter, r *http.Request) error {
	id, err := pathIDParam(r, "id")
	if err != nil {
		return err
	}
	if s.attachments == nil {
		return domain.Errorf(domain.CodeNotFound, "error.not_found")
	}
	a, ctx := actor(r), r.Context()
	// Who may not add learns nothing of the form's problems, and sends
	// no bytes for nothing: refused before the body is read.
	if err := s.attachments.MayAttach(ctx, a, id); err != nil {
		return s.reshowDocumentForm(w, r, id, nil, err)
	}
	fields := map[string]string{}
	added, err := httpface.AddUpload(w, r, s.attachments, a, id, fields)
	if err != nil {
		return s.reshowDocumentForm(w, r, id, fields, err)
	}
	s.setFlash(w, components.FlashSuccess, "documents.added_flash")
	http.Redirect(w, r, requestURL(id)+"#document-"+strconv.FormatInt(added.ID, 10), http.StatusSeeOther)
	return nil
}

// reshowDocumentForm shows the request page again after a refused
// document, with what was chosen and the problem next to its field.
func (s *Server) reshowDocumentForm(w http.ResponseWriter, r *http.Request, id int64, fields map[string]string, err error) error {
	status, ok := refusedStatus(err)
	if !ok {
		return err
	}
	d, gerr := s.requests.Page(r.Context(), actor(r), id)
	if gerr != nil {
		return gerr
	}
	values := url.Values{}
	for k, v := range fields {
		values.Set(k, v)
	}
	return s.renderRequestPage(w, r, status, d, pageState{form: "attachment", values: values, err: err, summary: true})
}

// handleAttachmentDownload streams a document, never shown inline.
func (s *Server) handleAttachmentDownload(w http.ResponseWriter, r *http.Request) error {
	id, err := pathIDParam(r, "id")
	if err != nil {
		return err
	}
	aid, err := pathIDParam(r, "attachment_id")
	if err != nil {
		return err
	}
	if s.attachments == nil {
		return domain.Errorf(domain.CodeNotFound, "error.not_found")
	}
	d, err := s.attachments.Open(r.Context(), actor(r), id, aid)
	if err != nil {
		return err
	}
	return httpface.ServeAttachment(w, r, d, s.log)
}

// handleAttachmentRemove withdraws a document, with why.
func (s *Server) handleAttachmentRemove(w http.ResponseWriter, r *http.Request) error {
	id, err := pathIDParam(r, "id")
	if err != nil {
		return err
	}
	aid, err := pathIDParam(r, "attachment_id")
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	if s.attachments == nil {
		return domain.Errorf(domain.CodeNotFound, "error.not_found")
	}
	if err := s.attachments.Remove(r.Context(), actor(r), id, aid, r.PostForm.Get("reason")); err != nil {
		if domain.ErrorCode(err) == domain.CodeNotFound {
			return err
		}
		return s.reshowRefused(w, r, id, "document-"+strconv.FormatInt(aid, 10), err)
	}
	s.setFlash(w, components.FlashSuccess, "documents.removed_flash")
	http.Redirect(w, r, requestURL(id)+"#document-"+strconv.FormatInt(aid, 10), http.StatusSeeOther)
	return nil
}
