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
			c.NoMigrate || c.KeepDB || c.DataDir != ".data" || c.ShutdownTimeout != 20*time.Second || len(rest) != 0 {
			t.Fatalf("Load defaults = %+v, rest %v", c, rest)
		}
	})
	t.Run("EnvFallback", func(t *testing.T) {
		t.Parallel()
		c, _, err := config.Load("serve", nil, env(map[string]string{
			"CMCOORD_ADDR": "0.0.0.0:9000", "DATABASE_URL": "postgres://x/y", "CMCOORD_LOG_LEVEL": "debug",
			"CMCOORD_NO_MIGRATE": "true", "CMCOORD_TRUSTED_PROXIES": "1",
		}), io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		if c.Addr != "0.0.0.0:9000" || c.DatabaseURL != "postgres://x/y" || c.LogLevel != slog.LevelDebug || !c.NoMigrate || c.TrustedProxies != 1 {
			t.Fatalf("Load from env = %+v", c)
		}
	})
	t.Run("FlagsBeatEnv", func(t *testing.T) {
		t.Parallel()
		c, rest, err := config.Load("migrate", []string{"-addr", "127.0.0.1:0", "-no-migrate=false", "-keep-db", "down", "2"},
			env(map[string]string{"CMCOORD_ADDR": "0.0.0.0:9000", "CMCOORD_NO_MIGRATE": "true"}), io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		if c.Addr != "127.0.0.1:0" || c.NoMigrate || !c.KeepDB {
			t.Fatalf("Load = %+v", c)
		}
		if strings.Join(rest, " ") != "down 2" {
			t.Fatalf("rest = %q, want [down 2]", rest)
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		t.Parallel()
		_, _, err := config.Load("serve", []string{"-log-level", "loud", "-log-format", "xml", "-addr", "nowhere", "-trusted-proxies", "-1"}, env(nil), io.Discard)
		if err == nil {
			t.Fatal("Load = nil error, want one naming each bad flag")
		}
		for _, want := range []string{"-log-level", "-log-format", "-addr", "-trusted-proxies"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not name %s", err, want)
			}
		}
	})
}
