package web

import (
	"context"
	"encoding/hex"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	gojson "github.com/goccy/go-json"
	"golang.org/x/text/language"
	"golang.org/x/text/language/display"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/httpface"
	"github.com/cmcoord/cmcoord/internal/i18n"
	"github.com/cmcoord/cmcoord/internal/service"
	"github.com/cmcoord/cmcoord/web/components"
	"github.com/cmcoord/cmcoord/web/pages"
)

// pageState is what a failed POST on the request page brings back: the
// form that failed, its values and its problem.
type pageState struct {
	form    string // action id (return, redirect, withdraw), "briefing", "comment" or "comment-<id>"
	values  url.Values
	err     error
	summary bool // list err in the error summary at the top
	// record renders the printable decision record: the same content,
	// read-only, with every hash in full.
	record bool
}

func (s *Server) handleRequestShow(w http.ResponseWriter, r *http.Request) error {
	id, err := pathIDParam(r, "id")
	if err != nil {
		return err
	}
	d, err := s.requests.Page(r.Context(), actor(r), id)
	if err != nil {
		return err
	}
	return s.renderRequestPage(w, r, http.StatusOK, d, pageState{})
}

// formID is the page's id of a generic transition's form (its inputs'
// prefix, its test id, its flash and hint keys): the rulebook's path.
func formID(t domain.Rule) string { return strings.ReplaceAll(t.Path, "/", "-") }

// genericForms returns the forms of the generic transitions a may take
// now in stage, from the rulebook, in its order.
func (s *Server) genericForms(ctx context.Context, f *form, d service.RequestDetail, stage domain.Stage, failed string) []pages.ActionForm {
	var out []pages.ActionForm
	for _, act := range d.Actions {
		t, _ := domain.RuleFor(act)
		if t.Generic() && t.Stage == stage {
			out = append(out, s.actionForm(ctx, f, d.Request, t, failed == formID(t)))
		}
	}
	return out
}

func (s *Server) renderRequestPage(w http.ResponseWriter, r *http.Request, status int, d service.RequestPage, st pageState) error {
	v := s.requestPageView(w, r, d, st)
	return s.render(w, r, status, pages.RequestPage(v))
}

