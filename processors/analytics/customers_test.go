package analytics_test

import (
	"testing"

	"github.com/olympus-cloud/pulse/processors/analytics"
	"github.com/olympus-cloud/pulse/processors/analytics/customertest"
)

func TestMemoryCustomersContract(t *testing.T) {
	customertest.Run(t, func(t *testing.T, maxPerTenant int) analytics.CustomerStore {
		return analytics.NewMemoryCustomers(maxPerTenant)
	})
}
