package web

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// schema is the part of an OpenAPI 3 schema object the check reads.
type schema struct {
	Ref        string             `yaml:"$ref"`
	Type       string             `yaml:"type"`
	Nullable   bool               `yaml:"nullable"`
	Properties map[string]*schema `yaml:"properties"`
	Items      *schema            `yaml:"items"`
	AllOf      []*schema          `yaml:"allOf"`
	Required   []string           `yaml:"required"`
	// OmitEmpty marks a property that the server leaves out when empty.
	OmitEmpty bool `yaml:"x-omitempty"`
}

type response struct {
	Ref     string `yaml:"$ref"`
	Content map[string]struct {
		Schema *schema `yaml:"schema"`
	} `yaml:"content"`
}

type spec struct {
	OpenAPI string `yaml:"openapi"`
	Paths   map[string]map[string]struct {
		Responses map[string]*response `yaml:"responses"`
	} `yaml:"paths"`
	Components struct {
		Schemas   map[string]*schema   `yaml:"schemas"`
		Responses map[string]*response `yaml:"responses"`
	} `yaml:"components"`
}

func loadSpec(t *testing.T) *spec {
	t.Helper()
	var s spec
	if err := yaml.Unmarshal(openAPI, &s); err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
	if !strings.HasPrefix(s.OpenAPI, "3.") || len(s.Paths) == 0 {
		t.Fatalf("openapi.yaml is not an OpenAPI 3 document with paths (openapi %q)", s.OpenAPI)
	}
	return &s
}

// resolve follows $ref and merges allOf into one object schema.
func (s *spec) resolve(t *testing.T, sc *schema) *schema {
	t.Helper()
	for depth := 0; sc != nil && sc.Ref != ""; depth++ {
		name, ok := strings.CutPrefix(sc.Ref, "#/components/schemas/")
		if !ok || depth > 20 || s.Components.Schemas[name] == nil {
			t.Fatalf("openapi.yaml: cannot resolve $ref %q", sc.Ref)
		}
		sc = s.Components.Schemas[name]
	}
	if sc == nil || len(sc.AllOf) == 0 {
		return sc
	}
	merged := &schema{Type: "object", Properties: map[string]*schema{}}
	for _, part := range sc.AllOf {
		p := s.resolve(t, part)
		maps.Copy(merged.Properties, p.Properties)
		merged.Required = append(merged.Required, p.Required...)
	}
	return merged
}

func (s *spec) responseSchema(t *testing.T, r *response) *schema {
	t.Helper()
	if r.Ref != "" {
		name, _ := strings.CutPrefix(r.Ref, "#/components/responses/")
		if r = s.Components.Responses[name]; r == nil {
			t.Fatalf("openapi.yaml: cannot resolve response %q", name)
		}
	}
	c, ok := r.Content["application/json"]
	if !ok || c.Schema == nil {
		t.Fatalf("openapi.yaml: a response has no application/json schema")
	}
	return s.resolve(t, c.Schema)
}

// checker compares real answers with their schemas, remembering which
// documented properties it has seen anywhere.
type checker struct {
	t    *testing.T
	spec *spec
	seen map[string]map[string]bool // location → property → seen
	docs map[string]*schema         // location → schema
}

func (c *checker) check(loc string, sc *schema, v any) {
	c.t.Helper()
	sc = c.spec.resolve(c.t, sc)
	if v == nil {
		if !sc.Nullable {
			c.t.Errorf("%s is null but not documented as nullable", loc)
		}
		return
	}
	switch sc.Type {
	case "object", "":
		m, ok := v.(map[string]any)
		if !ok {
			c.t.Errorf("%s is %T, documented as an object", loc, v)
			return
		}
		if sc.Properties == nil {
			return // a map (additionalProperties)
		}
		if c.seen[loc] == nil {
			c.seen[loc], c.docs[loc] = map[string]bool{}, sc
		}
		for k, val := range m {
			p, ok := sc.Properties[k]
			if !ok {
				c.t.Errorf("%s has the undocumented field %q", loc, k)
				continue
			}
			c.seen[loc][k] = true
			c.check(loc+"."+k, p, val)
		}
		for _, k := range sc.Required {
			if _, ok := m[k]; !ok {
				c.t.Errorf("%s lacks the required field %q", loc, k)
			}
		}
	case "array":
		a, ok := v.([]any)
		if !ok {
			c.t.Errorf("%s is %T, documented as an array", loc, v)
			return
		}
		for _, item := range a {
			c.check(loc+"[]", sc.Items, item)
		}
	case "string":
		if _, ok := v.(string); !ok {
			c.t.Errorf("%s is %T, documented as a string", loc, v)
		}
	case "integer", "number":
		f, ok := v.(float64)
		if !ok || (sc.Type == "integer" && f != float64(int64(f))) {
			c.t.Errorf("%s is %v, documented as %s", loc, v, sc.Type)
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			c.t.Errorf("%s is %T, documented as a boolean", loc, v)
		}
	}
}