// requestPageView is the request page's view model for d: the page, or
// with st.record the printable decision record.
func (s *Server) requestPageView(w http.ResponseWriter, r *http.Request, d service.RequestPage, st pageState) pages.RequestPageView {
	ctx := r.Context()
	a := actor(r)
	req := d.Request
	f := newForm(r, st.err)
	if st.values != nil {
		f.values = st.values
	}
	v := pages.RequestPageView{
		ID: strconv.FormatInt(req.ID, 10), Reference: req.Reference, Title: req.Title,
		Status: statusBadge(ctx, req.Status), Version: strconv.Itoa(req.Version),
		OperationURL: "/operations/" + d.Operation.Code, OperationTag: d.Operation.Code,
		ListURL:           operationRequestsURL(d.Operation.Code),
		CivilianReference: req.CivilianReference,
	}
	// The reason shown with the status is the step's that led to it, under
	// that step's label: a later step never shows an earlier one's.
	if st, ok := domain.StatusStep(d.Events); ok {
		if why := httpface.Reason(ctx, st.ReasonCode, st.Reason, "RequiredBy", displayTime(ctx, req.RequiredBy)); why != "" {
			v.StatusReason, v.StatusReasonAt = why, displayTime(ctx, st.Event.At)
			v.StatusReasonLabel = i18n.T(ctx, domain.ReasonLabelKey(st.Action))
		}
	}
	v.Shell = s.shell(w, r, req.Reference+" · "+req.Title)
	v.Meta = append(v.Meta, pages.Fact{Label: i18n.T(ctx, "request.requested_by"), Value: req.RequestingOrgName + " (" + req.CreatedByName + ")"})
	if !req.SubmittedAt.IsZero() {
		v.Meta = append(v.Meta, pages.Fact{Label: i18n.T(ctx, "request.submitted_at"), Value: displayTime(ctx, req.SubmittedAt)})
	}
	v.Meta = append(v.Meta, pages.Fact{Label: i18n.T(ctx, "request.updated"), Value: displayTime(ctx, req.UpdatedAt)})
	link := func(ref domain.RequestRef) pages.Link {
		return pages.Link{Text: ref.Reference + " (" + i18n.T(ctx, "status."+string(ref.Status)) + ")", URL: requestURL(ref.ID)}
	}
	if d.ExtensionOf != nil {
		l := link(*d.ExtensionOf)
		v.ExtensionOf = &l
	}
	for _, e := range d.Extensions {
		v.Extensions = append(v.Extensions, link(e))
	}
	if d.CanEdit {
		v.EditURL, v.StepsURL = requestURL(req.ID)+"/edit", stepURL(req.ID, reviewStep)
	}
	// The generic steps of screening and review here; those after the
	// approval sit in their section (lifecyclePanel).
	v.Actions = append(s.genericForms(ctx, f, d.RequestDetail, domain.StageRequest, st.form),
		s.genericForms(ctx, f, d.RequestDetail, domain.StageReview, st.form)...)
	// Steps of this section the viewer would take but for their guard: say why.
	v.Blocked = blockedSteps(ctx, d.RequestDetail, domain.StageRequest)
	if d.Can(domain.ActionExtend) {
		ef := &form{ctx: ctx, values: url.Values{}, errs: map[string]string{}}
		if st.form == "extend" {
			ef = f // the page's form: its error summary then links to the field
		}
		end := ef.field("end_date", "extension.end_date", "date", true)
		end.ID, end.Name = "extend-end_date", "end_date"
		v.Extend = &pages.ExtendForm{URL: requestURL(req.ID) + "/extend", EndDate: end,
			Hint: i18n.T(ctx, "extension.hint", "End", formDate(req.EndDate))}
	}
	v.Resubmission = resubmissionView(ctx, d.Resubmission)
	v.Review = s.reviewPanel(r, d, st)
	v.Lifecycle = s.lifecyclePanel(r, d, st, f)
	v.Documents = s.documentsView(ctx, r, d.Attachments, st, f)
	if v.Documents != nil && v.Documents.Form != nil && v.Documents.Form.UploadURL != "" && !st.record {
		v.Shell.UploadStrings = uploadStrings(ctx) // upload.js: only where a document may be added
	}
	if d.Can(domain.ActionRecordBriefing) {
		v.Briefing = briefingForm(ctx, f, req, st.form == "briefing")
	}
	values := requestValues(req)
	v.Evaluation = evaluationView(ctx, d.Evaluation, values, false)
	v.Sections = requestSections(ctx, req, d.ContactHidden)
	now := s.now()
	for _, c := range d.Comments {
		cv := pages.CommentView{ID: strconv.FormatInt(c.ID, 10), Author: c.AuthorName, Organization: c.AuthorOrg,
			Body: c.Body, At: displayTime(ctx, c.CreatedAt)}
		if !c.EditedAt.IsZero() {
			cv.Edited = displayTime(ctx, c.EditedAt)
		}
		if d.CanComment && domain.CanEditComment(a, c, now) == nil {
			cv.EditURL = requestURL(req.ID) + "/comments/" + cv.ID
			key := "comment-" + cv.ID
			ff := prefilledForm(r, url.Values{"body": {c.Body}})
			cv.Saved = savedToken(c.SavedAt())
			if st.form == key {
				ff = newForm(r, st.err)
				ff.values = st.values
				cv.EditOpen = true
			}
			cv.EditBody = ff.field("body", "comments.body", "textarea", true)
			cv.EditBody.ID, cv.EditBody.Name = "body-"+cv.ID, "body"
			cv.EditBody.Maxlength = 4000
		}
		v.Comments = append(v.Comments, cv)
	}
	if d.CanComment {
		cf := prefilledForm(r, url.Values{})
		if st.form == "comment" {
			cf = newForm(r, st.err)
			cf.values = st.values
		}
		body := cf.field("body", "comments.add_label", "textarea", true)
		body.Maxlength = 4000
		v.CommentForm = &pages.CommentForm{URL: requestURL(req.ID) + "/comments", Body: body}
	}
	for _, e := range d.Events {
		v.Events = append(v.Events, eventView(ctx, e))
	}
	if n := len(d.Events); n > 0 {
		v.HeadHash = hex.EncodeToString(d.Events[n-1].Hash)
	}
	if st.summary {
		// The page's forms prefix their inputs' ids (return-reason,
		// body-12): point the summary's links at them.
		prefix := st.form + "-"
		if strings.HasPrefix(st.form, "comment-") {
			prefix = "body-" + strings.TrimPrefix(st.form, "comment-")
		}
		for _, e := range f.summary() {
			switch {
			case e.FieldID == "reason" || e.FieldID == "civilian_reference" || (st.form == "extend" && e.FieldID == "end_date"):
				e.FieldID = prefix + e.FieldID
			case e.FieldID == "body" && st.form != "comment":
				e.FieldID = prefix
			case lifecycleForms[st.form] && e.FieldID != "":
				e.FieldID = prefix + e.FieldID
			}
			v.Errors = append(v.Errors, e)
		}
	}
	if st.record {
		readOnly(&v)
		op := d.Operation
		v.Record = &pages.RecordInfo{Generated: displayTime(ctx, s.now()), By: a.Name,
			Operation: op.Name + " (" + op.Code + ")", Country: countryName(ctx, op.CountryISO3), GLIDE: op.GLIDE,
			Signature: pages.SignatureBlock{Role: i18n.T(ctx, "record.signature.role_hc")}}
		if dec := d.Review.Decision; dec != nil {
			v.Record.Signature.Name, v.Record.Signature.Date = dec.DecidedByName, displayTime(ctx, dec.DecidedAt)
			if dec.ActingHCID != 0 { // signed as acting HC, and by whose naming
				v.Record.Signature.Role = i18n.T(ctx, "record.signature.role_acting_hc")
				v.Record.Signature.Name = actingDecision(ctx, *dec)
			}
		}
		v.Shell.Title = i18n.T(ctx, "record.title", "Reference", req.Reference)
	} else {
		v.RecordURL = requestURL(req.ID) + "/record"
		if s.recordKeys != nil {
			v.RecordBundleURL = v.RecordURL + "/bundle"
			v.RecordKeysURL = service.RecordKeysPath
		}
	}
	return v
}

