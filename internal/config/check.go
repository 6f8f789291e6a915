package config

import (
	"errors"
	"fmt"
	"io"
)

// CheckConfig validates the config file at path for `incidentbot
// check-config` and returns the process exit code: 0 when it is valid
// (printing "ok: …" with what it defines, after any warnings), 1 otherwise
// (printing every error, one per line). An empty path checks the built-in
// defaults.
func CheckConfig(path string, w io.Writer) int {
	var (
		c    *Config
		err  error
		name = path
	)
	if path == "" {
		c, name = Default(), "built-in defaults"
	} else {
		c, err = Load(path)
	}
	var errs Errors
	switch {
	case errors.As(err, &errs):
		for _, e := range errs {
			fmt.Fprintln(w, e.Error())
		}
		return 1
	case err != nil:
		fmt.Fprintln(w, err)
		return 1
	}
	for _, warn := range c.Warnings {
		fmt.Fprintf(w, "warning: %s\n", warn.Error())
	}
	fmt.Fprintf(w, "ok: %s: %d severities, %d routes, %d schedules, %d escalation policies\n",
		name, len(c.Severities), len(c.Routes), len(c.Schedules), len(c.EscalationPolicies))
	return 0
}