// unseen lists the documented properties no real answer carried.
func (c *checker) unseen() []string {
	var out []string
	for loc, sc := range c.docs {
		for k, p := range sc.Properties {
			if !c.seen[loc][k] && !c.spec.resolve(c.t, p).OmitEmpty && !p.OmitEmpty {
				out = append(out, loc+"."+k)
			}
		}
	}
	slices.Sort(out)
	return out
}

// The requests whose answers are checked, per documented path: together they
// fill every documented field from the fixture.
var openAPIRequests = map[string][]string{
	"/api/v1/incidents":          {"/api/v1/incidents", "/api/v1/incidents?limit=2", "/api/v1/incidents?status=open"},
	"/api/v1/incidents/{number}": {"/api/v1/incidents/1", "/api/v1/incidents/2", "/api/v1/incidents/3"},
	"/api/v1/stats":              {"/api/v1/stats", "/api/v1/stats?window=90d&service=checkout", "/api/v1/stats?window=7d"},
	"/api/v1/oncall":             {"/api/v1/oncall"},
	"/api/v1/heartbeats":         {"/api/v1/heartbeats"},
}

// The real answers match openapi.yaml: every documented path answers, every
// documented field appears in a real answer and nothing undocumented does.
func TestOpenAPIMatchesAnswers(t *testing.T) {
	sp := loadSpec(t)
	srv := serve(t, testOptions())
	for path, ops := range sp.Paths {
		t.Run(path, func(t *testing.T) {
			op, ok := ops["get"]
			if !ok {
				t.Fatalf("%s documents no GET", path)
			}
			reqs := openAPIRequests[path]
			if len(reqs) == 0 {
				t.Fatalf("documented path %s has no request in openAPIRequests", path)
			}
			c := &checker{t: t, spec: sp, seen: map[string]map[string]bool{}, docs: map[string]*schema{}}
			ok200 := sp.responseSchema(t, op.Responses["200"])
			for _, url := range reqs {
				a := do(t, "GET", srv.URL+url, nil)
				if a.code != 200 || !strings.HasPrefix(a.header.Get("Content-Type"), "application/json") {
					t.Fatalf("GET %s = %d %s", url, a.code, a.header.Get("Content-Type"))
				}
				var v any
				if err := json.Unmarshal([]byte(a.body), &v); err != nil {
					t.Fatalf("GET %s: %v", url, err)
				}
				c.check(path, ok200, v)
			}
			if miss := c.unseen(); len(miss) > 0 {
				t.Errorf("documented but in no real answer: %s", strings.Join(miss, ", "))
			}
			// Every documented status but 200 gets the error shape.
			for code := range op.Responses {
				if code == "200" {
					continue
				}
				if es := sp.responseSchema(t, op.Responses[code]); es.Properties["error"] == nil || len(es.Properties) != 1 {
					t.Errorf("%s %s is not documented as {\"error\": ...}", path, code)
				}
			}
		})
	}
	// And every API route the server has is documented.
	for _, p := range []string{"/api/v1/incidents", "/api/v1/incidents/{number}", "/api/v1/stats", "/api/v1/oncall", "/api/v1/heartbeats"} {
		if _, ok := sp.Paths[p]; !ok {
			t.Errorf("route %s is not in openapi.yaml", p)
		}
	}
}

// The documented error answers are what the server sends.
func TestOpenAPIErrors(t *testing.T) {
	sp := loadSpec(t)
	srv := serve(t, testOptions())
	o := testOptions()
	o.OnCall, o.Heartbeats = nil, nil
	bare := serve(t, o)
	for _, tt := range []struct{ path, url, code string }{
		{"/api/v1/incidents", srv.URL + "/api/v1/incidents?status=x", "400"},
		{"/api/v1/incidents/{number}", srv.URL + "/api/v1/incidents/x", "400"},
		{"/api/v1/incidents/{number}", srv.URL + "/api/v1/incidents/99", "404"},
		{"/api/v1/stats", srv.URL + "/api/v1/stats?window=x", "400"},
		{"/api/v1/oncall", bare.URL + "/api/v1/oncall", "404"},
		{"/api/v1/heartbeats", bare.URL + "/api/v1/heartbeats", "404"},
	} {
		r, ok := sp.Paths[tt.path]["get"].Responses[tt.code]
		if !ok {
			t.Errorf("%s does not document %s", tt.path, tt.code)
			continue
		}
		a := do(t, "GET", tt.url, nil)
		var v any
		if err := json.Unmarshal([]byte(a.body), &v); err != nil || fmt.Sprint(a.code) != tt.code {
			t.Errorf("GET %s = %d %s, want %s JSON", tt.url, a.code, a.body, tt.code)
			continue
		}
		c := &checker{t: t, spec: sp, seen: map[string]map[string]bool{}, docs: map[string]*schema{}}
		c.check(tt.path+" "+tt.code, sp.responseSchema(t, r), v)
	}
}