// countryName is the country of ISO 3166-1 alpha-3 code iso3 in the
// reader's language, with the code ("Népal (NPL)"); the code alone when
// the code is unknown.
func countryName(ctx context.Context, iso3 string) string {
	region, err := language.ParseRegion(iso3)
	if err != nil {
		return iso3
	}
	name := display.Regions(language.Make(i18n.FromContext(ctx).Lang())).Name(region)
	if name == "" {
		return iso3
	}
	return name + " (" + iso3 + ")"
}

// blockedIn says, in table order and once each, why the steps of stage
// that the viewer would take now but for their rule's guard
// (RequestDetail.Blocked, domain.BlockedActions) are not offered: what
// the page shows in that section in place of their controls.
func blockedIn(ctx context.Context, d service.RequestDetail, stage domain.Stage) []string {
	var out []string
	for _, b := range blockedSteps(ctx, d, stage) {
		out = append(out, b.Reason)
	}
	return out
}

// blockedSteps is blockedIn with, for a step refused because the request
// itself is incomplete (CodeInvalid: a submission) and a viewer who may
// edit it, a link to the form that marks each problem.
func blockedSteps(ctx context.Context, d service.RequestDetail, stage domain.Stage) []pages.BlockedStep {
	var out []pages.BlockedStep
	for _, r := range domain.Rules {
		err := d.Blocked[r.Action]
		if err == nil || r.Stage != stage {
			continue
		}
		b := pages.BlockedStep{Reason: httpface.Message(ctx, err)}
		if domain.ErrorCode(err) == domain.CodeInvalid && d.CanEdit {
			b.FixURL = requestURL(d.Request.ID) + "/edit?check=submit"
		}
		if !slices.ContainsFunc(out, func(o pages.BlockedStep) bool { return o.Reason == b.Reason }) {
			out = append(out, b)
		}
	}
	return out
}

// endings are the statuses that end a request without an outcome: the
// steps leading there are styled as dangerous.
var endings = []domain.Status{domain.StatusWithdrawn, domain.StatusCancelled}

