package pages

import (
	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/web/components"
	"strconv"
)

// HomeView is the view model of the home page.
type HomeView struct {
	Shell components.Shell
}

// ErrorView is the view model of the error page (404, 500 and any other
// failure shown as a page).
type ErrorView struct {
	Shell components.Shell
	// Status is the HTTP status code.
	Status int
	// Title and Message are translated texts.
	Title   string
	Message string
	// RequestID identifies the request in the server log; shown on 5xx
	// pages so a user can quote it to support.
	RequestID string
}

// ShowRequestID reports whether the page shows the request ID.
func (v ErrorView) ShowRequestID() bool { return v.Status >= 500 && v.RequestID != "" }

// LoginView is the view model of the sign-in page.
type LoginView struct {
	Shell    components.Shell
	Email    components.Field
	Password components.Field
	Next     string // where to go after signing in (a local path)
	Errors   []components.FormError
	// SSO are the enabled identity providers' sign-in buttons.
	SSO []SSOButton
}

// SSOButton is one "Sign in with …" link of the sign-in page.
type SSOButton struct {
	Slug  string
	URL   string // /login/sso/{slug}?next=…
	Label string // translated
}

// DashboardView is the home page of a signed-in user.
type DashboardView struct {
	Shell      components.Shell
	Name       string
	Operations []OperationCard
	// Admin are the parts of the administration the user may open: an
	// administrator's work starts there, not in an operation.
	Admin []AdminLink
}

// OperationCard summarises one operation for one member.
type OperationCard struct {
	Code    string
	Name    string
	URL     string
	Country string
	Context string // translated
	Closed  bool
	Roles   []string // translated
	Queues  []QueueView
	// RequestsURL is the operation's request list.
	RequestsURL string
}

// QueueView is one list of requests waiting for the member.
type QueueView struct {
	ID    string
	Title string // translated
	Empty string // translated, shown when Items is empty
	Items []QueueItem
	// More: more requests wait than Items holds.
	More bool
	// MoreURL is the full queue's page, "" when the card shows it all.
	MoreURL string
}

// Count is the queue's count as its heading shows it: the requests
// listed, with "+" when more wait ("10+"), never a total it did not make.
func (q QueueView) Count() string {
	n := strconv.Itoa(len(q.Items))
	if q.More {
		n += "+"
	}
	return n
}

// QueueItem is one request in a queue.
type QueueItem struct {
	Reference string
	Title     string
	URL       string
	// Due is the open review's countdown and deadline, "" when none.
	Due string
	// Expires warns that the request expires (its required-by time)
	// before the review closes, translated; "" when it does not.
	Expires string
}

// OperationView is an operation's page.
type OperationView struct {
	Shell      components.Shell
	Card       OperationCard
	GLIDE      string
	Policy     domain.ReviewPolicy
	PassRule   string // translated
	LeadTime   int
	CanMembers bool
	CanEdit    bool
	// CanActingHC links the acting HC page (officers, the HC, admins).
	CanActingHC bool
	Reports     ReportLinks
}

// ---- Admin and account pages ----

// SetPasswordView is the page a one-time set-password link opens.
type SetPasswordView struct {
	Shell    components.Shell
	Name     string // whose password is being set
	Email    string
	Action   string // the form's URL (the link itself)
	Password components.Field
	Confirm  components.Field
	Errors   []components.FormError
}

// ProfileView is the signed-in user's own page: who they are, where they
// are a member, their language, password and API tokens.
type ProfileView struct {
	Shell        components.Shell
	Name         string
	Email        string
	Organization string
	IsAdmin      bool
	// HasPassword is false for a user who signs in only by single
	// sign-on: the page then says so instead of offering a password
	// change, and says a token needs a password instead of its form.
	HasPassword bool
	Memberships []ProfileMembership
	Language    components.Field
	// CurrentPassword, NewPassword and ConfirmPassword never carry a value.
	CurrentPassword components.Field
	NewPassword     components.Field
	ConfirmPassword components.Field
	// KeepTokens are the live API tokens the password form offers to
	// keep, each unticked unless the user ticked it in the form just sent.
	KeepTokens    []KeepToken
	TokenName     components.Field
	TokenScope    components.Field
	TokenExpires  components.Field
	TokenPassword components.Field
	Tokens        []TokenRow
	Sessions      SessionsView
	// Factor is the second factor's section.
	Factor FactorPanel
	// NewToken is the token just created, shown once; nil otherwise.
	NewToken *NewToken
	Errors   []components.FormError
}

