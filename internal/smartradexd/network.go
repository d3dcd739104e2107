package smartradexd

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/smartradex/smartradex/internal/server"
	"github.com/smartradex/smartradex/internal/server/store"
)

type announceOptions struct {
	add, remove []string
	at          string
}

// newNetworkCmd is `admin network`: the address changes GET /v1/network
// announces, kept in the database so that every replica publishes them.
func newNetworkCmd(e *env, o *adminOptions) *cobra.Command {
	n := &announceOptions{}
	announce := o.leaf(e, "announce", "Announce a change of the addresses the service calls Binance from", nil,
		func(a *adminCtx, _ []string) error { return networkAnnounce(a, n) })
	announce.Long = `announce publishes, in GET /v1/network's "changes", addresses that subscribers
must add to their keys (--add) or may remove (--remove) from --at on. Update
--egress-ips of serve when the change takes effect.`
	announce.Flags().StringSliceVar(&n.add, "add", nil, "addresses to add to the keys (IP,IP)")
	announce.Flags().StringSliceVar(&n.remove, "remove", nil, "addresses that stop being used (IP,IP)")
	announce.Flags().StringVar(&n.at, "at", "", "when the change takes effect (RFC 3339, e.g. 2027-01-10T00:00:00Z)")
	return group("network", "Announce changes of the service's egress addresses",
		announce,
		o.leaf(e, "list", "List the announced address changes", nil, networkList),
		o.leaf(e, "withdraw ID", "Withdraw an announced address change", []string{"ID"}, networkWithdraw))
}

// addrList parses and canonicalises a flag's addresses.
func addrList(flag string, in []string) ([]string, error) {
	out := []string{}
	seen := map[netip.Addr]bool{}
	for _, s := range in {
		a, err := netip.ParseAddr(strings.TrimSpace(s))
		if err != nil || a.Zone() != "" {
			return nil, usagef("--%s: %q is not an IP address", flag, s)
		}
		a = a.Unmap()
		if seen[a] {
			continue
		}
		seen[a] = true
		out = append(out, a.String())
	}
	if len(out) > server.MaxEgressIPs {
		return nil, usagef("--%s: %d addresses, Binance accepts at most %d per key", flag, len(out), server.MaxEgressIPs)
	}
	return out, nil
}

func networkAnnounce(a *adminCtx, n *announceOptions) error {
	add, err := addrList("add", n.add)
	if err != nil {
		return err
	}
	remove, err := addrList("remove", n.remove)
	if err != nil {
		return err
	}
	if len(add)+len(remove) == 0 {
		return usagef("give --add or --remove: the addresses that change")
	}
	for _, x := range add {
		for _, y := range remove {
			if x == y {
				return usagef("%s is both added and removed", x)
			}
		}
	}
	if n.at == "" {
		return usagef("--at is required: when the change takes effect (RFC 3339, e.g. 2027-01-10T00:00:00Z)")
	}
	at, err := time.Parse(time.RFC3339, n.at)
	if err != nil {
		return usagef("--at: %q is not an RFC 3339 time such as 2027-01-10T00:00:00Z", n.at)
	}
	if !at.After(a.now) {
		return usagef("--at must be in the future: an announcement gives subscribers time to update their keys")
	}
	c, err := a.st.AnnounceNetworkChange(a.ctx, store.NetworkChange{Add: add, Remove: remove, EffectiveAt: at.UTC(), AnnouncedAt: a.now},
		a.audit("network.announce", ""))
	if err != nil {
		return err
	}
	return a.print(changeRow(c), fmt.Sprintf("change %d announced for %s: add %s, remove %s\n",
		c.ID, c.EffectiveAt.Format(time.RFC3339), listText(c.Add), listText(c.Remove)))
}

type changeJSON struct {
	ID          int64     `json:"id"`
	Add         []string  `json:"add"`
	Remove      []string  `json:"remove"`
	EffectiveAt time.Time `json:"effective_at"`
	AnnouncedAt time.Time `json:"announced_at"`
}

func changeRow(c store.NetworkChange) changeJSON {
	return changeJSON{ID: c.ID, Add: c.Add, Remove: c.Remove, EffectiveAt: c.EffectiveAt.UTC(), AnnouncedAt: c.AnnouncedAt.UTC()}
}

func listText(l []string) string {
	if len(l) == 0 {
		return "-"
	}
	return strings.Join(l, ",")
}

func networkList(a *adminCtx, _ []string) error {
	list, err := a.st.NetworkChanges(a.ctx)
	if err != nil {
		return err
	}
	rows := make([]changeJSON, 0, len(list))
	if len(list) == 0 {
		a.none("no address change announced yet: run smartradexd admin network announce --add IP --at RFC3339 to announce one")
		return a.print(map[string]any{"changes": rows}, "")
	}
	var text strings.Builder
	tw := tabwriter.NewWriter(&text, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tEFFECTIVE\tADD\tREMOVE\tSTATE")
	for _, c := range list {
		rows = append(rows, changeRow(c))
		state := "announced"
		if !c.EffectiveAt.After(a.now) {
			state = "in effect (no longer published)"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", c.ID, c.EffectiveAt.UTC().Format(time.RFC3339), listText(c.Add), listText(c.Remove), state)
	}
	_ = tw.Flush()
	return a.print(map[string]any{"changes": rows}, text.String())
}

func networkWithdraw(a *adminCtx, args []string) error {
	id, err := strconv.ParseInt(args[0], 10, 64)
	if err != nil || id <= 0 {
		return usagef("%q is not a change ID (see admin network list)", args[0])
	}
	err = a.st.WithdrawNetworkChange(a.ctx, id, a.audit("network.withdraw", ""))
	if errors.Is(err, store.ErrNotFound) {
		return withCode(CodeUnknownChange, fmt.Errorf("there is no announced change %d: smartradexd admin network list shows the changes not yet in effect", id))
	}
	if err != nil {
		return err
	}
	return a.print(map[string]any{"id": id, "withdrawn": true}, fmt.Sprintf("change %d withdrawn\n", id))
}
