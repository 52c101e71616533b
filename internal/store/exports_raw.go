package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/cmcoord/cmcoord/internal/domain"
)

// An export reads every row of an operation, and pgx's Scan (a scan plan
// per column, reflection on the destinations, an allocation per array
// and per nullable value) was most of the reading time. rawExport
// decodes exportCols straight from the row's raw values in PostgreSQL's
// binary format instead, each column checked against the type and
// format it expects (errRawMismatch otherwise: the caller then scans
// with pgx as before), and interns short repeated texts (codes, the
// checklist's item IDs and answers) so that each is allocated once per
// export, not once per row.

// errRawMismatch: a column is not in the type or format rawExport reads.
var errRawMismatch = errors.New("export row: column not in the expected binary type")

// rawExport decodes the columns of one row in order.
type rawExport struct {
	fds    []pgconn.FieldDescription
	vals   [][]byte
	i      int
	err    error
	intern map[string]string
}

// internMax bounds the interned texts: memory stays flat however many
// distinct values an export meets.
const internMax = 4096

// next returns column i's raw value if it has type oid in binary format.
func (d *rawExport) next(oid uint32) ([]byte, bool) {
	i := d.i
	d.i++
	if d.err != nil {
		return nil, false
	}
	// text is the same bytes in either format
	if i >= len(d.vals) || d.fds[i].DataTypeOID != oid || d.fds[i].Format != pgtype.BinaryFormatCode && oid != pgtype.TextOID {
		d.err = errRawMismatch
		return nil, false
	}
	return d.vals[i], d.vals[i] != nil
}

func (d *rawExport) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("export row, column %d: "+format, append([]any{d.i - 1}, args...)...)
	}
}

// text is a text column; NULL is "".
func (d *rawExport) text() string {
	b, _ := d.next(pgtype.TextOID)
	return string(b)
}

// code is a short text column of few distinct values, interned.
func (d *rawExport) code() string {
	b, _ := d.next(pgtype.TextOID)
	return d.interned(b)
}

