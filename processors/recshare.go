package processors

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/olympus-cloud/pulse/windows"
)

// SharedModels keeps, in distributed mode, the bought-together models'
// input and state where every replica reads them (redisstore.Store), so
// each tenant's model is the one a single replica would have built from
// all its orders:
//
//   - Every valid order event carries its basket payload
//     (recommend.Model.AppendBasket, through
//     windows.Engine.ApplyBatchAttached); the
//     Remote's apply logs it to the tenant's basket log in the same
//     atomic step as the dedup, once per event, in one order every reader
//     sees.
//   - The replica holding a tenant's lease shard keeps the tenant's model:
//     on every Advance it reads the log after its cursor and learns each
//     payload in log order, announces the tenant's recommendation insights
//     and pairs, and saves the model with the log id it covers every
//     ModelSaveEvery (fenced by the lease), which trims the log before
//     that id.
//   - A replica taking a tenant over loads the saved model and reads the
//     log on from its id: it rebuilds exactly the previous holder's model.
//
// Cost per Advance of a shard: one Remote.Tenants per held lease shard
// and one pipelined log read over their tenants (more rounds only for a
// tenant with over basketPage new payloads), plus the saves due; a
// takeover costs one LoadModel per tenant taken.
type SharedModels interface {
	// ReadBaskets calls fn(i, id, payload) for up to count payloads logged
	// for tenants[i] after the log id after[i] ("": from the start),
	// oldest first; gaps[i] is set when entries after after[i] may have
	// been dropped unread.
	ReadBaskets(tenants, after []string, count int, gaps []bool, fn func(i int, id, payload string)) error
	// SaveModel stores tenant's encoded model, which covers its log up to
	// id, and drops the log before id; windows.ErrFenced when token no
	// longer holds the lease shard.
	SaveModel(token string, shard int, tenant, id string, at int64, model []byte) error
	// LoadModel returns tenant's saved model and the log id it covers (""
	// and nil when none), or a nil model when the saved one is still the
	// version (haveID, haveAt).
	LoadModel(tenant, haveID string, haveAt int64) (id string, at int64, model []byte, err error)
}

// Defaults of the shared models.
const (
	DefaultModelSaveEvery = 10 * time.Second
	// basketPage is how many payloads one read takes per tenant; a tick
	// reads at most basketRounds pages of a tenant, the rest at the next.
	basketPage   = 1000
	basketRounds = 8
)

// recShare is a shard's part of the shared models: the tenants of its
// held lease shards, each with its place in the tenant's basket log.
type recShare struct {
	models  SharedModels
	held    map[string]*heldModel
	due     time.Time // next save round
	pending []string  // tenants still to save this round
	// scratch of a read
	tenants, after []string
	gaps           []bool
	read           []int
	buf            []byte
}

// heldModel is a tenant whose model this shard keeps.
type heldModel struct {
	shard  int
	token  string // the lease under which it was loaded
	cursor string // log id of the last payload learned ("": none yet)
	saved  string // cursor at the last save or load
	marked bool   // insights announced since the last save
}

func newRecShare(m SharedModels) *recShare {
	return &recShare{models: m, held: map[string]*heldModel{}}
}

// syncModels brings the models of the tenants this shard holds up to
// date: it forgets tenants whose lease it lost (or lost and took again:
// someone else may have learned meanwhile), loads the saved model of each
// tenant it has newly taken, and learns what the tenants' basket logs hold
// past each cursor.
func (s *WindowState) syncModels() error {
	sh, d := s.share, s.cfg.Windows.Distributed
	for t, h := range sh.held {
		if tok, ok := d.Leases.Owned(h.shard); !ok || tok != h.token {
			s.rec.Forget(t)
			delete(sh.held, t)
		}
	}
	var errs []error
	members := max(d.Members, 1)
	sh.tenants = sh.tenants[:0]
	for shard := range d.Shards {
		if shard%members != d.Member {
			continue
		}
		tok, ok := d.Leases.Owned(shard)
		if !ok {
			continue
		}
		tenants, err := d.Remote.Tenants(shard)
		if err != nil {
			errs = append(errs, fmt.Errorf("tenants of lease shard %d: %w", shard, err))
			continue
		}
		slices.Sort(tenants)
		for _, t := range tenants {
			if _, ok := sh.held[t]; !ok {
				if err := s.loadModel(t, shard, tok); err != nil {
					errs = append(errs, err)
					continue
				}
			}
			sh.tenants = append(sh.tenants, t)
		}
	}
	if err := s.readBaskets(); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		s.stats.modelErrors.Add(1)
		return fmt.Errorf("shared recommendations: %w", err)
	}
	return nil
}

