// Package redisstore keeps Pulse's window state in Redis, so several
// replicas share one Pub/Sub subscription: any replica applies any event,
// and each window is closed, scored and published by exactly one replica,
// the holder of its tenant's lease shard.
//
// # Use
//
//	s, err := redisstore.New(ctx, redisstore.Config{Addr: "127.0.0.1:6379", Prefix: "pulse:"})
//	leases, err := redisstore.NewLeases(s, redisstore.LeasesConfig{Shards: 64})
//	go leases.Run(ctx, logErr)                       // renew/take leases every TTL/3; releases on exit
//	cfg.Distributed = &windows.Distributed{Remote: s, Leases: leases, Shards: 64, Member: i, Members: n}
//	e, err := windows.NewEngine(cfg)                 // one per local shard goroutine i of n
//
// *Store is also a plain windows.Store (Config.Store) for one engine that
// keeps its time bookkeeping in memory; storetest.Run passes against both
// uses' shared code. It needs Redis 6.2+ (ZRANGEBYLEX, EVALSHA, Lua), one
// node or a primary: the scripts touch keys of many tenants and are not
// Redis Cluster slot-safe.
//
// # Keys (P = Config.Prefix, t = tenant, g = grid, s = pane start)
//
//	P m:{t}           hash  maxT (largest event time), last (latest processing time),
//	                        floor, tl (too-late bound), F (frontier), C (committed frontier)
//	P s:{shard}       set   tenants of a lease shard
//	P d:{t}:{hour}    set   8-byte event keys of events in that hour (dedup)
//	P dh:{t}          zset  the tenant's dedup hours (lex order)
//	P p:{t}:{g}       zset  live panes of a grid (the pane registry, lex order)
//	P a:{t}:{g}:{s}   hash  "CUR|o|co|ca|ro|cr|ra|is" counters; "CUR|L|F" late events
//	                        applied while the frontier was F
//	P c:{t}:{g}:{s}:{CUR}  set     customer hashes, exact up to 256
//	P h:{t}:{g}:{s}:{CUR}  string  2,048 one-byte HLL registers past 256
//	P x:{t}           hash  dirty panes "g|s|F" -> late events not yet corrected
//	P r:{t}           zset  emitted revision per window (member end|start|spec, score rev)
//	P lease:{shard}   string  owner|token, PX lease TTL; P lease:seq the token counter
//	P wl:{series}     zset  the window log of a series (AppendWindow), by window start
//	P b:{t}           stream  basket log: field b = an event's attachment (windows.Update.Attach),
//	                        non-duplicates only, in apply order; MAXLEN ~ Config.BasketMax
//	P rm:{t}          hash  the saved recommendation model: id (the basket log id it covers),
//	                        at (Unix ns), m (the encoded model)
//
// Times are 20 decimal digits of uint64(t) XOR 1<<63: fixed width, so
// string order is time order for Lua and ZRANGEBYLEX, and no int64 passes
// through Lua's doubles. Counters are HINCRBY with string deltas: exact.
//
// # Scripts
//
// apply (EVALSHA, one per batch; the whole batch is atomic): per update,
// SADD the event key to its tenant-hour set — 0 means duplicate, nothing
// else happens; else per grid, unless the pane's last window ends at or
// before the tenant's too-late bound (dropped): HINCRBY the non-zero
// counters, add the customer (SADD while exact; at the 257th the set
// becomes the registers a MemStore sketch would hold; then GETRANGE/
// SETRANGE of one register), ZADD the pane to the registry, and if the
// pane ends at or before the frontier F: HINCRBY "CUR|L|F" and the dirty
// mark; and, for a non-duplicate with an attachment, XADD it to P b:{t}
// (MAXLEN ~ BasketMax, default 100,000). Logging the attachment in the
// script that dedups is what makes it exactly once: were it a second call
// after the apply, a crash between the two would lose it for good, since
// the redelivered event is then a duplicate. Per tenant at the end: maxT, last, floor/tl on first sight, shard
// membership; PEXPIRE of every key touched. Customer counts are therefore
// exactly the in-memory ones: exact to 256, then the same 2^11-register
// sketch (2.3% relative standard error).
//
// save model (fenced like closing): HSET P rm:{t} id, at, m, then XTRIM
// P b:{t} MINID id: the holder of the tenant's lease has learned the log
// up to id, and a new holder loads the model and reads the log after id
// (ReadBaskets reads from id inclusive, so it notices when MAXLEN trimmed
// the entry it stands on: a gap). LoadModel returns the model only when
// its (id, at) differs from the caller's, so a cached reader pays one
// small round trip to learn nothing changed.
//
// begin, commit, forget (closing, fenced): each first checks that
// P lease:{shard} still holds the caller's token, else fails with FENCED
// (windows.ErrFenced) and writes nothing. begin raises F and tl; commit
// raises C, records revisions, subtracts consumed dirty counts, deletes
// panes past the correction horizon (with their customer keys), revision
// records of windows ending at or before tl and dedup hours wholly before
// the dedup horizon; forget deletes an idle tenant with nothing left
// (unless it was active again since).
//
// # Closing once
//
// The lease holder of a shard runs, per tenant: begin(F) — from then on
// events for windows ending at or before F are late and marked dirty —
// then reads and emits revision 1 of every window ending in (C, F] that
// has a live pane, then commit(C = F). Then, for dirty panes, it emits
// revision n+1 (n from P r:) of each window holding the pane that ended at
// or before the frontier the event saw, with its late_events, and commits.
// A holder that dies after emitting and before committing leaves C (or the
// revisions) behind: the next holder emits those records again, with the
// same figures and the same deterministic insight ids (the one case of a
// re-emission; consumers dedupe by insight id). An event applied between
// begin and the read is in revision 1 and also marked dirty: it gets a
// correction with identical figures.
//
// Leases: SET-NX-style with PX TTL (default 10s) and a token from one
// INCR counter; Tick renews held leases and takes free ones (up to Max).
// A lease counts as held locally only until 3/4 of the TTL after the
// request that took or renewed it was sent, so the holder stops closing
// before Redis lets another replica take the shard; fencing rejects any
// write that still comes late.
//
// # Expiry
//
// Every key written by apply gets PEXPIRE Config.TTL (default 52h: the
// default dedup horizon of 49h plus out-of-orderness, idle timeout and an
// hour), refreshed by each write; it must cover the engine's DedupHorizon
// + OutOfOrderness + AllowedLateness + IdleTimeout. The basket log and the
// saved model live Config.ModelTTL (default 90 days) after their last
// write instead: a model outlives its tenant's windows. Closing deletes panes
// and revision records past the correction horizon, and dedup hours past
// the dedup horizon, as the in-memory engine evicts them. TTLs are wall
// clock: Redis mode is for live traffic, not fast replays of old data.
//
// # Failure
//
// Redis down or slow (Config.OpTimeout, default 5s): Apply and
// ApplyRemote return an error, the engine returns it from ApplyBatch, the
// ingest handler nacks and Pub/Sub redelivers; nothing is acked that was
// not applied. If the script ran but its reply was lost, the redelivery
// finds every key and changes nothing (reported as duplicates). Closing
// pauses (Advance returns the error; the next tick resumes) and leases
// lapse; they are taken again once Redis is back. Redis without
// persistence loses everything on restart: dedup memory and open windows
// start over. A Lua error mid-script (out of memory) can leave a batch
// partly applied; set maxmemory-policy noeviction so writes fail before
// the script runs.
//
// # Metrics
//
// Config.Observer, when set, sees every Store and Leases call: its
// operation name (Ops: apply, apply_remote, read_window, evict, tenants,
// meta, panes, revisions, begin, commit, forget, lease_tick,
// lease_release, log_append, log_read, basket_read, model_save,
// model_load), its duration and its error (windows.ErrFenced for a
// fenced closing write). pulse run turns it into the
// pulse_state_store_* metrics. The package itself imports no metrics
// library.
//
// # Cost
//
// BenchmarkRedisApplyBatch, 2 shared cores, Redis 7.0 on the same host,
// four grids per event: about 75 µs per event one at a time (13k/s),
// 19 µs at batches of 100 (52k/s), 17 µs at 500 (60k/s), against
// 0.2-0.4 µs for the in-memory store. The distributed engine (remote/...)
// adds watermark and registry bookkeeping: 112, 27 and 22 µs.
package redisstore
