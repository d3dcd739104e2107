package server

import (
	"os/exec"
	"strings"
	"testing"
)

// The sandbox links this package and memstore into smartradex, whose size
// and start-up targets hold only without the database drivers.
func TestLinksNoDatabaseDriver(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to list the dependencies with")
	}
	out, err := exec.Command(goTool, "list", "-deps", ".", "./store/memstore").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if dep == "database/sql/driver" {
			// Interfaces only: go-binance's uuid and decimal packages
			// import it, and smartradex links go-binance anyway.
			continue
		}
		for _, banned := range []string{"database/sql", "modernc.org/sqlite", "github.com/jackc/", "/store/dbopen", "/store/sqldb", "/store/sqlitestore", "/store/pgstore"} {
			if strings.Contains(dep, banned) {
				t.Errorf("%s is linked", dep)
			}
		}
	}
}
