package secrets

// KeyDerivations is the number of scrypt key derivations this process has
// made, for the command-level tests of package secrets_test.
func KeyDerivations() int64 { return scryptRuns.Load() }