// ProfileMembership is one operation the user belongs to.
type ProfileMembership struct {
	Code  string
	Name  string
	URL   string
	Roles []string // translated
}

// TokenRow is one API token of the user; the secret is never kept.
type TokenRow struct {
	ID       string
	Name     string
	Prefix   string // the first characters of the secret, to recognise it
	Created  string
	LastUsed string // "" when never used
	Revoked  string // when it was revoked, "" while live
	Scope    string // translated
	Expires  string // when it stops working, translated "never" when it does not
	Expired  bool   // the expiry passed (and it was not revoked)
	// RevokeURL is where the revoke button posts; "" for a revoked token.
	RevokeURL string
}

// KeepToken is one checkbox of the password form: a live API token the
// user may keep through the change.
type KeepToken struct {
	ID      string
	Label   string // its name and prefix
	Checked bool
}

// NewToken is a freshly created API token with its secret.
type NewToken struct {
	Name   string
	Secret string
}

// AdminIndexView is the administration home: links to the three lists.
type AdminIndexView struct {
	Shell components.Shell
	Links []AdminLink
}

// AdminLink is one entry of the administration home.
type AdminLink struct {
	ID          string // for data-testid
	Label       string // translated
	Description string // translated
	URL         string
}

// AdminOrganizationsView lists every organisation.
type AdminOrganizationsView struct {
	Shell components.Shell
	Rows  []AdminOrganizationRow
}

// AdminOrganizationRow is one organisation in the list.
type AdminOrganizationRow struct {
	ID       string
	Name     string
	Acronym  string
	Type     string // translated
	UNEntity bool
	EditURL  string
}

// AdminOrganizationFormView creates or edits an organisation.
type AdminOrganizationFormView struct {
	EditGuard
	Shell    components.Shell
	Title    string // translated page heading
	Action   string
	Submit   string // translated button text
	Name     components.Field
	Acronym  components.Field
	Type     components.Field
	UNEntity components.Field
	Errors   []components.FormError
}

// AdminUsersView lists every user.
type AdminUsersView struct {
	Shell components.Shell
	Rows  []AdminUserRow
}

// AdminUserRow is one user in the list.
type AdminUserRow struct {
	ID           string
	Name         string
	Email        string
	Organization string
	IsAdmin      bool
	Disabled     bool
	HasPassword  bool
	EditURL      string
}

// AdminUserFormView creates (Password shown) or edits (Disabled shown) a
// user.
type AdminUserFormView struct {
	EditGuard
	Shell        components.Shell
	Title        string
	Action       string
	Submit       string
	Email        components.Field
	Name         components.Field
	Organization components.Field
	Language     components.Field
	IsAdmin      components.Field
	// Password is the optional initial password of a new user.
	Password     components.Field
	ShowPassword bool
	// Disabled and the password-link button exist only when editing.
	Disabled        components.Field
	Editing         bool
	HasPassword     bool
	PasswordLinkURL string
	// SignOutURL is where "sign out everywhere" posts (editing only).
	SignOutURL string
	// Factor is the user's second factor (the edit page only).
	Factor *UserFactorView
	Errors []components.FormError
}

// AdminPasswordLinkView shows a one-time set-password link to the admin,
// once: it is never stored in a retrievable form.
type AdminPasswordLinkView struct {
	Shell         components.Shell
	Title         string // translated
	Name          string
	Email         string
	Link          string
	LifetimeHours int
	EditURL       string
}

// AdminOperationsView lists every operation.
type AdminOperationsView struct {
	Shell components.Shell
	Rows  []AdminOperationRow
}

// AdminOperationRow is one operation in the list.
type AdminOperationRow struct {
	Code       string
	Name       string
	Country    string
	Context    string // translated
	Closed     bool
	URL        string
	EditURL    string
	MembersURL string
}

