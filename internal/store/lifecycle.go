package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cmcoord/cmcoord/internal/domain"
)

const consentSQL = `SELECT status, authority, channel, date, reference, recorded_by, recorded_at
		FROM consents WHERE request_id = $1`

// GetConsent returns request requestID's consent record, or nil.
func (s *Store) GetConsent(ctx context.Context, requestID int64) (*domain.Consent, error) {
	c, err := scanConsent(s.db.QueryRow(ctx, consentSQL, requestID))
	return c, dbErr(err, "consent of request %d", requestID)
}

// scanConsent reads a consent row; no row is nil.
func scanConsent(row pgx.Row) (*domain.Consent, error) {
	var (
		c    domain.Consent
		date *time.Time
	)
	err := row.Scan(&c.Status, &c.Authority, &c.Channel, &date, &c.Reference, &c.RecordedBy, &c.RecordedAt)
	if err == pgx.ErrNoRows {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	c.Date = deref(date)
	return &c, nil
}

// SaveConsent records (or replaces) request requestID's consent.
func (s *Store) SaveConsent(ctx context.Context, requestID int64, c domain.Consent) error {
	_, err := s.db.Exec(ctx, `INSERT INTO consents (request_id, status, authority, channel, date, reference, recorded_by, recorded_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (request_id) DO UPDATE SET status = $2, authority = $3, channel = $4, date = $5, reference = $6,
		recorded_by = $7, recorded_at = $8`,
		requestID, c.Status, c.Authority, c.Channel, nullTime(c.Date), c.Reference, c.RecordedBy, c.RecordedAt)
	return dbErr(err, "save consent of request %d", requestID)
}

const taskingCols = `id, request_id, provider_iso3, unit, asset_type, asset_count, platform_ref, tasked_by, tasked_at,
	declined_at, decline_reason, decline_reason_code, started_at`

func scanTasking(row pgx.CollectableRow) (domain.Tasking, error) {
	var (
		t                 domain.Tasking
		declined, started *time.Time
	)
	err := row.Scan(&t.ID, &t.RequestID, &t.ProviderISO3, &t.Unit, &t.AssetType, &t.AssetCount, &t.PlatformRef, &t.TaskedBy,
		&t.TaskedAt, &declined, &t.DeclineReason, &t.DeclineReasonCode, &started)
	t.DeclinedAt, t.StartedAt = deref(declined), deref(started)
	return t, err
}

const taskingsSQL = `SELECT ` + taskingCols + ` FROM taskings WHERE request_id = $1 ORDER BY id`

// ListTaskings returns request requestID's taskings, oldest first.
func (s *Store) ListTaskings(ctx context.Context, requestID int64) ([]domain.Tasking, error) {
	rows, _ := s.db.Query(ctx, taskingsSQL, requestID)
	out, err := pgx.CollectRows(rows, scanTasking)
	return out, dbErr(err, "taskings of request %d", requestID)
}

// InsertTasking stores a new live tasking.
func (s *Store) InsertTasking(ctx context.Context, t domain.Tasking) (domain.Tasking, error) {
	rows, _ := s.db.Query(ctx, `INSERT INTO taskings (request_id, provider_iso3, unit, asset_type, asset_count, platform_ref,
		tasked_by, tasked_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING `+taskingCols,
		t.RequestID, t.ProviderISO3, t.Unit, t.AssetType, t.AssetCount, t.PlatformRef, t.TaskedBy, t.TaskedAt)
	out, err := pgx.CollectExactlyOneRow(rows, scanTasking)
	return out, dbErr(err, "insert tasking")
}

// DeclineTasking marks request requestID's live tasking declined, for a
// person's reason or, when code is not "", the system's.
func (s *Store) DeclineTasking(ctx context.Context, requestID int64, at time.Time, reason string, code domain.ReasonCode) error {
	_, err := s.db.Exec(ctx, `UPDATE taskings SET declined_at = $2, decline_reason = $3, decline_reason_code = $4
		WHERE request_id = $1 AND declined_at IS NULL`, requestID, at, reason, code)
	return dbErr(err, "decline tasking of request %d", requestID)
}

// StartTasking records the actual start of request requestID's live tasking.
func (s *Store) StartTasking(ctx context.Context, requestID int64, at time.Time) error {
	_, err := s.db.Exec(ctx, `UPDATE taskings SET started_at = $2 WHERE request_id = $1 AND declined_at IS NULL`, requestID, at)
	return dbErr(err, "start tasking of request %d", requestID)
}

// InsertReport stores an execution report.
func (s *Store) InsertReport(ctx context.Context, r domain.ExecutionReport) (domain.ExecutionReport, error) {
	err := s.db.QueryRow(ctx, `INSERT INTO execution_reports (request_id, report_date, sorties, flight_hours, tonnes, passengers,
		medevacs, people_reached, incidents, notes, reported_by, reported_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
		r.RequestID, r.Date, r.Sorties, r.FlightHours, r.Tonnes, r.Passengers, r.Medevacs, r.PeopleReached, r.Incidents, r.Notes,
		r.ReportedBy, r.ReportedAt).Scan(&r.ID)
	return r, dbErr(err, "insert execution report")
}

const reportsSQL = `SELECT id, request_id, report_date, sorties, flight_hours::float8, tonnes::float8, passengers,
		medevacs, people_reached, incidents, notes, reported_by, reported_at
		FROM execution_reports WHERE request_id = $1 ORDER BY report_date, id`

func scanReport(row pgx.CollectableRow) (domain.ExecutionReport, error) {
	var r domain.ExecutionReport
	err := row.Scan(&r.ID, &r.RequestID, &r.Date, &r.Sorties, &r.FlightHours, &r.Tonnes, &r.Passengers, &r.Medevacs,
		&r.PeopleReached, &r.Incidents, &r.Notes, &r.ReportedBy, &r.ReportedAt)
	return r, err
}

// ListReports returns request requestID's execution reports by date.
func (s *Store) ListReports(ctx context.Context, requestID int64) ([]domain.ExecutionReport, error) {
	rows, _ := s.db.Query(ctx, reportsSQL, requestID)
	out, err := pgx.CollectRows(rows, scanReport)
	return out, dbErr(err, "execution reports of request %d", requestID)
}

// InsertHandover records the hand-over of request requestID.
func (s *Store) InsertHandover(ctx context.Context, requestID int64, h domain.Handover) error {
	_, err := s.db.Exec(ctx, `INSERT INTO handovers (request_id, organization, date, reason, recorded_by, recorded_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, requestID, h.Organization, h.Date, h.Reason, h.RecordedBy, h.RecordedAt)
	return dbErr(err, "insert hand-over of request %d", requestID)
}

const handoverSQL = `SELECT organization, date, reason, recorded_by, recorded_at FROM handovers WHERE request_id = $1`

// GetHandover returns request requestID's hand-over, or nil.
func (s *Store) GetHandover(ctx context.Context, requestID int64) (*domain.Handover, error) {
	h, err := scanHandover(s.db.QueryRow(ctx, handoverSQL, requestID))
	return h, dbErr(err, "hand-over of request %d", requestID)
}

// scanHandover reads a hand-over row; no row is nil.
func scanHandover(row pgx.Row) (*domain.Handover, error) {
	var h domain.Handover
	err := row.Scan(&h.Organization, &h.Date, &h.Reason, &h.RecordedBy, &h.RecordedAt)
	if err == pgx.ErrNoRows {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &h, nil
}

const assessmentCols = `a.request_id, a.receiving_entity, a.support_description, a.support_category, a.grave_violations,
	a.accountability, a.risk_level, a.benefits_and_risks, a.mitigation, a.communication, a.monitoring_plan,
	a.intervention_process, a.outcome, a.country_mechanism_ref, a.assessed_by, u.name, a.assessed_at`

const assessmentSQL = `SELECT ` + assessmentCols + ` FROM hrddp_assessments a JOIN users u ON u.id = a.assessed_by
		WHERE a.request_id = $1`

// GetAssessment returns request requestID's HRDDP assessment, or nil.
func (s *Store) GetAssessment(ctx context.Context, requestID int64) (*domain.Assessment, error) {
	a, err := scanAssessment(s.db.QueryRow(ctx, assessmentSQL, requestID))
	return a, dbErr(err, "HRDDP assessment of request %d", requestID)
}

// scanAssessment reads an assessment row; no row is nil.
func scanAssessment(row pgx.Row) (*domain.Assessment, error) {
	var a domain.Assessment
	err := row.Scan(&a.RequestID, &a.ReceivingEntity, &a.SupportDescription, &a.SupportCategory,
		&a.GraveViolations, &a.Accountability, &a.RiskLevel, &a.BenefitsAndRisks, &a.Mitigation, &a.Communication,
		&a.MonitoringPlan, &a.InterventionProcess, &a.Outcome, &a.CountryMechanismRef, &a.AssessedBy, &a.AssessedByName, &a.AssessedAt)
	if err == pgx.ErrNoRows {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &a, nil
}

// SaveAssessment records (or revises) request requestID's assessment.
func (s *Store) SaveAssessment(ctx context.Context, a domain.Assessment) error {
	_, err := s.db.Exec(ctx, `INSERT INTO hrddp_assessments (request_id, receiving_entity, support_description, support_category,
		grave_violations, accountability, risk_level, benefits_and_risks, mitigation, communication, monitoring_plan,
		intervention_process, outcome, country_mechanism_ref, assessed_by, assessed_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
		ON CONFLICT (request_id) DO UPDATE SET receiving_entity = $2, support_description = $3, support_category = $4,
		grave_violations = $5, accountability = $6, risk_level = $7, benefits_and_risks = $8, mitigation = $9,
		communication = $10, monitoring_plan = $11, intervention_process = $12, outcome = $13, country_mechanism_ref = $14,
		assessed_by = $15, assessed_at = $16`,
		a.RequestID, a.ReceivingEntity, a.SupportDescription, a.SupportCategory, a.GraveViolations, a.Accountability,
		a.RiskLevel, a.BenefitsAndRisks, a.Mitigation, a.Communication, a.MonitoringPlan, a.InterventionProcess, a.Outcome,
		a.CountryMechanismRef, a.AssessedBy, a.AssessedAt)
	return dbErr(err, "save HRDDP assessment of request %d", a.RequestID)
}

// AssessedRequests reports which of ids have an HRDDP assessment.
func (s *Store) AssessedRequests(ctx context.Context, ids []int64) (map[int64]bool, error) {
	rows, _ := s.db.Query(ctx, `SELECT request_id FROM hrddp_assessments WHERE request_id = ANY ($1)`, ids)
	got, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, dbErr(err, "assessed requests")
	}
	out := make(map[int64]bool, len(got))
	for _, id := range got {
		out[id] = true
	}
	return out, nil
}
