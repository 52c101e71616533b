package service_test

import (
	"strings"
	"testing"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/service"
)

func TestDeviceLabel(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ ua, want string }{
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0", "Firefox 128 · Windows"},
		{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
			"Safari 17 · iOS · iPhone"},
		{"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
			"Chrome 131 · Android · Pixel 8"},
		{"curl/8.5.0", "curl 8"},
		{"", ""},
		{"\xff\xfe", ""},
	} {
		if got := service.DeviceLabel(tt.ua); got != tt.want {
			t.Errorf("DeviceLabel(%q) = %q, want %q", tt.ua, got, tt.want)
		}
	}
	if got := service.DeviceLabel(strings.Repeat("Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0 ", 100)); len(got) > domain.MaxDeviceLabel {
		t.Errorf("DeviceLabel of a long User-Agent is %d bytes, want at most %d", len(got), domain.MaxDeviceLabel)
	}
}
