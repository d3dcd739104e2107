package servicetest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/smartradex/smartradex/internal/server"
)

// The contract is written three times: docs/openapi.yaml, docs/service-api.md
// and internal/server, the handler this package wraps. These tests keep them
// saying the same thing, through the wrapper, as the CLI's tests see it.

type openAPI struct {
	OpenAPI    string                                 `yaml:"openapi"`
	Paths      map[string]map[string]yaml.Node        `yaml:"paths"`
	Components struct{ Schemas map[string]yaml.Node } `yaml:"components"`
}

type operation struct {
	Responses map[string]yaml.Node `yaml:"responses"`
}

var httpMethods = []string{"get", "put", "post", "delete", "patch", "head", "options", "trace"}

func loadOpenAPI(t *testing.T) (openAPI, map[Route]operation) {
	t.Helper()
	data, err := os.ReadFile("../../../docs/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc openAPI
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("docs/openapi.yaml is not valid YAML: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi: %q, want 3.x", doc.OpenAPI)
	}
	ops := map[Route]operation{}
	for path, item := range doc.Paths {
		for key, node := range item {
			if !slices.Contains(httpMethods, key) {
				continue
			}
			var op operation
			if err := node.Decode(&op); err != nil {
				t.Fatalf("%s %s: %v", key, path, err)
			}
			ops[Route{strings.ToUpper(key), path}] = op
		}
	}
	return doc, ops
}

// operatorOnly lists the operations for the service's operator, not for
// clients: health and metrics, documented in docs/service.md and named in
// docs/service-api.md, not in docs/openapi.yaml (no JSON, no token, no
// contract with the CLI).
var operatorOnly = []Route{{http.MethodGet, "/healthz"}, {http.MethodGet, "/readyz"}, {http.MethodGet, "/metrics"}}

// handlerRoutes is what internal/server serves, which Routes passes on.
func handlerRoutes(t *testing.T) []Route {
	t.Helper()
	var out []Route
	for _, r := range server.Routes() {
		out = append(out, Route{r[0], r[1]})
	}
	if !slices.Equal(out, Routes()) {
		t.Fatalf("Routes() = %v, the handler serves %v", Routes(), out)
	}
	return out
}

func TestOpenAPIMatchesTheHandler(t *testing.T) {
	_, ops := loadOpenAPI(t)
	routes := handlerRoutes(t)
	for _, r := range operatorOnly {
		if !slices.Contains(routes, r) {
			t.Errorf("operator endpoint %s %s is not served", r.Method, r.Pattern)
		}
	}
	for _, r := range routes {
		if _, ok := ops[r]; !ok && !slices.Contains(operatorOnly, r) {
			t.Errorf("the handler serves %s %s, docs/openapi.yaml does not document it", r.Method, r.Pattern)
		}
	}
	for r := range ops {
		if !slices.Contains(routes, r) {
			t.Errorf("docs/openapi.yaml documents %s %s, the handler does not serve it", r.Method, r.Pattern)
		}
		if slices.Contains(operatorOnly, r) {
			t.Errorf("docs/openapi.yaml documents %s %s, which this test calls operator-only", r.Method, r.Pattern)
		}
	}

	// Every route the handler lists is really routed.
	e := newEnv(t)
	for _, r := range routes {
		path := strings.ReplaceAll(r.Pattern, "{bot}", "btc-spot")
		a := e.do(t, r.Method, path, tokA, "{}")
		if a.status == 0 || a.code == CodeNoSuchEndpoint || a.code == CodeMethodNotAllowed {
			t.Errorf("%s %s is listed but answers %d %s", r.Method, path, a.status, a.code)
		}
	}
}

func TestOpenAPIErrorCodesMatch(t *testing.T) {
	doc, _ := loadOpenAPI(t)
	var schema struct {
		Properties struct {
			Error struct {
				Properties struct {
					Code struct {
						Enum []string `yaml:"enum"`
					} `yaml:"code"`
				} `yaml:"properties"`
			} `yaml:"error"`
		} `yaml:"properties"`
	}
	node := doc.Components.Schemas["Error"]
	if err := node.Decode(&schema); err != nil {
		t.Fatal(err)
	}
	got := append([]string(nil), schema.Properties.Error.Properties.Code.Enum...)
	want := append([]string(nil), server.ErrorCodes()...)
	if !slices.Equal(ErrorCodes(), server.ErrorCodes()) {
		t.Errorf("ErrorCodes() = %v, the handler's %v", ErrorCodes(), server.ErrorCodes())
	}
	sort.Strings(got)
	sort.Strings(want)
	if !slices.Equal(got, want) {
		t.Errorf("error codes in docs/openapi.yaml %v, in the handler %v", got, want)
	}
}

