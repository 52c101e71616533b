package pages_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/cmcoord/cmcoord/internal/i18n"
	"github.com/cmcoord/cmcoord/web/components"
	"github.com/cmcoord/cmcoord/web/pages"
)

// BenchmarkRequestList renders the request list page of 50 rows, as the
// officer's list shows it, into a buffer: the templates' own cost
// (allocations per page), without a database or a network.
func BenchmarkRequestList(b *testing.B) {
	catalog, err := i18n.Load()
	if err != nil {
		b.Fatal(err)
	}
	ctx := i18n.WithLocalizer(context.Background(), catalog.Localizer("fr"))
	ctx = components.WithFormKeys(ctx, func() string { return "k" })
	v := pages.RequestListView{
		Shell: components.Shell{Title: "Demandes", SignedIn: true, UserName: "Olivia Officer", Version: "bench",
			Nav:        []components.NavItem{{Label: "Tableau de bord", URL: "/"}, {Label: "Opérations", URL: "/operations", Current: true}},
			Operations: []components.NavItem{{Label: "NPL-EQ", URL: "/operations/NPL-EQ", Current: true}, {Label: "SDN-CX", URL: "/operations/SDN-CX"}},
			Languages:  []components.Language{{Code: "en", Name: "English"}, {Code: "fr", Name: "Français", Current: true}, {Code: "es", Name: "Español"}, {Code: "ar", Name: "العربية"}},
			Return:     "/operations/NPL-EQ/requests"},
		Code: "NPL-EQ", Name: "Nepal earthquake", OperationURL: "/operations/NPL-EQ", NewURL: "/operations/NPL-EQ/requests/new",
		NextURL: "/operations/NPL-EQ/requests?cursor=abc",
	}
	for i := range 50 {
		ref := fmt.Sprintf("NPL-EQ-%05d", i)
		v.Rows = append(v.Rows, pages.RequestRow{ID: fmt.Sprint(i), Reference: ref, Title: "Helicopter lift to Gorkha & Dhading",
			URL: "/requests/" + ref, Status: pages.StatusBadge{Code: "submitted", Label: "Soumise"}, Priority: "Vitale",
			PriorityCode: "lifesaving", Sectors: "LOG, HEA", Task: "Transport aérien", Organization: "World Food Programme",
			RequiredBy: "12 mai 2026 10:00", Updated: "10 mai 2026 09:12"})
	}
	page := pages.RequestList(v)
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := page.Render(ctx, &buf); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(buf.Len()), "bytes/page")
	if os.Getenv("DUMP_PAGE") != "" {
		_ = os.WriteFile(os.Getenv("DUMP_PAGE"), buf.Bytes(), 0o644)
	}
}
