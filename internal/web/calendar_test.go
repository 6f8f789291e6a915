package web

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestCalendarRoute(t *testing.T) {
	srv := serve(t, testOptions())
	tests := []struct {
		path, wantType, wantBody string
		want                     int
	}{
		{"/oncall/primary.ics", "text/calendar", "X-SCHEDULE:primary;", 200},
		{"/oncall/primary.ics?user=U0002", "text/calendar", "X-SCHEDULE:primary;U0002", 200},
		{"/oncall/primary.ics?user=<script>", "application/json", "Slack user ID", 400},
		{"/oncall/nope.ics", "application/json", "no schedule", 404},
		{"/oncall/primary", "application/json", "calendars are /oncall/", 404},
	}
	for _, tt := range tests {
		resp, err := http.Get(srv.URL + tt.path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.want || !strings.HasPrefix(resp.Header.Get("Content-Type"), tt.wantType) || !strings.Contains(string(body), tt.wantBody) {
			t.Errorf("GET %s = %d %s %q, want %d %s containing %q", tt.path, resp.StatusCode, resp.Header.Get("Content-Type"), body, tt.want, tt.wantType, tt.wantBody)
		}
	}
}
