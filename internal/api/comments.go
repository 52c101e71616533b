package api

import (
	"net/http"
	"time"
)

// handleCommentList answers a request's comments, oldest first, to
// anyone who may see the request.
func (a *API) handleCommentList(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	d, err := a.requests.Detail(r.Context(), actor(r), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, newList(d.Comments, newCommentDTO))
}

// handleCommentCreate adds the caller's comment; viewers get 403.
func (a *API) handleCommentCreate(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in commentInput
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	c, err := a.requests.AddComment(r.Context(), actor(r), id, in.Body)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, newCommentDTO(c))
}

// handleCommentUpdate corrects a comment: its author only (403 for
// anyone else), within domain.CommentEditWindow of posting (409 after).
func (a *API) handleCommentUpdate(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	commentID, err := pathID(r, "comment_id")
	if err != nil {
		return err
	}
	var in commentInput
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	c, err := a.requests.EditComment(r.Context(), actor(r), id, commentID, in.Body, time.Time{})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, newCommentDTO(c))
}

// handleEventList answers the request's audit trail in chain order, each
// event as the caller may see it (domain.EventFor).
func (a *API) handleEventList(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	events, err := a.requests.Events(r.Context(), actor(r), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, newList(events, newEventDTO))
}
