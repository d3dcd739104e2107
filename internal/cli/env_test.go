package cli

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// The secrets read from the environment stay readable by smartradex and
// leave the process environment, so no program started later sees them.
func TestTakeSecretEnv(t *testing.T) {
	values := map[string]string{
		"SMARTRADEX_API_SECRET": "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j",
		"SMARTRADEX_TOKEN":      "srx_tok_Zk3QmT9vLp2WcX8nR4yB6uHd1sJf0aGe",
		"SMARTRADEX_PASSPHRASE": "correct horse battery staple",
		"SMARTRADEX_API_KEY":    "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A",
	}
	for k, v := range values {
		t.Setenv(k, v)
	}
	getenv := takeSecretEnv()
	for k, v := range values {
		if got := getenv(k); got != v {
			t.Errorf("getenv(%s) = %q, want the value it had", k, got)
		}
	}
	for _, k := range secretEnv {
		if _, ok := os.LookupEnv(k); ok {
			t.Errorf("%s is still in the process environment", k)
		}
	}
	if os.Getenv("SMARTRADEX_API_KEY") == "" {
		t.Error("the API key, which is not secret, was removed too")
	}
	out, err := exec.Command("env").Output()
	if err != nil {
		t.Skip("no env program:", err)
	}
	for _, k := range secretEnv {
		if strings.Contains(string(out), values[k]) {
			t.Errorf("a child process sees %s", k)
		}
	}
}
