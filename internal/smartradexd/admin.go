package smartradexd

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/mail"
	"os"
	"regexp"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/smartradex/smartradex/internal/server"
	"github.com/smartradex/smartradex/internal/server/store"
)

func newMigrateCmd(e *env) *cobra.Command {
	var db string
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Apply the database's pending migrations",
		Long:  "migrate applies the pending migrations and seeds the bot catalogue; serve and every admin command also do it at start.",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := openDB(e, db)
			if err != nil {
				return err
			}
			defer func() { _ = st.Close() }()
			fmt.Fprintln(e.stdout, "the database is up to date")
			return nil
		},
	}
	cmd.Flags().StringVar(&db, "db", "", "database: a file path, sqlite:PATH or postgres://… (default: smartradexd.db in the data directory)")
	return cmd
}

func openDB(e *env, db string) (store.Store, error) {
	if db == "" {
		var err error
		if db, err = defaultDB(e.getenv); err != nil {
			return nil, err
		}
	}
	return openStore(e.ctx, db)
}

// openExistingDB is openDB for the commands that work on the database serve
// uses (admin, vault-key reseal): the default SQLite file must exist
// already. Run as another user, or without the service's settings, the
// default names another file, and a new empty database there would take
// the operator's changes where serve never sees them.
func openExistingDB(e *env, db string) (store.Store, error) {
	if db != "" {
		return openStore(e.ctx, db)
	}
	path, err := defaultDB(e.getenv)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, withCode(CodeNoDatabase, fmt.Errorf("there is no database at %s: run the command as the user smartradexd serve runs as, "+
			"with its settings (packaged unit: sudo -u smartradexd env XDG_DATA_HOME=/var/lib smartradexd …), or give --db; "+
			"smartradexd serve or smartradexd migrate creates a new database", path))
	}
	return openStore(e.ctx, path)
}

