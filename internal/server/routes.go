package server

import "net/http"

// routes lists every endpoint. A path registered without a method answers
// 405 with the methods it has; "/" answers 404 for every other path. What
// needs no token is limited per client address, but for /healthz,
// /readyz and /metrics, which probes and Prometheus call often.
func (s *Server) routes() {
	m := s.mux
	m.Handle("GET /v1/me", s.subscriber(s.handleMe()))
	m.Handle("GET /v1/bots", s.limitedByAddress(s.handleBots()))
	m.Handle("GET /v1/vault-key", s.limitedByAddress(s.handleVaultKey()))
	m.Handle("PUT /v1/bots/{bot}/binance-key", s.subscriber(s.handlePutKey()))
	m.Handle("GET /v1/bots/{bot}/binance-key", s.subscriber(s.handleGetKey()))
	m.Handle("DELETE /v1/bots/{bot}/binance-key", s.subscriber(s.handleDeleteKey()))
	m.Handle("POST /v1/bots/{bot}/binance-key/checks", s.subscriber(s.handleCheckKey()))
	m.Handle("GET /v1/binance-keys", s.subscriber(s.handleListKeys()))
	m.Handle("GET /v1/network", s.limitedByAddress(s.handleNetwork()))
	m.Handle("GET /internal/v1/keys", s.engine(s.handleEngineKeys()))
	m.Handle("GET /healthz", s.handleHealthz())
	m.Handle("GET /readyz", s.handleReadyz())
	m.Handle("GET /metrics", s.handleMetrics())

	for path, methods := range map[string]string{
		"/v1/me":                            "GET",
		"/v1/bots":                          "GET",
		"/v1/vault-key":                     "GET",
		"/v1/bots/{bot}/binance-key":        "PUT, GET, DELETE",
		"/v1/bots/{bot}/binance-key/checks": "POST",
		"/v1/binance-keys":                  "GET",
		"/v1/network":                       "GET",
		"/internal/v1/keys":                 "GET",
		"/healthz":                          "GET",
		"/readyz":                           "GET",
		"/metrics":                          "GET",
	} {
		m.Handle(path, s.limitedByAddress(methodNotAllowed(methods)))
	}
	m.Handle("/", s.limitedByAddress(noSuchEndpoint()))
}

// Routes lists the served operations (method and pattern), for tests and
// for checking docs/openapi.yaml.
func Routes() [][2]string {
	return [][2]string{
		{http.MethodGet, "/v1/me"},
		{http.MethodGet, "/v1/bots"},
		{http.MethodGet, "/v1/vault-key"},
		{http.MethodPut, "/v1/bots/{bot}/binance-key"},
		{http.MethodGet, "/v1/bots/{bot}/binance-key"},
		{http.MethodDelete, "/v1/bots/{bot}/binance-key"},
		{http.MethodPost, "/v1/bots/{bot}/binance-key/checks"},
		{http.MethodGet, "/v1/binance-keys"},
		{http.MethodGet, "/v1/network"},
		{http.MethodGet, "/internal/v1/keys"},
		{http.MethodGet, "/healthz"},
		{http.MethodGet, "/readyz"},
		{http.MethodGet, "/metrics"},
	}
}
