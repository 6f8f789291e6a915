package app

import (
	"context"
	"strings"
	"testing"
)

func TestOncallWebProvider(t *testing.T) {
	h := newHarness(t, harnessOptions{manual: true, config: withPaging})
	ctx := context.Background()
	h.oncall("U0001", "override primary <@U0003> now +2h")
	rows, err := h.app.OncallNow(ctx)
	if err != nil || len(rows) != 2 {
		t.Fatalf("OncallNow = %+v, %v; want two schedules", rows, err)
	}
	if r := rows[0]; r.Schedule != "primary" || r.Now.User != "U0003" || r.Next.User != primaryUser || !r.Next.Start.Equal(h.clock.Now().Add(2*60*60e9)) {
		t.Errorf("primary now/next = %+v, want U0003 now (the override), then %s", r, primaryUser)
	}
	feed, ok, err := h.app.OncallCalendar(ctx, "primary", "")
	if err != nil || !ok {
		t.Fatalf("OncallCalendar = %v, %v", ok, err)
	}
	s := string(feed)
	if !strings.HasPrefix(s, "BEGIN:VCALENDAR\r\n") || strings.Count(s, "BEGIN:VEVENT") < 13 {
		t.Errorf("feed has %d events, want about 13 weeks and the override: %.300s", strings.Count(s, "BEGIN:VEVENT"), s)
	}
	mine, _, _ := h.app.OncallCalendar(ctx, "primary", "U0003")
	if n := strings.Count(string(mine), "BEGIN:VEVENT"); n < 4 || n >= strings.Count(s, "BEGIN:VEVENT") {
		t.Errorf("U0003's feed has %d events, want their shifts only", n)
	}
	if _, ok, _ := h.app.OncallCalendar(ctx, "nope", ""); ok {
		t.Error("OncallCalendar(unknown) ok, want false")
	}
}
