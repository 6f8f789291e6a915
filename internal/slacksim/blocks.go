package slacksim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// Block Kit limits, from Slack's block and element reference.
const (
	maxMessageBlocks = 50
	maxModalBlocks   = 100
	maxBlockID       = 255
	maxActionID      = 255
	maxSectionText   = 3000
	maxSectionField  = 2000
	maxSectionFields = 10
	maxHeaderText    = 150
	maxContextElems  = 10
	maxActionsElems  = 25
	maxButtonText    = 75
	maxButtonValue   = 2000
	maxURL           = 3000
	maxAltText       = 2000
	maxLabel         = 2000
	maxPlaceholder   = 150
	maxOptionText    = 75
	maxOptionValue   = 150
	maxOptions       = 100
	maxOverflowOpts  = 5
	maxChoiceOpts    = 10
	maxMarkdownBlock = 12000
	maxConfirmTitle  = 100
	maxConfirmText   = 300
	maxConfirmButton = 30
)

// blockCheck collects Block Kit violations, each as Slack words them:
// "<problem> [json-pointer:<path>]".
type blockCheck struct {
	errs []string
}

func (b *blockCheck) add(ptr, format string, args ...any) {
	if len(b.errs) < 20 { // Slack reports a handful, not thousands
		b.errs = append(b.errs, fmt.Sprintf(format, args...)+" [json-pointer:"+ptr+"]")
	}
}

// parseBlocks decodes a blocks argument. ok is false when it is not a JSON array of
// objects (Slack's invalid_blocks_format).
func parseBlocks(raw string) ([]map[string]any, bool) {
	dec := json.NewDecoder(bytes.NewReader([]byte(raw)))
	dec.UseNumber()
	var blocks []map[string]any
	if err := dec.Decode(&blocks); err != nil || dec.More() {
		return nil, false
	}
	for _, b := range blocks {
		if b == nil {
			return nil, false
		}
	}
	return blocks, true
}

// checkBlocks validates blocks for a surface ("message" or "modal") and returns the
// violations; root is the JSON pointer of the blocks array.
func checkBlocks(blocks []map[string]any, surface, root string) []string {
	var b blockCheck
	max := maxMessageBlocks
	if surface == "modal" {
		max = maxModalBlocks
	}
	if len(blocks) > max {
		b.add(root, "must be less than %d items", max+1)
	}
	ids := map[string]bool{}
	for i, block := range blocks {
		ptr := root + "/" + strconv.Itoa(i)
		if id, ok := block["block_id"]; ok {
			s, isStr := id.(string)
			switch {
			case !isStr:
				b.add(ptr+"/block_id", "must be a string")
			case utf8.RuneCountInString(s) > maxBlockID:
				b.add(ptr+"/block_id", "must be less than %d characters", maxBlockID+1)
			case ids[s]:
				b.add(ptr+"/block_id", "duplicate block_id")
			default:
				ids[s] = true
			}
		}
		b.block(block, ptr, surface)
	}
	return b.errs
}

func (b *blockCheck) block(block map[string]any, ptr, surface string) {
	typ, _ := block["type"].(string)
	switch typ {
	case "":
		b.add(ptr, "missing required field: type")
	case "section":
		text, hasText := block["text"]
		fields, hasFields := block["fields"]
		if !hasText && !hasFields {
			b.add(ptr, "must provide either text or fields")
		}
		if hasText {
			b.text(text, ptr+"/text", maxSectionText, "")
		}
		if hasFields {
			list, ok := fields.([]any)
			switch {
			case !ok:
				b.add(ptr+"/fields", "must be an array")
			case len(list) == 0:
				b.add(ptr+"/fields", "must provide at least 1 items")
			case len(list) > maxSectionFields:
				b.add(ptr+"/fields", "must be less than %d items", maxSectionFields+1)
			default:
				for i, f := range list {
					b.text(f, ptr+"/fields/"+strconv.Itoa(i), maxSectionField, "")
				}
			}
		}
		if acc, ok := block["accessory"]; ok {
			b.element(acc, ptr+"/accessory", accessoryElement, nil)
		}
	case "header":
		b.required(block, "text", ptr, func(v any) { b.text(v, ptr+"/text", maxHeaderText, "plain_text") })
	case "divider":
	case "context":
		b.list(block, "elements", ptr, 1, maxContextElems, func(v any, p string) {
			if m, ok := v.(map[string]any); ok && m["type"] == "image" {
				b.element(v, p, imageElement, nil)
				return
			}
			b.text(v, p, 0, "")
		})
	case "actions":
		seen := map[string]bool{}
		b.list(block, "elements", ptr, 1, maxActionsElems, func(v any, p string) {
			b.element(v, p, actionsElement, seen)
		})
	case "image":
		b.imageFields(block, ptr)
		if t, ok := block["title"]; ok {
			b.text(t, ptr+"/title", maxLabel, "plain_text")
		}
	case "input":
		b.required(block, "label", ptr, func(v any) { b.text(v, ptr+"/label", maxLabel, "plain_text") })
		b.required(block, "element", ptr, func(v any) { b.element(v, ptr+"/element", inputElement, nil) })
		if h, ok := block["hint"]; ok {
			b.text(h, ptr+"/hint", maxLabel, "plain_text")
		}
	case "markdown":
		if surface != "message" {
			b.add(ptr+"/type", "unsupported type: %s", typ)
			return
		}
		s, ok := block["text"].(string)
		switch {
		case !ok:
			b.add(ptr, "missing required field: text")
		case utf8.RuneCountInString(s) > maxMarkdownBlock:
			b.add(ptr+"/text", "must be less than %d characters", maxMarkdownBlock+1)
		}
	case "rich_text":
		if _, ok := block["elements"].([]any); !ok {
			b.add(ptr, "missing required field: elements")
		}
	default:
		b.add(ptr+"/type", "unsupported type: %s", typ)
	}
}

