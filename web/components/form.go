package components

// Field is the view model of one labelled form input with its error.
type Field struct {
	ID string // element id, and name unless Name is set
	// Name is the input's name when it differs from its id (several
	// forms on one page, each with a "reason").
	Name  string
	Label string // translated
	Type  string // text, email, password, number, checkbox…
	Value string
	// Error is the translated problem with the value, or "".
	Error string
	// Hint is translated help shown under the label, or "".
	Hint     string
	Required bool
	// NeededToSubmit marks a field a draft may leave empty but a
	// submission needs (domain.RequirementOf).
	NeededToSubmit bool
	// Quiet hides the "optional" marker of a field whose need depends on
	// other answers (its hint or the checklist says when).
	Quiet        bool
	Autocomplete string
	Options      []Option // for selects
	Checked      bool     // for checkboxes
	Inputmode    string
	Maxlength    int
}

// Option is one choice of a select.
type Option struct {
	Value    string
	Label    string
	Selected bool
}

// InputName is the name the input is posted under.
func (f Field) InputName() string {
	if f.Name != "" {
		return f.Name
	}
	return f.ID
}

// ErrorID is the id of the field's error message, for aria-describedby.
func (f Field) ErrorID() string { return f.ID + "-error" }

// HintID is the id of the field's hint.
func (f Field) HintID() string { return f.ID + "-hint" }

// DescribedBy lists the ids describing the input.
func (f Field) DescribedBy() string {
	out := ""
	if f.Hint != "" {
		out = f.HintID()
	}
	if f.Error != "" {
		if out != "" {
			out += " "
		}
		out += f.ErrorID()
	}
	return out
}

// InputType defaults Type to text.
func (f Field) InputType() string {
	if f.Type == "" {
		return "text"
	}
	return f.Type
}

// FormError is one entry of an error summary: a message linking to its field.
type FormError struct {
	FieldID string
	Label   string // the field's label, named before the message; "" for none
	Message string
	// URL is where the field is when not on this page ("": #FieldID).
	URL string
}

// Href is where the summary's link to e's field goes.
func (e FormError) Href() string {
	if e.URL != "" {
		return e.URL
	}
	return "#" + e.FieldID
}