// actionForm is the form of generic transition t on req: a version, and
// the reason and reference t records. Its texts are the translations of
// action.<action>, action_hint.<id> and, when present,
// action_reason_hint.<id>.
func (s *Server) actionForm(ctx context.Context, f *form, req domain.Request, t domain.Rule, failed bool) pages.ActionForm {
	short := formID(t)
	af := pages.ActionForm{
		ID: short, Title: i18n.T(ctx, "action."+string(t.Action)), Hint: i18n.T(ctx, "action_hint."+short),
		URL: requestURL(req.ID) + "/" + t.Path, Submit: i18n.T(ctx, "action."+string(t.Action)),
		Version: strconv.Itoa(req.Version), Danger: slices.Contains(endings, t.To), Open: failed,
	}
	vals := f
	if !failed {
		vals = &form{ctx: ctx, values: url.Values{}, errs: map[string]string{}}
	}
	if t.NeedsReference {
		ref := vals.text("civilian_reference", "request.civilian_reference", true, 200)
		ref.ID, ref.Name = short+"-civilian_reference", "civilian_reference"
		ref.Hint = i18n.T(ctx, "request.civilian_reference_hint")
		ref.Error = vals.errs["civilian_reference"]
		af.Reference = &ref
	}
	if t.NeedsReason {
		reason := vals.field("reason", "request.reason", "textarea", true)
		reason.ID, reason.Name = short+"-reason", "reason"
		reason.Maxlength = 2000
		reason.Error = vals.errs["reason"]
		if key := "action_reason_hint." + short; s.catalog != nil && s.catalog.Has(key) {
			reason.Hint = i18n.T(ctx, key)
		}
		af.Reason = &reason
	}
	return af
}

// The form inputs of the page's action forms carry ids prefixed by the
// action (return-reason) so several forms can sit on one page; their
// names stay the domain's (reason).

func briefingForm(ctx context.Context, f *form, req domain.Request, failed bool) *pages.BriefingForm {
	item, _ := domain.ChecklistItemByID("LR17")
	cur := req.Checklist["LR17"]
	vals := url.Values{"checklist.LR17": {cur.Value}, "checklist.LR17.note": {cur.Note}}
	if failed {
		vals = f.values
	}
	b := &pages.BriefingForm{URL: requestURL(req.ID) + "/briefing", Question: i18n.T(ctx, item.Question()),
		Help: i18n.T(ctx, item.Help()), Open: failed}
	if failed {
		b.Error = f.errs["checklist.LR17"]
	}
	for _, val := range item.Answer.Values() {
		b.Choices = append(b.Choices, pages.Choice{ID: "lr17-" + val, Value: val, Label: answerLabel(ctx, item.Answer, val),
			Checked: vals.Get("checklist.LR17") == val})
	}
	nf := &form{ctx: ctx, values: vals, errs: map[string]string{}}
	if failed {
		nf.errs = f.errs
	}
	b.Note = nf.field("checklist.LR17.note", "briefing.note", "textarea", false)
	b.Note.Maxlength = 2000
	return b
}

