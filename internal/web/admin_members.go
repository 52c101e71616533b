package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/i18n"
	"github.com/cmcoord/cmcoord/web/components"
	"github.com/cmcoord/cmcoord/web/pages"
)

// membersURL is the member page of operation code.
func membersURL(code string) string { return "/operations/" + code + "/members" }

// invitationURL is invitation id of operation code.
func invitationURL(code, id string) string { return "/operations/" + code + "/invitations/" + id }

// handleMemberList shows an operation's members (admins and the
// operation's officers; the service answers 404 to those who cannot see
// the operation and 403 to its other members).
func (s *Server) handleMemberList(w http.ResponseWriter, r *http.Request) error {
	return s.renderMembers(w, r, http.StatusOK, nil, 0)
}

// renderMembers renders the member page. After a failed form, err holds
// its messages and postedUser names the member whose role form was sent
// (0 for the add form), so what was typed is shown again in place.
func (s *Server) renderMembers(w http.ResponseWriter, r *http.Request, status int, err error, postedUser int64) error {
	a := actor(r)
	code, perr := pathCode(r)
	if perr != nil {
		return perr
	}
	op, members, lerr := s.directory.ListMembers(r.Context(), a, code)
	if lerr != nil {
		return lerr
	}
	ctx := r.Context()
	f := newForm(r, err)
	v := pages.MembersView{
		Shell:        s.shell(w, r, i18n.T(ctx, "members.title", "Code", op.Code)),
		Code:         op.Code,
		Name:         op.Name,
		OperationURL: "/operations/" + op.Code,
		CanManage:    domain.Allowed(a, domain.ActionManageMembers, domain.InOperation(op.ID)),
		AddAction:    membersURL(op.Code),
	}
	posted := err != nil
	for _, m := range members {
		id := strconv.FormatInt(m.User.ID, 10)
		row := pages.MemberRow{ID: id, Name: m.User.Name, Organization: m.Organization.Name, Email: m.User.Email,
			Disabled: m.User.Disabled, Action: membersURL(op.Code) + "/" + id, RemoveAction: membersURL(op.Code) + "/" + id + "/remove",
			SeenRoles: strings.Join(m.Roles.Strings(), " ")}
		// The form offers exactly the roles the service lets a change
		// (domain.GrantableRoles); the member's other roles are shown
		// read-only and left as they are.
		grantable := domain.GrantableRoles(a, op.ID, m.User.ID)
		for _, role := range m.Roles {
			row.Roles = append(row.Roles, i18n.T(ctx, "role."+string(role)))
			if !grantable.Has(role) {
				row.FixedRoles = append(row.FixedRoles, i18n.T(ctx, "role."+string(role)))
			}
		}
		checked := m.Roles.Strings()
		var rowErr string
		if posted && postedUser == m.User.ID {
			checked = r.PostForm["roles"]
			rowErr = firstMessage(f, "roles", "user")
		}
		row.CanEdit = len(grantable) > 0
		removeErr := domain.CanSetRoles(a, op.ID, m.User.ID, m.Roles, nil)
		row.CanRemove = removeErr == nil
		if !row.CanEdit {
			row.NotEditable = i18n.T(ctx, fieldMessage(removeErr, "roles"))
		}
		row.RoleChecks = roleChecks(r, "roles-"+id, i18n.T(ctx, "members.roles_of", "Name", m.User.Name), grantable, checked, rowErr)
		v.Rows = append(v.Rows, row)
	}
	invs, ierr := s.directory.ListInvitations(ctx, a, code)
	if ierr != nil {
		return ierr
	}
	for _, inv := range invs {
		id := strconv.FormatInt(inv.ID, 10)
		row := pages.InvitationRow{ID: id, Email: inv.Email, InvitedBy: inv.InvitedByName, At: displayTime(ctx, inv.CreatedAt)}
		for _, role := range inv.Roles {
			row.Roles = append(row.Roles, i18n.T(ctx, "role."+string(role)))
		}
		// Cancelling removes the roles the invitation would grant: the
		// button shows when the rule would let the reader do that.
		if domain.CanSetRoles(a, op.ID, 0, inv.Roles, nil) == nil {
			row.CancelAction = invitationURL(op.Code, id) + "/cancel"
		}
		v.Invitations = append(v.Invitations, row)
	}
	// The add form keeps its values only when it was the one sent.
	addForm := prefilledForm(r, nil)
	var addChecked []string
	if posted && postedUser == 0 {
		addForm = f
		addChecked = r.PostForm["roles"]
	}
	v.AddEmail = addForm.field("email", "members.email", "email", true)
	v.AddEmail.Inputmode = "email"
	v.AddEmail.Autocomplete = "off"
	// Adding grants roles to someone else (never the actor: the service
	// refuses their own address whatever the roles).
	v.AddRoles = roleChecks(r, "roles", i18n.T(ctx, "members.roles"), domain.GrantableRoles(a, op.ID, 0), addChecked, addForm.errs["roles"])
	addForm.rendered("roles", v.AddRoles.Legend) // the summary links to the fieldset
	v.Errors = f.summary()
	return s.render(w, r, status, pages.Members(v))
}

// firstMessage returns the first translated message of f among fields.
func firstMessage(f *form, fields ...string) string {
	for _, k := range fields {
		if msg := f.errs[k]; msg != "" {
			return msg
		}
	}
	return ""
}

