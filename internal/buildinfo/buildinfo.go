// Package buildinfo carries what is stamped at release time: the version,
// and the vault key ID the release trusts.
package buildinfo

import "runtime/debug"

// Set by the release build with -ldflags "-X ...".
var (
	Version = ""
	Commit  = ""
	Date    = ""

	// VaultKeyID is the key ID of the SmartradeX service's vault key that
	// release builds trust for the default service URL, set with
	// -X github.com/smartradex/smartradex/internal/buildinfo.VaultKeyID=ID.
	// Empty in development builds, which trust on first use instead.
	VaultKeyID = ""
)

// Get returns the version, falling back to the module version recorded by
// `go install module@version`.
func Get() (version, commit, date string) {
	version, commit, date = Version, Commit, Date
	if version == "" {
		version = "dev"
		if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" && info.Main.Version != "(devel)" {
			version = info.Main.Version
		}
	}
	return version, commit, date
}

// UserAgent is the User-Agent sent to remote services.
func UserAgent() string {
	v, _, _ := Get()
	return "smartradex/" + v
}