// requestSections lists every field of the request, grouped as the form
// groups them.
func requestSections(ctx context.Context, r domain.Request, contactHidden bool) []pages.FactGroup {
	t := func(k string) string { return i18n.T(ctx, k) }
	code := func(prefix, c string) string {
		if c == "" {
			return ""
		}
		return t(prefix + c)
	}
	var sectors []string
	for _, sec := range r.Sectors {
		sectors = append(sectors, t("sector."+sec)+" ("+sec+")")
	}
	people := ""
	if r.PeopleTargeted > 0 {
		people = i18n.FromContext(ctx).Number(r.PeopleTargeted)
	}
	groups := []pages.FactGroup{
		{ID: "need", Title: t("request_form.part.need"), Facts: []pages.Fact{
			{Label: t("request.need"), Value: r.Need, Long: true},
			{Label: t("request.sectors"), Value: strings.Join(sectors, t("list.separator"))},
			{Label: t("request.people_targeted"), Value: people},
			{Label: t("request.priority"), Value: code("priority.", string(r.Priority))},
			{Label: t("request.required_by"), Value: displayTime(ctx, r.RequiredBy)},
			{Label: t("request.urgency_reason"), Value: r.UrgencyReason, Long: true},
		}},
		{ID: "task", Title: t("request_form.part.task"), Facts: []pages.Fact{
			{Label: t("request.task_category"), Value: code("task_category.", string(r.TaskCategory))},
			{Label: t("request.capability"), Value: r.Capability, Long: true},
			{Label: t("request.support_type"), Value: code("support_type.", string(r.SupportType))},
			{Label: t("request.task_description"), Value: r.TaskDescription, Long: true},
			{Label: t("request.start_date"), Value: formDate(r.StartDate)},
			{Label: t("request.end_date"), Value: formDate(r.EndDate)},
		}},
		{ID: "where", Title: t("request_form.part.where"), Facts: []pages.Fact{
			{Label: t("request.origin"), Value: locationText(r.Origin)},
			{Label: t("request.destination"), Value: locationText(r.Destination)},
		}},
	}
	civ := pages.FactGroup{ID: "civilian", Title: t("request.civilian_options")}
	for _, c := range r.CivilianOptions {
		val := code("civilian_result.", c.Result)
		if c.Note != "" {
			val += ": " + c.Note
		}
		civ.Facts = append(civ.Facts, pages.Fact{Label: t("civilian_option." + c.Option), Value: val, Long: true})
	}
	civ.Facts = append(civ.Facts, pages.Fact{Label: t("request.complementarity"), Value: r.Complementarity, Long: true})
	groups = append(groups, civ, pages.FactGroup{ID: "exit", Title: t("request_form.part.exit"), Facts: []pages.Fact{
		{Label: t("request.exit_organization"), Value: r.ExitStrategy.Organization},
		{Label: t("request.exit_date"), Value: formDate(r.ExitStrategy.Date)},
		{Label: t("request.exit_plan"), Value: r.ExitStrategy.Plan, Long: true},
	}})
	if r.Escort != (domain.Escort{}) {
		groups = append(groups, pages.FactGroup{ID: "escort", Title: t("request_form.part.escort"), Facts: []pages.Fact{
			{Label: t("request.escort_need_criticality"), Value: r.Escort.NeedCriticality, Long: true},
			{Label: t("request.escort_responsible_authority"), Value: r.Escort.ResponsibleAuthority, Long: true},
			{Label: t("request.escort_security_assessment"), Value: r.Escort.SecurityAssessment},
			{Label: t("request.escort_discontinuation_plan"), Value: r.Escort.DiscontinuationPlan, Long: true},
			{Label: t("request.escort_common_position"), Value: yesNo(ctx, r.Escort.CommonPositionConsulted)},
			{Label: t("request.escort_compensation"), Value: code("escort_compensation.", r.Escort.Compensation)},
		}})
	}
	contact := pages.FactGroup{ID: "contact", Title: t("request_form.part.contact")}
	if contactHidden {
		contact.Facts = []pages.Fact{{Label: t("request.poc_name"), Value: t("request.contact_hidden")}}
	} else {
		contact.Facts = []pages.Fact{
			{Label: t("request.poc_name"), Value: r.POC.Name}, {Label: t("request.poc_role"), Value: r.POC.Role},
			{Label: t("request.poc_phone"), Value: r.POC.Phone}, {Label: t("request.poc_email"), Value: r.POC.Email},
		}
	}
	groups = append(groups, contact)
	// An empty value says so, rather than leaving a blank.
	for gi := range groups {
		for fi := range groups[gi].Facts {
			if groups[gi].Facts[fi].Value == "" {
				groups[gi].Facts[fi].Value = t("request.not_given")
			}
		}
	}
	return groups
}

// locationText is a place on one line: name, admin areas with p-codes,
// coordinates.
func locationText(l domain.Location) string {
	var parts []string
	add := func(name, pcode string) {
		switch {
		case name != "" && pcode != "":
			parts = append(parts, name+" ("+pcode+")")
		case name != "" || pcode != "":
			parts = append(parts, name+pcode)
		}
	}
	if l.Name != "" {
		parts = append(parts, l.Name)
	}
	add(l.Adm2Name, l.Adm2PCode)
	add(l.Adm1Name, l.Adm1PCode)
	s := strings.Join(parts, ", ")
	if l.Lat != nil && l.Lon != nil {
		s += " · " + formCoord(l.Lat) + ", " + formCoord(l.Lon)
	}
	return s
}

// eventSentence is what event e records, in record language ("Approved
// by Hugo"): the sentence of its action (record.event.<action>, one per
// domain.EventActions) with who took it; a step the system takes on its
// own says so; an event whose actor the reader may not see (a sealed
// vote, domain.EventFor) names nobody.
func eventSentence(ctx context.Context, e domain.Event) string {
	what := i18n.T(ctx, "record.event."+e.Action)
	if e.ActorName != "" {
		return i18n.T(ctx, "record.by", "What", what, "Who", e.ActorName)
	}
	if r, ok := domain.RuleFor(domain.Action(e.Action)); ok && r.System && e.ActorID == 0 {
		return i18n.T(ctx, "record.by_system", "What", what)
	}
	return what
}

