package config_test

import (
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/cmcoord/cmcoord/internal/config"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestLoad(t *testing.T) {
	t.Parallel()
	t.Run("Defaults", func(t *testing.T) {
		t.Parallel()
		c, rest, err := config.Load("serve", nil, env(nil), io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		if c.Addr != "127.0.0.1:8080" || c.LogLevel != slog.LevelInfo || c.LogFormat != "auto" ||
			c.NoMigrate || c.KeepDB || c.DataDir != ".data" || c.ShutdownTimeout != 20*time.Second || len(rest) != 0 ||
			c.SMTPURL != "" || c.BaseURL != "http://127.0.0.1:8080" || c.ReviewReminder != 12*time.Hour ||
			c.ReviewJobInterval != time.Minute || c.SessionIdle != 2*time.Hour || c.SessionLifetime != 12*time.Hour || c.MetricsAddr != "" || c.MetricsToken != "" ||
			c.DB != (config.DBSettings{MaxConns: 10, ConnectTimeout: 5 * time.Second, StatementTimeout: 30 * time.Second,
				LockTimeout: 5 * time.Second, Wait: time.Minute}) {
			t.Fatalf("Load defaults = %+v, rest %v", c, rest)
		}
	})
	t.Run("BaseURLFollowsAddr", func(t *testing.T) {
		t.Parallel()
		for addr, want := range map[string]string{"127.0.0.1:8093": "http://127.0.0.1:8093", "127.0.0.1:0": ""} {
			c, _, err := config.Load("serve", []string{"-addr", addr}, env(nil), io.Discard)
			if err != nil || c.BaseURL != want {
				t.Errorf("-addr %s: BaseURL = %q, %v; want %q", addr, c.BaseURL, err, want)
			}
		}
	})
	t.Run("EnvFallback", func(t *testing.T) {
		t.Parallel()
		c, _, err := config.Load("serve", nil, env(map[string]string{
			"CMCOORD_ADDR": "0.0.0.0:9000", "DATABASE_URL": "postgres://x/y", "CMCOORD_LOG_LEVEL": "debug",
			"CMCOORD_NO_MIGRATE": "true", "CMCOORD_TRUSTED_PROXIES": "1",
			"SMTP_URL": "smtps://u:p@mail.example.org?from=cmcoord@example.org", "BASE_URL": "https://cmcoord.example.org/",
			"CMCOORD_REVIEW_REMINDER": "6h", "CMCOORD_REVIEW_JOB_INTERVAL": "5s", "CMCOORD_SESSION_IDLE": "30m", "CMCOORD_SESSION_LIFETIME": "8h",
			"CMCOORD_METRICS_ADDR": "127.0.0.1:9464", "CMCOORD_METRICS_TOKEN": "0123456789abcdef",
		}), io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		if c.Addr != "0.0.0.0:9000" || c.DatabaseURL != "postgres://x/y" || c.LogLevel != slog.LevelDebug || !c.NoMigrate || c.TrustedProxies != 1 ||
			c.SMTPURL != "smtps://u:p@mail.example.org?from=cmcoord@example.org" || c.BaseURL != "https://cmcoord.example.org" ||
			c.ReviewReminder != 6*time.Hour || c.ReviewJobInterval != 5*time.Second || c.SessionIdle != 30*time.Minute || c.SessionLifetime != 8*time.Hour ||
			c.MetricsAddr != "127.0.0.1:9464" || c.MetricsToken != "0123456789abcdef" {
			t.Fatalf("Load from env = %+v", c)
		}
	})
	t.Run("FlagsBeatEnv", func(t *testing.T) {
		t.Parallel()
		c, rest, err := config.Load("migrate", []string{"-addr", "127.0.0.1:0", "-no-migrate=false", "-keep-db",
			"-smtp-url", "smtp://127.0.0.1:2525?from=a@example.org", "-base-url", "http://localhost:9000", "down", "2"},
			env(map[string]string{"CMCOORD_ADDR": "0.0.0.0:9000", "CMCOORD_NO_MIGRATE": "true",
				"SMTP_URL": "smtp://mail.example.org?from=b@example.org", "BASE_URL": "https://cmcoord.example.org"}), io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		if c.Addr != "127.0.0.1:0" || c.NoMigrate || !c.KeepDB || c.SMTPURL != "smtp://127.0.0.1:2525?from=a@example.org" ||
			c.BaseURL != "http://localhost:9000" {
			t.Fatalf("Load = %+v", c)
		}
		if strings.Join(rest, " ") != "down 2" {
			t.Fatalf("rest = %q, want [down 2]", rest)
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		t.Parallel()
		_, _, err := config.Load("serve", []string{"-log-level", "loud", "-log-format", "xml", "-addr", "nowhere", "-trusted-proxies", "-1",
			"-smtp-url", "smtp://user:hunter2@mail.example.org", "-base-url", "cmcoord.example.org", "-review-reminder", "soon",
			"-review-job-interval", "1ms", "-session-idle", "30s", "-session-lifetime", "forever", "-metrics-addr", "9464", "-metrics-token", "hunter3",
			"-no-cache=maybe", "-clamd-addr", "clamd.ctl"}, env(nil), io.Discard)
		if err == nil {
			t.Fatal("Load = nil error, want one naming each bad flag")
		}
		if strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "hunter3") {
			t.Errorf("error %q shows the SMTP password or the metrics token", err)
		}
		for _, want := range []string{"-log-level", "-log-format", "-addr", "-trusted-proxies", "-smtp-url", "-base-url", "-review-reminder",
			"-review-job-interval", "-session-idle", "-session-lifetime", "-metrics-addr", "-metrics-token", "-no-cache", "-clamd-addr"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not name %s", err, want)
			}
		}
	})
	t.Run("ProfilerOnlyOnTheMetricsListener", func(t *testing.T) {
		t.Parallel()
		if _, _, err := config.Load("serve", []string{"-pprof"}, env(nil), io.Discard); err == nil || !strings.Contains(err.Error(), "-pprof") {
			t.Errorf("-pprof without -metrics-addr: err = %v, want one naming -pprof", err)
		}
		c, _, err := config.Load("serve", []string{"-pprof", "-no-cache", "-metrics-addr", "127.0.0.1:9464"}, env(nil), io.Discard)
		if err != nil || !c.Profiling || !c.NoCache {
			t.Errorf("-pprof -metrics-addr -no-cache: %+v, %v", c, err)
		}
	})
}

// TestLoadClamd: no scanning by default; the address takes scan's forms.
func TestLoadClamd(t *testing.T) {
	t.Parallel()
	c, _, err := config.Load("serve", nil, env(nil), io.Discard)
	if err != nil || c.ClamdAddr != "" {
		t.Fatalf("default ClamdAddr = %q, %v; want empty (no scanning)", c.ClamdAddr, err)
	}
	c, _, err = config.Load("serve", nil, env(map[string]string{"CLAMD_ADDR": "unix:/run/clamav/clamd.ctl"}), io.Discard)
	if err != nil || c.ClamdAddr != "unix:/run/clamav/clamd.ctl" {
		t.Fatalf("from env: ClamdAddr = %q, %v", c.ClamdAddr, err)
	}
	c, _, err = config.Load("serve", []string{"-clamd-addr", "tcp:clamav.internal:3310"},
		env(map[string]string{"CLAMD_ADDR": "unix:/run/clamav/clamd.ctl"}), io.Discard)
	if err != nil || c.ClamdAddr != "tcp:clamav.internal:3310" {
		t.Fatalf("flag over env: ClamdAddr = %q, %v", c.ClamdAddr, err)
	}
	for _, bad := range []string{"/run/clamav/clamd.ctl", "unix:clamd.ctl", "clamav.internal", "tcp:clamav.internal:0"} {
		if _, _, err := config.Load("serve", []string{"-clamd-addr", bad}, env(nil), io.Discard); err == nil || !strings.Contains(err.Error(), "-clamd-addr") {
			t.Errorf("-clamd-addr %s: err = %v, want one naming -clamd-addr", bad, err)
		}
	}
}

// TestLoadInbound: replies by e-mail are off by default; the listener
// needs a reply domain; bad values are named.
func TestLoadInbound(t *testing.T) {
	t.Parallel()
	c, _, err := config.Load("serve", nil, env(nil), io.Discard)
	if err != nil || c.InboundSMTPAddr != "" || c.ReplyDomain != "" || c.InboundMaxBytes != 1<<20 {
		t.Fatalf("defaults = %q %q %d, %v; want off, 1 MiB", c.InboundSMTPAddr, c.ReplyDomain, c.InboundMaxBytes, err)
	}
	c, _, err = config.Load("serve", nil, env(map[string]string{"INBOUND_SMTP_ADDR": ":2525", "REPLY_DOMAIN": "Reply.CMCoord.example.org",
		"INBOUND_SMTP_MAX_BYTES": "65536"}), io.Discard)
	if err != nil || c.InboundSMTPAddr != ":2525" || c.ReplyDomain != "reply.cmcoord.example.org" || c.InboundMaxBytes != 65536 {
		t.Fatalf("from env = %q %q %d, %v", c.InboundSMTPAddr, c.ReplyDomain, c.InboundMaxBytes, err)
	}
	c, _, err = config.Load("serve", []string{"-reply-domain", "r.example.org", "-inbound-smtp-addr", "127.0.0.1:2526"},
		env(map[string]string{"INBOUND_SMTP_ADDR": ":2525", "REPLY_DOMAIN": "x.example.org"}), io.Discard)
	if err != nil || c.InboundSMTPAddr != "127.0.0.1:2526" || c.ReplyDomain != "r.example.org" {
		t.Fatalf("flags over env = %q %q, %v", c.InboundSMTPAddr, c.ReplyDomain, err)
	}
	// A reply domain alone is fine: another instance may run the listener.
	if c, _, err = config.Load("serve", []string{"-reply-domain", "r.example.org"}, env(nil), io.Discard); err != nil || c.InboundSMTPAddr != "" {
		t.Fatalf("-reply-domain alone: %v", err)
	}
	_, _, err = config.Load("serve", []string{"-inbound-smtp-addr", "2525", "-inbound-smtp-max-bytes", "lots"}, env(nil), io.Discard)
	for _, want := range []string{"-inbound-smtp-addr: \"2525\" is not host:port", "needs -reply-domain", "-inbound-smtp-max-bytes"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not say %q", err, want)
		}
	}
	if _, _, err = config.Load("serve", []string{"-reply-domain", "reply@example.org"}, env(nil), io.Discard); err == nil ||
		!strings.Contains(err.Error(), "-reply-domain") {
		t.Errorf("-reply-domain reply@example.org: err = %v", err)
	}
}