func (d *rawExport) interned(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if s, ok := d.intern[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(d.intern) < internMax && len(b) <= 64 {
		d.intern[s] = s
	}
	return s
}

// textPtr is a nullable text column.
func (d *rawExport) textPtr() *string {
	b, ok := d.next(pgtype.TextOID)
	if !ok {
		return nil
	}
	s := d.interned(b)
	return &s
}

func (d *rawExport) int8() int64 {
	b, ok := d.next(pgtype.Int8OID)
	if ok && len(b) != 8 || !ok && d.err == nil {
		d.fail("int8 of %d bytes", len(b))
		return 0
	}
	return int64(binary.BigEndian.Uint64(b))
}

// int4 is an integer column; NULL is reported by ok.
func (d *rawExport) int4() (n int, ok bool) {
	b, ok := d.next(pgtype.Int4OID)
	if !ok {
		return 0, false
	}
	if len(b) != 4 {
		d.fail("int4 of %d bytes", len(b))
		return 0, false
	}
	return int(int32(binary.BigEndian.Uint32(b))), true
}

func (d *rawExport) float8() (f float64, ok bool) {
	b, ok := d.next(pgtype.Float8OID)
	if !ok {
		return 0, false
	}
	if len(b) != 8 {
		d.fail("float8 of %d bytes", len(b))
		return 0, false
	}
	return math.Float64frombits(binary.BigEndian.Uint64(b)), true
}

func (d *rawExport) float8Ptr() *float64 {
	if f, ok := d.float8(); ok {
		return &f
	}
	return nil
}

func (d *rawExport) bool() bool {
	b, ok := d.next(pgtype.BoolOID)
	if ok && len(b) != 1 {
		d.fail("bool of %d bytes", len(b))
		return false
	}
	return ok && b[0] == 1
}

// pgEpoch is PostgreSQL's time zero for timestamps and dates.
var pgEpoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// timestamptz is a timestamptz column as pgx scans it (time.Unix, local
// time zone); NULL is the zero time. Infinities are refused, as pgx
// refuses them into a time.Time.
func (d *rawExport) timestamptz() time.Time {
	b, ok := d.next(pgtype.TimestamptzOID)
	if !ok {
		return time.Time{}
	}
	if len(b) != 8 {
		d.fail("timestamptz of %d bytes", len(b))
		return time.Time{}
	}
	us := int64(binary.BigEndian.Uint64(b))
	if us == math.MaxInt64 || us == math.MinInt64 {
		d.fail("infinite timestamp")
		return time.Time{}
	}
	const epochSecs = 946684800 // 2000-01-01 in Unix seconds
	return time.Unix(epochSecs+us/1_000_000, (us%1_000_000)*1000)
}

// date is a date column as pgx scans it (midnight UTC); NULL is the
// zero time.
func (d *rawExport) date() time.Time {
	b, ok := d.next(pgtype.DateOID)
	if !ok {
		return time.Time{}
	}
	if len(b) != 4 {
		d.fail("date of %d bytes", len(b))
		return time.Time{}
	}
	days := int32(binary.BigEndian.Uint32(b))
	if days == math.MaxInt32 || days == math.MinInt32 {
		d.fail("infinite date")
		return time.Time{}
	}
	return pgEpoch.AddDate(0, 0, int(days))
}

// texts is a one-dimensional text[] column without NULL elements; NULL
// is nil. Elements are interned when intern is set.
func (d *rawExport) texts(intern bool) []string {
	b, ok := d.next(pgtype.TextArrayOID)
	if !ok {
		return nil
	}
	if len(b) < 12 {
		d.fail("text[] of %d bytes", len(b))
		return nil
	}
	ndim := binary.BigEndian.Uint32(b)
	if ndim == 0 {
		return []string{}
	}
	if ndim != 1 || len(b) < 20 || binary.BigEndian.Uint32(b[8:]) != pgtype.TextOID {
		d.fail("text[] of %d dimensions", ndim)
		return nil
	}
	n := int(int32(binary.BigEndian.Uint32(b[12:])))
	b = b[20:]
	out := make([]string, n)
	for k := range out {
		if len(b) < 4 {
			d.fail("text[] cut short")
			return nil
		}
		l := int32(binary.BigEndian.Uint32(b))
		if l < 0 || int(l) > len(b)-4 {
			d.fail("text[] element of length %d", l)
			return nil
		}
		if e := b[4 : 4+l]; intern {
			out[k] = d.interned(e)
		} else {
			out[k] = string(e)
		}
		b = b[4+l:]
	}
	return out
}

// scanExportRaw decodes exportCols as scanExport scans them.
func scanExportRaw(rows pgx.Rows, intern map[string]string) (ExportRecord, error) {
	d := &rawExport{fds: rows.FieldDescriptions(), vals: rows.RawValues(), intern: intern}
	var rec ExportRecord
	r := &rec.Request
	r.ID, r.OperationID, r.Reference, r.Status = d.int8(), d.int8(), d.text(), domain.Status(d.code())
	r.Title, r.RequestingOrgID, r.RequestingOrgName = d.text(), d.int8(), d.code()
	r.Sectors, r.Need = d.texts(true), d.text()
	r.PeopleTargeted, _ = d.int4()
	r.TaskCategory, r.Capability, r.SupportType, r.TaskDescription = domain.TaskCategory(d.code()), d.text(), domain.SupportType(d.code()), d.text()
	r.Origin.Name, r.Origin.Adm1Name, r.Origin.Adm1PCode = d.text(), d.code(), d.code()
	r.Origin.Lat, r.Origin.Lon = d.float8Ptr(), d.float8Ptr()
	r.Destination.Name, r.Destination.Adm1Name, r.Destination.Adm1PCode, r.Destination.Adm2PCode = d.text(), d.code(), d.code(), d.code()
	r.Destination.Lat, r.Destination.Lon = d.float8Ptr(), d.float8Ptr()
	r.RequiredBy = d.timestamptz()
	start, end := d.date(), d.date()
	r.Priority = domain.Priority(d.code())
	r.ExitStrategy.Organization = d.text()
	exitDate := d.code()
	r.POC.Name, r.POC.Email, r.POC.Phone = d.text(), d.text(), d.text()
	r.SubmittedAt, rec.Outcome, rec.DecidedAt = d.timestamptz(), d.code(), d.timestamptz()
	ckIDs, ckValues, ckNotes := d.texts(true), d.texts(true), d.texts(false)
	civOpts, civResults, civNotes := d.texts(true), d.texts(true), d.texts(false)
	r.Complementarity = d.text()
	esc := &r.Escort
	esc.NeedCriticality, esc.ResponsibleAuthority, esc.SecurityAssessment, esc.DiscontinuationPlan = d.text(), d.text(), d.text(), d.text()
	esc.CommonPositionConsulted, esc.Compensation = d.bool(), d.text()
	rec.UNEntity, rec.ExtensionOf, rec.Consent, rec.Assessed = d.bool(), d.text(), d.code(), d.bool()
	provider, unit, assetType := d.textPtr(), d.textPtr(), d.textPtr()
	assetCount, _ := d.int4()
	tasked, declined, started := d.timestamptz(), d.timestamptz(), d.timestamptz()
	handoverOrg, handoverDate := d.textPtr(), d.date()
	tot := &rec.Totals
	rec.Reports, _ = d.int4()
	tot.Sorties, _ = d.int4()
	tot.FlightHours, _ = d.float8()
	tot.Tonnes, _ = d.float8()
	tot.Passengers, _ = d.int4()
	tot.Medevacs, _ = d.int4()
	tot.PeopleReached, _ = d.int4()
	if d.err == nil && d.i != len(d.vals) {
		d.err = errRawMismatch
	}
	if d.err != nil {
		return rec, d.err
	}
	if !start.IsZero() {
		r.StartDate = domain.DateOf(start)
	}
	if !end.IsZero() {
		r.EndDate = domain.DateOf(end)
	}
	if exitDate != "" {
		if t, err := time.Parse(time.DateOnly, exitDate); err == nil { // as scanRequest: a bad date is no date
			r.ExitStrategy.Date = t
		}
	}
	if r.Sectors == nil {
		r.Sectors = []string{}
	}
	var err error
	if r.Checklist, err = checklistOf(ckIDs, ckValues, ckNotes); err != nil {
		return rec, fmt.Errorf("checklist of request %d: %w", r.ID, err)
	}
	if r.CivilianOptions, err = civilianOf(civOpts, civResults, civNotes); err != nil {
		return rec, fmt.Errorf("decode request %d: %w", r.ID, err)
	}
	if provider != nil {
		rec.Tasking = &domain.Tasking{RequestID: r.ID, ProviderISO3: *provider, Unit: *unit, AssetType: *assetType,
			AssetCount: assetCount, TaskedAt: tasked, DeclinedAt: declined, StartedAt: started}
	}
	if handoverOrg != nil {
		rec.Handover = &domain.Handover{Organization: *handoverOrg, Date: handoverDate}
	}
	return rec, nil
}
