package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/bot/command"
	"github.com/incidentbot/incidentbot/bot/slacktext"
	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/templates"
)

// Callback IDs of the modals the bot opens; view_submission dispatches on them.
const (
	CallbackDeclare = "incident_declare"
	callbackStatus  = "incident_set_status"
	callbackResolve = "incident_resolve_summary"
)

// Block IDs of the modals' inputs (each input's action_id equals its block_id).
// Validation errors are reported against them.
const (
	BlockTitle       = "title"
	BlockSeverity    = "severity"
	BlockDescription = "description"
	blockStatus      = "status"
	blockSummary     = "summary"
)

// Input limits of the modals.
const (
	maxModalDescription = 3000
	maxModalSummary     = 3000
	maxPrivateMetadata  = 3000
)

// modalMeta travels in a modal's private_metadata: the incident, where the
// modal was opened from, and the response_url to report back on.
type modalMeta struct {
	Incident    int64  `json:"n,omitempty"`
	Channel     string `json:"c,omitempty"`
	ResponseURL string `json:"r,omitempty"`
}

func (m modalMeta) encode() string {
	b, _ := json.Marshal(m)
	if len(b) > maxPrivateMetadata { // cannot happen with Slack's short URLs; drop the URL rather than fail
		m.ResponseURL = ""
		b, _ = json.Marshal(m)
	}
	return string(b)
}

func decodeMeta(s string) (modalMeta, error) {
	var m modalMeta
	if s == "" {
		return m, nil
	}
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return m, fmt.Errorf("decode private_metadata: %w", err)
	}
	return m, nil
}

// openModal opens view with a trigger_id, which Slack accepts for 3 seconds only.
func (h *Handler) openModal(ctx context.Context, triggerID string, view slack.ModalViewRequest) error {
	if triggerID == "" {
		return errors.New("no trigger_id to open a form with")
	}
	if _, err := h.api.OpenViewContext(ctx, triggerID, view); err != nil {
		return fmt.Errorf("views.open %s: %w", view.CallbackID, err)
	}
	return nil
}

func textInput(blockID, label string, multiline bool, initial string) *slack.InputBlock {
	el := slack.NewPlainTextInputBlockElement(nil, blockID)
	el.Multiline = multiline
	if initial != "" {
		el.InitialValue = templates.CleanText(initial)
	}
	return slack.NewInputBlock(blockID, plain(label), nil, el)
}

func modal(l Lang, callbackID, title, submit string, meta modalMeta, blocks ...slack.Block) slack.ModalViewRequest {
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		Title:           plain(title),
		Submit:          plain(submit),
		Close:           plain(l.Text("modal.cancel", nil)),
		Blocks:          slack.Blocks{BlockSet: blocks},
		CallbackID:      callbackID,
		PrivateMetadata: meta.encode(),
	}
}

// declareModalIn asks, in l, for a title, a severity (preselected, else the
// least severe) and an optional description.
func declareModalIn(l Lang, severities []string, preselect string, meta modalMeta) slack.ModalViewRequest {
	opts := make([]*slack.OptionBlockObject, len(severities))
	var initial *slack.OptionBlockObject
	for i, s := range severities {
		opts[i] = slack.NewOptionBlockObject(s, plain(s), nil)
		if strings.EqualFold(s, preselect) {
			initial = opts[i]
		}
	}
	if initial == nil && len(opts) > 0 {
		initial = opts[len(opts)-1]
	}
	sel := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain(l.Text("modal.severity", nil)), BlockSeverity, opts...)
	sel.InitialOption = initial
	desc := textInput(BlockDescription, l.Text("modal.description", nil), true, "")
	desc.Optional = true
	return modal(l, CallbackDeclare, l.Text("modal.declare_title", nil), l.Text("modal.declare_submit", nil), meta,
		textInput(BlockTitle, l.Text("modal.title", nil), false, ""),
		slack.NewInputBlock(BlockSeverity, plain(l.Text("modal.severity", nil)), nil, sel),
		desc,
	)
}

// statusChoices are the statuses a person may set.
var statusChoices = []incidents.Status{
	incidents.StatusInvestigating, incidents.StatusIdentified, incidents.StatusMonitoring, incidents.StatusResolved,
}

