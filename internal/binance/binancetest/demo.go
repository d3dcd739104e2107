package binancetest

import (
	"encoding/json"
	"fmt"
)

// DemoKey is a documented key of the stand-in, used by tests and by the
// sandbox mode. Its API key and secret are fixed, obviously fake strings.
type DemoKey struct {
	Name        string
	Description string // English, for docs and the sandbox listing
	Key         Key
}

// Demo UIDs: "same-subaccount" shares "ok"'s UID on purpose.
const (
	DemoUIDOk    int64 = 900000001
	DemoUIDOkETH int64 = 900000006
)

// demoRestrictions is the documented 13-field response with the given
// fields changed.
func demoRestrictions(changes map[string]any) json.RawMessage {
	fields := []string{"ipRestrict", "createTime", "enableReading", "enableWithdrawals", "enableInternalTransfer",
		"enableMargin", "enableFutures", "permitsUniversalTransfer", "enableVanillaOptions", "enableFixApiTrade",
		"enableFixReadOnly", "enableSpotAndMarginTrading", "enablePortfolioMarginTrading"}
	values := map[string]any{
		"ipRestrict": false, "createTime": int64(1698645219000), "enableReading": true, "enableWithdrawals": false,
		"enableInternalTransfer": false, "enableMargin": false, "enableFutures": false, "permitsUniversalTransfer": false,
		"enableVanillaOptions": false, "enableFixApiTrade": false, "enableFixReadOnly": false,
		"enableSpotAndMarginTrading": true, "enablePortfolioMarginTrading": false,
	}
	for k, v := range changes {
		if _, ok := values[k]; !ok {
			fields = append(fields, k)
		}
		values[k] = v
	}
	// Keep Binance's field order, which a map would lose.
	out := []byte("{")
	for i, f := range fields {
		if i > 0 {
			out = append(out, ',')
		}
		v, _ := json.Marshal(values[f])
		out = append(out, fmt.Sprintf("%q:%s", f, v)...)
	}
	return append(out, '}')
}

// DemoKeys returns the stand-in's documented demo keys.
func DemoKeys() []DemoKey {
	return []DemoKey{
		{"ok", "passes the check: Enable Reading and Enable Spot & Margin Trading only", Key{
			APIKey:       "DEMOOkApiKeyNotRealSandbox0000000000000000000000000000000000OK01",
			Secret:       "DEMOOkSecretNotRealSandboxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxOK01",
			Restrictions: demoRestrictions(nil), UID: DemoUIDOk}},
		{"withdrawals", "refused: Enable Withdrawals is on", Key{
			APIKey:       "DEMOWithdrawalsApiKeyNotRealSandbox0000000000000000000000000WDRW",
			Secret:       "DEMOWithdrawalsSecretNotRealSandboxxxxxxxxxxxxxxxxxxxxxxxxxxWDRW",
			Restrictions: demoRestrictions(map[string]any{"enableWithdrawals": true}), UID: 900000002}},
		{"ip-restricted", "refused: access is restricted to trusted IPs", Key{
			APIKey:       "DEMOIpRestrictedApiKeyNotRealSandbox000000000000000000000000IPRS",
			Secret:       "DEMOIpRestrictedSecretNotRealSandboxxxxxxxxxxxxxxxxxxxxxxxxxIPRS",
			Restrictions: demoRestrictions(map[string]any{"ipRestrict": true}), UID: 900000003}},
		{"expired", "refused: the Enable Spot & Margin Trading right expired (older response with tradingAuthorityExpirationTime)", Key{
			APIKey: "DEMOExpiredApiKeyNotRealSandbox00000000000000000000000000000EXPD",
			Secret: "DEMOExpiredSecretNotRealSandboxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxEXPD",
			Restrictions: demoRestrictions(map[string]any{"enableSpotAndMarginTrading": false,
				"tradingAuthorityExpirationTime": int64(1628985600000)}), UID: 900000004}},
		{"same-subaccount", "passes the check, but belongs to the same sub-account (UID) as \"ok\"", Key{
			APIKey:       "DEMOSameSubaccountApiKeyNotRealSandbox0000000000000000000000SAME",
			Secret:       "DEMOSameSubaccountSecretNotRealSandboxxxxxxxxxxxxxxxxxxxxxxxSAME",
			Restrictions: demoRestrictions(nil), UID: DemoUIDOk}},
		{"ok-eth", "passes the check, on another sub-account: for a second bot", Key{
			APIKey:       "DEMOOkEthApiKeyNotRealSandbox0000000000000000000000000000000OKET",
			Secret:       "DEMOOkEthSecretNotRealSandboxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxOKET",
			Restrictions: demoRestrictions(nil), UID: DemoUIDOkETH}},
	}
}

// SandboxServiceIP is the address the sandbox's service stands for when it
// calls the stand-in (see Server.ListenAs): a documentation address
// (RFC 5737), never a real caller.
const SandboxServiceIP = "203.0.113.10"

// Demo UIDs of the locked demo keys.
const (
	DemoUIDLocked        int64 = 900000007
	DemoUIDLockedMissing int64 = 900000008
)

// LockedDemoKeys returns the demo keys locked to trusted IPs, for the
// sandbox's ip_lock step. They are kept apart from DemoKeys, whose keys all
// work from 127.0.0.1: these work only from their listed addresses.
func LockedDemoKeys() []DemoKey {
	return []DemoKey{
		{"locked", "passes the check when SmartradeX checks it: locked to the sandbox service's address", Key{
			APIKey:       "DEMOLockedApiKeyNotRealSandbox000000000000000000000000000000LOCK",
			Secret:       "DEMOLockedSecretNotRealSandboxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxLOCK",
			Restrictions: demoRestrictions(map[string]any{"ipRestrict": true}), UID: DemoUIDLocked,
			IPs: []string{SandboxServiceIP}}},
		{"locked-elsewhere", "refused from SmartradeX's address: its IP list lacks the sandbox service's address", Key{
			APIKey:       "DEMOLockedElsewhereApiKeyNotRealSandbox000000000000000000000LKEL",
			Secret:       "DEMOLockedElsewhereSecretNotRealSandboxxxxxxxxxxxxxxxxxxxxxxLKEL",
			Restrictions: demoRestrictions(map[string]any{"ipRestrict": true}), UID: DemoUIDLockedMissing,
			IPs: []string{"198.51.100.23"}}},
	}
}

// AddLockedDemoKeys adds every locked demo key to s.
func (s *Server) AddLockedDemoKeys() {
	for _, k := range LockedDemoKeys() {
		s.AddKey(k.Key)
	}
}

// DemoKeyByName returns the demo key called name.
func DemoKeyByName(name string) (DemoKey, error) {
	for _, k := range append(DemoKeys(), LockedDemoKeys()...) {
		if k.Name == name {
			return k, nil
		}
	}
	return DemoKey{}, fmt.Errorf("%w %q", ErrUnknownDemoKey, name)
}

// AddDemoKeys adds every demo key to s.
func (s *Server) AddDemoKeys() {
	for _, k := range DemoKeys() {
		s.AddKey(k.Key)
	}
}
