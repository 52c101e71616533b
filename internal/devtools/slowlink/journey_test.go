package main

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
)

func TestJourneyTotals(t *testing.T) {
	j := journey{form: "guided form", visit: "cold", loads: []load{
		// The form opened: the page and the stylesheet.
		{path: "/operations/X/requests/new/steps", t: timing{Load: 1500.5, Nav: 4000, Resources: 6000, Count: 1, Fetched: 1}},
		// A step posted: the 303 and the next step, the stylesheet cached.
		{path: "/requests/7/steps/task", sent: 700, t: timing{Load: 900, Nav: 3000, Redirects: 1, Count: 1}},
		{path: "/requests/7", sent: 80, t: timing{Load: 850.25, Nav: 5000, Redirects: 1}},
	}}
	got := j.totals()
	want := journeyTotals{pages: 3, requests: 6, sent: 780, html: 12000, resources: 6000, waiting: 3250.75}
	if got != want {
		t.Errorf("totals = %+v, want %+v", got, want)
	}
	if got := (journey{}).totals(); got != (journeyTotals{}) {
		t.Errorf("totals of no loads = %+v", got)
	}

	var out bytes.Buffer
	reportJourneys(&out, []journey{j})
	for _, s := range []string{"guided form", "3251 ms", "1084 ms", "18000", "/requests/7/steps/task"} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("report lacks %q:\n%s", s, out.String())
		}
	}
}

func TestFills(t *testing.T) {
	values := journeyValues(time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC))
	if got := values["required_by"]; got != "2026-12-11T12:00" {
		t.Errorf("required_by = %q, want five days on", got)
	}
	// Every item the requester answers is answered with what meets it; a
	// note with a value is set; the sector is ticked; what the tool has no
	// value for is left alone.
	var names []string
	for _, it := range domain.Checklist {
		names = append(names, "checklist."+it.ID, "checklist."+it.ID+".note")
	}
	names = append(names, "sectors", "title", "origin.name")
	got := fills(names, values)
	for _, it := range domain.Checklist {
		click := fill{click: "checklist." + it.ID + "-" + it.Meets}
		if want := it.Meets != "" && !it.ByOfficer; slices.Contains(got, click) != want {
			t.Errorf("%s: clicks %s = %v, want %v", it.ID, click.click, !want, want)
		}
		note := "checklist." + it.ID + ".note"
		if v := values[note]; v != "" && !slices.Contains(got, fill{name: note, value: v}) {
			t.Errorf("%s: note not set", it.ID)
		}
	}
	for _, want := range []fill{{click: "sector-SHL"}, {name: "title", value: values["title"]}} {
		if !slices.Contains(got, want) {
			t.Errorf("fills lacks %+v", want)
		}
	}
	for _, f := range got {
		if f.name == "origin.name" {
			t.Errorf("fills sets origin.name, which it has no value for")
		}
	}
}