// AdminOperationFormView creates or edits an operation.
type AdminOperationFormView struct {
	EditGuard
	Shell             components.Shell
	Title             string
	Action            string
	Submit            string
	CancelURL         string
	Code              components.Field
	Name              components.Field
	CountryISO3       components.Field
	GLIDE             components.Field
	Context           components.Field
	QuorumPercent     components.Field
	PassRule          components.Field
	ReviewHours       components.Field
	UrgentReviewHours components.Field
	SealedVotes       components.Field
	// RequireSecondFactor is the operation's second-factor policy.
	RequireSecondFactor components.Field
	LeadTimeHours       components.Field
	Closed              components.Field
	Errors              []components.FormError
}

// MembersView is an operation's member list with, for those who may
// manage members, the forms to change roles, remove and add members.
type MembersView struct {
	Shell        components.Shell
	Code         string
	Name         string
	OperationURL string
	Rows         []MemberRow
	// Invitations are the pending invitations, which name an address,
	// never an account.
	Invitations []InvitationRow
	CanManage   bool
	AddAction   string
	AddEmail    components.Field
	AddRoles    RoleChecks
	Errors      []components.FormError
}

// MemberRow is one member of the operation.
type MemberRow struct {
	ID           string
	Name         string
	Organization string
	Email        string
	Disabled     bool
	Roles        []string // translated, for reading
	Action       string   // where the role form posts
	// SeenRoles are the member's roles as the form shows them (a hidden
	// field): changed by someone else since, a save is refused.
	SeenRoles    string
	RemoveAction string
	// CanEdit shows the role form, offering RoleChecks: the roles the
	// reader may change. FixedRoles are the member's others, shown
	// read-only in the form.
	CanEdit    bool
	RoleChecks RoleChecks
	FixedRoles []string // translated
	// NotEditable says, translated, why there is no role form.
	NotEditable string
	// CanRemove shows the remove button.
	CanRemove bool
}

// InvitationRow is one pending invitation to the operation.
type InvitationRow struct {
	ID        string
	Email     string
	Roles     []string // translated
	InvitedBy string
	At        string // formatted for the reader
	// CancelAction is where the cancel button posts; empty: no button.
	CancelAction string
}

// RoleChecks is a group of role checkboxes in a fieldset.
type RoleChecks struct {
	Name    string // the inputs' name
	Legend  string // translated
	Options []RoleCheck
	// ID is the fieldset's id, which an error summary links to.
	ID string
	// Error is the translated problem with the group, or "".
	Error string
	// NeededToSubmit marks a group a submission needs (the request's
	// sectors).
	NeededToSubmit bool
}

// ErrorID is the id of the group's error message.
func (v RoleChecks) ErrorID() string { return v.ID + "-error" }

// RoleCheck is one role checkbox.
type RoleCheck struct {
	ID      string
	Value   string
	Label   string // translated
	Checked bool
}

// AdminAuditView is one page of the directory log.
type AdminAuditView struct {
	Shell     components.Shell
	Rows      []AdminAuditRow
	OlderURL  string // "" on the last page
	NewestURL string // "" on the first page
}

// AdminAuditRow is one entry of the directory log, ready to read.
type AdminAuditRow struct {
	Seq     string
	When    string   // in the reader's language
	Actor   string   // a name, or "command line"
	Action  string   // translated
	Target  string   // kind (translated), label and ID
	Details []string // one change or field per line
}

// EditGuard is what an edit form of an object saved in place carries
// against overwriting someone else's save: Saved, when the object was
// saved as the form shows it (a hidden field, "" on a create form), and,
// after a save refused because someone saved since, what differs.
type EditGuard struct {
	Saved    string
	Conflict ConflictView
}

// AdminSSOProvidersView lists the identity providers.
type AdminSSOProvidersView struct {
	Shell components.Shell
	Rows  []AdminSSOProviderRow
}

// AdminSSOProviderRow is one provider in the list.
type AdminSSOProviderRow struct {
	ID, Name, Slug, Issuer string
	Enabled, Provisions    bool
	Domains                string // the trusted e-mail domains, as one text
	RedirectURL            string // to register at the provider
	EditURL                string
}

// AdminSSOProviderFormView creates or edits a provider. Secret is always
// empty: a stored secret is never shown back.
type AdminSSOProviderFormView struct {
	EditGuard
	Shell                                components.Shell
	Title, Action, Submit                string // translated heading and button; the form's target
	Name, Slug, Issuer, ClientID, Secret components.Field
	Domains                              components.Field // trusted e-mail domains
	Enabled, Provision                   components.Field
	Errors                               []components.FormError
}
