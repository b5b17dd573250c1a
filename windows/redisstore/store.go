package redisstore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/olympus-cloud/pulse/windows"
)

// Apply implements windows.Store: the whole batch is one script.
func (s *Store) Apply(batch []windows.Update, dup []bool) (err error) {
	defer s.observe(OpApply, time.Now(), &err)
	args := s.argsHead("s", len(batch))
	for i := range batch {
		args = appendUpdate(args, &batch[i], nil)
	}
	res, err := s.runApply(args, len(batch))
	if err != nil {
		return err
	}
	for i := range batch {
		dup[i] = res[3*i] == 1
	}
	return nil
}

// ApplyRemote implements windows.Remote.
func (s *Store) ApplyRemote(batch []windows.RemoteUpdate, out []windows.RemoteResult) (err error) {
	defer s.observe(OpApplyRemote, time.Now(), &err)
	args := s.argsHead("r", len(batch))
	for i := range batch {
		args = appendUpdate(args, &batch[i].Update, &batch[i])
	}
	res, err := s.runApply(args, len(batch))
	if err != nil {
		return err
	}
	for i := range batch {
		out[i] = windows.RemoteResult{Duplicate: res[3*i] == 1, Late: int(res[3*i+1]), Dropped: int(res[3*i+2])}
	}
	return nil
}

func (s *Store) argsHead(mode string, n int) []any {
	args := make([]any, 0, 5+n*27)
	return append(args, s.cfg.Prefix, mode, s.ttlMs, s.basketMax, s.modelTTLMs)
}

var fields = [7]func(d *windows.Delta) int64{
	func(d *windows.Delta) int64 { return d.Orders },
	func(d *windows.Delta) int64 { return d.CompletedOrders },
	func(d *windows.Delta) int64 { return d.CancelledOrders },
	func(d *windows.Delta) int64 { return d.RefundedOrders },
	func(d *windows.Delta) int64 { return d.CompletedRevenue },
	func(d *windows.Delta) int64 { return d.RefundedAmount },
	func(d *windows.Delta) int64 { return d.ItemsSold },
}

func appendUpdate(args []any, u *windows.Update, r *windows.RemoteUpdate) []any {
	args = append(args, u.Tenant, eventKey(u.EventKey), enc(hourOf(u.At)), u.Currency)
	for _, f := range fields {
		if v := f(&u.Delta); v == 0 {
			args = append(args, "0")
		} else {
			args = append(args, strconv.FormatInt(v, 10))
		}
	}
	cust := ""
	if u.Delta.Customer != 0 {
		idx, rank := windows.HLLRegister(u.Delta.Customer)
		cust = customerMember(u.Delta.Customer, idx, rank)
	}
	args = append(args, cust, u.Attach)
	if r != nil {
		args = append(args, enc(r.Now), enc(u.At), strconv.Itoa(r.Shard), enc(r.Floor))
	}
	n := 0
	for g := range windows.MaxGrids {
		if u.Grids&(1<<g) != 0 {
			n++
		}
	}
	args = append(args, strconv.Itoa(n))
	for g := range windows.MaxGrids {
		if u.Grids&(1<<g) == 0 {
			continue
		}
		args = append(args, strconv.Itoa(g), enc(u.PaneStart[g]))
		if r != nil {
			args = append(args, enc(r.PaneEnd[g]), enc(r.LastEnd[g]))
		}
	}
	return args
}

func (s *Store) runApply(args []any, n int) ([]int64, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	res, err := applyScript.Run(ctx, s.c, nil, args...).Int64Slice()
	if err != nil {
		return nil, fmt.Errorf("redis apply: %w", err)
	}
	if len(res) != 3*n {
		return nil, fmt.Errorf("redis apply: %d results for %d updates", len(res), n)
	}
	return res, nil
}

// Read implements windows.Store.
func (s *Store) Read(tenant string, g int, starts []int64, dst *windows.Totals) error {
	return s.ReadWindow(tenant, g, starts, math.MaxInt64, dst, nil)
}