func (b *blockCheck) required(m map[string]any, field, ptr string, check func(any)) {
	v, ok := m[field]
	if !ok {
		b.add(ptr, "missing required field: %s", field)
		return
	}
	check(v)
}

func (b *blockCheck) list(m map[string]any, field, ptr string, lo, hi int, each func(any, string)) {
	v, ok := m[field]
	if !ok {
		b.add(ptr, "missing required field: %s", field)
		return
	}
	list, ok := v.([]any)
	switch {
	case !ok:
		b.add(ptr+"/"+field, "must be an array")
	case len(list) < lo:
		b.add(ptr+"/"+field, "must provide at least %d items", lo)
	case len(list) > hi:
		b.add(ptr+"/"+field, "must be less than %d items", hi+1)
	default:
		for i, item := range list {
			each(item, ptr+"/"+field+"/"+strconv.Itoa(i))
		}
	}
}

// text validates a composition text object; max 0 means no length limit of its own;
// only, if set, is the one text type allowed.
func (b *blockCheck) text(v any, ptr string, max int, only string) {
	m, ok := v.(map[string]any)
	if !ok {
		b.add(ptr, "must be an object")
		return
	}
	typ, _ := m["type"].(string)
	switch {
	case typ != "plain_text" && typ != "mrkdwn":
		b.add(ptr+"/type", "must be a valid enum value")
		return
	case only != "" && typ != only:
		b.add(ptr+"/type", "must be a valid enum value")
		return
	}
	if _, ok := m["emoji"]; ok && typ != "plain_text" {
		b.add(ptr+"/emoji", "field not allowed for mrkdwn")
	}
	if _, ok := m["verbatim"]; ok && typ != "mrkdwn" {
		b.add(ptr+"/verbatim", "field not allowed for plain_text")
	}
	s, ok := m["text"].(string)
	switch n := utf8.RuneCountInString(s); {
	case !ok:
		b.add(ptr, "missing required field: text")
	case n == 0:
		b.add(ptr+"/text", "must be more than 0 characters")
	case max > 0 && n > max:
		b.add(ptr+"/text", "must be less than %d characters", max+1)
	}
}

func (b *blockCheck) maxLen(m map[string]any, field, ptr string, max int) {
	v, ok := m[field]
	if !ok {
		return
	}
	s, isStr := v.(string)
	switch {
	case !isStr:
		b.add(ptr+"/"+field, "must be a string")
	case utf8.RuneCountInString(s) > max:
		b.add(ptr+"/"+field, "must be less than %d characters", max+1)
	}
}

func (b *blockCheck) imageFields(m map[string]any, ptr string) {
	_, hasURL := m["image_url"]
	_, hasFile := m["slack_file"]
	if !hasURL && !hasFile {
		b.add(ptr, "missing required field: image_url")
	}
	b.maxLen(m, "image_url", ptr, maxURL)
	if _, ok := m["alt_text"].(string); !ok {
		b.add(ptr, "missing required field: alt_text")
	}
	b.maxLen(m, "alt_text", ptr, maxAltText)
}

// accessoryElement, actionsElement and inputElement say where each element type may
// appear.
func accessoryElement(typ string) bool {
	switch typ {
	case "button", "checkboxes", "datepicker", "image", "overflow", "radio_buttons", "timepicker",
		"static_select", "users_select", "conversations_select", "channels_select", "external_select",
		"multi_static_select", "multi_users_select", "multi_conversations_select",
		"multi_channels_select", "multi_external_select":
		return true
	}
	return false
}

func actionsElement(typ string) bool {
	switch typ {
	case "image":
		return false
	case "datetimepicker", "plain_text_input", "rich_text_input":
		return true
	}
	return accessoryElement(typ)
}

func inputElement(typ string) bool {
	switch typ {
	case "button", "image", "overflow":
		return false
	case "datetimepicker", "email_text_input", "number_input", "plain_text_input",
		"rich_text_input", "url_text_input", "file_input":
		return true
	}
	return accessoryElement(typ)
}

