package smartradexd

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/smartradex/smartradex/internal/binance"
	"github.com/smartradex/smartradex/internal/seal"
	"github.com/smartradex/smartradex/internal/server"
	"github.com/smartradex/smartradex/internal/server/store"
	"github.com/smartradex/smartradex/internal/server/store/dbopen"
)

// The HTTP server's limits. A request carries at most a 64 KiB body, so
// 30 s to read it is generous; the handler's longest work is one database
// transaction.
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 30 * time.Second
	writeTimeout      = 30 * time.Second
	idleTimeout       = 120 * time.Second
	maxHeaderBytes    = 16 << 10
	// shutdownTimeout bounds the wait for in-flight requests after SIGTERM.
	shutdownTimeout = 20 * time.Second
)

type serveOptions struct {
	addr              string
	db                string
	vaultKey          string
	previousVaultKeys []string
	binanceURL        string
	egressIPs         []string
	ipLock            string
	binanceSourceAddr string
	checkInterval     time.Duration
	tlsCert, tlsKey   string
	trustedProxies    []string
	addressRate       float64
	addressBurst      int
}

func newServeCmd(e *env) *cobra.Command {
	o := &serveOptions{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the key service's API",
		Long: `serve answers the v1 API on --addr, with /healthz, /readyz and /metrics beside
it. Without --db and --vault-key it keeps smartradexd.db and vault.key in
$XDG_DATA_HOME/smartradexd, generating the vault key on first start.
Logs are JSON lines on standard error. SIGTERM or SIGINT: readiness fails,
requests in flight finish (at most 20 s), then the process exits.

Behind a reverse proxy, --trusted-proxies names its addresses: the client
address in the logs, the audit trail and the per-address limit is then the
one the proxy forwarded in X-Forwarded-For, otherwise the TCP peer's.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runServe(e, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.addr, "addr", defaultAddress, "address to listen on (host:port; port 0 picks a free one)")
	f.StringVar(&o.db, "db", "", "database: a file path, sqlite:PATH or postgres://… (default: smartradexd.db in the data directory)")
	f.StringVar(&o.vaultKey, "vault-key", "", "file holding the vault private key (default: vault.key in the data directory, generated on first start)")
	f.StringSliceVar(&o.previousVaultKeys, "previous-vault-key", nil, "file holding a vault key retired by a rotation: keys still sealed to it are checked until vault-key reseal (repeat, or FILE,FILE)")
	f.StringVar(&o.binanceURL, "binance-url", binance.DefaultBaseURL, "Binance API base URL the service checks keys with")
	f.StringSliceVar(&o.egressIPs, "egress-ips", nil, "the addresses the service calls Binance from, published by GET /v1/network (IP,IP; at most 30)")
	f.StringVar(&o.ipLock, "ip-lock", "off", "IP lock of registered keys: required, recommended or off")
	f.StringVar(&o.binanceSourceAddr, "binance-source-addr", "", "local address to call Binance from (default: the system's choice)")
	f.DurationVar(&o.checkInterval, "check-interval", 6*time.Hour, "how often every stored key is checked again with Binance (0 disables)")
	f.StringVar(&o.tlsCert, "tls-cert", "", "TLS certificate file (PEM), with --tls-key")
	f.StringVar(&o.tlsKey, "tls-key", "", "TLS private key file (PEM), with --tls-cert")
	f.StringSliceVar(&o.trustedProxies, "trusted-proxies", nil, "reverse proxies whose X-Forwarded-For names the client (CIDR,CIDR; default: none, the TCP peer is the client)")
	f.Float64Var(&o.addressRate, "address-rate", 5, "requests per second per client address without a valid token (public endpoints, failed authentications); 0 disables")
	f.IntVar(&o.addressBurst, "address-burst", 60, "burst of --address-rate")
	return cmd
}

// check validates the flags before anything is opened.
func (o *serveOptions) check() (server.Config, error) {
	var cfg server.Config
	switch o.ipLock {
	case "required", "recommended", "off":
		cfg.IPLock = o.ipLock
	default:
		return cfg, usagef("--ip-lock must be required, recommended or off, not %q", o.ipLock)
	}
	for _, s := range o.egressIPs {
		a, err := netip.ParseAddr(strings.TrimSpace(s))
		if err != nil {
			return cfg, usagef("--egress-ips: %q is not an IP address", s)
		}
		cfg.EgressIPs = append(cfg.EgressIPs, a.Unmap())
	}
	if cfg.IPLock != "off" && len(cfg.EgressIPs) == 0 {
		return cfg, usagef("--ip-lock %s needs --egress-ips: the addresses keys are locked to", cfg.IPLock)
	}
	if err := server.CheckNetwork(cfg.EgressIPs, cfg.IPLock); err != nil {
		return cfg, usagef("--egress-ips: %v", err)
	}
	if o.binanceSourceAddr != "" {
		a, err := netip.ParseAddr(o.binanceSourceAddr)
		if err != nil || a.Zone() != "" {
			return cfg, usagef("--binance-source-addr: %q is not an IP address", o.binanceSourceAddr)
		}
		cfg.BinanceSourceAddr = a.Unmap()
	}
	if o.checkInterval < 0 {
		return cfg, usagef("--check-interval must be a duration such as 6h, or 0 to disable the periodic check")
	}
	u, err := url.Parse(o.binanceURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		return cfg, usagef("--binance-url must be an http(s) URL without user information")
	}
	cfg.BinanceURL = strings.TrimSuffix(o.binanceURL, "/")
	insp, err := server.NewInspector(cfg.BinanceURL, cfg.BinanceSourceAddr)
	if err != nil {
		return cfg, usagef("--binance-url: plain http:// only to this computer (127.0.0.1, localhost), otherwise https://")
	}
	cfg.Inspector = insp
	if cfg.TrustedProxies, err = server.ParseTrustedProxies(o.trustedProxies); err != nil {
		return cfg, usagef("--trusted-proxies: %v", err)
	}
	switch {
	case math.IsNaN(o.addressRate) || math.IsInf(o.addressRate, 0) || o.addressRate < 0:
		return cfg, usagef("--address-rate must be a number of requests per second, or 0 to disable the limit")
	case o.addressRate == 0:
		cfg.NoAddressLimit = true
	case o.addressBurst < 1:
		return cfg, usagef("--address-burst must be at least 1")
	default:
		cfg.AddressLimit = server.RateLimit{Rate: o.addressRate, Burst: o.addressBurst}
	}
	if (o.tlsCert == "") != (o.tlsKey == "") {
		return cfg, usagef("--tls-cert and --tls-key go together")
	}
	if _, _, err := net.SplitHostPort(o.addr); err != nil {
		return cfg, usagef("--addr must be host:port, e.g. %s", defaultAddress)
	}
	return cfg, nil
}

func runServe(e *env, o *serveOptions) error {
	cfg, err := o.check()
	if err != nil {
		return err
	}
	if err := checkSourceAddr(e.ctx, cfg.BinanceSourceAddr); err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(e.stderr, nil))
	// A --db that names no database is refused before a vault key is
	// read, or generated for nothing.
	if o.db != "" {
		if err := dbopen.Check(o.db); err != nil {
			return usageError{fmt.Errorf("--db: %w", err)}
		}
	}

	// The certificate is read before anything is generated or migrated.
	var tlsConfig *tls.Config
	if o.tlsCert != "" {
		cert, err := tls.LoadX509KeyPair(o.tlsCert, o.tlsKey)
		if err != nil {
			return fmt.Errorf("--tls-cert %s, --tls-key %s: %w", o.tlsCert, o.tlsKey, err)
		}
		tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}

	vault, generate, err := o.openVault(e)
	if err != nil {
		return err
	}
	if vault != nil {
		if cfg.PreviousVaultKeys, err = o.useVault(vault, log); err != nil {
			return err
		}
	}

	dsn := o.db
	if dsn == "" {
		if dsn, err = defaultDB(e.getenv); err != nil {
			return err
		}
	}
	st, err := openUnmigrated(e.ctx, dsn)
	if err != nil {
		return err
	}
	defer func() { _ = st.Close() }()
	// A database down at start is no reason not to start: the service
	// answers 503 and fails readiness until it can migrate it.
	migrated := st.Migrate(e.ctx)
	if migrated != nil && !errors.Is(migrated, store.ErrUnavailable) {
		return migrateError(dsn, migrated)
	}
	if generate != "" {
		if vault, err = generateVault(e.ctx, st, migrated == nil, generate, log); err != nil {
			return err
		}
		if cfg.PreviousVaultKeys, err = o.useVault(vault, log); err != nil {
			return err
		}
	}

	handler := server.New(cfg, st, vault, log)
	// The background work ends with the run, whatever ends it: a listener
	// that cannot be opened must not leave the run waiting for SIGTERM.
	bg, stopBg := context.WithCancel(e.ctx)
	defer stopBg()
	if migrated == nil {
		log.Info("database ready", "db", dbopen.Redact(dsn))
	} else {
		log.Warn("database unavailable: serving 503 until it can be migrated", errorAttr(migrateError(dsn, migrated)))
		handler.Hold()
		retrying := make(chan struct{})
		go func() { defer close(retrying); migrateLater(bg, st, handler, dsn, log) }()
		defer func() { stopBg(); <-retrying }() // before the store is closed
	}
	if o.checkInterval > 0 {
		checking := make(chan struct{})
		go func() { defer close(checking); handler.RunChecks(bg, o.checkInterval) }()
		defer func() { stopBg(); <-checking }() // before the store is closed
	}
	ln, err := (&net.ListenConfig{}).Listen(e.ctx, "tcp", o.addr)
	if errors.Is(err, syscall.EADDRINUSE) {
		return fmt.Errorf("cannot listen on %s: the address is already in use (another smartradexd, or another program): stop it, or choose another --addr", o.addr)
	}
	if err != nil {
		return fmt.Errorf("cannot listen on %s (--addr): %w", o.addr, err)
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		TLSConfig:         tlsConfig,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(e.ctx) },
	}
	served := make(chan error, 1)
	go func() {
		if tlsConfig != nil {
			served <- srv.ServeTLS(ln, "", "")
		} else {
			served <- srv.Serve(ln)
		}
	}()
	egress := make([]string, 0, len(cfg.EgressIPs))
	for _, a := range cfg.EgressIPs {
		egress = append(egress, a.String())
	}
	trusted := make([]string, 0, len(cfg.TrustedProxies))
	for _, p := range cfg.TrustedProxies {
		trusted = append(trusted, p.String())
	}
	addressLimit := "off"
	if !cfg.NoAddressLimit {
		addressLimit = fmt.Sprintf("%g/s, burst %d", cfg.AddressLimit.Rate, cfg.AddressLimit.Burst)
	}
	log.Info("listening on "+ln.Addr().String(), "addr", ln.Addr().String(), "tls", tlsConfig != nil, "ip_lock", cfg.IPLock,
		"egress_ips", egress, "binance_source_addr", sourceText(cfg.BinanceSourceAddr), "check_interval", o.checkInterval.String(),
		"trusted_proxies", trusted, "address_limit", addressLimit)

	select {
	case err := <-served:
		return fmt.Errorf("serving: %w", err)
	case <-e.ctx.Done():
	}
	// Readiness fails first, so a load balancer stops sending; then the
	// requests in flight finish, within the deadline.
	log.Info("shutting down")
	handler.Drain()
	ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		_ = srv.Close()
		return fmt.Errorf("shutting down: requests still in flight after %s: %w", shutdownTimeout, err)
	}
	log.Info("stopped")
	return nil
}

// openVault reads --vault-key, or the data directory's vault.key. When the
// latter does not exist it returns its path as generate: it is generated
// once the database is open (generateVault).
func (o *serveOptions) openVault(e *env) (k *seal.PrivateKey, generate string, err error) {
	path, isDefault, err := vaultKeyPath(e, o.vaultKey)
	if err != nil {
		return nil, "", err
	}
	k, err = loadVaultKey(path)
	switch {
	case err == nil:
		return k, "", nil
	case !errors.Is(err, fs.ErrNotExist):
		return nil, "", err
	case !isDefault:
		return nil, "", fmt.Errorf("%w: check --vault-key (SMARTRADEXD_VAULT_KEY), or make one with smartradexd vault-key generate --out %s", err, path)
	}
	return nil, path, nil
}

// generateVault generates the data directory's vault key into path, on a
// first start. A database that answers and already holds registered keys
// is not a first start: its vault key file is missing (a restore without
// it, a rotation's NEW dropped), and a new key would leave every
// registered secret unopenable, so serve stops and says so. A database
// that does not answer yet cannot tell: the key is generated.
func generateVault(ctx context.Context, st store.Store, answers bool, path string, log *slog.Logger) (*seal.PrivateKey, error) {
	if answers {
		counts, err := st.VaultKeyCounts(ctx)
		if err != nil {
			return nil, fmt.Errorf("counting the registered keys before generating a vault key: %w", err)
		}
		n := 0
		for _, c := range counts {
			n += c
		}
		if n > 0 {
			return nil, fmt.Errorf("there is no vault key file %s, but the database holds %d registered key(s) sealed to a vault key: "+
				"restore that key's file from its backup to %s, or name it with --vault-key (SMARTRADEXD_VAULT_KEY); "+
				"serve generates a vault key only for a database without registered keys", path, n, path)
		}
	}
	k, err := writeVaultKey(path)
	if err != nil {
		return nil, err
	}
	log.Warn("vault key generated: back it up, sealed secrets cannot be opened without it", "path", path, "key_id", k.Public().ID())
	return k, nil
}

// useVault logs the current vault key and reads the previous ones.
func (o *serveOptions) useVault(vault *seal.PrivateKey, log *slog.Logger) ([]*seal.PrivateKey, error) {
	log.Info("vault key", "key_id", vault.Public().ID())
	return o.openPreviousVaults(vault, log)
}

// openPreviousVaults reads the --previous-vault-key files, refused on the
// same grounds as the current key's. The current key given again is
// dropped, with a warning.
func (o *serveOptions) openPreviousVaults(current *seal.PrivateKey, log *slog.Logger) ([]*seal.PrivateKey, error) {
	var out []*seal.PrivateKey
	seen := map[string]bool{current.Public().ID(): true}
	for _, path := range o.previousVaultKeys {
		path = strings.TrimSpace(path)
		if path == "" {
			continue
		}
		k, err := loadVaultKey(path)
		if err != nil {
			return nil, fmt.Errorf("--previous-vault-key: %w", err)
		}
		id := k.Public().ID()
		if id == current.Public().ID() {
			log.Warn("--previous-vault-key is the current vault key: ignored", "path", path, "key_id", id)
			continue
		}
		if seen[id] {
			continue
		}
		seen[id] = true
		log.Info("previous vault key: keys sealed to it are still checked until resealed", "key_id", id)
		out = append(out, k)
	}
	return out, nil
}

// checkSourceAddr refuses a --binance-source-addr this host does not have:
// every check would fail, and the operator would learn it from Binance's
// silence.
func checkSourceAddr(ctx context.Context, a netip.Addr) error {
	if !a.IsValid() {
		return nil
	}
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", netip.AddrPortFrom(a, 0).String())
	if err != nil {
		return usagef("--binance-source-addr: %s is not an address of this host", a)
	}
	return ln.Close()
}

func sourceText(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}
