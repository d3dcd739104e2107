package keys

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/smartradex/smartradex/internal/apperr"
	"github.com/smartradex/smartradex/internal/binance"
	"github.com/smartradex/smartradex/internal/bots"
	"github.com/smartradex/smartradex/internal/cli/cmdutil"
	"github.com/smartradex/smartradex/internal/enroll"
	"github.com/smartradex/smartradex/internal/i18n"
	"github.com/smartradex/smartradex/internal/iostreams"
	"github.com/smartradex/smartradex/internal/onboard"
	"github.com/smartradex/smartradex/internal/prompt"
	"github.com/smartradex/smartradex/internal/redact"
	"github.com/smartradex/smartradex/internal/sandbox"
	"github.com/smartradex/smartradex/internal/secrets"
	"github.com/smartradex/smartradex/internal/service"
)

// AddOptions are the inputs of `keys add` and `keys rotate`.
type AddOptions struct {
	// Env is the run's language, stores, clients and sandbox, resolved
	// from the Factory when the command runs.
	Env *cmdEnv
	IO  *iostreams.IOStreams
	// Prompter, when set, asks every guided question (tests pass a
	// *prompt.Fake); nil means the terminal.
	Prompter prompt.Prompter

	Rotate       bool // `keys rotate`
	Bot          string
	APIKey       string
	SecretStdin  bool
	Replace      bool
	NoRegister   bool
	SkipTutorial bool
	UseGenerated bool
	JSON         bool
}

// NewCmdAdd builds `keys add`; runF replaces the run function in tests.
func NewCmdAdd(f *cmdutil.Factory, runF func(context.Context, *AddOptions) error) *cobra.Command {
	return newAddCmd(f, runF, false)
}

// NewCmdRotate builds `keys rotate`; runF replaces the run function in tests.
func NewCmdRotate(f *cmdutil.Factory, runF func(context.Context, *AddOptions) error) *cobra.Command {
	return newAddCmd(f, runF, true)
}

func newAddCmd(f *cmdutil.Factory, runF func(context.Context, *AddOptions) error, rotate bool) *cobra.Command {
	opts := &AddOptions{IO: f.IO, Rotate: rotate}
	name := "add"
	if rotate {
		name = "rotate"
	}
	cmd := &cobra.Command{
		Use:     name + " --bot BOT",
		Short:   f.T("keys." + name + ".short"),
		Long:    f.T("keys." + name + ".long"),
		Example: f.T("keys." + name + ".example"),
		// The guided flow's screens each carry the sandbox banner.
		Annotations: map[string]string{cmdutil.AnnotationLabelsScreens: "true"},
		RunE: cmdutil.RunE(opts, runF, addRun, func() error {
			opts.JSON, opts.Env = f.Globals.JSON, newCmdEnv(f)
			return nil
		}),
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Bot, "bot", "", f.T("keys.add.flag_bot"))
	fl.StringVar(&opts.APIKey, "api-key", "", f.T("keys.check.flag_api_key"))
	fl.BoolVar(&opts.SecretStdin, "secret-stdin", false, f.T("keys.check.flag_secret_stdin"))
	fl.BoolVar(&opts.NoRegister, "no-register", false, f.T("keys.add.flag_no_register"))
	fl.BoolVar(&opts.SkipTutorial, "skip-tutorial", false, f.T("keys.add.flag_skip_tutorial"))
	fl.BoolVar(&opts.UseGenerated, "use-generated", false, f.T("keys.add.flag_use_generated"))
	if !rotate {
		fl.BoolVar(&opts.Replace, "replace", false, f.T("keys.add.flag_replace"))
	}
	_ = cmd.RegisterFlagCompletionFunc("bot", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return bots.IDs(), cobra.ShellCompDirectiveNoFileComp
	})
	return cmd
}

// addFlow is one run of add or rotate.
type addFlow struct {
	o       *AddOptions
	f       *cmdEnv
	lang    i18n.Lang
	guided  bool
	sandbox bool
	ui      *onboard.UI
	p       prompt.Prompter
	in      *Intake
	deps    enroll.Deps
	bot     bots.Bot
}

