package smartradexd

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/smartradex/smartradex/internal/seal"
	"github.com/smartradex/smartradex/internal/server/store"
)

type resealOptions struct {
	from     string
	vaultKey string
	db       string
	json     bool
}

func newResealCmd(e *env) *cobra.Command {
	o := &resealOptions{}
	cmd := &cobra.Command{
		Use:   "reseal --from OLD_KEY_FILE",
		Short: "Seal every key sealed to a retired vault key again, to the current one",
		Long: `reseal completes a rotation of the vault key. Every registered key whose
secret is sealed to the key in --from is opened with it, in memory, sealed
again to the current vault key (--vault-key, or vault.key in the data
directory, as serve finds it) with the same binding (bot, API key, key type),
and stored, each in a transaction of its own that changes the key only if it
still holds the seal that was read. It may run while serve runs, on every
replica's database, while subscribers register keys; run again, it does
nothing more, and interrupted, it continues where it stopped.

Exit codes: 0 every registered key is sealed to the current vault key;
3 some are not: a seal that does not open with --from (listed, left as it
is), a key registered to the old key meanwhile (run again), or keys sealed
to yet another vault key (reseal --from that key); 1 failed (a database
error: run again); 2 usage error.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runReseal(e, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.from, "from", "", "file holding the retired vault private key the keys are sealed to")
	f.StringVar(&o.vaultKey, "vault-key", "", "file holding the current vault private key (default: vault.key in the data directory)")
	f.StringVar(&o.db, "db", "", "database: a file path, sqlite:PATH or postgres://… (default: smartradexd.db in the data directory)")
	f.BoolVar(&o.json, "json", false, "print the result as JSON, and a failure as {\"ok\": false, \"error\": {…}} too")
	return cmd
}

// resealKey is a key a reseal left as it was, as the output shows it: never
// its secret, its API key masked.
type resealKey struct {
	Subscriber string `json:"subscriber"`
	Bot        string `json:"bot"`
	APIKey     string `json:"api_key"`
}

// resealReport is what a run of reseal did.
type resealReport struct {
	From           string      `json:"from_key_id"`
	To             string      `json:"to_key_id"`
	Resealed       int         `json:"resealed"`
	AlreadyCurrent int         `json:"already_current"`
	NotOpened      int         `json:"not_opened"`
	Changed        int         `json:"changed"`
	OtherVaultKey  int         `json:"other_vault_key"`
	NotOpenedKeys  []resealKey `json:"not_opened_keys"`
	// After the run: keys still sealed to --from's key, and keys sealed to
	// any key but the current one (those included).
	StillFrom  int `json:"still_sealed_to_from"`
	NotCurrent int `json:"not_current"`
}

func runReseal(e *env, o *resealOptions) error {
	if o.from == "" {
		return usagef("vault-key reseal needs --from OLD_KEY_FILE: the retired vault key the keys are sealed to")
	}
	old, err := loadVaultKey(o.from)
	if err != nil {
		return withCode(CodeVaultKey, fmt.Errorf("--from: %w", err))
	}
	path, isDefault, err := vaultKeyPath(e, o.vaultKey)
	if err != nil {
		return err
	}
	cur, err := loadVaultKey(path)
	if errors.Is(err, fs.ErrNotExist) {
		return withCode(CodeVaultKey, fmt.Errorf("no current vault key: %w (give --vault-key, as serve is given it)", err))
	}
	if err != nil {
		return withCode(CodeVaultKey, err)
	}
	if old.Public().ID() == cur.Public().ID() {
		if isDefault {
			return usagef("--from holds the current vault key %s, the data directory's %s: give the new key with --vault-key, as serve is given it, and the retired one with --from", cur.Public().ID(), path)
		}
		return usagef("--from holds the current vault key %s: give the retired key the keys were sealed to", cur.Public().ID())
	}
	st, err := openExistingDB(e, o.db)
	if err != nil {
		return err
	}
	defer func() { _ = st.Close() }()

	rep, err := reseal(e, st, old, cur)
	if err != nil {
		return err
	}
	if err := printReseal(e, o.json, rep); err != nil {
		return err
	}
	if rep.NotOpened == 0 && rep.NotCurrent == 0 {
		return nil
	}
	var why []string
	if rep.NotOpened > 0 {
		why = append(why, fmt.Sprintf("%d seal(s) do not open with %s", rep.NotOpened, rep.From))
	}
	if n := rep.StillFrom - rep.NotOpened; n > 0 {
		why = append(why, fmt.Sprintf("%d key(s) were sealed to %s during the run: run the command again", n, rep.From))
	}
	if n := rep.NotCurrent - rep.StillFrom; n > 0 {
		why = append(why, fmt.Sprintf("%d key(s) are sealed to other vault keys: reseal --from each of them", n))
	}
	return codedError{code: CodeResealIncomplete, exit: ExitIncomplete, printed: true, err: fmt.Errorf("%d key(s) are not sealed to the current vault key %s: %s",
		rep.NotCurrent, rep.To, strings.Join(why, "; "))}
}

// reseal seals every key sealed to old again to cur. Each key is changed in
// its own transaction, only if it still holds what was read; a key a PUT,
// a DELETE or another run changed since is counted as changed and left to
// whoever changed it.
func reseal(e *env, st store.Store, old, cur *seal.PrivateKey) (resealReport, error) {
	rep := resealReport{From: old.Public().ID(), To: cur.Public().ID(), NotOpenedKeys: []resealKey{}}
	keys, err := st.ActiveKeys(e.ctx, "")
	if err != nil {
		return rep, err
	}
	for _, k := range keys {
		switch k.VaultKeyID {
		case rep.To:
			rep.AlreadyCurrent++
			continue
		case rep.From:
		default:
			rep.OtherVaultKey++
			continue
		}
		sealed, err := resealOne(k, old, cur)
		if errors.Is(err, seal.ErrOpen) {
			rep.NotOpened++
			rep.NotOpenedKeys = append(rep.NotOpenedKeys, resealKey{k.Email, k.Bot, store.MaskAPIKey(k.APIKey)})
			continue
		}
		if err != nil {
			return rep, fmt.Errorf("the key of %s for %s (%s): %w", k.Email, k.Bot, store.MaskAPIKey(k.APIKey), err)
		}
		ev := store.AuditEvent{At: time.Now().UTC().Truncate(time.Second), Actor: "admin", Action: store.ActionKeyReseal, Bot: k.Bot}
		ok, err := st.ResealKey(e.ctx, k, sealed, rep.To, ev)
		if err != nil {
			return rep, fmt.Errorf("storing the key of %s for %s (%s) resealed, after %d resealed: %w (run the command again)",
				k.Email, k.Bot, store.MaskAPIKey(k.APIKey), rep.Resealed, err)
		}
		if ok {
			rep.Resealed++
		} else {
			rep.Changed++
		}
	}
	counts, err := st.VaultKeyCounts(e.ctx)
	if err != nil {
		return rep, err
	}
	for id, n := range counts {
		if id != rep.To {
			rep.NotCurrent += n
		}
	}
	rep.StillFrom = counts[rep.From]
	return rep, nil
}

// resealOne opens k's secret with old and seals it to cur with the same
// binding; it opens the new seal with cur before handing it over, so that
// nothing is stored that the current key cannot open. The secret exists in
// clear only in this function's memory, cleared before it returns.
func resealOne(k store.Key, old, cur *seal.PrivateKey) ([]byte, error) {
	secret, err := seal.Open(old, k.Bot, k.APIKey, k.KeyType, k.SealedSecret)
	defer clear(secret)
	if err != nil {
		return nil, err
	}
	sealed, err := seal.Seal(cur.Public(), k.Bot, k.APIKey, k.KeyType, secret)
	if err != nil {
		return nil, fmt.Errorf("sealing: %w", err)
	}
	back, err := seal.Open(cur, k.Bot, k.APIKey, k.KeyType, sealed)
	defer clear(back)
	if err != nil || !bytes.Equal(back, secret) {
		return nil, errors.New("the new seal does not open with the current vault key")
	}
	return sealed, nil
}

func printReseal(e *env, asJSON bool, rep resealReport) error {
	if asJSON {
		data, err := json.Marshal(rep)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(e.stdout, "%s\n", data)
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "vault key %s -> %s\n", rep.From, rep.To)
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "resealed\t%d\n", rep.Resealed)
	fmt.Fprintf(tw, "already current\t%d\n", rep.AlreadyCurrent)
	fmt.Fprintf(tw, "not opened\t%d\n", rep.NotOpened)
	fmt.Fprintf(tw, "changed meanwhile (skipped)\t%d\n", rep.Changed)
	fmt.Fprintf(tw, "sealed to other vault keys\t%d\n", rep.OtherVaultKey)
	fmt.Fprintf(tw, "not sealed to the current key now\t%d\n", rep.NotCurrent)
	_ = tw.Flush() // into a strings.Builder: it cannot fail
	if len(rep.NotOpenedKeys) > 0 {
		fmt.Fprintf(&b, "not opened with %s, left as they are:\n", rep.From)
		tw = tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
		for _, k := range rep.NotOpenedKeys {
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", k.Subscriber, k.Bot, k.APIKey)
		}
		_ = tw.Flush()
	}
	_, err := fmt.Fprint(e.stdout, b.String())
	return err
}
