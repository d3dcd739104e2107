package httpx

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// h2Server is a TLS server that offers HTTP/2 and answers with the protocol
// each request came in.
func h2Server(t *testing.T) (*httptest.Server, *x509.CertPool) {
	t.Helper()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.Proto)
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	return srv, pool
}

func get(t *testing.T, c *http.Client, target string) string {
	t.Helper()
	resp, err := c.Get(target)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Over TLS to a server that offers HTTP/2, every client Secure builds speaks
// HTTP/1.1, whatever the transport it was given asked for; the control, the
// same transport used as it is, does negotiate HTTP/2.
func TestSecureSpeaksHTTP1OverTLS(t *testing.T) {
	srv, pool := h2Server(t)
	base, _ := url.Parse(srv.URL)
	transports := map[string]func() *http.Transport{
		"forced h2": func() *http.Transport {
			return &http.Transport{ForceAttemptHTTP2: true, TLSClientConfig: &tls.Config{RootCAs: pool, NextProtos: []string{"h2", "http/1.1"}}}
		},
		"NewClient's": func() *http.Transport {
			tr := NewClient(time.Second).Transport.(*http.Transport).Clone()
			tr.TLSClientConfig.RootCAs = pool
			tr.ForceAttemptHTTP2 = true
			tr.TLSNextProto = nil
			tr.Protocols = nil
			return tr
		},
	}
	for name, mk := range transports {
		t.Run(name, func(t *testing.T) {
			if got := get(t, &http.Client{Transport: mk()}, srv.URL); got != "HTTP/2.0" {
				t.Fatalf("control: the plain transport spoke %s, want HTTP/2.0", got)
			}
			c := Secure(SecureOptions{Base: base, HTTP: &http.Client{Transport: mk()}})
			if got := get(t, c, srv.URL); got != "HTTP/1.1" {
				t.Errorf("the secure client spoke %s, want HTTP/1.1", got)
			}
		})
	}
	tr := NewClient(time.Second).Transport.(*http.Transport)
	tr.TLSClientConfig.RootCAs = pool
	if got := get(t, &http.Client{Transport: tr}, srv.URL); got != "HTTP/1.1" {
		t.Errorf("NewClient spoke %s, want HTTP/1.1", got)
	}
}

func TestSecureNeverFollowsRedirects(t *testing.T) {
	var elsewhere atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { elsewhere.Add(1) }))
	defer other.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/stolen", http.StatusTemporaryRedirect)
	}))
	defer srv.Close()
	base, _ := CheckBaseURL(srv.URL)
	c := Secure(SecureOptions{Base: base, Timeout: 2 * time.Second})
	req, _ := http.NewRequest(http.MethodPut, srv.URL+"/x", strings.NewReader(`{"api_secret":"s"}`))
	req.Header.Set("Authorization", "Bearer t")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTemporaryRedirect || elsewhere.Load() != 0 {
		t.Errorf("status %d, %d requests reached the redirect's target; want 307 and none", resp.StatusCode, elsewhere.Load())
	}
}

func TestSecureCapsBodies(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, strings.Repeat("x", 100))
	}))
	defer srv.Close()
	base, _ := CheckBaseURL(srv.URL)
	for _, c := range []struct {
		max     int64
		wantErr bool
	}{{99, true}, {100, false}, {1000, false}, {1, true}} {
		resp, err := Secure(SecureOptions{Base: base, Timeout: 2 * time.Second, MaxBody: c.max}).Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if got := errors.Is(err, ErrTooLarge); got != c.wantErr {
			t.Errorf("cap %d: read %d bytes, err %v; want ErrTooLarge %v", c.max, len(b), err, c.wantErr)
		}
		if int64(len(b)) > c.max {
			t.Errorf("cap %d: read %d bytes", c.max, len(b))
		}
	}
}

// Plain http is sent to loopback only and never through a proxy, even
// when the caller's transport names one.
func TestSecurePlainHTTPStaysHere(t *testing.T) {
	var proxied atomic.Int32
	proxy := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { proxied.Add(1) }))
	defer proxy.Close()
	pu, _ := url.Parse(proxy.URL)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	base, _ := CheckBaseURL(srv.URL)
	c := Secure(SecureOptions{Base: base, HTTP: &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(pu)}}})
	resp, err := c.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if proxied.Load() != 0 {
		t.Errorf("%d requests went through the proxy", proxied.Load())
	}
	if _, err := c.Get("http://192.0.2.1:9/"); !errors.Is(err, ErrNotLoopback) {
		t.Errorf("GET to a non-loopback address: %v, want ErrNotLoopback", err)
	}
}

// Secure leaves the caller's client and transport as they were.
func TestSecureCopies(t *testing.T) {
	tr := &http.Transport{ForceAttemptHTTP2: true}
	hc := &http.Client{Transport: tr}
	base, _ := CheckBaseURL("http://127.0.0.1:9")
	_ = Secure(SecureOptions{Base: base, HTTP: hc, MaxBody: 10})
	if hc.Transport != tr || hc.CheckRedirect != nil || !tr.ForceAttemptHTTP2 || tr.Protocols != nil {
		t.Error("Secure changed the caller's client")
	}
}

// The names in a server's certificate are chosen by whoever runs it, and
// Go's TLS error quotes them raw ("certificate is valid for …"): the
// secure client's errors read as clean text, and are still the same
// errors underneath.
func TestSecureErrorsAreCleanText(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		DNSNames: []string{"\x1b]0;pwned\x07\x1b[2Jevil.example"},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, IsCA: true, BasicConstraintsValid: true,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	srv.StartTLS()
	defer srv.Close()
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	u, _ := url.Parse(srv.URL)
	target := "https://localhost:" + u.Port() + "/"
	base, _ := CheckBaseURL(target)
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}

	// The control: Go's own error carries the escape sequence.
	_, err = hc.Get(target)
	if err == nil || !strings.Contains(err.Error(), "\x1b") {
		t.Fatalf("control: %v, want an error quoting the certificate's name", err)
	}
	_, err = Secure(SecureOptions{Base: base, HTTP: hc}).Get(target)
	var hostErr x509.HostnameError
	if !errors.As(err, &hostErr) {
		t.Fatalf("err = %v, want an x509.HostnameError underneath", err)
	}
	if strings.ContainsAny(err.Error(), "\x1b\x07") || !strings.Contains(err.Error(), "evil.example") {
		t.Errorf("error text %q is not the cleaned text", err)
	}
}

// A transport Secure cannot restrict is not used at all.
func TestSecureRefusesATransportItCannotHarden(t *testing.T) {
	called := false
	rt := roundTripFunc(func(*http.Request) (*http.Response, error) { called = true; return nil, errors.New("sent") })
	base, _ := CheckBaseURL("https://api.example.com")
	_, err := Secure(SecureOptions{Base: base, HTTP: &http.Client{Transport: rt}}).Get("https://api.example.com/x")
	if !errors.Is(err, ErrNotHardened) || called {
		t.Errorf("err = %v, transport called %v; want ErrNotHardened and no call", err, called)
	}
}