func addRun(ctx context.Context, o *AddOptions) error {
	f := o.Env
	fl := &addFlow{o: o, f: f, lang: f.Lang(), guided: o.IO.CanPrompt(), sandbox: f.SandboxOn()}
	fl.in = &Intake{IO: o.IO, Lang: fl.lang, Getenv: f.Getenv, AddSecret: f.AddSecret, Debugf: f.Debugf,
		APIKey: o.APIKey, SecretStdin: o.SecretStdin, Command: o.command(), Name: "keys " + o.name()}
	// Before any question or store is opened.
	if err := fl.in.CheckTerminal(); err != nil {
		return err
	}
	if err := fl.pickBot(ctx); err != nil {
		return err
	}
	if err := fl.buildDeps(); err != nil {
		return err
	}
	if err := fl.precheck(); err != nil {
		return err
	}
	var creds binance.Credentials
	var checked *enroll.Checked
	var err error
	if fl.guided {
		creds, checked, err = fl.guidedInput(ctx)
	} else {
		creds, checked, err = fl.scriptedInput(ctx)
	}
	if err != nil {
		return err
	}
	req := enroll.Request{Bot: fl.bot, Creds: creds, Replace: o.Replace, NoRegister: o.NoRegister, FromGenerated: o.UseGenerated}
	var res *enroll.Result
	var doErr error
	do := func(ctx context.Context) error {
		if o.Rotate {
			res, doErr = enroll.Rotate(ctx, fl.deps, req, checked)
		} else {
			res, doErr = enroll.Add(ctx, fl.deps, req, checked)
		}
		return doErr
	}
	if fl.guided {
		err = fl.ui.Spin(ctx, f.T("keys.add.saving"), do)
	} else {
		err = do(ctx)
	}
	if res == nil {
		return err
	}
	if doErr == nil && (err != nil || ctx.Err() != nil) {
		// Ctrl-C came once the job was done: the key is in service, and
		// saying "nothing was changed" would be false.
		fmt.Fprintln(o.IO.ErrOut, f.T("keys.add.too_late_to_cancel"))
		err = nil
	}
	if res.Seen != nil {
		// A locked key: what SmartradeX saw as it registered it.
		checked = res.Seen
		if !fl.o.JSON {
			fl.printVerdict(viewOf(creds), checked)
		}
	}
	return fl.report(res, checked, viewOf(creds), err)
}

func (fl *addFlow) pickBot(ctx context.Context) error {
	id := strings.ToLower(strings.TrimSpace(fl.o.Bot))
	if id == "" {
		if !fl.guided {
			return cmdutil.UsageError("keys.add.bot_required", i18n.M("keys.add.bot_required"), i18n.M("enroll.bots_hint", strings.Join(bots.IDs(), ", ")))
		}
		var opts []prompt.Option
		for _, b := range bots.All() {
			opts = append(opts, prompt.Option{Value: b.ID, Label: b.Name + " (" + b.ID + ")"})
		}
		v, err := fl.prompter().Select(ctx, fl.f.T("keys.add.pick_bot"), "", opts, opts[0].Value)
		if err != nil {
			return err
		}
		id = v
	}
	b, ok := bots.Lookup(id)
	if !ok {
		return enroll.UnknownBotError(id)
	}
	fl.bot = b
	return nil
}

// basePrompter is the run's Prompter, not labelled for the sandbox.
func (fl *addFlow) basePrompter() prompt.Prompter {
	if fl.o.Prompter != nil {
		return fl.o.Prompter
	}
	return fl.f.Prompter()
}

// prompter asks the command's own questions (bot, login); the onboarding
// screens have their own UI.
func (fl *addFlow) prompter() prompt.Prompter {
	if fl.p != nil {
		return fl.p
	}
	p := fl.basePrompter()
	if fl.sandbox {
		p = prompt.Sandboxed(p, fl.lang)
	}
	fl.p = p
	return p
}

func (fl *addFlow) buildDeps() error {
	d, err := enrollDeps(fl.f, true)
	fl.deps = d
	return err
}

// precheck refuses, before anything is asked or sent, what the engine
// would refuse anyway: adding to a bot that has a key, rotating one that
// has none.
func (fl *addFlow) precheck() error {
	snap, err := fl.deps.Index.Load()
	if err != nil {
		return err
	}
	e := snap.Entries[fl.bot.ID]
	has := e != nil && e.APIKey != "" && e.SecretName != secrets.BotGeneratedSecretName(fl.bot.ID)
	switch {
	case fl.o.Rotate && !has:
		return apperr.New(apperr.Usage, "enroll.no_key", i18n.M("enroll.no_key", fl.bot.ID), i18n.M("enroll.add_hint", fl.bot.ID))
	case !fl.o.Rotate && has && !fl.o.Replace:
		return apperr.New(apperr.Usage, "enroll.bot_has_key", i18n.M("enroll.bot_has_key", fl.bot.ID), i18n.M("enroll.replace_hint", fl.bot.ID))
	}
	return nil
}

// name is the command's name: add or rotate.
func (o *AddOptions) name() string {
	if o.Rotate {
		return "rotate"
	}
	return "add"
}