// TestEveryAnswerIsDocumented drives each route through the situations of
// the contract and checks that every status the handler answers is listed
// for that operation in docs/openapi.yaml.
func TestEveryAnswerIsDocumented(t *testing.T) {
	_, ops := loadOpenAPI(t)
	e := newEnv(t)
	type call struct {
		route       Route
		bot, token  string
		body        string
		wantsStatus int
	}
	put := Route{"PUT", "/v1/bots/{bot}/binance-key"}
	get := Route{"GET", "/v1/bots/{bot}/binance-key"}
	del := Route{"DELETE", "/v1/bots/{bot}/binance-key"}
	me := Route{"GET", "/v1/me"}
	good := e.putBody(keyA, hmac, "HMAC", "l")
	vk := Route{"GET", "/v1/vault-key"}
	list := Route{"GET", "/v1/bots"}
	engine := Route{"GET", "/internal/v1/keys"}
	e.addEngine(t, "engine-1", tokEngine)
	calls := []call{
		{vk, "", "", "", 200},
		{list, "", "", "", 200},
		{me, "", tokA, "", 200},
		{me, "", "bad", "", 401},
		{put, "btc-spot", "bad", good, 401},
		{put, "doge-spot", tokA, good, 404},
		{put, "eth-spot", tokA, good, 403},
		{put, "btc-spot", tokA, "{", 422},
		{put, "btc-spot", tokA, with(good, "vault_key_id", strings.Repeat("0", 32)), 409},
		{put, "btc-spot", tokA, e.putBodyFor("eth-spot", keyA, hmac, "HMAC", "l"), 422},
		{put, "btc-spot", tokA, good, 200},
		{put, "eth-spot", tokB, e.putBodyFor("eth-spot", keyA, hmac, "HMAC", "l"), 409},
		{get, "btc-spot", tokA, "", 200},
		{get, "eth-spot", tokB, "", 404},
		{get, "doge-spot", tokB, "", 404},
		{get, "eth-spot", tokA, "", 403},
		{get, "btc-spot", "bad", "", 401},
		{del, "btc-spot", "bad", "", 401},
		{del, "eth-spot", tokA, "", 403},
		{del, "doge-spot", tokA, "", 404},
		{engine, "?bot=btc-spot", tokEngine, "", 200},
		{engine, "?bot=btc-spot", tokA, "", 401},
		{engine, "", tokEngine, "", 422},
		{engine, "?bot=BTC", tokEngine, "", 422},
		{engine, "?bot=doge-spot", tokEngine, "", 404},
		{del, "btc-spot", tokA, "", 204},
		{del, "btc-spot", tokA, "", 404},
	}
	for _, c := range calls {
		path := strings.ReplaceAll(c.route.Pattern, "{bot}", c.bot)
		if c.route == engine {
			path += c.bot
		}
		a := e.do(t, c.route.Method, path, c.token, c.body)
		if a.status != c.wantsStatus {
			t.Errorf("%s %s = %d, want %d", c.route.Method, path, a.status, c.wantsStatus)
		}
		if _, ok := ops[c.route].Responses[strconv.Itoa(a.status)]; !ok {
			t.Errorf("%s %s answers %d, which docs/openapi.yaml does not list", c.route.Method, c.route.Pattern, a.status)
		}
	}
	// Faults stand for 429 and 5xx.
	for _, r := range Routes() {
		if slices.Contains(operatorOnly, r) {
			continue
		}
		for _, status := range []int{429, 503} {
			e.s.Inject(Fault{Status: status, Times: 1})
			path := strings.ReplaceAll(r.Pattern, "{bot}", "btc-spot")
			e.do(t, r.Method, path, tokA, "")
			key := strconv.Itoa(status)
			if status >= 500 {
				key = "5XX"
			}
			if _, ok := ops[r].Responses[key]; !ok {
				t.Errorf("%s %s does not document %s", r.Method, r.Pattern, key)
			}
		}
	}
}

func TestServiceAPIDocMentionsEverything(t *testing.T) {
	data, err := os.ReadFile("../../../docs/service-api.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	for _, r := range handlerRoutes(t) {
		if !strings.Contains(doc, r.Method+" "+r.Pattern) {
			t.Errorf("docs/service-api.md does not mention %s %s", r.Method, r.Pattern)
		}
	}
	for _, c := range server.ErrorCodes() {
		if !strings.Contains(doc, "`"+c+"`") {
			t.Errorf("docs/service-api.md does not mention the error code `%s`", c)
		}
	}
}

func TestErrorBodiesFollowTheSchema(t *testing.T) {
	h := New().Handler()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/v1/me", nil))
	var b errorBody
	if err := json.Unmarshal(rec.Body.Bytes(), &b); err != nil || b.Error.Code != CodeUnauthorized || b.Error.Message == "" {
		t.Errorf("401 body %q", rec.Body.String())
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
}

// TestOpenAPIRefsResolve catches a $ref to a component that does not exist.
func TestOpenAPIRefsResolve(t *testing.T) {
	data, err := os.ReadFile("../../../docs/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		t.Fatal(err)
	}
	var refs []string
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == "$ref" {
					refs = append(refs, n.Content[i+1].Value)
				}
			}
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(&root)
	if len(refs) == 0 {
		t.Fatal("no $ref found: the walk is broken")
	}
	for _, ref := range refs {
		path, ok := strings.CutPrefix(ref, "#/")
		if !ok {
			t.Errorf("$ref %q is not local", ref)
			continue
		}
		n := root.Content[0]
		for _, part := range strings.Split(path, "/") {
			var next *yaml.Node
			for i := 0; n.Kind == yaml.MappingNode && i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == part {
					next = n.Content[i+1]
				}
			}
			if next == nil {
				t.Errorf("$ref %q does not resolve", ref)
				break
			}
			n = next
		}
	}
}
