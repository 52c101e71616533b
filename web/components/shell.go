package components

// Shell is the view model of the page frame every page shares.
type Shell struct {
	// Title is the page's own title, already translated; the product name
	// is appended by Page.
	Title string
	// Nav lists the navigation links the viewer may use.
	Nav []NavItem
	// Flash is a one-time message from the previous action, or nil.
	Flash *Flash
	// Version is the build version shown in the footer.
	Version string
	// SignedIn shows the user's name and the sign-out button.
	SignedIn bool
	UserName string
	// SigningIn: a sign-in waits for its second step (not signed in, not
	// signed out either): the header offers neither; the page cancels.
	SigningIn bool
	// Unread is how many of the signed-in user's notifications are
	// unread; the navigation names it in its link.
	Unread int
	// Operations are the user's operations for the switcher; Current is
	// the one the page belongs to, if any.
	Operations []NavItem
	// Languages are the interface languages for the footer's switcher,
	// each named in itself; Return is where the switch comes back to (the
	// page's path and query).
	Languages []Language
	Return    string
	// UserID, LocalKey and OfflineStrings are for the offline script of a
	// signed-in page: the user, their key for what the browser keeps
	// (base64url; service.Access.LocalDraftKey) and the script's
	// messages (JSON). Saved is the autosave key of the form saved just
	// before, whose local copy the script drops.
	UserID         string
	LocalKey       string
	OfflineStrings string
	Saved          string
	// UploadStrings, when set, loads upload.js (the request page with a
	// form to add a document): the script's messages (JSON).
	UploadStrings string
	// Standalone: the page is a file of its own (the signed decision
	// record), read offline: its stylesheet inline, no icon, no script.
	Standalone bool
	// Posted: the page answers a POST (a form shown again with what was
	// sent): the script does not offer its older local copy over it.
	Posted bool
}

// Language is one choice of the language switcher.
type Language struct {
	Code    string // "fr"
	Name    string // its own name: "Français"
	Current bool
}

// CurrentOperation returns the label of the operation the page belongs
// to, or "".
func (s Shell) CurrentOperation() string {
	for _, o := range s.Operations {
		if o.Current {
			return o.Label
		}
	}
	return ""
}

// NavItem is one navigation link.
type NavItem struct {
	Label   string // translated
	URL     string
	Current bool
}

// FlashKind selects a flash message's look and its screen-reader role.
type FlashKind string

// Flash kinds.
const (
	FlashSuccess FlashKind = "success"
	FlashInfo    FlashKind = "info"
	FlashWarning FlashKind = "warning"
	FlashError   FlashKind = "error"
)

// Flash is a one-time message shown at the top of the next page.
type Flash struct {
	Kind    FlashKind
	Message string // translated
}

// Label returns the i18n key of the word that names the kind, so meaning
// never rests on colour alone.
func (f Flash) Label() string { return "flash." + string(f.Kind) }

// Class returns the CSS class of the kind.
func (f Flash) Class() string { return "flash flash-" + string(f.Kind) }

// Role is "alert" for errors and warnings (announced at once) and
// "status" otherwise.
func (f Flash) Role() string {
	if f.Kind == FlashError || f.Kind == FlashWarning {
		return "alert"
	}
	return "status"
}