// command is how hints spell this command, up to --secret-stdin.
func (o *AddOptions) command() string {
	name, bot := o.name(), "BOT"
	// Only a known bot is repeated: --bot may have been given anything.
	if b, ok := bots.Lookup(o.Bot); ok {
		bot = b.ID
	}
	return "smartradex keys " + name + " --bot " + bot + " --api-key KEY"
}

// generatedCreds pairs the API key with the private key `keys generate`
// stored for the bot.
func (fl *addFlow) generatedCreds(ctx context.Context, apiKey string) (binance.Credentials, error) {
	name := secrets.BotGeneratedSecretName(fl.bot.ID)
	pem, err := fl.deps.Store.Get(ctx, name)
	if errors.Is(err, secrets.ErrNotFound) {
		// The key may have been generated with another --keyring than
		// this run's: the index says where.
		if snap, lerr := fl.deps.Index.Load(); lerr == nil {
			if e := snap.Entries[fl.bot.ID]; e != nil && e.Backend != fl.deps.Store.Backend() && fl.deps.StoreFor != nil {
				if other, serr := fl.deps.StoreFor(e.Backend); serr == nil {
					pem, err = other.Get(ctx, name)
				}
			}
		}
	}
	if errors.Is(err, secrets.ErrNotFound) {
		return binance.Credentials{}, apperr.New(apperr.Usage, "enroll.generated_missing", i18n.M("enroll.generated_missing", fl.bot.ID), i18n.M("enroll.generated_missing_hint", fl.bot.ID))
	}
	if err != nil {
		return binance.Credentials{}, err
	}
	creds, err := fl.in.Parse(apiKey, pem)
	if err != nil {
		return creds, generatedKeyError(err, fl.bot.ID)
	}
	return creds, nil
}

// check asks Binance about the key; a generated key's failures are worded
// for it (there is no secret key to paste again).
func (fl *addFlow) check(ctx context.Context, creds binance.Credentials) (*enroll.Checked, error) {
	checked, err := enroll.Check(ctx, fl.deps, creds)
	if err != nil && fl.o.UseGenerated {
		err = generatedKeyError(err, fl.bot.ID)
	}
	return checked, err
}

func (fl *addFlow) scriptedInput(ctx context.Context) (binance.Credentials, *enroll.Checked, error) {
	var creds binance.Credentials
	var err error
	if fl.o.UseGenerated {
		key := fl.in.GivenAPIKey()
		if key == "" {
			return creds, nil, cmdutil.UsageError("keys.missing_credentials", i18n.M("keys.check.missing_key"), i18n.M("keys.check.missing_key_hint"))
		}
		creds, err = fl.generatedCreds(ctx, key)
	} else {
		creds, err = fl.in.Read(ctx)
	}
	if err != nil {
		return creds, nil, err
	}
	checked, err := fl.check(ctx, creds)
	if err != nil {
		return creds, nil, err
	}
	if !checked.Verdict.OK() {
		return creds, nil, fl.reportRefused(viewOf(creds), checked)
	}
	if !fl.o.JSON {
		fl.printVerdict(viewOf(creds), checked)
	}
	return creds, checked, nil
}

func (fl *addFlow) printVerdict(key keyView, checked *enroll.Checked) {
	if fl.o.JSON {
		// Standard output carries the JSON result only; a refusal's fixes
		// are shown by the recheck screen.
		return
	}
	if fl.sandbox {
		fmt.Fprintln(fl.o.IO.Out, fl.f.SandboxLabel())
	}
	printCheckHuman(fl.lang, fl.o.IO, key, checked)
	fmt.Fprintln(fl.o.IO.Out)
}

// reportRefused shows why the key was refused and returns the exit-3 error.
func (fl *addFlow) reportRefused(key keyView, checked *enroll.Checked) error {
	err := apperr.New(apperr.Refused, "enroll.refused", i18n.M("enroll.refused", len(checked.Verdict.Problems)), i18n.M("enroll.refused_hint"))
	if fl.o.JSON {
		out := fl.resultJSON(key, checked, nil)
		out.Status = "refused"
		fl.printError(err)
		_ = cmdutil.PrintJSON(fl.o.IO.Out, out)
		return cmdutil.Reported(apperr.Refused)
	}
	fl.printVerdict(key, checked)
	return err
}

// printError writes err's human form on stderr, for the cases where
// stdout already carries a JSON result.
func (fl *addFlow) printError(err error) {
	fl.errorJSON(err).Print(fl.o.IO.ErrOut, fl.lang)
}

