package main

import (
	"github.com/cmcoord/cmcoord/internal/testutil/testclock"

	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cmcoord/cmcoord/internal/config"
	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/service"
	"github.com/cmcoord/cmcoord/internal/store"
	"github.com/cmcoord/cmcoord/internal/testutil/fixture"
	"github.com/cmcoord/cmcoord/internal/testutil/testdb"
)

// The visibility matrix (issue #13 point 3, STYLE R38): one request in
// every status, built through the services, with a canary planted in
// every guarded field — the request's free text (a draft's is private to
// its organisation), the point of contact, the escort criteria and the
// guarded checklist answers, the votes' comments and a voter's name, a
// comment, the HRDDP assessment. Every role then reads every channel —
// the request page, the decision record, the API's request, review,
// events, comments, lifecycle and HRDDP record, the HRDDP page, the home
// page and the request lists, the notifications page, the e-mails, and
// the exports (CSV, JSON, XLSX, and their public variants) — and each
// canary must appear exactly where the domain's visibility functions say
// (domain.CanRequest, Sees, VoteShown, Can for exports) and nowhere else.
//
// Which channel carries which field of which request at all is the
// face's business (the CSV has no vote comments; the trail carries them
// once the review closed): it is read from the answers themselves. A
// channel that shows a canary to one reader must show it to every reader
// allowed to see it, and to nobody else.

// matrixClock is the workflow's clock: the real time moved on by Advance.
type matrixClock = testclock.Clock

// reader is one reader of the matrix: a member with one role.
type reader struct {
	name   string
	actor  domain.Actor
	client *http.Client // signed in to the web face
	token  string       // for the API
	email  string
}

// built is one request of the matrix, in its status.
type built struct {
	status domain.Status
	id     int64
	req    domain.Request // as stored (the officer's view of its status and version)
	review domain.Review
	hasRev bool
}

// canary is a string planted in one field of one request.
type canary struct {
	field string // e.g. "poc-email", "vote-b"
	text  string
	on    *built
	// allowed says whether v may see it on a channel of kind ch.
	allowed func(v reader, ch domain.Channel) bool
}

// channel is one way out of the system.
type channel struct {
	name string
	kind domain.Channel
	// complete: the channel shows the whole of what it carries to every
	// reader allowed to see it (a notification tells of some requests
	// only, so notifications and e-mails are checked for leaks only).
	complete bool
	// read returns what v gets from the channel: per request, or once
	// for all requests (nil request).
	perRequest bool
	read       func(t *testing.T, v reader, b *built) string
	// hrddpRecord: the channel is the HRDDP record itself, shown whole
	// only to the roles that may see HRDDP records (domain.CanSeeHRDDP).
	hrddpRecord bool
}

type visMatrix struct {
	srv      *httptest.Server
	app      *app
	clock    *matrixClock
	op       domain.Operation
	admin    domain.Actor
	officer  domain.Actor
	owner    domain.Actor // the requester who creates every request but one
	unOwner  domain.Actor // a requester of a UN entity, whose request needs an HRDDP assessment
	hctA     domain.Actor // HCT member of organisation A (a reader too)
	orgB     domain.Organization
	readers  []reader
	requests []*built
	canaries []canary
}

const matrixPassword = "visibility matrix password"

