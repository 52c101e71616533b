package web

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/i18n"
	"github.com/cmcoord/cmcoord/web/components"
	"github.com/cmcoord/cmcoord/web/pages"
)

// documentsAdminURL is the administrators' page to purge a document's
// content (data protection).
const documentsAdminURL = "/admin/documents"

// documentsAdminListURL is that page listing the documents of the
// requests numbered reference, at document id when id > 0.
func documentsAdminListURL(reference string, id int64) string {
	u := documentsAdminURL
	if reference != "" {
		u += "?" + url.Values{"reference": {reference}}.Encode()
	}
	if id > 0 {
		u += "#document-" + strconv.FormatInt(id, 10)
	}
	return u
}

// purgeRefusal is a purge refused for its form, to show again: the
// document it was for, what was typed and the problem.
type purgeRefusal struct {
	id  int64
	err error
}

// handleDocumentPurgeList shows the purge page (administrators only, as
// the service decides): ?reference=NPL-RFA-0001 lists that request's
// documents, each with a purge form while its content is kept. A
// reference of no request says none was found.
func (s *Server) handleDocumentPurgeList(w http.ResponseWriter, r *http.Request) error {
	return s.renderDocumentPurge(w, r, http.StatusOK, r.URL.Query().Get("reference"), nil)
}

// handleDocumentPurge purges a document's content with a reason, once
// confirmed, and goes back to its request's list with a flash; a refused
// form is the page again with the problem next to its field.
func (s *Server) handleDocumentPurge(w http.ResponseWriter, r *http.Request) error {
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
	ref, err := s.attachments.PurgeDocument(r.Context(), actor(r), aid, r.PostForm.Get("reason"), formBool(r.PostForm, "confirm"))
	if status, ok := refusedStatus(err); ok && ref != "" {
		return s.renderDocumentPurge(w, r, status, ref, &purgeRefusal{id: aid, err: err})
	}
	if err != nil {
		return err
	}
	s.setFlash(w, components.FlashSuccess, "admin_documents.purged_flash")
	http.Redirect(w, r, documentsAdminListURL(ref, aid), http.StatusSeeOther)
	return nil
}

// renderDocumentPurge renders the purge page for reference with status;
// refused, when set, reopens that document's form with what was typed
// and its problems.
func (s *Server) renderDocumentPurge(w http.ResponseWriter, r *http.Request, status int, reference string, refused *purgeRefusal) error {
	if s.attachments == nil {
		return domain.Errorf(domain.CodeNotFound, "error.not_found")
	}
	ctx := r.Context()
	found, err := s.attachments.ForPurge(ctx, actor(r), reference)
	if err != nil {
		return err
	}
	search := prefilledForm(r, url.Values{"reference": {reference}})
	v := pages.AdminDocumentsView{Shell: s.shell(w, r, i18n.T(ctx, "admin_documents.title")),
		Reference: search.text("reference", "admin_documents.reference", true, 40), Searched: reference != ""}
	v.Reference.Type = "search"
	v.Reference.Hint = i18n.T(ctx, "admin_documents.reference_hint")
	for _, rq := range found {
		pr := pages.AdminDocumentsRequest{ID: strconv.FormatInt(rq.ID, 10), Reference: rq.Reference, Operation: rq.OperationCode}
		for _, t := range rq.Items {
			row := pages.AdminDocumentRow{ID: strconv.FormatInt(t.ID, 10),
				Kind:       i18n.T(ctx, "documents.kind."+string(t.Kind)),
				Visibility: i18n.T(ctx, "documents.visibility."+string(t.Visibility)),
				Size:       byteSize(ctx, t.Size), Added: displayTime(ctx, t.AddedAt)}
			switch {
			case t.Purged():
				row.StateCode = "purged"
				row.State = i18n.T(ctx, "admin_documents.state.purged", "When", displayTime(ctx, t.PurgedAt), "Reason", t.PurgeReason)
			case !t.RemovedAt.IsZero():
				row.StateCode = "removed"
				row.State = i18n.T(ctx, "admin_documents.state.removed", "When", displayTime(ctx, t.RemovedAt))
			default:
				row.StateCode = "in_use"
				row.State = i18n.T(ctx, "admin_documents.state.in_use")
			}
			if !t.Purged() {
				row.Purge = purgeForm(r, t.ID, refused, &v)
			}
			pr.Rows = append(pr.Rows, row)
		}
		v.Requests = append(v.Requests, pr)
	}
	if refused != nil && len(v.Errors) == 0 {
		// Refused for a document whose form is not shown (purged
		// meanwhile): the problem at the top.
		v.Errors = newForm(r, refused.err).summary()
	}
	return s.render(w, r, status, pages.AdminDocuments(v))
}

// purgeForm is the purge form of document id: blank, or the refused one
// again with what was typed, its problems next to its fields and in the
// page's summary (v.Errors). Each form's inputs have ids of their own
// (several on a page) and the names the service reads.
func purgeForm(r *http.Request, id int64, refused *purgeRefusal, v *pages.AdminDocumentsView) *pages.AdminPurgeForm {
	sid := strconv.FormatInt(id, 10)
	f := prefilledForm(r, url.Values{})
	open := refused != nil && refused.id == id
	if open {
		f = newForm(r, refused.err)
	}
	reason := f.field("reason", "admin_documents.reason", "textarea", true)
	reason.ID, reason.Name, reason.Maxlength = "reason-document-"+sid, "reason", 1000
	reason.Hint = i18n.T(r.Context(), "admin_documents.reason_hint")
	confirm := f.check("confirm", "admin_documents.confirm")
	confirm.ID, confirm.Name = "confirm-document-"+sid, "confirm"
	if open {
		ids := map[string]string{"reason": reason.ID, "confirm": confirm.ID}
		for _, e := range f.summary() {
			if to, ok := ids[e.FieldID]; ok {
				e.FieldID = to
			}
			v.Errors = append(v.Errors, e)
		}
	}
	return &pages.AdminPurgeForm{URL: documentsAdminURL + "/" + sid + "/purge", Reason: reason, Confirm: confirm, Open: open}
}
