package postmortem

import (
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/templates"
)

// The draft says each thing once and calls the incident #7, as everything
// else does: no "Paged: Paged …", no "Postmortem: Postmortem draft …", no
// INC-7, and the facts table has no empty header row.
func TestDraftWordsSayItOnce(t *testing.T) {
	for _, tt := range []struct {
		locale    templates.Locale
		want, not []string
	}{
		{templates.EN,
			[]string{"# Incident #7: Docs site search", "| Incident | [#7](", "Paged: @dave", "Postmortem: draft written: https://",
				"Postmortem: moved to final", "Declared: sev4: Docs site search"},
			[]string{"Declared: Declared", "Paged: Paged", "Postmortem: Postmortem", "INC-7", "| | |"}},
		{templates.RU,
			[]string{"# Инцидент #7: Docs site search", "| Инцидент | [#7](", "Вызов: @dave", "Постмортем: теперь в статусе"},
			[]string{"Вызов: Вызов", "Постмортем: Постмортем", "INC-7", "| | |"}},
	} {
		t.Run(string(tt.locale), func(t *testing.T) {
			in := shortSev4()
			in.Locale = tt.locale
			tl := &timeline{number: 7, events: in.Timeline}
			tl.add(incidents.EventPaged, t0.Add(time.Minute), incidents.ActorBot, "Paged <@U0DAVE>", map[string]string{"user": "U0DAVE", "target": "primary"})
			tl.add(incidents.EventPostmortemWritten, t0.Add(21*time.Minute), incidents.ActorBot,
				"Postmortem draft written: https://incidentbot.example.com/postmortems/7", map[string]string{"url": "https://incidentbot.example.com/postmortems/7"})
			tl.add(incidents.EventPostmortemStatus, t0.Add(22*time.Minute), "U0DAVE", "Postmortem moved to final", map[string]string{"status": "final"})
			in.Timeline = tl.events
			d, err := newDrafter(t, t0.Add(time.Hour)).Draft(in)
			if err != nil {
				t.Fatal(err)
			}
			md := string(d.Markdown)
			for _, w := range tt.want {
				if !strings.Contains(md, w) {
					t.Errorf("the draft lacks %q\n%s", w, md)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(md, n) {
					t.Errorf("the draft says %q", n)
				}
			}
		})
	}
}