// loadModel takes tenant over: its saved model, or none.
func (s *WindowState) loadModel(tenant string, shard int, token string) error {
	sh := s.share
	id, _, b, err := sh.models.LoadModel(tenant, "", 0)
	if err != nil {
		return err // the next tick tries again
	}
	h := &heldModel{shard: shard, token: token, cursor: id, saved: id}
	s.rec.Forget(tenant)
	if id != "" {
		if err := s.rec.LoadTenant(tenant, b); err != nil {
			// A model this configuration cannot hold (smaller capacities,
			// another half-life): start over from the payloads after it.
			s.stats.modelErrors.Add(1)
			s.log.Warn().Str("tenant_id", tenant).Err(err).Msg("saved recommendation model dropped: learning anew")
		}
		s.stats.modelsLoaded.Add(1)
	}
	sh.held[tenant] = h
	return nil
}

// readBaskets learns the payloads past the cursor of every tenant in
// sh.tenants (those the held lease shards list now: a tenant the windows
// forgot for idleness has no new payload, and keeps its model unread
// until an order lists it again), in log order: one pipelined read per
// round, further rounds only for tenants with a full page.
func (s *WindowState) readBaskets() error {
	sh := s.share
	for range basketRounds {
		if len(sh.tenants) == 0 {
			return nil
		}
		n := len(sh.tenants)
		sh.after = sh.after[:0]
		for _, t := range sh.tenants {
			sh.after = append(sh.after, sh.held[t].cursor)
		}
		sh.gaps = slices.Grow(sh.gaps[:0], n)[:n]
		sh.read = slices.Grow(sh.read[:0], n)[:n]
		clear(sh.read)
		err := sh.models.ReadBaskets(sh.tenants, sh.after, basketPage, sh.gaps, func(i int, id, p string) {
			t := sh.tenants[i]
			if err := s.rec.ObserveBasket(t, p); err != nil {
				s.stats.basketGaps.Add(1)
				s.log.Warn().Str("tenant_id", t).Str("log_id", id).Err(err).Msg("basket skipped")
			}
			sh.held[t].cursor = id
			sh.read[i]++
		})
		if err != nil {
			return err
		}
		s.stats.basketsRead.Add(int64(sumInts(sh.read)))
		more := sh.tenants[:0]
		for i, t := range sh.tenants {
			if sh.gaps[i] {
				s.stats.basketGaps.Add(1)
				s.log.Warn().Str("tenant_id", t).Str("log_id", sh.after[i]).
					Msg("basket log trimmed past the model's place: baskets may be missing from its recommendations (raise the log bound)")
			}
			if sh.read[i] == basketPage {
				more = append(more, t)
			}
		}
		sh.tenants = more
	}
	return nil
}

func sumInts(v []int) int {
	n := 0
	for _, x := range v {
		n += x
	}
	return n
}

// markAnnounced records that tenant's model marked pairs as announced:
// it is saved at the next tick, so a new holder does not announce them
// again.
func (s *WindowState) markAnnounced(tenant string) {
	if h := s.share.held[tenant]; h != nil {
		h.marked = true
		s.share.pending = append(s.share.pending, tenant)
	}
}

// saveModels saves, in rounds ModelSaveEvery apart, every held model that
// learned or announced something since its last save, at most
// SnapshotBatch per tick (a full tenant's model is megabytes), and the
// announced ones at once.
func (s *WindowState) saveModels(now time.Time) error {
	sh := s.share
	if len(sh.pending) == 0 && !now.Before(sh.due) {
		sh.due = now.Add(cmpOr(s.cfg.ModelSaveEvery, DefaultModelSaveEvery))
		for t, h := range sh.held {
			if h.cursor != h.saved || h.marked {
				sh.pending = append(sh.pending, t)
			}
		}
		slices.Sort(sh.pending)
	}
	var errs []error
	n := 0
	for len(sh.pending) > 0 && n < cmpOr(s.cfg.SnapshotBatch, DefaultSnapshotBatch) {
		t := sh.pending[0]
		sh.pending = sh.pending[1:]
		h := sh.held[t]
		if h == nil || h.cursor == "" || h.cursor == h.saved && !h.marked {
			continue // gone, or saved already this round
		}
		n++
		b, err := s.rec.AppendTenant(sh.buf[:0], t)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		sh.buf = b
		if err := sh.models.SaveModel(h.token, h.shard, t, h.cursor, now.UnixNano(), b); err != nil {
			if errors.Is(err, windows.ErrFenced) {
				// Someone else holds the tenant now: it continues from the
				// last save and the log.
				s.rec.Forget(t)
				delete(sh.held, t)
			}
			errs = append(errs, err)
			continue
		}
		h.saved, h.marked = h.cursor, false
	}
	if len(sh.buf) > 1<<20 {
		sh.buf = nil // do not keep a big tenant's buffer for the small ones
	}
	if err := errors.Join(errs...); err != nil {
		s.stats.modelErrors.Add(1)
		return fmt.Errorf("save recommendation models: %w", err)
	}
	return nil
}