// statusModal asks for the new status of inc.
func statusModal(l Lang, inc *incidents.Incident, meta modalMeta) slack.ModalViewRequest {
	opts := make([]*slack.OptionBlockObject, len(statusChoices))
	sel := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain(l.Text("modal.status_placeholder", nil)), blockStatus)
	for i, s := range statusChoices {
		opts[i] = slack.NewOptionBlockObject(string(s), plain(statusName(l, s)), nil)
		if s == inc.Status {
			sel.InitialOption = opts[i]
		}
	}
	sel.Options = opts
	return modal(l, callbackStatus, l.Text("modal.status_title", nil), l.Text("modal.status_submit", nil), meta,
		mrkdwnSection(fmt.Sprintf("*#%d* %s", inc.Number, slacktext.Escape(slacktext.Truncate(oneLine(inc.Title), 200)))),
		slack.NewInputBlock(blockStatus, plain(l.Text("modal.new_status", nil)), nil, sel),
	)
}

// resolveModalIn asks, in l, for the resolution summary of inc.
func resolveModalIn(l Lang, inc *incidents.Incident, meta modalMeta) slack.ModalViewRequest {
	return modal(l, callbackResolve, l.Text("modal.resolve_title", nil), l.Text("modal.resolve_submit", nil), meta,
		mrkdwnSection(fmt.Sprintf("*#%d* %s", inc.Number, slacktext.Escape(slacktext.Truncate(oneLine(inc.Title), 200)))),
		textInput(blockSummary, l.Text("modal.summary", nil), true, ""),
	)
}

// declareInput is a validated declare form.
type declareInput struct {
	Title, Severity, Description string
}

// stateValue returns the value of one input in a submitted view.
func stateValue(v slack.View, blockID string) string {
	if v.State == nil {
		return ""
	}
	a, ok := v.State.Values[blockID][blockID]
	if !ok {
		return ""
	}
	if a.SelectedOption.Value != "" {
		return a.SelectedOption.Value
	}
	return a.Value
}

// validateDeclareIn checks a submitted declare form; errs is keyed by block
// ID, in l.
func validateDeclareIn(l Lang, v slack.View, severities []string) (declareInput, map[string]string) {
	in := declareInput{
		Title:       strings.Join(strings.Fields(stateValue(v, BlockTitle)), " "),
		Severity:    stateValue(v, BlockSeverity),
		Description: strings.TrimSpace(stateValue(v, BlockDescription)),
	}
	errs := map[string]string{}
	switch n := utf8.RuneCountInString(in.Title); {
	case n == 0:
		errs[BlockTitle] = l.Text("modal.title_empty", nil)
	case n > incidents.MaxTitle:
		errs[BlockTitle] = l.Text("modal.title_long", M{"Max": incidents.MaxTitle, "Count": n})
	}
	if in.Severity != "" {
		sev, ok := command.MatchSeverity(in.Severity, severities)
		if !ok {
			errs[BlockSeverity] = l.Text("modal.severity_pick", strings.Join(severities, ", "))
		}
		in.Severity = sev
	}
	if utf8.RuneCountInString(in.Description) > maxModalDescription {
		errs[BlockDescription] = l.Text("modal.description_long", maxModalDescription)
	}
	return in, errs
}

// validateStatus checks a submitted status form; the error is in l.
func validateStatus(l Lang, v slack.View) (incidents.Status, map[string]string) {
	st, err := incidents.ParseStatus(stateValue(v, blockStatus))
	if err != nil {
		return "", map[string]string{blockStatus: l.Text("modal.status_pick", nil)}
	}
	return st, nil
}

// validateSummary checks a submitted resolve form; the errors are in l.
func validateSummary(l Lang, v slack.View) (string, map[string]string) {
	s := strings.TrimSpace(stateValue(v, blockSummary))
	switch n := utf8.RuneCountInString(s); {
	case n == 0:
		return "", map[string]string{blockSummary: l.Text("modal.summary_empty", nil)}
	case n > maxModalSummary:
		return "", map[string]string{blockSummary: l.Text("modal.summary_long", maxModalSummary)}
	}
	return s, nil
}

// incidentFromValue reads a button's value, the incident number.
func incidentFromValue(v string) (int64, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("button value %q is not an incident number", slacktext.Truncate(v, 20))
	}
	return n, nil
}
