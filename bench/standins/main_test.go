package main

import (
	"bufio"
	"io"
	"net/http"
	"strings"
	"testing"
)

// standins runs the command with the environment env and returns the two
// URLs it printed, a function sending a line and reading the answer, and
// one closing its standard input and returning its exit code.
func standins(t *testing.T, env map[string]string) (binance, service string, ask func(string) string, stop func() int, stderr *strings.Builder) {
	t.Helper()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	stderr = &strings.Builder{}
	done := make(chan int, 1)
	go func() {
		code := run([]string{"-latency", "0"}, func(k string) string { return env[k] }, inR, outW, stderr)
		_ = outW.Close()
		done <- code
	}()
	out := bufio.NewScanner(outR)
	for _, want := range []string{"binance", "service"} {
		if !out.Scan() {
			t.Fatalf("standins stopped before printing its %s URL: %s", want, stderr.String())
		}
		name, url, _ := strings.Cut(out.Text(), " ")
		if name != want || !strings.HasPrefix(url, "http://127.0.0.1:") {
			t.Fatalf("standins printed %q, want %s http://127.0.0.1:PORT", out.Text(), want)
		}
		if want == "binance" {
			binance = url
		} else {
			service = url
		}
	}
	ask = func(line string) string {
		if _, err := io.WriteString(inW, line+"\n"); err != nil {
			t.Fatal(err)
		}
		if !out.Scan() {
			t.Fatal("standins stopped")
		}
		return out.Text()
	}
	stop = func() int {
		_ = inW.Close()
		return <-done
	}
	return binance, service, ask, stop, stderr
}

func status(t *testing.T, url, token string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	return resp.StatusCode
}

// Without SMARTRADEX_BENCH_TOKEN (an operator who wants only the Binance
// stand-in, as the README shows), both stand-ins start; the service one
// accepts no token, and a line on stderr says so.
func TestStandins(t *testing.T) {
	const token = "srx_bench-token-for-the-test"
	for _, tc := range []struct {
		name    string
		env     map[string]string
		me      int // GET /v1/me with the token
		warning bool
	}{
		{"without a token", nil, http.StatusUnauthorized, true},
		{"with a token", map[string]string{"SMARTRADEX_BENCH_TOKEN": token}, http.StatusOK, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			binance, service, ask, stop, stderr := standins(t, tc.env)
			if got := status(t, binance+"/api/v3/ping", ""); got != http.StatusOK {
				t.Errorf("Binance stand-in ping = %d", got)
			}
			if got := status(t, service+"/v1/me", token); got != tc.me {
				t.Errorf("service stand-in GET /v1/me = %d, want %d", got, tc.me)
			}
			if got := ask("count"); got != "requests 1 1" {
				t.Errorf("count = %q", got)
			}
			if got := ask("bogus"); got != "unknown command" {
				t.Errorf("bogus = %q", got)
			}
			if code := stop(); code != 0 {
				t.Errorf("exit %d: %s", code, stderr.String())
			}
			warned := strings.Contains(stderr.String(), "SMARTRADEX_BENCH_TOKEN is not set")
			if warned != tc.warning || strings.Contains(stderr.String(), token) {
				t.Errorf("stderr = %q", stderr.String())
			}
		})
	}
}
