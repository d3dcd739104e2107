package server

import (
	"os"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// Every operation docs/openapi.yaml documents is served: routed to a
// handler, neither 404 no_such_endpoint nor 405. (The reverse, every route
// documented, holds once the contract documents the sealed protocol.)
func TestServesEveryDocumentedOperation(t *testing.T) {
	data, err := os.ReadFile("../../docs/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]yaml.Node `yaml:"paths"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t)
	n := 0
	for path, item := range doc.Paths {
		for method := range item {
			if !slices.Contains([]string{"get", "put", "post", "delete", "patch"}, method) {
				continue
			}
			n++
			m := strings.ToUpper(method)
			if !slices.Contains(Routes(), [2]string{m, path}) {
				t.Errorf("docs/openapi.yaml documents %s %s, Routes() does not list it", m, path)
			}
			a := e.do(m, strings.ReplaceAll(path, "{bot}", "btc-spot"), e.token, "{}")
			if a.code() == CodeNoSuchEndpoint || a.code() == CodeMethodNotAllowed {
				t.Errorf("%s %s = %d %s", m, path, a.status, a.code())
			}
		}
	}
	if n == 0 {
		t.Fatal("docs/openapi.yaml documents no operation")
	}
}

// Every route is documented in docs/openapi.yaml and docs/service-api.md,
// and the error codes the handler sends are the schema's.
func TestEveryRouteAndCodeDocumented(t *testing.T) {
	data, err := os.ReadFile("../../docs/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths      map[string]map[string]yaml.Node `yaml:"paths"`
		Components struct {
			Schemas struct {
				Error struct {
					Properties struct {
						Error struct {
							Properties struct {
								Code struct {
									Enum []string `yaml:"enum"`
								} `yaml:"code"`
							} `yaml:"properties"`
						} `yaml:"error"`
					} `yaml:"properties"`
				} `yaml:"Error"`
			} `yaml:"schemas"`
		} `yaml:"components"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	prose, err := os.ReadFile("../../docs/service-api.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range Routes() {
		if _, ok := doc.Paths[r[1]][strings.ToLower(r[0])]; !ok && !strings.HasPrefix(r[1], "/healthz") &&
			!strings.HasPrefix(r[1], "/readyz") && !strings.HasPrefix(r[1], "/metrics") {
			t.Errorf("Routes() lists %s %s, docs/openapi.yaml does not document it", r[0], r[1])
		}
		if strings.HasPrefix(r[1], "/v1/") && !strings.Contains(string(prose), r[0]+" "+r[1]) {
			t.Errorf("docs/service-api.md does not mention %s %s", r[0], r[1])
		}
	}
	got := append([]string(nil), doc.Components.Schemas.Error.Properties.Error.Properties.Code.Enum...)
	want := ErrorCodes()
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("error codes in docs/openapi.yaml %v, in the handler %v", got, want)
	}
	for _, c := range want {
		if !strings.Contains(string(prose), "`"+c+"`") {
			t.Errorf("docs/service-api.md does not mention the error code `%s`", c)
		}
	}
	for _, o := range []string{OutcomeOK, OutcomeRefused, OutcomeDeleted, OutcomeRejected, OutcomeUnreachable} {
		if !strings.Contains(string(prose), "| `"+o+"` |") {
			t.Errorf("docs/service-api.md does not describe the outcome `%s`", o)
		}
	}
}
