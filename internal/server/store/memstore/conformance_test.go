package memstore

import (
	"testing"

	"github.com/smartradex/smartradex/internal/server/store"
	"github.com/smartradex/smartradex/internal/server/store/storetest"
)

// The conformance suite every store runs.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return New() })
}