func TestVisibilityMatrix(t *testing.T) {
	t.Parallel()
	m := newMatrix(t)
	m.buildEveryStatus(t)
	outboxes := m.outboxes(t)
	channels := m.channels(outboxes)

	// shown[channel][field][canary text][reader]
	type obs struct {
		shown, allowed bool
	}
	results := map[string]map[string]map[string]map[string]obs{}
	carried := map[string]map[string]bool{}
	for _, ch := range channels {
		results[ch.name] = map[string]map[string]map[string]obs{}
		carried[ch.name] = map[string]bool{}
		for _, v := range m.readers {
			texts := map[*built]string{}
			if ch.perRequest {
				for _, b := range m.requests {
					texts[b] = ch.read(t, v, b)
				}
			} else {
				all := ch.read(t, v, nil)
				for _, b := range m.requests {
					texts[b] = all
				}
			}
			for _, c := range m.canaries {
				allowed := c.allowed(v, ch.kind) && (!ch.hrddpRecord || domain.CanSeeHRDDP(v.actor.RolesIn(m.op.ID)))
				o := obs{shown: strings.Contains(texts[c.on], c.text), allowed: allowed}
				if results[ch.name][c.field] == nil {
					results[ch.name][c.field] = map[string]map[string]obs{}
				}
				if results[ch.name][c.field][c.text] == nil {
					results[ch.name][c.field][c.text] = map[string]obs{}
				}
				results[ch.name][c.field][c.text][v.name] = o
				if o.shown {
					carried[ch.name][c.field] = true
				}
				if o.shown && !o.allowed {
					t.Errorf("LEAK: %s sees %s (%s) of the %s request on %s", v.name, c.field, c.text, c.on.status, ch.name)
				}
			}
		}
	}
	// Whatever the table says, the issue's own words: a cancellation never
	// reveals a sealed review's values, comments or voters — only the
	// voting organisation sees its own vote.
	for _, c := range m.canaries {
		rv := c.on.review
		if !c.on.hasRev || !rv.Cancelled || !rv.Policy.SealedVotes || !slices.Contains([]string{"votea", "voteb", "voterb"}, c.field) {
			continue
		}
		for _, ch := range channels {
			for name, o := range results[ch.name][c.field][c.text] {
				if o.shown && !(c.field == "votea" && name == string(domain.RoleHCTMember)) {
					t.Errorf("LEAK: the cancelled review of the %s request reveals %s to %s on %s", c.on.status, c.field, name, ch.name)
				}
			}
		}
	}
	seenAnywhere := map[string]bool{}
	for _, ch := range channels {
		for field, byText := range results[ch.name] {
			if carried[ch.name][field] {
				seenAnywhere[field] = true
			}
			if !ch.complete {
				continue
			}
			for text, byViewer := range byText {
				if !slices.ContainsFunc(slices.Collect(maps.Values(byViewer)), func(o obs) bool { return o.shown }) {
					continue // the channel does not carry this field of this request (no closed review, no column)
				}
				for name, o := range byViewer {
					if o.allowed && !o.shown {
						t.Errorf("%s shows %s to some readers allowed to see it, but not %s (%s)", ch.name, field, name, text)
					}
				}
			}
		}
	}
	// Every guarded field is seen by someone somewhere: the matrix
	// asserts something of each.
	for _, c := range m.canaries {
		if !seenAnywhere[c.field] {
			t.Errorf("no channel shows %s to anyone: the canary is not planted where a reader can see it", c.field)
		}
	}
}

