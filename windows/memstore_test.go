package windows_test

import (
	"testing"

	"github.com/olympus-cloud/pulse/windows"
	"github.com/olympus-cloud/pulse/windows/storetest"
)

func TestMemStoreContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) windows.Store { return windows.NewMemStore(windows.MemStoreConfig{}) })
}