func newVaultKeyCmd(e *env) *cobra.Command {
	var out string
	gen := &cobra.Command{
		Use:   "generate --out FILE",
		Short: "Generate a vault key pair into a new file",
		Long: `generate writes a new vault private key to FILE (mode 0600; an existing file is
never overwritten) and prints its key ID. Back the file up: a sealed secret
opens only with the key it was sealed to.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return usagef("vault-key generate needs --out FILE")
			}
			k, err := writeVaultKey(out)
			if err != nil {
				return err
			}
			fmt.Fprintln(e.stdout, k.Public().ID())
			return nil
		},
	}
	gen.Flags().StringVar(&out, "out", "", "file to create (mode 0600)")
	return group("vault-key", "Manage the vault key", gen, newResealCmd(e))
}

// adminOptions are the flags every admin command takes.
type adminOptions struct {
	db   string
	json bool
}

func newAdminCmd(e *env) *cobra.Command {
	o := &adminOptions{}
	sub := group("subscriber", "Add and list subscribers",
		o.leaf(e, "add EMAIL", "Add a subscriber", []string{"EMAIL"}, subscriberAdd),
		o.leaf(e, "list", "List the subscribers and their bots", nil, subscriberList))
	tok := group("token", "Issue and revoke subscribers' access tokens",
		o.leaf(e, "issue EMAIL", "Issue an access token (printed once, alone, on standard output)", []string{"EMAIL"}, tokenIssue),
		o.leaf(e, "revoke EMAIL", "Revoke every access token of a subscriber", []string{"EMAIL"}, tokenRevoke))
	eng := group("engine-token", "Issue the trading engine's tokens",
		o.leaf(e, "issue NAME", "Issue an engine token (printed once, alone, on standard output)", []string{"NAME"}, engineIssue))
	admin := group("admin", "Administer subscribers, tokens, subscriptions and the published network", sub, tok, eng, newNetworkCmd(e, o),
		o.leaf(e, "subscribe EMAIL BOT", "Subscribe a subscriber to a bot", []string{"EMAIL", "BOT"}, subscribe(true)),
		o.leaf(e, "unsubscribe EMAIL BOT", "Unsubscribe a subscriber from a bot", []string{"EMAIL", "BOT"}, subscribe(false)))
	admin.Long = `The admin commands change the database directly; they may run while serve
runs on the same database. Each applies pending migrations first.`
	admin.PersistentFlags().StringVar(&o.db, "db", "", "database: a file path, sqlite:PATH or postgres://… (default: smartradexd.db in the data directory)")
	admin.PersistentFlags().BoolVar(&o.json, "json", false, "print the result as JSON, and a failure as {\"ok\": false, \"error\": {…}} too")
	return admin
}

type adminCtx struct {
	*env
	st   store.Store
	json bool
	now  time.Time
}

// none says, on standard error, that a list is empty and how to add to it
// (with --json, the empty list says it).
func (a *adminCtx) none(text string) {
	if !a.json {
		fmt.Fprintln(a.stderr, text)
	}
}

// print writes v as JSON, or text as is.
func (a *adminCtx) print(v any, text string) error {
	if a.json {
		data, err := json.Marshal(v)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(a.stdout, "%s\n", data)
		return err
	}
	_, err := fmt.Fprint(a.stdout, text)
	return err
}

// audit is the audit row of an admin change, handed to the store with the
// change so that both commit or neither does; the store fills in the
// subscriber the change is about.
func (a *adminCtx) audit(action, bot string) store.AuditEvent {
	return store.AuditEvent{At: a.now, Actor: "admin", Action: action, Bot: bot}
}

func (o *adminOptions) leaf(e *env, use, short string, args []string, run func(*adminCtx, []string) error) *cobra.Command {
	return &cobra.Command{
		Use:   use,
		Short: short,
		Args:  exactArgs(args...),
		RunE: func(cmd *cobra.Command, argv []string) error {
			for i, name := range args {
				if err := checkArg(name, argv[i]); err != nil {
					return err
				}
			}
			st, err := openExistingDB(e, o.db)
			if err != nil {
				return err
			}
			defer func() { _ = st.Close() }()
			return run(&adminCtx{env: e, st: st, json: o.json, now: time.Now().UTC().Truncate(time.Second)}, argv)
		},
	}
}

var (
	botShape    = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,63}$`)
	engineShape = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
)

// checkArg refuses a malformed argument before the database is opened.
func checkArg(name, v string) error {
	switch name {
	case "EMAIL":
		a, err := mail.ParseAddress(v)
		if err != nil || a.Address != v || a.Name != "" || len(v) > 254 {
			return usagef("%q is not an e-mail address (write it bare: ada@example.com)", v)
		}
	case "BOT":
		if !botShape.MatchString(v) {
			return usagef("%q is not a bot identifier (e.g. btc-spot)", v)
		}
	case "NAME":
		if !engineShape.MatchString(v) {
			return usagef("%q is not an engine name: up to 64 letters, digits, '.', '_' or '-'", v)
		}
	}
	return nil
}

func subscriberAdd(a *adminCtx, args []string) error {
	sub, err := a.st.AddSubscriber(a.ctx, args[0], a.now, a.audit("subscriber.add", ""))
	if errors.Is(err, store.ErrExists) {
		return withCode(CodeAlreadyExists, fmt.Errorf("the subscriber %s already exists", strings.ToLower(args[0])))
	}
	if err != nil {
		return err
	}
	return a.print(map[string]any{"email": sub.Email, "created_at": sub.CreatedAt},
		fmt.Sprintf("subscriber %s added\n", sub.Email))
}