func imageElement(typ string) bool { return typ == "image" }

// element validates an interactive (or image) element; actionIDs, when not nil,
// enforces unique action_ids within the containing block.
func (b *blockCheck) element(v any, ptr string, allowed func(string) bool, actionIDs map[string]bool) {
	m, ok := v.(map[string]any)
	if !ok {
		b.add(ptr, "must be an object")
		return
	}
	typ, _ := m["type"].(string)
	if typ == "" {
		b.add(ptr, "missing required field: type")
		return
	}
	if !allowed(typ) {
		b.add(ptr+"/type", "unsupported type: %s", typ)
		return
	}
	if id, ok := m["action_id"]; ok {
		s, isStr := id.(string)
		switch {
		case !isStr:
			b.add(ptr+"/action_id", "must be a string")
		case utf8.RuneCountInString(s) > maxActionID:
			b.add(ptr+"/action_id", "must be less than %d characters", maxActionID+1)
		case actionIDs != nil && actionIDs[s]:
			b.add(ptr+"/action_id", "duplicate action_id")
		case actionIDs != nil:
			actionIDs[s] = true
		}
	}
	if p, ok := m["placeholder"]; ok {
		b.text(p, ptr+"/placeholder", maxPlaceholder, "plain_text")
	}
	if c, ok := m["confirm"]; ok {
		b.confirm(c, ptr+"/confirm")
	}
	switch typ {
	case "button":
		b.required(m, "text", ptr, func(t any) { b.text(t, ptr+"/text", maxButtonText, "plain_text") })
		b.maxLen(m, "value", ptr, maxButtonValue)
		b.maxLen(m, "url", ptr, maxURL)
		if st, ok := m["style"]; ok && st != "primary" && st != "danger" {
			b.add(ptr+"/style", "must be a valid enum value")
		}
	case "image":
		b.imageFields(m, ptr)
	case "static_select", "multi_static_select":
		_, hasOpts := m["options"]
		_, hasGroups := m["option_groups"]
		switch {
		case hasOpts:
			b.list(m, "options", ptr, 1, maxOptions, func(o any, p string) { b.option(o, p, "plain_text") })
		case hasGroups:
			b.list(m, "option_groups", ptr, 1, maxOptions, func(g any, p string) {
				gm, ok := g.(map[string]any)
				if !ok {
					b.add(p, "must be an object")
					return
				}
				b.required(gm, "label", p, func(l any) { b.text(l, p+"/label", maxOptionText, "plain_text") })
				b.list(gm, "options", p, 1, maxOptions, func(o any, op string) { b.option(o, op, "plain_text") })
			})
		default:
			b.add(ptr, "missing required field: options")
		}
	case "overflow":
		b.list(m, "options", ptr, 1, maxOverflowOpts, func(o any, p string) { b.option(o, p, "plain_text") })
	case "checkboxes", "radio_buttons":
		b.list(m, "options", ptr, 1, maxChoiceOpts, func(o any, p string) { b.option(o, p, "") })
	case "plain_text_input":
		if n, ok := m["max_length"].(json.Number); ok {
			if v, err := n.Int64(); err != nil || v < 1 || v > 3000 {
				b.add(ptr+"/max_length", "must be between 1 and 3000")
			}
		}
	}
}

func (b *blockCheck) option(v any, ptr, only string) {
	m, ok := v.(map[string]any)
	if !ok {
		b.add(ptr, "must be an object")
		return
	}
	b.required(m, "text", ptr, func(t any) { b.text(t, ptr+"/text", maxOptionText, only) })
	if _, ok := m["value"].(string); !ok {
		b.add(ptr, "missing required field: value")
	}
	b.maxLen(m, "value", ptr, maxOptionValue)
	if d, ok := m["description"]; ok {
		b.text(d, ptr+"/description", maxOptionText, only)
	}
}

func (b *blockCheck) confirm(v any, ptr string) {
	m, ok := v.(map[string]any)
	if !ok {
		b.add(ptr, "must be an object")
		return
	}
	b.required(m, "title", ptr, func(t any) { b.text(t, ptr+"/title", maxConfirmTitle, "plain_text") })
	b.required(m, "text", ptr, func(t any) { b.text(t, ptr+"/text", maxConfirmText, "") })
	b.required(m, "confirm", ptr, func(t any) { b.text(t, ptr+"/confirm", maxConfirmButton, "plain_text") })
	b.required(m, "deny", ptr, func(t any) { b.text(t, ptr+"/deny", maxConfirmButton, "plain_text") })
}

// invalidBlocks is Slack's answer to blocks that break the rules.
func invalidBlocks(errs []string) *apiError {
	meta := make([]string, len(errs))
	for i, e := range errs {
		meta[i] = "[ERROR] " + e
	}
	return &apiError{code: "invalid_blocks", extra: obj{"errors": errs, "response_metadata": obj{"messages": meta}}}
}
