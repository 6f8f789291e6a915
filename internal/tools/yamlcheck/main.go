// Command yamlcheck fails when a file is not valid YAML; CI uses it on files
// written for tools this machine cannot run (docker compose, Slack).
package main

import (
	"fmt"
	"os"

	"go.yaml.in/yaml/v3"
)

func main() {
	bad := false
	for _, path := range os.Args[1:] {
		data, err := os.ReadFile(path)
		if err == nil {
			var v any
			err = yaml.Unmarshal(data, &v)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", path, err)
			bad = true
			continue
		}
		fmt.Printf("ok: %s\n", path)
	}
	if bad {
		os.Exit(1)
	}
}