// eventView is one event of the trail, with what its payload says in
// words: the reason, the fields an edit changed, a reference.
func eventView(ctx context.Context, e domain.Event) pages.EventView {
	ev := pages.EventView{Seq: strconv.Itoa(e.Seq), At: displayTime(ctx, e.At),
		Hash: hex.EncodeToString(e.Hash), Prev: hex.EncodeToString(e.PrevHash)}
	ev.Action = eventSentence(ctx, e)
	var p struct {
		CivilianReference string `json:"civilian_reference"`
		// Only the fields' names are shown: their values (any JSON, in
		// domain.Change) are skipped, not decoded.
		Changes []struct {
			Field string `json:"field"`
		} `json:"changes"`
		Body    string `json:"body"`
		Version int    `json:"version"`
	}
	// A step's reason under the step's own label (a rationale reads as a
	// rationale), also when taken inside another event; any other
	// reason (a resubmission's note) as a reason.
	if st, ok := domain.StepOf(e); ok && (st.Reason != "" || st.ReasonCode != "") {
		ev.Details = append(ev.Details, i18n.T(ctx, domain.ReasonLabelKey(st.Action))+" "+httpface.Reason(ctx, st.ReasonCode, st.Reason))
	} else if reason := eventReason(ctx, e); reason != "" {
		ev.Details = append(ev.Details, i18n.T(ctx, "timeline.reason", "Reason", reason))
	}
	decode := domain.PayloadHas(e.Payload, "civilian_reference") || domain.PayloadHas(e.Payload, "changes") ||
		e.Action == domain.EventComment && domain.PayloadHas(e.Payload, "body")
	if domain.PayloadHas(e.Payload, "acting") { // a decision taken as acting HC
		ev.Details = append(ev.Details, i18n.T(ctx, "timeline.acting_hc"))
	}
	if domain.AttachmentEvent(e.Action) {
		ev.Details = append(ev.Details, documentDetails(ctx, e)...)
	}
	if decode && gojson.Unmarshal(e.Payload, &p) == nil {
		if p.CivilianReference != "" {
			ev.Details = append(ev.Details, i18n.T(ctx, "timeline.civilian_reference", "Reference", p.CivilianReference))
		}
		if len(p.Changes) > 0 {
			fields := make([]string, len(p.Changes))
			for i, c := range p.Changes {
				fields[i] = c.Field
			}
			ev.Details = append(ev.Details, i18n.T(ctx, "timeline.changed", "Fields", strings.Join(fields, ", ")))
		}
		if e.Action == domain.EventComment && p.Body != "" {
			ev.Details = append(ev.Details, p.Body)
		}
	}
	return ev
}

// documentDetails says which document a document's event is about: its
// title, kind, file, size and SHA-256, the threat of a refused file; or,
// to a reader who may not see it (domain.EventFor kept only its
// visibility), that it is one they may not see.
func documentDetails(ctx context.Context, e domain.Event) []string {
	var p struct {
		Title      string `json:"title"`
		Kind       string `json:"kind"`
		Filename   string `json:"filename"`
		Size       int64  `json:"size"`
		SHA256     string `json:"sha256"`
		Visibility string `json:"visibility"`
		Threat     string `json:"threat"`
	}
	if gojson.Unmarshal(e.Payload, &p) != nil {
		return nil
	}
	if p.SHA256 == "" {
		return []string{i18n.T(ctx, "timeline.document_restricted", "Visibility", i18n.T(ctx, "documents.visibility."+p.Visibility))}
	}
	var out []string
	if p.Title != "" {
		kind := ""
		if p.Kind != "" {
			kind = i18n.T(ctx, "documents.kind."+p.Kind)
		}
		out = append(out, i18n.T(ctx, "timeline.document", "Title", p.Title, "Kind", kind, "File", p.Filename,
			"Size", byteSize(ctx, p.Size), "SHA256", p.SHA256))
	} else {
		out = append(out, "SHA-256 "+p.SHA256)
	}
	if p.Threat != "" {
		out = append(out, i18n.T(ctx, "timeline.threat", "Threat", p.Threat))
	}
	return out
}

