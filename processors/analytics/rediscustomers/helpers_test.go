package rediscustomers

import (
	"sync"
	"testing"

	"github.com/olympus-cloud/pulse/windows/redisstore/redistest"
)

func open(t testing.TB, cfg Config) *Store {
	t.Helper()
	if cfg.Client == nil {
		cfg.Client = redistest.Client(t)
	}
	if cfg.Prefix == "" {
		cfg.Prefix = redistest.Prefix(t)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// leaseTable is a hand-moved lease table (shard -> owner) that replicas
// look at through leaseView.
type leaseTable struct {
	mu    sync.Mutex
	owner map[int]string
}

func (l *leaseTable) move(shard int, to string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.owner[shard] = to
}

type leaseView struct {
	l  *leaseTable
	me string
}

func (v leaseView) Owned(shard int) (string, bool) {
	v.l.mu.Lock()
	defer v.l.mu.Unlock()
	return "token", v.l.owner[shard] == v.me
}