func subscriberList(a *adminCtx, _ []string) error {
	list, err := a.st.Subscribers(a.ctx)
	if err != nil {
		return err
	}
	type row struct {
		Email     string    `json:"email"`
		Bots      []string  `json:"bots"`
		CreatedAt time.Time `json:"created_at"`
	}
	rows := make([]row, 0, len(list))
	if len(list) == 0 {
		a.none("no subscriber yet: run smartradexd admin subscriber add EMAIL to add the first one")
		return a.print(map[string]any{"subscribers": rows}, "")
	}
	var text strings.Builder
	tw := tabwriter.NewWriter(&text, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "EMAIL\tBOTS\tCREATED")
	for _, p := range list {
		bots := p.Bots
		if bots == nil {
			bots = []string{}
		}
		rows = append(rows, row{p.Subscriber.Email, bots, p.Subscriber.CreatedAt})
		shown := strings.Join(bots, ",")
		if shown == "" {
			shown = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", p.Subscriber.Email, shown, p.Subscriber.CreatedAt.Format(time.RFC3339))
	}
	_ = tw.Flush() // into a strings.Builder: it cannot fail
	return a.print(map[string]any{"subscribers": rows}, text.String())
}

// notFound is err, or, if it is store.ErrNotFound, the error what with
// the code code.
func notFound(err error, code, what string) error {
	if errors.Is(err, store.ErrNotFound) {
		return withCode(code, errors.New(what))
	}
	return err
}

// noSubscriber is the error of an e-mail address no subscriber has, with
// the command that adds one.
func noSubscriber(email string) string {
	email = strings.ToLower(email)
	return "there is no subscriber " + email + ": add it with smartradexd admin subscriber add " + email
}

// noBot is the error of a bot the catalogue lacks, naming those it has.
func (a *adminCtx) noBot(bot string) string {
	msg := "there is no bot " + bot + " in the catalogue"
	bots, err := a.st.Bots(a.ctx)
	if err != nil || len(bots) == 0 {
		return msg
	}
	ids := make([]string, 0, len(bots))
	for _, b := range bots {
		ids = append(ids, b.ID)
	}
	return msg + ": the bots are " + strings.Join(ids, ", ")
}

func tokenIssue(a *adminCtx, args []string) error {
	tok := server.NewToken()
	err := a.st.AddToken(a.ctx, args[0], server.HashToken(tok), a.now, a.audit("token.issue", ""))
	if err != nil {
		return notFound(err, CodeUnknownSubscriber, noSubscriber(args[0]))
	}
	return a.print(map[string]string{"token": tok}, tok+"\n")
}

func tokenRevoke(a *adminCtx, args []string) error {
	n, err := a.st.RevokeTokens(a.ctx, args[0], a.now, a.audit("token.revoke", ""))
	if err != nil {
		return notFound(err, CodeUnknownSubscriber, noSubscriber(args[0]))
	}
	return a.print(map[string]any{"email": strings.ToLower(args[0]), "revoked": n},
		fmt.Sprintf("%d token(s) of %s revoked\n", n, strings.ToLower(args[0])))
}

func engineIssue(a *adminCtx, args []string) error {
	tok := server.NewToken()
	err := a.st.AddEngineToken(a.ctx, args[0], server.HashToken(tok), a.now, a.audit("engine_token.issue", ""))
	if errors.Is(err, store.ErrExists) {
		return withCode(CodeAlreadyExists, fmt.Errorf("an engine named %s already has a token: choose another name", args[0]))
	}
	if err != nil {
		return err
	}
	return a.print(map[string]string{"token": tok}, tok+"\n")
}

func subscribe(on bool) func(*adminCtx, []string) error {
	return func(a *adminCtx, args []string) error {
		email, bot := args[0], args[1]
		if _, err := a.st.Subscriber(a.ctx, email); err != nil {
			return notFound(err, CodeUnknownSubscriber, noSubscriber(email))
		}
		change, action, verb := a.st.Unsubscribe, "subscription.remove", "unsubscribed from"
		if on {
			change, action, verb = a.st.Subscribe, "subscription.add", "subscribed to"
		}
		if err := change(a.ctx, email, bot, a.audit(action, bot)); err != nil {
			return notFound(err, CodeUnknownBot, a.noBot(bot))
		}
		return a.print(map[string]any{"email": strings.ToLower(email), "bot": bot, "subscribed": on},
			fmt.Sprintf("%s %s %s\n", strings.ToLower(email), verb, bot))
	}
}
