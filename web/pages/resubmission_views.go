package pages

// ResubmissionView is what changed in a request between its previous
// submission and its latest: a heading that says when and how many, the
// two submissions, and a row per changed field.
type ResubmissionView struct {
	Heading     string // "Changed since the previous submission on …: N fields"
	Submissions string // when each submission was made, with its version
	Rows        []ChangeRow
}

// ChangeRow is one changed field: its label and its value before and
// after, each as the lines (ChangePart) that say it.
type ChangeRow struct {
	Field  string // the audit field or checklist.<ID>: the row's test id
	Label  string
	Before []ChangePart
	After  []ChangePart
}

// ChangePart is one line of a changed value: a labelled part (a
// location's place name, a checklist item's note) or the value itself
// (Label empty). Values are shown in full, line breaks kept.
type ChangePart struct {
	Label string
	Value string
}