// eventReason is the reason event e's step stated, in the reader's
// language: a person's words, or the system's reason code translated.
func eventReason(ctx context.Context, e domain.Event) string {
	var p struct {
		Reason     string `json:"reason"`
		ReasonCode string `json:"reason_code"`
	}
	if !domain.PayloadHas(e.Payload, "reason") && !domain.PayloadHas(e.Payload, "reason_code") || gojson.Unmarshal(e.Payload, &p) != nil {
		return ""
	}
	return httpface.Reason(ctx, domain.ReasonCode(p.ReasonCode), p.Reason)
}

// ---- Actions ----

// handleRequestAction takes a workflow action posted from the request
// page (its form carries the version the person saw).
func (s *Server) handleRequestAction(t domain.Rule) handlerFunc {
	short, act := formID(t), t.Action
	// Back to where the step sits on the page.
	back := map[domain.Stage]string{domain.StageReview: "#review-h", domain.StageLifecycle: "#lifecycle-h"}[t.Stage]
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathIDParam(r, "id")
		if err != nil {
			return err
		}
		if err := parseForm(w, r); err != nil {
			return err
		}
		a, ctx := actor(r), r.Context()
		version, _ := strconv.Atoi(r.PostForm.Get("version"))
		in := domain.TransitionInput{Version: version, Reason: r.PostForm.Get("reason"),
			CivilianReference: r.PostForm.Get("civilian_reference")}
		_, err = s.requests.Transition(ctx, a, id, act, in)
		switch {
		case err == nil:
			s.setFlash(w, components.FlashSuccess, "flash."+short+"_done")
			http.Redirect(w, r, requestURL(id)+back, http.StatusSeeOther)
			return nil
		case domain.ErrorCode(err) == domain.CodeInvalid && act == domain.ActionSubmit:
			// The form is where the missing answers are given.
			s.setFlash(w, components.FlashWarning, "request.not_submitted")
			http.Redirect(w, r, requestURL(id)+"/edit?check=submit", http.StatusSeeOther)
			return nil
		}
		if err := s.afterConflict(w, r, id, act, err); err != nil {
			return s.reshowRefused(w, r, id, short, err)
		}
		return nil
	}
}

func (s *Server) handleBriefing(w http.ResponseWriter, r *http.Request) error {
	id, err := pathIDParam(r, "id")
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	a, ctx := actor(r), r.Context()
	ans := domain.Answer{Value: r.PostForm.Get("checklist.LR17"), Note: r.PostForm.Get("checklist.LR17.note")}
	if _, err = s.requests.RecordBriefing(ctx, a, id, formVersion(r.PostForm), ans); err != nil {
		return s.reshowRefused(w, r, id, "briefing", err)
	}
	s.setFlash(w, components.FlashSuccess, "briefing.saved")
	http.Redirect(w, r, requestURL(id)+"#briefing-h", http.StatusSeeOther)
	return nil
}

func (s *Server) handleCommentAdd(w http.ResponseWriter, r *http.Request) error {
	id, err := pathIDParam(r, "id")
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	a, ctx := actor(r), r.Context()
	c, err := s.requests.AddComment(ctx, a, id, r.PostForm.Get("body"))
	if err != nil {
		return s.reshowRefused(w, r, id, "comment", err)
	}
	s.setFlash(w, components.FlashSuccess, "comments.added")
	http.Redirect(w, r, requestURL(id)+"#comment-"+strconv.FormatInt(c.ID, 10), http.StatusSeeOther)
	return nil
}

func (s *Server) handleCommentEdit(w http.ResponseWriter, r *http.Request) error {
	id, err := pathIDParam(r, "id")
	if err != nil {
		return err
	}
	cid, err := pathIDParam(r, "comment_id")
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	a, ctx := actor(r), r.Context()
	_, err = s.requests.EditComment(ctx, a, id, cid, r.PostForm.Get("body"), savedAt(r.PostForm))
	if err != nil {
		// Refused, or corrected meanwhile in another window: the page
		// again with what was typed, and the text now.
		return s.reshowRefused(w, r, id, "comment-"+strconv.FormatInt(cid, 10), err)
	}
	s.setFlash(w, components.FlashSuccess, "comments.saved")
	http.Redirect(w, r, requestURL(id)+"#comment-"+strconv.FormatInt(cid, 10), http.StatusSeeOther)
	return nil
}

