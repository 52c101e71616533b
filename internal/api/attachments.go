package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/httpface"
)

// A request's documents: the same use cases as the page (service.Attachments).

type attachmentDTO struct {
	ID          int64      `json:"id"`
	RequestID   int64      `json:"request_id"`
	Kind        string     `json:"kind"`
	Title       string     `json:"title"`
	Filename    string     `json:"filename"`
	ContentType string     `json:"content_type"`
	Size        int64      `json:"size"`
	SHA256      string     `json:"sha256"`
	Visibility  string     `json:"visibility"`
	Scanned     bool       `json:"scanned"`
	AddedBy     authorDTO  `json:"added_by"`
	AddedAt     time.Time  `json:"added_at"`
	RemovedAt   *time.Time `json:"removed_at"`
	Removal     string     `json:"removal_reason,omitempty"`
	PurgedAt    *time.Time `json:"purged_at"`
	// ContentURL downloads it; absent once removed.
	ContentURL string `json:"content_url,omitempty"`
}

func newAttachmentDTO(t domain.Attachment) attachmentDTO {
	out := attachmentDTO{ID: t.ID, RequestID: t.RequestID, Kind: string(t.Kind), Title: t.Title, Filename: t.Filename,
		ContentType: t.ContentType, Size: t.Size, SHA256: t.HashHex(), Visibility: string(t.Visibility), Scanned: t.Scanned,
		AddedBy: authorDTO{ID: t.AddedBy, Name: t.AddedByName, Organization: t.AddedByOrg}, AddedAt: utc(t.AddedAt),
		RemovedAt: timeOrNil(t.RemovedAt), Removal: t.RemovalReason, PurgedAt: timeOrNil(t.PurgedAt)}
	if t.Downloadable() {
		out.ContentURL = "/api/v1/requests/" + strconv.FormatInt(t.RequestID, 10) + "/attachments/" + strconv.FormatInt(t.ID, 10) + "/content"
	}
	return out
}

func (a *API) attachmentsOn(r *http.Request) (int64, error) {
	if a.attach == nil {
		return 0, domain.Errorf(domain.CodeNotFound, "error.not_found")
	}
	return pathID(r, "id")
}

// handleAttachmentList answers the request's documents the caller sees
// (domain.AttachmentShown), removed ones included.
func (a *API) handleAttachmentList(w http.ResponseWriter, r *http.Request) error {
	id, err := a.attachmentsOn(r)
	if err != nil {
		return err
	}
	items, err := a.attach.List(r.Context(), actor(r), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, newList(items, newAttachmentDTO))
}

// handleAttachmentCreate takes a document as a multipart/form-data body
// (kind, title, visibility, then the part file), streamed: 201 with the
// document, 422 naming the field on a refusal (a type off the list, a
// threat, the size limit).
func (a *API) handleAttachmentCreate(w http.ResponseWriter, r *http.Request) error {
	id, err := a.attachmentsOn(r)
	if err != nil {
		return err
	}
	ctx, by := r.Context(), actor(r)
	if err := a.attach.MayAttach(ctx, by, id); err != nil {
		return err
	}
	added, err := httpface.AddUpload(w, r, a.attach, by, id, map[string]string{})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, newAttachmentDTO(added))
}

// handleAttachmentGet answers one document's record.
func (a *API) handleAttachmentGet(w http.ResponseWriter, r *http.Request) error {
	id, err := a.attachmentsOn(r)
	if err != nil {
		return err
	}
	aid, err := pathID(r, "attachment_id")
	if err != nil {
		return err
	}
	items, err := a.attach.List(r.Context(), actor(r), id)
	if err != nil {
		return err
	}
	for _, t := range items {
		if t.ID == aid {
			return writeJSON(w, http.StatusOK, newAttachmentDTO(t))
		}
	}
	return domain.Errorf(domain.CodeNotFound, "error.not_found")
}

// handleAttachmentContent streams a document's content, as a download.
func (a *API) handleAttachmentContent(w http.ResponseWriter, r *http.Request) error {
	id, err := a.attachmentsOn(r)
	if err != nil {
		return err
	}
	aid, err := pathID(r, "attachment_id")
	if err != nil {
		return err
	}
	d, err := a.attach.Open(r.Context(), actor(r), id, aid)
	if err != nil {
		return err
	}
	return httpface.ServeAttachment(w, r, d, a.log)
}

type attachmentReasonInput struct {
	Reason string `json:"reason"`
}

// handleAttachmentRemove withdraws a document with a reason.
func (a *API) handleAttachmentRemove(w http.ResponseWriter, r *http.Request) error {
	id, err := a.attachmentsOn(r)
	if err != nil {
		return err
	}
	aid, err := pathID(r, "attachment_id")
	if err != nil {
		return err
	}
	var in attachmentReasonInput
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	if err := a.attach.Remove(r.Context(), actor(r), id, aid, in.Reason); err != nil {
		return err
	}
	return a.handleAttachmentGet(w, r)
}

// handleAttachmentPurge deletes a document's content for data
// protection: administrators only.
func (a *API) handleAttachmentPurge(w http.ResponseWriter, r *http.Request) error {
	if a.attach == nil {
		return domain.Errorf(domain.CodeNotFound, "error.not_found")
	}
	if err := domain.Can(actor(r), domain.ActionPurgeAttachment, domain.OnInstance()); err != nil {
		return err // before the body: who may not purge learns nothing of it
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	aid, err := pathID(r, "attachment_id")
	if err != nil {
		return err
	}
	var in attachmentReasonInput
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	if err := a.attach.Purge(r.Context(), actor(r), id, aid, in.Reason); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