func newMatrix(t *testing.T) *visMatrix {
	t.Helper()
	ctx := t.Context()
	cfg, _, err := config.Load("serve", []string{"-database-url", testdb.URL(t), "-no-migrate",
		"-smtp-url", "smtp://127.0.0.1:1?from=cmcoord@example.org"}, noEnv, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	clock := &matrixClock{}
	a, err := newAppAt(ctx, cfg, discardLogger(), clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.close)
	// Both faces, as serve composes them: the API channels read /api/v1.
	m := &visMatrix{app: a, clock: clock, srv: httptest.NewServer(a.handler())}
	t.Cleanup(m.srv.Close)

	root, err := a.directory.CreateAdmin(ctx, "admin@example.org", "Admin", matrixPassword, domain.Organization{Name: "OCHA"})
	if err != nil {
		t.Fatal(err)
	}
	m.admin = mustActorFor(t, a, root)
	m.op, err = a.directory.CreateOperation(ctx, m.admin, domain.Operation{Code: "VIS", Name: "Visibility", CountryISO3: "NPL",
		Context: domain.ContextNaturalDisaster, Policy: domain.DefaultReviewPolicy, LeadTimeHours: 48})
	if err != nil {
		t.Fatal(err)
	}
	org := func(name string, typ domain.OrgType) domain.Organization {
		o, err := a.directory.CreateOrganization(ctx, m.admin, domain.Organization{Name: name, Acronym: strings.ToUpper(name[:3]), Type: typ})
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	requesting, other := org("Relief NGO", domain.OrgINGO), org("Other NGO", domain.OrgNNGO)
	orgA, donor := org("Agency A", domain.OrgUNAgency), org("Donor D", domain.OrgOther)
	m.orgB = org("Bureau B", domain.OrgUNAgency)
	// One member per role, each of the organisation the role belongs to;
	// and a requester of another organisation.
	orgOf := map[domain.Role]int64{domain.RoleRequester: requesting.ID, domain.RoleHCTMember: orgA.ID, domain.RoleViewer: donor.ID}
	for _, role := range domain.AllRoles {
		orgID, ok := orgOf[role]
		if !ok {
			orgID = root.OrganizationID
		}
		m.readers = append(m.readers, m.member(t, string(role), orgID, role))
	}
	m.readers = append(m.readers, m.member(t, "requester-other-org", other.ID, domain.RoleRequester))
	un, err := a.directory.CreateOrganization(ctx, m.admin, domain.Organization{Name: "UN Entity U", Acronym: "UNU", Type: domain.OrgUNAgency, UNEntity: true})
	if err != nil {
		t.Fatal(err)
	}
	m.unOwner = m.user(t, "requester-un", un.ID, domain.RoleRequester).actor
	for _, v := range m.readers {
		switch {
		case v.name == string(domain.RoleRequester):
			m.owner = v.actor
		case v.name == string(domain.RoleOfficer):
			m.officer = v.actor
		case v.name == string(domain.RoleHCTMember):
			m.hctA = v.actor
		}
	}
	return m
}

// member creates a user of organisation orgID with roles in the
// operation, signed in to the web face and holding an API token.
func (m *visMatrix) member(t *testing.T, name string, orgID int64, roles ...domain.Role) reader {
	t.Helper()
	v := m.user(t, name, orgID, roles...)
	jar, _ := cookiejar.New(nil)
	v.client = &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := v.client.PostForm(m.srv.URL+"/login", url.Values{"email": {v.email}, "password": {matrixPassword}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in %s: %d", name, resp.StatusCode)
	}
	if v.token, _, err = m.app.access.IssueTokenForEmail(t.Context(), v.email, domain.NewToken{Name: "matrix", Scope: domain.TokenFull}); err != nil {
		t.Fatal(err)
	}
	return v
}

// user creates a user of organisation orgID with roles in the operation.
func (m *visMatrix) user(t *testing.T, name string, orgID int64, roles ...domain.Role) reader {
	t.Helper()
	ctx := t.Context()
	email := strings.ReplaceAll(name, "_", "-") + "@example.org"
	u, _, err := m.app.directory.CreateUser(ctx, m.admin, service.NewUser{
		User: domain.User{Email: email, Name: name, OrganizationID: orgID}, Password: matrixPassword})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.app.directory.SetMember(ctx, m.admin, m.op.Code, u.ID, roles); err != nil {
		t.Fatal(err)
	}
	return reader{name: name, actor: mustActorFor(t, m.app, u), email: email}
}

// pathTo returns the shortest way through the workflow table from one
// status to another (nil when there is none).
func pathTo(from, to domain.Status) []domain.Rule {
	type node struct {
		at   domain.Status
		path []domain.Rule
	}
	seen := map[domain.Status]bool{from: true}
	queue := []node{{at: from}}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		if n.at == to {
			return n.path
		}
		for _, tr := range domain.Transitions() {
			if slices.Contains(tr.From, n.at) && !seen[tr.To] {
				seen[tr.To] = true
				queue = append(queue, node{at: tr.To, path: append(slices.Clone(n.path), tr)})
			}
		}
	}
	return nil
}

// buildEveryStatus creates one request per status. A status the workflow
// reaches from an HCT review is reached through one with votes cast (so
// a return, a withdrawal or an expiry cancels a review with votes in
// it); the others straight from a draft. Requests whose way expires them
// are built first: the clock then moves past their required-by time.
func (m *visMatrix) buildEveryStatus(t *testing.T) {
	t.Helper()
	type plan struct {
		status domain.Status
		path   []domain.Rule
	}
	var plans []plan
	toReview := pathTo(domain.StatusDraft, domain.StatusHCTReview)
	for _, st := range domain.Statuses() {
		p := pathTo(domain.StatusDraft, st)
		if st != domain.StatusHCTReview {
			if fromReview := pathTo(domain.StatusHCTReview, st); fromReview != nil {
				p = append(slices.Clone(toReview), fromReview...)
			}
		}
		if p == nil && st != domain.StatusDraft {
			t.Fatalf("status %s cannot be reached from a draft", st)
		}
		plans = append(plans, plan{st, p})
	}
	expires := func(p plan) bool {
		return slices.ContainsFunc(p.path, func(tr domain.Rule) bool { return tr.Action == domain.ActionExpire })
	}
	slices.SortStableFunc(plans, func(x, y plan) int {
		switch {
		case expires(x) && !expires(y):
			return -1
		case expires(y) && !expires(x):
			return 1
		}
		return 0
	})
	for _, p := range plans {
		m.requests = append(m.requests, m.build(t, p.status, p.path, false))
	}
	// And a request whose HRDDP assessment exists (LR18 yes from a UN
	// entity), with a canary in every field of the assessment.
	m.requests = append(m.requests, m.build(t, domain.StatusSubmitted, pathTo(domain.StatusDraft, domain.StatusSubmitted), true))
}

// build creates a request with canaries, takes it along path and records
// its canaries with who may see them.
func (m *visMatrix) build(t *testing.T, status domain.Status, path []domain.Rule, hrddp bool) *built {
	t.Helper()
	ctx := t.Context()
	a := m.app
	now := m.clock.Now()
	tag := strings.ReplaceAll(string(status), "_", "")
	owner := m.owner
	if hrddp {
		tag, owner = tag+"hrddp", m.unOwner
	}
	zq := func(field string) string { return "zq" + field + "x" + tag + "qz" }
	in := fixture.Request(zq("title"), now)
	in.Need, in.Capability = zq("need"), zq("capability")
	in.Origin.Adm1Name, in.ExitStrategy.Organization = zq("adm1"), zq("exitorg")
	in.POC = domain.Contact{Name: zq("pocname"), Role: zq("pocrole"), Email: zq("pocemail") + "@example.org",
		Phone: "+99 " + strconv.Itoa(1000000+len(m.requests)*7919)}
	in.Checklist["LR19"] = domain.Answer{Value: "yes", Note: zq("lr19")}
	in.Checklist["LR18"] = domain.Answer{Value: "no", Note: zq("lr18")}
	if hrddp {
		in.Checklist["LR18"] = domain.Answer{Value: "yes", Note: zq("lr18")}
	}
	in.Escort = domain.Escort{NeedCriticality: zq("escortneed"), ResponsibleAuthority: zq("escortauthority"),
		SecurityAssessment: zq("escortassessment"), DiscontinuationPlan: zq("escortplan"), CommonPositionConsulted: true, Compensation: "none"}
	if slices.ContainsFunc(path, func(tr domain.Rule) bool { return tr.Action == domain.ActionExpire }) {
		in.RequiredBy = now.Add(49 * time.Hour).UTC().Truncate(time.Minute)
	}
	r, _, err := a.requests.Create(ctx, owner, m.op.Code, in, "")
	if err != nil {
		t.Fatalf("%s: create: %v", status, err)
	}
	b := &built{status: status, id: r.ID}
	if _, err := a.requests.AddComment(ctx, owner, r.ID, zq("comment")); err != nil {
		t.Fatalf("%s: comment: %v", status, err)
	}
	// A voter of organisation B of its own per request, so that its name
	// is a canary of this request only.
	voterB := m.user(t, "zqvoterbx"+tag+"qz", m.orgB.ID, domain.RoleHCTMember)
	for _, tr := range path {
		cur, err := a.requests.Get(ctx, owner, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		m.step(t, status, tr.Action, owner, cur.Request, voterB.actor, zq)
	}
	var assessment *domain.Assessment
	if hrddp {
		assessment = &domain.Assessment{ReceivingEntity: zq("hrddpentity"), SupportDescription: zq("hrddpsupport"),
			SupportCategory: "logistical", GraveViolations: zq("hrddpviolations"), Accountability: zq("hrddpaccountability"),
			RiskLevel: "medium", BenefitsAndRisks: zq("hrddpbenefits"), Mitigation: zq("hrddpmitigation"),
			Communication: zq("hrddpcommunication"), MonitoringPlan: zq("hrddpmonitoring"), InterventionProcess: zq("hrddpintervention"),
			Outcome: "support_with_mitigation", CountryMechanismRef: zq("hrddpref")}
		cur, err := a.requests.Get(ctx, owner, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.lifecycle.Assess(ctx, m.role(t, domain.RoleHRDDPReviewer), r.ID, cur.Request.Version, *assessment); err != nil {
			t.Fatalf("assess: %v", err)
		}
	}
	d, err := a.requests.Get(ctx, owner, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d.Request.Status != status {
		t.Fatalf("built %s, want %s", d.Request.Status, status)
	}
	b.req = d.Request
	rs, err := a.reviews.State(ctx, owner, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	b.review, b.hasRev = rs.Review, rs.Exists
	m.plant(b, zq, in, voterB, assessment)
	return b
}

// step takes action on request r (building status), with the role the
// table gives it; opening a review casts a vote per eligible
// organisation, each with a canary comment.
func (m *visMatrix) step(t *testing.T, status domain.Status, action domain.Action, owner domain.Actor, r domain.Request, voterB domain.Actor, zq func(string) string) {
	t.Helper()
	ctx := t.Context()
	a := m.app
	var err error
	in := domain.TransitionInput{Version: r.Version, Reason: "Matrix step.", CivilianReference: "LogCluster SRF-1"}
	switch action {
	case domain.ActionSubmit, domain.ActionWithdraw:
		_, err = a.requests.Transition(ctx, owner, r.ID, action, in)
	case domain.ActionReturn, domain.ActionRedirect, domain.ActionReturnReview:
		_, err = a.requests.Transition(ctx, m.officer, r.ID, action, in)
	case domain.ActionOpenReview:
		if _, err = a.reviews.Open(ctx, m.officer, r.ID, service.OpenInput{Version: r.Version,
			// Past the required-by time, confirmed: the matrix expires a
			// request under review.
			Deadline: m.clock.Now().Add(29 * 24 * time.Hour), AfterRequiredBy: true}); err != nil {
			break
		}
		if _, err = a.reviews.Vote(ctx, m.hctA, r.ID, service.VoteInput{Value: domain.VoteSupportConditions, Comment: zq("votea")}); err != nil {
			break
		}
		_, err = a.reviews.Vote(ctx, voterB, r.ID, service.VoteInput{Value: domain.VoteSupport, Comment: zq("voteb")})
	case domain.ActionCloseReview:
		_, err = a.reviews.Close(ctx, m.officer, r.ID, r.Version)
	case domain.ActionApprove, domain.ActionReject:
		outcome := domain.StatusApproved
		if action == domain.ActionReject {
			outcome = domain.StatusRejected
		}
		_, err = a.reviews.Decide(ctx, m.role(t, domain.RoleHC), r.ID, service.DecisionInput{Version: r.Version, Outcome: outcome, Rationale: "Matrix decision."})
	case domain.ActionExpire:
		m.clock.Advance(50 * time.Hour)
		_, err = a.reviews.RunDue(ctx)
	case domain.ActionTask:
		if _, err = a.lifecycle.RecordConsent(ctx, m.officer, r.ID, r.Version, domain.Consent{Status: "consented", Authority: "NDRRMA",
			Channel: "Letter", Date: m.clock.Now(), Reference: "NDRRMA/1"}); err != nil {
			break
		}
		_, err = a.lifecycle.Task(ctx, m.officer, r.ID, r.Version, domain.Tasking{ProviderISO3: "IND", Unit: "Unit",
			AssetType: "Helicopter", AssetCount: 1, PlatformRef: "MNMCC-1"})
	case domain.ActionDecline, domain.ActionStartExecution, domain.ActionComplete, domain.ActionCancel:
		_, err = a.requests.Transition(ctx, m.officer, r.ID, action, in)
	case domain.ActionHandOver:
		_, err = a.lifecycle.HandOver(ctx, m.officer, r.ID, r.Version, domain.Handover{Organization: r.ExitStrategy.Organization, Date: m.clock.Now()})
	default:
		t.Fatalf("building %s: the matrix has no step for %s; add one", status, action)
	}
	if err != nil {
		t.Fatalf("building %s: %s: %v", status, action, err)
	}
}

// role returns the matrix's member holding role.
func (m *visMatrix) role(t *testing.T, role domain.Role) domain.Actor {
	t.Helper()
	for _, v := range m.readers {
		if v.name == string(role) {
			return v.actor
		}
	}
	t.Fatalf("no %s", role)
	return domain.Actor{}
}

// plant records b's canaries and who may see each, from the domain's
// visibility functions.
func (m *visMatrix) plant(b *built, zq func(string) string, in domain.Request, voterB reader, assessment *domain.Assessment) {
	r := b.req
	// onChannel: the request reaches v on ch at all — seen on screen, or
	// exported to a member who may export.
	onChannel := func(v reader, ch domain.Channel) bool {
		if domain.Can(v.actor, domain.ActionViewRequest, domain.OnRequest(r)) != nil {
			return false
		}
		return ch == domain.ChannelScreen || domain.Can(v.actor, domain.ActionExportRequests, domain.InOperation(m.op.ID)) == nil
	}
	// Free text: not in the public variant.
	for _, f := range []string{"title", "need", "capability", "adm1", "exitorg", "comment"} {
		m.canaries = append(m.canaries, canary{field: f, text: zq(f), on: b, allowed: func(v reader, ch domain.Channel) bool {
			return ch != domain.ChannelPublic && onChannel(v, ch)
		}})
	}
	guarded := func(g domain.Guard) func(v reader, ch domain.Channel) bool {
		return func(v reader, ch domain.Channel) bool {
			return onChannel(v, ch) && domain.Sees(v.actor, r.Ref(), g, ch)
		}
	}
	for f, text := range map[string]string{"pocname": in.POC.Name, "pocrole": in.POC.Role, "pocemail": in.POC.Email, "pocphone": in.POC.Phone} {
		m.canaries = append(m.canaries, canary{field: f, text: text, on: b, allowed: guarded(domain.GuardContact)})
	}
	for _, f := range []string{"escortneed", "escortauthority", "escortassessment", "escortplan", "lr18", "lr19"} {
		m.canaries = append(m.canaries, canary{field: f, text: zq(f), on: b, allowed: guarded(domain.GuardEscort)})
	}
	if assessment != nil {
		for f, text := range map[string]string{"hrddpentity": assessment.ReceivingEntity, "hrddpsupport": assessment.SupportDescription,
			"hrddpviolations": assessment.GraveViolations, "hrddpaccountability": assessment.Accountability,
			"hrddpbenefits": assessment.BenefitsAndRisks, "hrddpmitigation": assessment.Mitigation,
			"hrddpcommunication": assessment.Communication, "hrddpmonitoring": assessment.MonitoringPlan,
			"hrddpintervention": assessment.InterventionProcess, "hrddpref": assessment.CountryMechanismRef} {
			m.canaries = append(m.canaries, canary{field: f, text: text, on: b, allowed: func(v reader, ch domain.Channel) bool {
				return ch == domain.ChannelScreen && onChannel(v, ch) && domain.CanSeeHRDDP(v.actor.RolesIn(m.op.ID))
			}})
		}
	}
	if !b.hasRev {
		return
	}
	vote := func(org int64) func(v reader, ch domain.Channel) bool {
		return func(v reader, ch domain.Channel) bool {
			return ch != domain.ChannelPublic && onChannel(v, ch) &&
				domain.VoteShown(v.actor, v.actor.RolesIn(m.op.ID), b.review, domain.Vote{OrganizationID: org})
		}
	}
	m.canaries = append(m.canaries,
		canary{field: "votea", text: zq("votea"), on: b, allowed: vote(m.hctA.OrganizationID)},
		canary{field: "voteb", text: zq("voteb"), on: b, allowed: vote(m.orgB.ID)},
		canary{field: "voterb", text: voterB.name, on: b, allowed: vote(m.orgB.ID)})
}

// outboxes returns every queued e-mail by recipient.
func (m *visMatrix) outboxes(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := m.app.store.InTx(t.Context(), func(st *store.Store) error {
		msgs, err := st.ClaimDueOutbox(t.Context(), m.clock.Now().Add(time.Hour), 100000)
		for _, msg := range msgs {
			out[msg.To] += msg.Subject + "\n" + msg.Body + "\n"
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatal("no e-mail was queued: the e-mail channel is not exercised")
	}
	return out
}

func (m *visMatrix) channels(outboxes map[string]string) []channel {
	web := func(path func(b *built) string) func(t *testing.T, v reader, b *built) string {
		return func(t *testing.T, v reader, b *built) string { return m.get(t, v.client, "", path(b)) }
	}
	api := func(path func(b *built) string) func(t *testing.T, v reader, b *built) string {
		return func(t *testing.T, v reader, b *built) string { return m.get(t, nil, v.token, path(b)) }
	}
	req := func(suffix string) func(b *built) string {
		return func(b *built) string { return "/requests/" + strconv.FormatInt(b.id, 10) + suffix }
	}
	apiReq := func(suffix string) func(b *built) string {
		return func(b *built) string { return "/api/v1/requests/" + strconv.FormatInt(b.id, 10) + suffix }
	}
	export := func(format, query string) func(t *testing.T, v reader, b *built) string {
		return func(t *testing.T, v reader, _ *built) string {
			body := m.get(t, nil, v.token, "/api/v1/operations/"+m.op.Code+"/exports/requests."+format+query)
			if format == "xlsx" && strings.HasPrefix(body, "PK") {
				return unzipText(t, body)
			}
			return body
		}
	}
	return []channel{
		{name: "page", kind: domain.ChannelScreen, complete: true, perRequest: true, read: web(req(""))},
		{name: "record", kind: domain.ChannelScreen, complete: true, perRequest: true, read: web(req("/record"))},
		// The signed record: every file of the ZIP (the record page, its
		// JSON, the events, the documents) as one text.
		{name: "record-bundle", kind: domain.ChannelScreen, complete: true, perRequest: true, read: func(t *testing.T, v reader, b *built) string {
			body := m.get(t, v.client, "", req("/record/bundle")(b))
			if !strings.HasPrefix(body, "PK") {
				return body // a refusal page
			}
			return unzipText(t, body)
		}},
		{name: "api-request", kind: domain.ChannelScreen, complete: true, perRequest: true, read: api(apiReq(""))},
		{name: "api-review", kind: domain.ChannelScreen, complete: true, perRequest: true, read: api(apiReq("/review"))},
		{name: "api-events", kind: domain.ChannelScreen, complete: true, perRequest: true, read: api(apiReq("/events"))},
		{name: "api-comments", kind: domain.ChannelScreen, complete: true, perRequest: true, read: api(apiReq("/comments"))},
		{name: "api-lifecycle", kind: domain.ChannelScreen, complete: true, perRequest: true, read: api(apiReq("/lifecycle"))},
		{name: "api-hrddp", kind: domain.ChannelScreen, complete: true, perRequest: true, read: api(apiReq("/hrddp")), hrddpRecord: true},
		{name: "hrddp-page", kind: domain.ChannelScreen, complete: true, perRequest: true, read: web(req("/hrddp")), hrddpRecord: true},
		// Lists and home queues show some requests only: checked for leaks.
		{name: "home", kind: domain.ChannelScreen, read: func(t *testing.T, v reader, _ *built) string { return m.get(t, v.client, "", "/") }},
		{name: "list", kind: domain.ChannelScreen, read: func(t *testing.T, v reader, _ *built) string {
			return m.get(t, v.client, "", "/operations/"+m.op.Code+"/requests")
		}},
		{name: "api-list", kind: domain.ChannelScreen, read: func(t *testing.T, v reader, _ *built) string {
			return m.get(t, nil, v.token, "/api/v1/operations/"+m.op.Code+"/requests")
		}},
		{name: "notifications", kind: domain.ChannelScreen, read: func(t *testing.T, v reader, _ *built) string {
			return m.get(t, v.client, "", "/notifications")
		}},
		{name: "e-mail", kind: domain.ChannelScreen, read: func(_ *testing.T, v reader, _ *built) string {
			var out strings.Builder
			for to, text := range outboxes {
				if strings.Contains(to, v.email) {
					out.WriteString(text)
				}
			}
			return out.String()
		}},
		{name: "csv", kind: domain.ChannelExport, complete: true, read: export("csv", "")},
		{name: "json", kind: domain.ChannelExport, complete: true, read: export("json", "")},
		{name: "xlsx", kind: domain.ChannelExport, complete: true, read: export("xlsx", "")},
		{name: "csv-public", kind: domain.ChannelPublic, complete: true, read: export("csv", "?public=1")},
		{name: "json-public", kind: domain.ChannelPublic, complete: true, read: export("json", "?public=1")},
		{name: "xlsx-public", kind: domain.ChannelPublic, complete: true, read: export("xlsx", "?public=1")},
	}
}

// get reads path with the web session of client, or the API token; any
// answer but a server error is a valid one (a 404 shows nothing).
func (m *visMatrix) get(t *testing.T, client *http.Client, token, path string) string {
	t.Helper()
	rq, err := http.NewRequestWithContext(t.Context(), http.MethodGet, m.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if client == nil {
		client = http.DefaultClient
		rq.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(rq)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode >= 500 {
		t.Fatalf("GET %s: %d", path, resp.StatusCode)
	}
	return string(body)
}

// unzipText returns the text of every part of an XLSX workbook.
func unzipText(t *testing.T, body string) string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader([]byte(body)), int64(len(body)))
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&out, "%s\n", b)
	}
	return out.String()
}