// reshowRefused answers a form on request id's page that the service
// refused for a reason the person can see and act on — a rule on what
// they typed (422), a missing version (400), a role they lack (403), the
// wrong state, a guard or a stale version (409): the request page again,
// as it now stands, with the refusal's status, what was typed kept and
// the reason in the summary and at its fields; never a bare error page.
// Anything else (not found, signed out, an internal failure) is returned
// as it is, for the error page.
func (s *Server) reshowRefused(w http.ResponseWriter, r *http.Request, id int64, form string, err error) error {
	status, ok := refusedStatus(err)
	if !ok {
		return err
	}
	httpface.SetRetryAfter(w.Header(), err)
	d, gerr := s.requests.Page(r.Context(), actor(r), id)
	if gerr != nil {
		return gerr
	}
	return s.renderRequestPage(w, r, status, d, pageState{form: form, values: r.PostForm, err: err, summary: true})
}

// refusedStatus returns the status of a refusal that reshowRefused shows
// on the request page, and false for any other error.
func refusedStatus(err error) (int, bool) {
	switch code := domain.ErrorCode(err); code {
	case domain.CodeInvalid, domain.CodeMalformed, domain.CodeForbidden, domain.CodeConflict, domain.CodeRateLimited:
		return httpface.Status(code)
	}
	return 0, false
}

func yesNo(ctx context.Context, b bool) string {
	if b {
		return i18n.T(ctx, "common.yes")
	}
	return i18n.T(ctx, "common.no")
}

// handleExtend asks for an extension of an approved task and opens the
// new draft, whose last-resort answers must be given again.
func (s *Server) handleExtend(w http.ResponseWriter, r *http.Request) error {
	id, err := pathIDParam(r, "id")
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	a, ctx := actor(r), r.Context()
	var end time.Time
	if v := strings.TrimSpace(r.PostForm.Get("end_date")); v != "" {
		if end, err = time.Parse(dateLayout, v); err != nil {
			err = invalid(map[string]string{"end_date": "field.date"})
		}
	}
	var ext domain.Request
	if err == nil {
		ext, _, err = s.requests.Extend(ctx, a, id, formVersion(r.PostForm), end, "") // the key is the middleware's
	}
	if err != nil {
		return s.reshowRefused(w, r, id, "extend", err)
	}
	s.setFlash(w, components.FlashSuccess, "extension.created")
	http.Redirect(w, r, requestURL(ext.ID)+"/edit", http.StatusSeeOther)
	return nil
}

// handleRecord is the printable decision record of a request: the
// request, the checklist's evaluation and warnings, the review (votes
// once closed), the decision, the lifecycle and the whole hash chain.
func (s *Server) handleRecord(w http.ResponseWriter, r *http.Request) error {
	id, err := pathIDParam(r, "id")
	if err != nil {
		return err
	}
	d, err := s.requests.Page(r.Context(), actor(r), id)
	if err != nil {
		return err
	}
	return s.renderRequestPage(w, r, http.StatusOK, d, pageState{record: true})
}

// readOnly removes every form, action and navigation link from a
// request page view: the printed decision record.
func readOnly(v *pages.RequestPageView) {
	v.Actions, v.EditURL, v.StepsURL, v.Extend, v.Briefing, v.CommentForm, v.Errors, v.Blocked = nil, "", "", nil, nil, nil, nil, nil
	for i := range v.Comments {
		v.Comments[i].EditURL = ""
	}
	if p := v.Review; p != nil {
		p.OpenForm, p.VoteForm, p.CloseURL, p.ReopenForm, p.DecideForm, p.Blocked = nil, nil, "", nil, nil, nil
		p.FullHistory = true // printed whole: a record folds nothing away
		if !p.Exists && p.Decision == nil {
			v.Review = nil
		}
	}
	if l := v.Lifecycle; l != nil {
		l.ConsentForm, l.TaskForm, l.ReportForm, l.HandoverForm, l.Steps = nil, nil, nil, nil, nil
		if l.HRDDP != nil {
			l.HRDDP.URL = "" // a printed record has no navigation
		}
	}
}
