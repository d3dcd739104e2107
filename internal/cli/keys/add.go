package keys

import (
	"context"
	"errors"
	"fmt"
	"runtime"
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
	// prefetched waits for the vault key fetched ahead, if one is, so
	// that what it may print comes before the verdict.
	prefetched func()
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
	if !fl.guided && !o.NoRegister && f.PrefetchVaultKey != nil {
		// The registering PUT needs the vault key: fetched while the bot
		// list and Binance are asked, not after them. (The guided run
		// leaves it where it is: its screens take longer than a round
		// trip, and nothing may print beside a form.)
		pctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			defer close(done)
			f.PrefetchVaultKey(pctx)
		}()
		fl.prefetched = func() { <-done }
		defer func() {
			cancel()
			<-done
		}()
	}
	if err := fl.pickBot(ctx); err != nil {
		return err
	}
	if err := fl.buildDeps(); err != nil {
		return err
	}
	if err := fl.precheck(ctx); err != nil {
		return err
	}
	var creds binance.Credentials
	var checked *enroll.Checked
	var out enrolled
	var err error
	if fl.guided {
		// The guided flow stores and registers the key itself: a mistake
		// SmartradeX finds as it registers a locked key is one more
		// mistake the user can mend in the same run.
		creds, checked, out, err = fl.guidedInput(ctx)
	} else {
		creds, checked, err = fl.scriptedInput(ctx)
		if err == nil {
			out = fl.enroll(ctx, creds, checked)
		}
	}
	if err != nil {
		return err
	}
	res, doErr := out.res, out.doErr
	err = out.err
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

// enrolled is what storing and registering the key came to: res and
// doErr are enroll's answer, err the run's (a Ctrl-C during the spinner).
type enrolled struct {
	res        *enroll.Result
	doErr, err error
}

// enroll stores the checked key and registers it (Add, or Rotate for keys
// rotate), under the spinner in the guided flow.
func (fl *addFlow) enroll(ctx context.Context, creds binance.Credentials, checked *enroll.Checked) enrolled {
	o := fl.o
	req := enroll.Request{Bot: fl.bot, Creds: creds, Replace: o.Replace, NoRegister: o.NoRegister, FromGenerated: o.UseGenerated}
	var out enrolled
	do := func(ctx context.Context) error {
		if o.Rotate {
			out.res, out.doErr = enroll.Rotate(ctx, fl.deps, req, checked)
		} else {
			out.res, out.doErr = enroll.Add(ctx, fl.deps, req, checked)
		}
		return out.doErr
	}
	if fl.guided {
		out.err = fl.ui.Spin(ctx, fl.f.T("keys.add.saving"), do)
	} else {
		out.err = do(ctx)
	}
	return out
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
	p := onboard.Typesetting(fl.basePrompter(), fl.lang)
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
func (fl *addFlow) precheck(ctx context.Context) error {
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
		if !fl.guided || fl.o.JSON {
			return apperr.New(apperr.Usage, "enroll.bot_has_key", i18n.M("enroll.bot_has_key", fl.bot.ID), i18n.M("enroll.replace_hint", fl.bot.ID))
		}
		// Asked now, before the Binance steps, not once the new key exists.
		f := fl.f
		yes, err := fl.prompter().Confirm(ctx, onboard.Typeset(fl.lang, f.T("onboard.preflight.replace_title", fl.bot.Name, redact.MaskKey(e.APIKey))),
			onboard.Typeset(fl.lang, f.T("onboard.preflight.replace_desc")), f.T("onboard.preflight.replace_yes"), f.T("onboard.preflight.replace_no"), false)
		if err != nil {
			return err
		}
		if !yes {
			return prompt.Cancelled(nil)
		}
		fl.o.Replace = true
	}
	return nil
}

// preflight makes sure, before the first Binance step, that what the end
// of the run needs is there: a secret store that answers (or, with the
// user's consent, the encrypted file), a SmartradeX login, and a
// subscription to the bot.
func (fl *addFlow) preflight(ctx context.Context) error {
	if err := fl.preflightStore(ctx); err != nil {
		return err
	}
	if fl.o.NoRegister {
		return nil
	}
	if err := fl.ensureLogin(ctx); err != nil {
		return err
	}
	c, err := fl.f.Service(ctx)
	if err != nil {
		return nil //nolint:nilerr // not logged in (the user chose later): the registration at the end says what to do
	}
	me, err := c.Me(ctx)
	if err != nil {
		// The registration at the end says what to do if this lasts.
		fl.f.Debugf("preflight: subscriptions not read: %v", err)
		return nil
	}
	for _, b := range me.Bots {
		if b == fl.bot.ID {
			return nil
		}
	}
	var names []string
	for _, id := range me.Bots {
		if b, ok := bots.Lookup(id); ok {
			names = append(names, b.Name+" (--bot "+b.ID+")")
		}
	}
	hint := i18n.M("onboard.preflight.subscribe_hint")
	if len(names) > 0 {
		hint = i18n.M("onboard.preflight.other_bots_hint", strings.Join(names, ", "))
	}
	return apperr.New(apperr.Usage, "keys.not_subscribed", i18n.M("onboard.preflight.not_subscribed", fl.bot.Name), hint)
}

