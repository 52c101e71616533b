package main

import (
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/cmcoord/cmcoord/internal/service"
	"github.com/cmcoord/cmcoord/internal/store"
	"github.com/cmcoord/cmcoord/internal/testutil/testdb"
)

// testServices are the services over a test database, for setting up data
// and checking results the way the faces would.
type testServices struct {
	access    *service.Access
	directory *service.Directory
	requests  *service.Requests
	reviews   *service.Reviews
}

func services(t *testing.T, dbURL string) testServices {
	t.Helper()
	st := store.New(testdb.Pool(t, dbURL))
	log := discardLogger()
	access := service.NewAccess(st, time.Now, log)
	return testServices{access: access, directory: service.NewDirectory(st, access, time.Now, log),
		requests: service.NewRequests(st, time.Now, log), reviews: service.NewReviews(st, time.Now, log, nil)}
}

func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
