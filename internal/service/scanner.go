package service

import (
	"context"
	"strings"

	"github.com/cmcoord/cmcoord/internal/scan"
)

// ClamdScanner is the Scanner over clamd (internal/scan): each document
// streamed to it over INSTREAM as it is read back.
func ClamdScanner(c *scan.Client) Scanner { return clamd{c} }

type clamd struct{ c *scan.Client }

func (s clamd) Scan(ctx context.Context) (ScanSession, error) {
	st, err := s.c.Stream(ctx)
	if err != nil {
		return nil, err
	}
	return clamdSession{st}, nil
}

type clamdSession struct{ s *scan.Stream }

func (s clamdSession) Write(p []byte) (int, error) { return s.s.Write(p) }
func (s clamdSession) Abort()                      { s.s.Abort() }

// Close gives clamd's verdict: the threat's name without the suffix
// clamd adds to signatures ClamAV did not sign (".UNOFFICIAL").
func (s clamdSession) Close() (bool, string, error) {
	res, err := s.s.Close()
	if err != nil {
		return false, "", err
	}
	return res.Clean, strings.TrimSuffix(res.Threat, ".UNOFFICIAL"), nil
}
