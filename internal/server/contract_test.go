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