// storeName is the desktop password store as its users know it.
func storeName(f interface{ T(string, ...any) string }, goos string) string {
	switch goos {
	case "darwin":
		return f.T("onboard.store.darwin")
	case "windows":
		return f.T("onboard.store.windows")
	}
	return f.T("onboard.store.linux")
}

// preflightStore reads from the secret store once: a desktop password
// store that does not answer is found now, and the user may keep the key
// in the encrypted file instead. A passphrase is asked now too.
func (fl *addFlow) preflightStore(ctx context.Context) error {
	st := fl.deps.Store
	_, err := st.Get(ctx, secrets.ServiceTokenName)
	if err == nil || errors.Is(err, secrets.ErrNotFound) {
		return secrets.Prepare(ctx, st)
	}
	if st.Backend() != secrets.BackendSystem || fl.deps.StoreFor == nil || apperr.KindOf(err) == apperr.Cancelled {
		return err
	}
	f := fl.f
	fl.note(f.T("onboard.preflight.store_failed", storeName(f, runtime.GOOS)))
	yes, aerr := fl.prompter().Confirm(ctx, onboard.Typeset(fl.lang, f.T("onboard.preflight.file_title")), onboard.Typeset(fl.lang, f.T("onboard.preflight.file_desc")),
		f.T("onboard.preflight.file_yes"), f.T("onboard.preflight.file_no"), true)
	if aerr != nil {
		return aerr
	}
	if !yes {
		return err
	}
	file, ferr := fl.deps.StoreFor(secrets.BackendFile)
	if ferr != nil {
		return ferr
	}
	fl.deps.Store = file
	return secrets.Prepare(ctx, file)
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
//
// A key that replaces another (keys rotate, keys add --replace) and is
// locked to SmartradeX's addresses is checked by the service before it is
// registered, storing nothing there: its sub-account and rights are then
// judged while the old key is still the one in force, and a refusal leaves
// nothing to take back. (A first key is left to the checking PUT, one
// round trip, because taking it back restores nothing.)
func (fl *addFlow) check(ctx context.Context, creds binance.Credentials) (*enroll.Checked, error) {
	var opts enroll.CheckOptions
	if (fl.o.Rotate || fl.o.Replace) && !fl.o.NoRegister {
		opts.Bot = func(context.Context) (string, error) { return fl.bot.ID, nil }
	}
	checked, err := enroll.CheckWith(ctx, fl.deps, creds, opts)
	if err != nil && fl.o.UseGenerated {
		err = generatedKeyError(err, fl.bot.ID)
	}
	if err != nil && fl.o.Rotate && apperr.KindOf(err) != apperr.Cancelled {
		err = enroll.KeptOld(err, fl.bot.ID)
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
	if fl.prefetched != nil {
		fl.prefetched()
	}
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

// note prints a line of the guided run on stderr, typeset and wrapped by
// words to the terminal.
func (fl *addFlow) note(msg string) {
	width := onboard.TermWidth(fl.o.IO.ErrOut)
	if width <= 0 {
		width = 80
	}
	fmt.Fprintln(fl.o.IO.ErrOut, onboard.Wrap(onboard.Typeset(fl.lang, msg), width, ""))
}

// printAccepted is the guided run's verdict: its warnings and the note
// on transfers, wrapped to the terminal, without the table of every right
// (keys check shows it); the summary says the key is accepted and set up.
func (fl *addFlow) printAccepted(checked *enroll.Checked) {
	if fl.o.JSON {
		return
	}
	out, l := fl.o.IO.Out, fl.lang
	width := onboard.TermWidth(out)
	if width <= 0 {
		width = 80
	}
	para := func(s string) { fmt.Fprintln(out, onboard.Wrap(onboard.Typeset(l, s), width, "")) }
	// The summary that follows (labelled for the sandbox) says the key is set up: here only what
	// the user must know besides.
	for _, w := range checked.Verdict.Warnings {
		para(l.T("keys.check.warning_prefix") + l.Render(w.Message))
	}
	if s := addressesFor(l, checked.Network, asksForAddresses(checked.Verdict.Warnings)); s != "" {
		para(s)
	}
	para(l.T("onboard.accepted_note"))
	fmt.Fprintln(out)
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
func (fl *addFlow) guidedInput(ctx context.Context) (binance.Credentials, *enroll.Checked, enrolled, error) {
	f := fl.f
	uiOpts := onboard.Options{Sandbox: fl.sandbox, Prompter: fl.basePrompter(), Now: f.Now}
	if fl.sandbox {
		for _, d := range sandbox.DemoKeys() {
			uiOpts.DemoKeys = append(uiOpts.DemoKeys, onboard.DemoKeyInfo{Name: d.Name, APIKey: d.Key.APIKey, Secret: d.Key.Secret, Description: f.T("sandbox.demo." + d.Name)})
		}
	}
	uiOpts.Width = onboard.TermWidth(fl.o.IO.Out)
	// The "Edit restrictions" step depends on whether SmartradeX wants
	// keys locked to its addresses; the answer is kept for the check.
	if n, err := f.Network(ctx); err != nil {
		f.Debugf("keys add: SmartradeX's addresses are unknown (%v): the tutorial of unrestricted keys is shown", err)
	} else if n.Locking() {
		uiOpts.EgressIPs = n.EgressIPs
	}
	fl.ui = onboard.New(fl.o.IO.In, fl.o.IO.ErrOut, fl.lang, uiOpts)
	// Nothing is asked after the key exists on Binance that could have
	// been asked before.
	if err := fl.preflight(ctx); err != nil {
		return binance.Credentials{}, nil, enrolled{}, err
	}
	if !fl.o.SkipTutorial && !fl.o.UseGenerated {
		if err := fl.ui.Tutorial(ctx, fl.bot); err != nil {
			return binance.Credentials{}, nil, enrolled{}, err
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
		return creds, nil, enrolled{}, err
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
			if errors.Is(err, onboard.ErrBackToSteps) {
				if err := fl.ui.Tutorial(ctx, fl.bot); err != nil {
					return binance.Credentials{}, nil, enrolled{}, err
				}
				continue
			}
			if err != nil {
				return binance.Credentials{}, nil, enrolled{}, err
			}
			ok = true
		}
		checked, fixes, title, cause, err := fl.guidedCheck(ctx, &creds)
		if err != nil {
			return creds, nil, enrolled{}, err
		}
		if fixes == nil {
			out := fl.enroll(ctx, creds, checked)
			fixes, title = fl.refusedAtRegistration(out)
			if fixes != nil {
				cause = out.doErr
			} else {
				fixes, title, cause = fl.takeBackSeen(ctx, out)
			}
			if fixes == nil {
				return creds, checked, out, nil
			}
			// Nothing was kept for this key (enroll takes it back): the
			// user mends it as any refused key.
			checked = nil
		}
		choice, err := fl.ui.AskWhatNext(ctx, title, fixes)
		if err != nil {
			return creds, nil, enrolled{}, err
		}
		// Giving up reports what stood in the way: the refused boxes, or
		// the error the screen explained (Binance's refusal, another
		// bot's sub-account…), with its own exit code.
		refused := func() error {
			if cause != nil {
				return cause
			}
			n := len(fixes)
			if checked != nil {
				n = len(checked.Verdict.Problems)
			}
			return apperr.New(apperr.Refused, "enroll.refused", i18n.M("enroll.refused", n), i18n.M("enroll.refused_hint"))
		}
		switch choice {
		case onboard.RecheckNow:
			// Binance applies a permission change to the same key.
			if fl.sandbox {
				fl.note(f.T("onboard.recheck.sandbox_same"))
			}
		case onboard.RecheckRepaste, onboard.RecheckSteps:
			if fl.o.UseGenerated {
				return creds, nil, enrolled{}, refused()
			}
			if choice == onboard.RecheckSteps {
				if err := fl.ui.Tutorial(ctx, fl.bot); err != nil {
					return binance.Credentials{}, nil, enrolled{}, err
				}
			}
			ok = false
		default:
			return creds, nil, enrolled{}, refused()
		}
	}
}

// guidedCheck asks Binance about *creds and judges the key. A nil fixes
// means the key is accepted; otherwise fixes (localised) and title say
// what stands in the way and the user chooses what to do. Only failures
// the user can mend without a new command come back as fixes: the key
// refused by Binance, the two values swapped (mended here when the
// other order works), the sub-account of another bot, a right to change.
//
// cause is the error the fixes explain, reported if the user gives up;
// nil for refused boxes, which checked.Verdict lists.
func (fl *addFlow) guidedCheck(ctx context.Context, creds *binance.Credentials) (checked *enroll.Checked, fixes []string, title string, cause, err error) {
	f := fl.f
	spin := func(c binance.Credentials) (*enroll.Checked, error) {
		var ch *enroll.Checked
		// No part of the key is shown before Binance has recognised it: a
		// secret pasted as the key has the same shape (see checkRun).
		err := fl.ui.Spin(ctx, f.T("keys.check.checking"), func(ctx context.Context) error {
			var err error
			ch, err = fl.check(ctx, c)
			return err
		})
		return ch, err
	}
	checked, err = spin(*creds)
	if err != nil && mendable(err) && !fl.o.UseGenerated && creds.Type == binance.HMAC {
		// Swapped values are the likeliest cause: the other order is
		// tried before the user is asked anything.
		if sw, perr := fl.in.Parse(creds.Secret, creds.APIKey); perr == nil {
			if ch, serr := spin(sw); serr == nil {
				fl.note(f.T("onboard.swapped_fixed"))
				*creds, checked, err = sw, ch, nil
			}
		}
	}
	if err != nil {
		if fl.o.UseGenerated {
			return nil, nil, "", nil, err
		}
		if fixes, title := fl.serviceRefusal(err); fixes != nil {
			// SmartradeX checked the locked key of a replacement first.
			return nil, fixes, title, err, nil
		}
		if !mendable(err) {
			return nil, nil, "", nil, err
		}
		return nil, renderFixes(fl.lang, err), f.T("onboard.recheck.rejected_title"), err, nil
	}
	// Another bot's key or sub-account: said before "accepted" is.
	if cerr := enroll.Conflict(fl.deps, fl.bot.ID, *creds, checkedUID(checked)); cerr != nil {
		if apperr.KindOf(cerr) != apperr.Refused {
			return nil, nil, "", nil, cerr
		}
		if fl.o.Rotate {
			cerr = enroll.KeptOld(cerr, fl.bot.ID)
		}
		return checked, renderFixes(fl.lang, cerr), f.T("onboard.recheck.conflict_title"), cerr, nil
	}
	if checked.Verdict.OK() {
		if checked.Unchecked || checked.Inspection == nil {
			// A locked key SmartradeX checks from its addresses when it
			// registers it: say so, as keys check does.
			fl.printVerdict(viewOf(*creds), checked)
		} else {
			fl.printAccepted(checked)
		}
		return checked, nil, "", nil, nil
	}
	// A refusal is shown once, by the screen that offers what to do.
	return checked, fl.boxFixes(checked), "", nil, nil
}

// boxFixes is what to change on Binance for checked's problems, with
// SmartradeX's addresses when the key must be restricted to them.
func (fl *addFlow) boxFixes(checked *enroll.Checked) []string {
	fixes := fl.ui.BoxFixes(checked.Verdict.Problems)
	if s := addressesFor(fl.lang, checked.Network, asksForAddresses(checked.Verdict.Problems)); s != "" {
		fixes = append(fixes, s)
	}
	return fixes
}

// binanceBadSignature is Binance's -1022: the signature does not match,
// that is the secret is not the key's.
const binanceBadSignature = -1022

// refusedAtRegistration turns a refusal that SmartradeX's registering PUT
// found for a locked key into the fixes and title of the recheck screen:
// Binance refused the key from SmartradeX's address (unknown key, secret
// that does not match, IP list without SmartradeX's address), or
// SmartradeX refused the key (in use for another bot, rights it refuses,
// a key it finds invalid). Only when enroll kept nothing (res is nil): a
// key left registered or pending is reported as before. nil fixes: not
// such a refusal.
func (fl *addFlow) refusedAtRegistration(out enrolled) (fixes []string, title string) {
	if out.res != nil || out.doErr == nil || out.err != out.doErr || fl.o.UseGenerated { //nolint:errorlint // identity: the error to report is enroll's own, not one made from it
		return nil, ""
	}
	return fl.serviceRefusal(out.doErr)
}

// serviceRefusal is the fixes and title of the recheck screen for a key
// SmartradeX refused, at its check or at its registering PUT (see
// refusedAtRegistration); nil fixes: err is not such a refusal.
func (fl *addFlow) serviceRefusal(err error) (fixes []string, title string) {
	var ae *apperr.Error
	if !errors.As(err, &ae) {
		return nil, ""
	}
	switch ae.Code {
	case "service.binance_rejected":
		title = fl.f.T("onboard.recheck.rejected_title")
	case "service.key_in_use":
		title = fl.f.T("onboard.recheck.conflict_title")
	case "service.key_refused", "service.invalid":
		title = fl.f.T("onboard.recheck.service_refused_title")
	default:
		return nil, ""
	}
	cp := *ae
	var re *service.RejectedError
	if errors.As(err, &re) && re.BinanceCode == binanceBadSignature {
		// The IP list is not the cause: the secret pasted is not this
		// key's (or the key is not an HMAC one). Said first, alone.
		from := re.SeenFrom
		if from == "" {
			from = "SmartradeX"
		}
		return []string{fl.f.T("onboard.recheck.secret_mismatch", from), fl.f.T("onboard.recheck.secret_mismatch_hint")}, title
	}
	cp.Hints = nil
	for _, h := range ae.Hints {
		switch h.Key {
		case "enroll.locked_not_kept_hint", "enroll.refused_not_kept_hint", "enroll.unchecked_hint":
			// They name a command to run again: the screen offers it.
		default:
			cp.Hints = append(cp.Hints, h)
		}
	}
	return renderFixes(fl.lang, &cp), title
}

// takeBackSeen handles what only the registering PUT of a locked key can
// show: the key on the sub-account of another bot, or rights this
// smartradex refuses in what SmartradeX saw. The key is registered by
// then; a new add (not a rotation, which would have to restore the old
// key) takes it back, here and at SmartradeX, and returns the fixes and
// title of the recheck screen, and cause, what the user is told on giving
// up. nil fixes: not such a case, or the key could not be taken back (the
// error is reported as before).
func (fl *addFlow) takeBackSeen(ctx context.Context, out enrolled) (fixes []string, title string, cause error) {
	res := out.res
	if fl.o.Rotate || fl.o.UseGenerated || fl.o.NoRegister || res == nil || !res.Registered || res.Replaced != nil ||
		out.doErr == nil || out.err != out.doErr { //nolint:errorlint // identity, as in refusedAtRegistration
		return nil, "", nil
	}
	var ae *apperr.Error
	if !errors.As(out.doErr, &ae) {
		return nil, "", nil
	}
	switch ae.Code {
	case "enroll.same_key", "enroll.same_subaccount":
		cp := *ae
		cp.Hints = nil
		for _, h := range ae.Hints {
			if h.Key != "enroll.seen_conflict_hint" {
				cp.Hints = append(cp.Hints, h)
			}
		}
		fixes, title, cause = renderFixes(fl.lang, &cp), fl.f.T("onboard.recheck.conflict_title"), &cp
	case "enroll.seen_refused":
		if res.Seen == nil {
			return nil, "", nil
		}
		fixes = fl.boxFixes(res.Seen)
		cause = apperr.New(apperr.Refused, "enroll.refused", i18n.M("enroll.refused", len(res.Seen.Verdict.Problems)), i18n.M("enroll.refused_hint"))
	default:
		return nil, "", nil
	}
	err := fl.ui.Spin(ctx, fl.f.T("keys.add.taking_back"), func(ctx context.Context) error {
		_, err := enroll.Remove(ctx, fl.deps, enroll.RemoveRequest{Bot: fl.bot.ID})
		return err
	})
	if err != nil {
		fl.f.Debugf("keys add: the key SmartradeX registered could not be taken back: %v", err)
		return nil, "", nil
	}
	return fixes, title, cause
}

// mendable reports whether Binance refused the credentials themselves
// (unknown key, bad format, signature): a new paste can mend that.
func mendable(err error) bool {
	var ae *apperr.Error
	if !errors.As(err, &ae) || ae.Kind != apperr.Rejected {
		return false
	}
	switch ae.Code {
	case "binance.key_rejected", "binance.bad_api_key_format", "binance.invalid_signature":
		return true
	}
	return false
}

// renderFixes is err's message then its hints, in lang, one line each.
func renderFixes(lang i18n.Lang, err error) []string {
	var ae *apperr.Error
	if !errors.As(err, &ae) {
		return []string{err.Error()}
	}
	out := []string{lang.Render(ae.Message)}
	for _, h := range ae.Hints {
		out = append(out, lang.Render(h))
	}
	return out
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
		ui = onboard.New(fl.o.IO.In, fl.o.IO.ErrOut, fl.lang, onboard.Options{Sandbox: fl.sandbox, Now: f.Now, Width: onboard.TermWidth(fl.o.IO.Out)})
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
		Bot: fl.bot, MaskedKey: key.Masked(), MadeHere: fl.o.UseGenerated, UID: checkedUID(checked),
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