// roleChecks builds a fieldset of checkboxes, ids under id, for the
// roles offered.
func roleChecks(r *http.Request, id, legend string, offered domain.RoleSet, checked []string, errMsg string) pages.RoleChecks {
	on := map[string]bool{}
	for _, c := range checked {
		on[c] = true
	}
	v := pages.RoleChecks{Name: "roles", ID: id, Legend: legend, Error: errMsg}
	for _, role := range offered {
		v.Options = append(v.Options, pages.RoleCheck{ID: id + "-" + string(role), Value: string(role),
			Label: i18n.T(r.Context(), "role."+string(role)), Checked: on[string(role)]})
	}
	return v
}

// memberMutation is the outcome of a member form: success goes back to
// the list with a flash; a rule failure re-shows the page with 422, a
// refused role change with 403.
func (s *Server) memberMutation(w http.ResponseWriter, r *http.Request, err error, postedUser int64, flash string) error {
	switch code := domain.ErrorCode(err); {
	case code == domain.CodeInvalid:
		return s.renderMembers(w, r, http.StatusUnprocessableEntity, err, postedUser)
	case staleForm(err) != nil:
		// The member's roles changed since the page was loaded: the page
		// again, their roles now beside the choice kept in the form.
		return s.renderMembers(w, r, http.StatusConflict, err, postedUser)
	case code == domain.CodeForbidden && fieldMessage(err, "roles") != domain.ErrorMessage(err):
		// A role change the rulebook refuses (one's own roles, a role
		// only an administrator grants): shown at the roles, with 403.
		return s.renderMembers(w, r, http.StatusForbidden, err, postedUser)
	}
	if err != nil {
		return err
	}
	s.setFlash(w, components.FlashSuccess, flash)
	http.Redirect(w, r, membersURL(chi.URLParam(r, "code")), http.StatusSeeOther)
	return nil
}

// handleMemberAdd gives roles to the user with the typed e-mail address.
func (s *Server) handleMemberAdd(w http.ResponseWriter, r *http.Request) error {
	code, err := pathCode(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	// Unknown role names come only from a tampered form; they are a field
	// message like any other, and re-rendering the page still asks the
	// service who may see it.
	roles, err := domain.NewRoleSet(r.PostForm["roles"]...)
	confirmed := false
	if err == nil {
		confirmed, err = s.directory.SetMemberByEmail(r.Context(), actor(r), code, r.PostForm.Get("email"), roles)
	}
	// Unconfirmed, the addition is an invitation, and the answer is the
	// same whether or not the address belongs to an account (see
	// SetMemberByEmail).
	flash := "member.invited"
	if confirmed {
		flash = "member.added"
	}
	return s.memberMutation(w, r, err, 0, flash)
}

// handleMemberUpdate sets the roles the form offers; the member's other
// roles stay. Unchecking every role removes a member who has no other.
func (s *Server) handleMemberUpdate(w http.ResponseWriter, r *http.Request) error {
	code, err := pathCode(r)
	if err != nil {
		return err
	}
	userID, err := pathIDParam(r, "user_id")
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	roles, err := domain.NewRoleSet(r.PostForm["roles"]...)
	var seen domain.RoleSet // the roles the form showed; nil: unchecked
	if err == nil && r.PostForm.Has("seen_roles") {
		seen, err = domain.NewRoleSet(strings.Fields(r.PostForm.Get("seen_roles"))...)
		if seen == nil {
			seen = domain.RoleSet{}
		}
	}
	var after domain.RoleSet
	if err == nil {
		after, err = s.directory.SetMemberFromForm(r.Context(), actor(r), code, userID, roles, seen)
		err = memberPathErr(err)
	}
	flash := "member.saved"
	if len(after) == 0 {
		flash = "member.removed"
	}
	return s.memberMutation(w, r, err, userID, flash)
}

// handleMemberRemove ends a user's membership of the operation.
func (s *Server) handleMemberRemove(w http.ResponseWriter, r *http.Request) error {
	code, err := pathCode(r)
	if err != nil {
		return err
	}
	userID, err := pathIDParam(r, "user_id")
	if err != nil {
		return err
	}
	err = memberPathErr(s.directory.SetMember(r.Context(), actor(r), code, userID, nil))
	return s.memberMutation(w, r, err, userID, "member.removed")
}

// memberPathErr turns "no such user" into 404: here the user is named by
// the path, not typed by anyone, so it is a missing page.
func memberPathErr(err error) error {
	var e *domain.Error
	if errors.As(err, &e) && e.Fields["user"] == "member.unknown_user_id" {
		return domain.Errorf(domain.CodeNotFound, "error.not_found")
	}
	return err
}

// fieldMessage returns the i18n key of err's message on field, or its
// message when it names no such field.
func fieldMessage(err error, field string) string {
	var e *domain.Error
	if errors.As(err, &e) && e.Fields[field] != "" {
		return e.Fields[field]
	}
	return domain.ErrorMessage(err)
}

// handleInvitationCancel withdraws a pending invitation; one the
// operation no longer has changes nothing.
func (s *Server) handleInvitationCancel(w http.ResponseWriter, r *http.Request) error {
	code, err := pathCode(r)
	if err != nil {
		return err
	}
	id, err := pathIDParam(r, "invitation_id")
	if err != nil {
		return err
	}
	err = s.directory.CancelInvitation(r.Context(), actor(r), code, id)
	return s.memberMutation(w, r, err, 0, "invitation.cancelled")
}
