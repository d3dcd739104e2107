package auth

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/smartradex/smartradex/internal/apperr"
	"github.com/smartradex/smartradex/internal/cli/cmdutil"
	"github.com/smartradex/smartradex/internal/i18n"
	"github.com/smartradex/smartradex/internal/iostreams"
	"github.com/smartradex/smartradex/internal/redact"
	"github.com/smartradex/smartradex/internal/service"
)

type fakeAccount struct{ me *service.Me }

func (a fakeAccount) Me(context.Context) (*service.Me, error) { return a.me, nil }

// TestStatusNamesTheTokensService: auth status says which service the
// token is for, also when it is saved for another one than the service in
// use, and then asks nothing of any service.
func TestStatusNamesTheTokensService(t *testing.T) {
	const a, b = "http://127.0.0.1:8700", "http://127.0.0.1:8701"
	mismatch := apperr.New(apperr.Rejected, "service.token_other_service",
		i18n.M("service.token_other_service", a, b), i18n.M("service.token_other_service_login", b), i18n.M("service.token_other_service_env", a))
	notLoggedIn := apperr.New(apperr.Rejected, "service.not_logged_in", i18n.M("service.not_logged_in"))
	cases := []struct {
		name       string
		tokenErr   error
		saved      string // the recorded service; "" : none (an earlier version's token)
		json       bool
		wantKind   apperr.Kind
		wantURL    any // service_url in JSON
		wantOut    string
		wantClient bool
	}{
		{name: "working, human", saved: a, wantOut: "service: " + a, wantClient: true},
		{name: "working, JSON", saved: a, json: true, wantURL: a, wantClient: true},
		{name: "other service, JSON", tokenErr: mismatch, saved: a, json: true, wantKind: apperr.Rejected, wantURL: a},
		{name: "earlier version's token, JSON", tokenErr: mismatch, json: true, wantKind: apperr.Rejected, wantURL: service.DefaultBaseURL()},
		{name: "other service, human", tokenErr: mismatch, saved: a, wantKind: apperr.Rejected},
		{name: "not logged in, JSON", tokenErr: notLoggedIn, json: true, wantKind: apperr.Rejected, wantURL: nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ios, _, out, _ := iostreams.Test()
			clientAsked := false
			opts := &StatusOptions{
				IO:  ios,
				Msg: cmdutil.Messages{Lang: i18n.EN, ErrOut: ios.ErrOut, Redactor: &redact.Redactor{}},
				Token: func(context.Context) (string, string, error) {
					if tc.tokenErr != nil {
						return "", "", tc.tokenErr
					}
					return "srx_Token0123456789abcdefABCDEF", "file", nil
				},
				ServiceURL:   func() (string, error) { return tc.saved, nil },
				SavedService: func() (string, bool, error) { return tc.saved, tc.saved != "", nil },
				Client: func(string) (Account, error) {
					clientAsked = true
					return fakeAccount{&service.Me{Email: "sub@example.com", Bots: []string{"btc-spot"}}}, nil
				},
				JSON: tc.json,
			}
			err := statusRun(context.Background(), opts)
			if apperr.KindOf(err) != tc.wantKind {
				t.Fatalf("status = %v, want kind %d", err, tc.wantKind)
			}
			if clientAsked != tc.wantClient {
				t.Errorf("client asked = %v, want %v", clientAsked, tc.wantClient)
			}
			if tc.json {
				var doc map[string]any
				if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
					t.Fatalf("not JSON: %v\n%s", err, out)
				}
				if got, ok := doc["service_url"]; !ok || got != tc.wantURL {
					t.Errorf("service_url = %v (present %v), want %v", got, ok, tc.wantURL)
				}
				if tc.tokenErr == mismatch {
					e, _ := doc["error"].(map[string]any)
					if e["code"] != "service.token_other_service" || doc["logged_in"] != false {
						t.Errorf("result %v", doc)
					}
				}
			}
			if tc.wantOut != "" && !strings.Contains(out.String(), tc.wantOut+"\n") {
				t.Errorf("output %q lacks %q", out, tc.wantOut)
			}
		})
	}
}
