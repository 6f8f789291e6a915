package config

import (
	"fmt"
	"sort"
	"strings"
)

// Error is one problem found in a config file, located by line so that an
// operator can go straight to it. Msg starts with the key path, e.g.
// `severities[1].update_every: invalid duration "1x"`.
type Error struct {
	File string // the file name as given to Parse or Load
	Line int    // 1-based; 0 when the problem has no single place in the file
	Msg  string
}

// Error formats the problem as `file:line: msg`, the form compilers use, so
// editors and CI logs link to the line.
func (e Error) Error() string {
	switch {
	case e.File != "" && e.Line > 0:
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	case e.File != "":
		return e.File + ": " + e.Msg
	case e.Line > 0:
		return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
	}
	return e.Msg
}

// Errors is every problem found in one config file, in line order. Parse and
// Load return it (as an error) when the file is not valid.
type Errors []Error

// Error lists the problems one per line.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// sort orders the problems by line, keeping the order of discovery within a line.
func (es Errors) sort() {
	sort.SliceStable(es, func(i, j int) bool { return es[i].Line < es[j].Line })
}
