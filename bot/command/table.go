package command

import "strings"

// Who says who may run a verb. The handler enforces it, since the rule
// needs what only it knows: the admins, a schedule's members, an
// incident's commander.
type Who int

// Who may run a verb.
const (
	// Anyone may.
	Anyone Who = iota
	// Closers: who may close the incident (incidents.Service.MayClose):
	// its commander, or an admin.
	Closers
	// ScheduleMembers: with admins configured, an admin or a member of the
	// schedule the command names.
	ScheduleMembers
	// OnCallMembers: with admins configured, an admin or a member of any
	// schedule.
	OnCallMembers
)

// verb is one row of a command's table of verbs.
type verb[V ~string, C any] struct {
	name V // as typed, lowercase; two words for a verb of a verb (override remove)
	// args reads the verb's arguments into the command; nil: it takes none.
	args func(c *C, in input) error
	who  Who
	// onIncident: the verb acts on one incident, so it may take a leading
	// #<number> (/incident only).
	onIncident bool
	// untyped: not a word the user types; the verb is what text that names
	// no verb means (/oncall <schedule>).
	untyped bool
}

// table is one command's verbs, in the order its help shows them.
type table[V ~string, C any] struct {
	oncall bool // whose usage lines: /oncall's, else /incident's
	verbs  []verb[V, C]
}

// find returns the verb toks start with, two-word verbs first, and the
// tokens after it.
func (t *table[V, C]) find(toks []token) (verb[V, C], []token, bool) {
	if len(toks) >= 2 {
		if v, ok := t.lookup(toks[0].text + " " + toks[1].text); ok {
			return v, toks[2:], true
		}
	}
	if len(toks) >= 1 {
		if v, ok := t.lookup(toks[0].text); ok {
			return v, toks[1:], true
		}
	}
	return verb[V, C]{}, nil, false
}

// lookup finds the typed verb word, in any case.
func (t *table[V, C]) lookup(word string) (verb[V, C], bool) {
	word = strings.ToLower(word)
	for _, v := range t.verbs {
		if !v.untyped && string(v.name) == word {
			return v, true
		}
	}
	return verb[V, C]{}, false
}

// row returns the verb named v.
func (t *table[V, C]) row(v V) (verb[V, C], bool) {
	for _, r := range t.verbs {
		if r.name == v {
			return r, true
		}
	}
	return verb[V, C]{}, false
}

// names lists the verbs in table order.
func (t *table[V, C]) names() []V {
	out := make([]V, len(t.verbs))
	for i, v := range t.verbs {
		out[i] = v.name
	}
	return out
}

// usage is the usage line of v; an unknown verb has the general usage.
func (t *table[V, C]) usage(v V) usageLine {
	if _, ok := t.row(v); ok {
		return usageLine{oncall: t.oncall, verb: string(v)}
	}
	return usageLine{oncall: t.oncall}
}

// parse reads the verb's arguments toks into c.
func (t *table[V, C]) parse(v verb[V, C], c *C, text string, toks []token, severities []string) error {
	in := input{text: text, toks: toks, usage: t.usage(v.name), severities: severities}
	if v.args == nil {
		if len(toks) > 0 {
			return in.usage.t("grammar.no_args", facts{"Verb": string(v.name)})
		}
		return nil
	}
	return v.args(c, in)
}

// input is what a verb's parser reads.
type input struct {
	text       string    // the command's whole text
	toks       []token   // the tokens after the verb
	usage      usageLine // the verb's, for its errors
	severities []string  // /incident: the configured severity names
}

// rest is the text from the first argument on, trimmed.
func (a input) rest() string { return restOf(a.text, a.toks) }