// ReadWindow implements windows.Remote: two pipelined round trips, the
// pane hashes, then the customer sets or sketches of their currencies.
func (s *Store) ReadWindow(tenant string, g int, starts []int64, lateFrom int64, dst *windows.Totals, late *[]windows.CurrencyCount) (err error) {
	if len(starts) == 0 {
		return nil
	}
	defer s.observe(OpReadWindow, time.Now(), &err)
	ctx, cancel := s.ctx()
	defer cancel()
	gs := strconv.Itoa(g)
	bases := make([]string, len(starts))
	pipe := s.c.Pipeline()
	hs := make([]*redis.MapStringStringCmd, len(starts))
	for i, st := range starts {
		bases[i] = tenant + ":" + gs + ":" + enc(st)
		hs[i] = pipe.HGetAll(ctx, s.cfg.Prefix+"a:"+bases[i])
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("redis read panes: %w", err)
	}
	from := enc(lateFrom)
	type custCmd struct {
		cur  string
		regs *redis.StringCmd
		set  *redis.StringSliceCmd
	}
	var cust []custCmd
	pipe = s.c.Pipeline()
	for i, h := range hs {
		seen := map[string]bool{}
		vals := h.Val()
		for _, f := range slices.Sorted(maps.Keys(vals)) {
			v := vals[f]
			cur, name, ok := strings.Cut(f, "|")
			if !ok {
				continue
			}
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return fmt.Errorf("redis read pane field %s: %w", f, err)
			}
			a := dst.For(cur)
			switch name {
			case "o":
				a.Orders += n
			case "co":
				a.CompletedOrders += n
			case "ca":
				a.CancelledOrders += n
			case "ro":
				a.RefundedOrders += n
			case "cr":
				a.CompletedRevenue += n
			case "ra":
				a.RefundedAmount += n
			case "is":
				a.ItemsSold += n
			default:
				if f, ok := strings.CutPrefix(name, "L|"); ok && late != nil && f >= from {
					addCount(late, cur, n)
				}
			}
			if !seen[cur] {
				seen[cur] = true
				k := bases[i] + ":" + cur
				cust = append(cust, custCmd{cur: cur, regs: pipe.Get(ctx, s.cfg.Prefix+"h:"+k), set: pipe.SMembers(ctx, s.cfg.Prefix+"c:"+k)})
			}
		}
	}
	if len(cust) == 0 {
		return nil
	}
	_, _ = pipe.Exec(ctx) // each command's error is checked below
	for _, c := range cust {
		a := dst.For(c.cur)
		regs, err := c.regs.Bytes()
		switch {
		case err == nil:
			a.Customers.MergeRegisters(regs)
			continue
		case !errors.Is(err, redis.Nil):
			return fmt.Errorf("redis read customers: %w", err)
		}
		if err := c.set.Err(); err != nil {
			return fmt.Errorf("redis read customers: %w", err)
		}
		for _, m := range c.set.Val() {
			if len(m) >= 8 {
				a.Customers.Add(binary.BigEndian.Uint64([]byte(m[:8])))
			}
		}
	}
	return nil
}

func addCount(cs *[]windows.CurrencyCount, cur string, n int64) {
	for i := range *cs {
		if (*cs)[i].Currency == cur {
			(*cs)[i].N += n
			return
		}
	}
	*cs = append(*cs, windows.CurrencyCount{Currency: cur, N: n})
}

// Evict implements windows.Store.
func (s *Store) Evict(tenant string, panes *[windows.MaxGrids][]int64, idsBefore int64) (err error) {
	defer s.observe(OpEvict, time.Now(), &err)
	args := []any{s.cfg.Prefix, tenant, idsCut(idsBefore)}
	args = appendPanes(args, panes)
	ctx, cancel := s.ctx()
	defer cancel()
	if err := evictScript.Run(ctx, s.c, nil, args...).Err(); err != nil {
		return fmt.Errorf("redis evict: %w", err)
	}
	return nil
}

func appendPanes(args []any, panes *[windows.MaxGrids][]int64) []any {
	for g := range panes {
		for _, st := range panes[g] {
			args = append(args, strconv.Itoa(g), enc(st))
		}
	}
	return args
}