// guidedInput walks the tutorial, asks for the key and checks it, asking
// again (without pasting again) while Binance refuses it.
func (fl *addFlow) guidedInput(ctx context.Context) (binance.Credentials, *enroll.Checked, error) {
	f := fl.f
	uiOpts := onboard.Options{Sandbox: fl.sandbox, Prompter: fl.basePrompter(), Now: f.Now}
	if fl.sandbox {
		for _, d := range sandbox.DemoKeys() {
			uiOpts.DemoKeys = append(uiOpts.DemoKeys, onboard.DemoKeyInfo{Name: d.Name, APIKey: d.Key.APIKey, Description: f.T("sandbox.demo_line", f.T("sandbox.demo."+d.Name), d.Key.Secret)})
		}
	}
	// The "Edit restrictions" step depends on whether SmartradeX wants
	// keys locked to its addresses; the answer is kept for the check.
	if n, err := f.Network(ctx); err != nil {
		f.Debugf("keys add: SmartradeX's addresses are unknown (%v): the tutorial of unrestricted keys is shown", err)
	} else if n.Locking() {
		uiOpts.EgressIPs = n.EgressIPs
	}
	fl.ui = onboard.New(fl.o.IO.In, fl.o.IO.ErrOut, fl.lang, uiOpts)
	if !fl.o.SkipTutorial && !fl.o.UseGenerated {
		if err := fl.ui.Tutorial(ctx, fl.bot); err != nil {
			return binance.Credentials{}, nil, err
		}
	}
	if !fl.o.NoRegister {
		if err := fl.ensureLogin(ctx); err != nil {
			return binance.Credentials{}, nil, err
		}
	}
	// Values given by flag or environment are used as they are.
	given := func() (binance.Credentials, bool, error) {
		if fl.o.UseGenerated {
			key := fl.in.GivenAPIKey()
			if key == "" {
				v, err := fl.prompter().Input(ctx, f.T("keys.check.prompt_key"), f.T("keys.check.prompt_key_help"), func(s string) error {
					if strings.TrimSpace(s) == "" {
						return errors.New(f.T("keys.check.prompt_required"))
					}
					return nil
				})
				if err != nil {
					return binance.Credentials{}, false, err
				}
				key = v
			}
			c, err := fl.generatedCreds(ctx, key)
			return c, true, err
		}
		if fl.in.Given() {
			c, err := fl.in.Read(ctx)
			return c, true, err
		}
		return binance.Credentials{}, false, nil
	}
	creds, ok, err := given()
	if err != nil {
		return creds, nil, err
	}
	for {
		if !ok {
			// The screen's check parses what was pasted; its last
			// success is the key.
			_, _, err := fl.ui.AskCredentials(ctx, fl.bot, func(k, s string) error {
				var perr error
				creds, perr = fl.in.Parse(k, s)
				return perr
			})
			if err != nil {
				return binance.Credentials{}, nil, err
			}
			ok = true
		}
		var checked *enroll.Checked
		// No part of the key is shown before Binance has recognised it: a
		// secret pasted as the key has the same shape (see checkRun).
		err := fl.ui.Spin(ctx, f.T("keys.check.checking"), func(ctx context.Context) error {
			var err error
			checked, err = fl.check(ctx, creds)
			return err
		})
		if err != nil {
			return creds, nil, err
		}
		fl.printVerdict(viewOf(creds), checked)
		if checked.Verdict.OK() {
			return creds, checked, nil
		}
		var fixes []string
		for _, p := range checked.Verdict.Problems {
			fixes = append(fixes, fl.lang.Render(p.Message))
		}
		choice, err := fl.ui.AskRecheck(ctx, fixes)
		if err != nil {
			return creds, nil, err
		}
		switch choice {
		case onboard.RecheckNow:
			// Binance applies a permission change to the same key.
		case onboard.RecheckRepaste:
			if fl.o.UseGenerated {
				return creds, nil, apperr.New(apperr.Refused, "enroll.refused", i18n.M("enroll.refused", len(checked.Verdict.Problems)), i18n.M("enroll.refused_hint"))
			}
			ok = false
		default:
			return creds, nil, apperr.New(apperr.Refused, "enroll.refused", i18n.M("enroll.refused", len(checked.Verdict.Problems)), i18n.M("enroll.refused_hint"))
		}
	}
}

