package cli

import "os"

// secretEnv are the variables that may carry a secret into smartradex.
var secretEnv = []string{"SMARTRADEX_API_SECRET", "SMARTRADEX_TOKEN", "SMARTRADEX_PASSPHRASE"}

// takeSecretEnv reads the secret-bearing variables once, removes them from
// the process environment, and returns a getenv that still answers them.
// Whatever smartradex or a library it uses starts afterwards (a D-Bus
// helper, a pager, a credential helper) inherits the environment without
// the secrets.
func takeSecretEnv() func(string) string {
	taken := make(map[string]string, len(secretEnv))
	for _, name := range secretEnv {
		if v, ok := os.LookupEnv(name); ok {
			taken[name] = v
			_ = os.Unsetenv(name)
		}
	}
	return func(name string) string {
		if v, ok := taken[name]; ok {
			return v
		}
		return os.Getenv(name)
	}
}
