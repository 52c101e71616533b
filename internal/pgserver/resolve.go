package pgserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os/user"
	"slices"
)

// ResolveOptions configures Resolve.
type ResolveOptions struct {
	// DatabaseURL, normally from DATABASE_URL, is used as-is when set: it is
	// only pinged, and an unreachable server is an error (no fallback).
	DatabaseURL string
	// LocalURLs are admin URLs of a server that may already run on this
	// machine. When nil they default to
	// postgres://<OS user>@127.0.0.1:5432/postgres?sslmode=disable and
	// postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable.
	LocalURLs []string
	// DataDir is the private cluster's data directory; default
	// ".data/postgres".
	DataDir string
	// DBName is the database to use; default "cmcoord".
	DBName string
	// Out receives progress lines and the one-line summary; nil discards.
	Out io.Writer
	// Log receives diagnostics; nil discards them.
	Log *slog.Logger
}

// Resolve finds the database to use, in this order: opt.DatabaseURL; a
// server answering one of opt.LocalURLs (database opt.DBName is created
// there when missing); otherwise a private cluster in opt.DataDir
// (EnsureBinaries, StartCluster, EnsureDatabase). It returns the database
// URL and the private cluster it started or reused, or nil when none is
// used; the caller may Stop the cluster (a no-op unless it was started
// here). It writes one line to opt.Out naming the source used.
func Resolve(ctx context.Context, opt ResolveOptions) (dbURL string, cluster *Cluster, err error) {
	out := opt.Out
	if out == nil {
		out = io.Discard
	}
	log := opt.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if opt.DataDir == "" {
		opt.DataDir = ".data/postgres"
	}
	if opt.DBName == "" {
		opt.DBName = "cmcoord"
	}

	if opt.DatabaseURL != "" {
		if err := Ping(ctx, opt.DatabaseURL); err != nil {
			return "", nil, fmt.Errorf("pgserver: DATABASE_URL is set but unusable: %w", err)
		}
		fmt.Fprintf(out, "database: DATABASE_URL (%s)\n", redact(opt.DatabaseURL))
		return opt.DatabaseURL, nil, nil
	}

	locals := opt.LocalURLs
	if locals == nil {
		locals = defaultLocalURLs()
	}
	for _, local := range locals {
		if err := Ping(ctx, local); err != nil {
			log.Debug("no usable local PostgreSQL", "url", redact(local), "err", err)
			continue
		}
		dbURL, err := EnsureDatabase(ctx, local, opt.DBName)
		if err != nil {
			log.Warn("local PostgreSQL answers but the database cannot be prepared; trying the next option", "url", redact(local), "err", err)
			continue
		}
		fmt.Fprintf(out, "database: local server (%s)\n", redact(dbURL))
		return dbURL, nil, nil
	}

	if _, err := EnsureBinaries(ctx, out); err != nil {
		return "", nil, err
	}
	c, err := StartCluster(ctx, ClusterOptions{Dir: opt.DataDir, Out: out, Log: log})
	if err != nil {
		return "", nil, err
	}
	dbURL, err = EnsureDatabase(ctx, c.URL, opt.DBName)
	if err != nil {
		return "", nil, errors.Join(err, c.Stop(context.WithoutCancel(ctx)))
	}
	how := ""
	if !c.StartedHere() {
		how = ", already running"
	}
	fmt.Fprintf(out, "database: private cluster in %s (port %d%s)\n", opt.DataDir, c.Port, how)
	return dbURL, c, nil
}

// defaultLocalURLs returns the admin URLs tried for a server on
// 127.0.0.1:5432: as the current OS user, then as postgres.
func defaultLocalURLs() []string {
	names := []string{}
	if u, err := user.Current(); err == nil && u.Username != "" {
		names = append(names, u.Username)
	}
	if !slices.Contains(names, "postgres") {
		names = append(names, "postgres")
	}
	urls := make([]string, 0, len(names))
	for _, name := range names {
		u := url.URL{
			Scheme:   "postgres",
			User:     url.User(name),
			Host:     "127.0.0.1:5432",
			Path:     "/postgres",
			RawQuery: "sslmode=disable",
		}
		urls = append(urls, u.String())
	}
	return urls
}
