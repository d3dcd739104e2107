package cmdutil

import (
	"context"
	"sync"

	"github.com/smartradex/smartradex/internal/service"
)

// networkOnce keeps a Factory's answer of GET /v1/network, so that a
// command asks once however many keys it checks.
type networkOnce struct {
	once sync.Once
	n    *service.Network
	err  error
}

// Network is the service's addresses and ip_lock (GET /v1/network, no
// token sent), asked once per process. A service that does not publish
// them answers ip_lock "off".
func (f *Factory) Network(ctx context.Context) (*service.Network, error) {
	no := &f.network
	no.once.Do(func() {
		c, err := f.publicService()
		if err != nil {
			no.err = err
			return
		}
		no.n, no.err = c.Network(ctx)
	})
	return no.n, no.err
}

// publicService is a client, without token, of the service in use
// (ServiceURL), for the requests that need none.
func (f *Factory) publicService() (*service.Client, error) {
	base, err := f.ServiceURL()
	if err != nil {
		return nil, err
	}
	hc, err := f.httpClient()
	if err != nil {
		return nil, err
	}
	opts := service.Options{BaseURL: base, HTTP: hc}
	if log := f.debugLog(); log != nil {
		opts.Log = log
	}
	return service.NewPublic(opts)
}