// ensureLogin offers to log in to SmartradeX when no token is known, so
// that the key can be registered at the end of the same run.
func (fl *addFlow) ensureLogin(ctx context.Context) error {
	f := fl.f
	if _, _, err := f.ServiceToken(ctx); err == nil {
		return nil
	} else if apperr.KindOf(err) != apperr.Rejected {
		return err
	}
	p := fl.prompter()
	yes, err := p.Confirm(ctx, f.T("keys.add.login_title"), f.T("keys.add.login_desc"), f.T("keys.add.login_yes"), f.T("keys.add.login_no"), true)
	if err != nil {
		return err
	}
	if !yes {
		fmt.Fprintln(fl.o.IO.ErrOut, f.T("keys.add.login_skipped"))
		return nil
	}
	token, _, err := f.AskToken(ctx, p, f.T("keys.add.token_title"), f.T("keys.add.token_desc"), func(token string) (*service.Me, error) {
		c, err := f.ServiceWithToken(token)
		if err != nil {
			return nil, err
		}
		return c.Me(ctx)
	})
	if err != nil {
		return err
	}
	if _, err := f.SaveServiceToken(ctx, fl.deps.Store, token); err != nil {
		return err
	}
	fmt.Fprintln(fl.o.IO.ErrOut, f.T("keys.add.logged_in"))
	return nil
}

// addJSON is keys check's verdict, then what became of the key.
type addJSON struct {
	checkJSON
	Bot            string `json:"bot"`
	Status         string `json:"status"`
	ReplacedAPIKey string `json:"replaced_api_key,omitempty"`
	// LastCheck is SmartradeX's check of the key as it registered it.
	LastCheck *service.LastCheck `json:"last_check,omitempty"`
	Sandbox   bool               `json:"sandbox,omitempty"`
	Error     *errorJSON         `json:"error,omitempty"`
}

// errorJSON is the documented error form, in a JSON result.
type errorJSON = cmdutil.ErrorJSON

func (fl *addFlow) resultJSON(key keyView, checked *enroll.Checked, res *enroll.Result) addJSON {
	out := addJSON{checkJSON: newCheckJSON(fl.lang, key, checked), Bot: fl.bot.ID, Sandbox: fl.sandbox}
	if res != nil {
		out.Status = string(res.Entry.Status)
		out.LastCheck = res.LastCheck
		if res.Replaced != nil {
			out.ReplacedAPIKey = redact.MaskKey(res.Replaced.APIKey)
		}
	}
	return out
}

// report prints the outcome once the key is stored: a JSON document or the
// summary. err is a registration failure (the key is stored as pending).
func (fl *addFlow) report(res *enroll.Result, checked *enroll.Checked, key keyView, err error) error {
	f := fl.f
	if fl.o.JSON {
		out := fl.resultJSON(key, checked, res)
		out.OK = err == nil
		if err != nil {
			out.Error = fl.errorJSON(err)
			fl.printError(err)
		}
		if perr := cmdutil.PrintJSON(fl.o.IO.Out, out); perr != nil {
			return perr
		}
		if err != nil {
			return cmdutil.Reported(apperr.KindOf(err))
		}
		return nil
	}
	ui := fl.ui
	if ui == nil {
		ui = onboard.New(fl.o.IO.In, fl.o.IO.ErrOut, fl.lang, onboard.Options{Sandbox: fl.sandbox, Now: f.Now})
	}
	if res.Replaced != nil {
		fmt.Fprintln(fl.o.IO.Out, f.T("keys.rotate.replaced", fl.bot.ID, redact.MaskKey(res.Replaced.APIKey)))
	}
	next := "smartradex keys verify"
	switch {
	case res.Registered:
	case apperr.KindOf(err) == apperr.Refused:
		// SmartradeX refused this very key (409, 422): sending it again
		// cannot work, a new key has to take its place.
		next = "smartradex keys rotate --bot " + fl.bot.ID
	default:
		next = "smartradex keys sync"
	}
	if fl.sandbox {
		next = "smartradex --sandbox " + strings.TrimPrefix(next, "smartradex ")
	}
	ui.Summary(fl.o.IO.Out, onboard.SummaryInfo{
		Bot: fl.bot, MaskedKey: key.Masked() + " (" + string(key.Type) + ")", UID: checkedUID(checked),
		TradingExpiresAt: checked.Verdict.TradingExpiresAt, Registered: res.Registered, MayHaveReached: res.Unsettled, Sandbox: fl.sandbox, Next: next,
		Unchecked: checked.Unchecked && !res.Registered,
	})
	if err == nil && fl.o.NoRegister {
		fmt.Fprintln(fl.o.IO.ErrOut, f.T("keys.add.not_registered_note"))
	}
	return err
}

func (fl *addFlow) errorJSON(err error) *errorJSON {
	e := cmdutil.DescribeError(fl.lang, fl.f.Redactor, err)
	return &e
}
