package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/smartradex/smartradex/internal/apperr"
	"github.com/smartradex/smartradex/internal/cli/cmdutil"
	"github.com/smartradex/smartradex/internal/iostreams"
	"github.com/smartradex/smartradex/internal/redact"
	"github.com/smartradex/smartradex/internal/service"
)

// StatusOptions are the inputs of `auth status`.
type StatusOptions struct {
	IO     *iostreams.IOStreams
	Msg    cmdutil.Messages
	Token  func(ctx context.Context) (token, source string, err error)
	Client func(token string) (Account, error)
	// ServiceURL is the service the token is sent to (cmdutil's
	// ServiceURL); SavedService, the one the saved token is recorded for.
	ServiceURL   func() (string, error)
	SavedService func() (string, bool, error)

	JSON bool
}

// NewCmdStatus builds `auth status`; runF replaces the run function in tests.
func NewCmdStatus(f *cmdutil.Factory, runF func(context.Context, *StatusOptions) error) *cobra.Command {
	opts := &StatusOptions{
		IO: f.IO, Token: f.ServiceToken, ServiceURL: f.ServiceURL,
		SavedService: func() (string, bool, error) {
			rec, ok, err := f.SavedTokenServiceURL()
			return rec.ServiceURL, ok, err
		},
		Client: func(token string) (Account, error) {
			c, err := f.ServiceClientFor(token)
			if err != nil {
				return nil, err
			}
			return c, nil
		},
	}
	return &cobra.Command{
		Use:     "status",
		Short:   f.T("auth.status.short"),
		Long:    f.T("auth.status.long"),
		Example: "  smartradex auth status\n  smartradex auth status --json",
		RunE: cmdutil.RunE(opts, runF, statusRun, func() error {
			opts.JSON, opts.Msg = f.Globals.JSON, f.Messages()
			return nil
		}),
	}
}

type statusJSON struct {
	LoggedIn bool   `json:"logged_in"`
	Source   string `json:"source"`
	// ServiceURL is the service the token is for; null when there is none.
	ServiceURL *string            `json:"service_url"`
	Token      string             `json:"token"`
	Valid      bool               `json:"valid"`
	Email      string             `json:"email"`
	Bots       []string           `json:"bots"`
	Error      *cmdutil.ErrorJSON `json:"error,omitempty"`
}

func statusRun(ctx context.Context, opts *StatusOptions) error {
	f := opts.Msg
	res := statusJSON{Bots: []string{}}
	token, source, err := opts.Token(ctx)
	if err != nil {
		var e *apperr.Error
		if errors.As(err, &e) && e.Code == "service.token_other_service" {
			// A token is saved, for another service: which one is part
			// of the answer.
			if u, ok, serr := opts.SavedService(); serr == nil {
				if !ok {
					u = service.DefaultBaseURL()
				}
				res.ServiceURL = &u
			}
			if opts.JSON {
				d := cmdutil.DescribeError(f.Lang, f.Redactor, err)
				res.Error = &d
			}
		}
		if opts.JSON && apperr.KindOf(err) == apperr.Rejected {
			// Not logged in is this command's answer, not a failure to
			// produce one: scripts get the documented shape.
			if err := cmdutil.PrintJSON(opts.IO.Out, res); err != nil {
				return err
			}
			return cmdutil.Reported(apperr.Rejected)
		}
		return err
	}
	res.LoggedIn, res.Source, res.Token = true, source, redact.MaskKey(token)
	serviceURL, err := opts.ServiceURL()
	if err != nil {
		return err
	}
	res.ServiceURL = &serviceURL

	var cerr error
	client, err := opts.Client(token)
	if err == nil {
		m, merr := client.Me(ctx)
		if merr == nil {
			res.Valid, res.Email, res.Bots = true, m.Email, m.Bots
		}
		cerr = merr
	} else {
		cerr = err
	}

	if opts.JSON {
		if cerr != nil {
			e := cmdutil.DescribeError(f.Lang, f.Redactor, cerr)
			res.Error = &e
		}
		if err := cmdutil.PrintJSON(opts.IO.Out, res); err != nil {
			return err
		}
		if cerr != nil {
			return cmdutil.Reported(apperr.KindOf(cerr))
		}
		return nil
	}

	out := opts.IO.Out
	fmt.Fprintln(out, f.T("auth.status.token", res.Token, sourceLabel(f, source)))
	fmt.Fprintln(out, f.T("auth.status.service", serviceURL))
	if source == cmdutil.TokenSourceEnv {
		fmt.Fprintln(out, f.T("auth.status.env_note"))
	}
	if cerr != nil {
		// The reason and what to do are printed as the error.
		return cerr
	}
	fmt.Fprintln(out, opts.IO.Green(f.T("auth.status.valid", res.Email)))
	if len(res.Bots) == 0 {
		fmt.Fprintln(out, f.T("auth.no_bots"))
	} else {
		fmt.Fprintln(out, f.T("auth.bots", strings.Join(res.Bots, ", ")))
	}
	return nil
}
