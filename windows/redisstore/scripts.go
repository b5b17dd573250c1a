package redisstore

import "github.com/redis/go-redis/v9"

// Lua scripts. Times are encoded as 20 decimal digits of
// uint64(t) XOR 1<<63 (enc), so the scripts order times by plain string
// comparison and never do int64 arithmetic (Lua numbers are doubles).
// Counters go through HINCRBY with the delta as a string: exact int64.

// luaPane holds the helpers shared by the scripts that drop panes and
// event keys.
const luaPane = `
local P = ARGV[1]
local function evictPane(t, g, start)
  local base = t .. ':' .. g .. ':' .. start
  local ak = P .. 'a:' .. base
  local seen = {}
  for _, f in ipairs(redis.call('HKEYS', ak)) do
    local cur = string.match(f, '^(.-)|')
    if cur and not seen[cur] then
      seen[cur] = true
      redis.call('DEL', P .. 'c:' .. base .. ':' .. cur, P .. 'h:' .. base .. ':' .. cur)
    end
  end
  redis.call('DEL', ak)
  redis.call('ZREM', P .. 'p:' .. t .. ':' .. g, start)
end
local function evictIDs(t, cut)
  local dh = P .. 'dh:' .. t
  local hs = redis.call('ZRANGEBYLEX', dh, '-', cut)
  for _, h in ipairs(hs) do redis.call('DEL', P .. 'd:' .. t .. ':' .. h) end
  if #hs > 0 then redis.call('ZREMRANGEBYLEX', dh, '-', cut) end
end
local function fence(shard, token)
  if redis.call('GET', P .. 'lease:' .. shard) ~= token then
    return redis.error_reply('FENCED lease ' .. shard)
  end
end
`

// applyScript applies one batch. ARGV: prefix, mode ("s" store, "r"
// remote), ttl ms, basket log length bound, basket log ttl ms, then per
// update: tenant, event key (8 bytes), dedup hour, currency, 7 deltas,
// customer member ("" or 8-byte hash + 2-byte register + 1-byte rank),
// attachment ("" for none); remote only: now, at, shard, floor; then the
// grid count and per grid: grid, pane start; remote only: pane end, last
// window end. Returns per update: dup (0/1), late grids, dropped grids.
var applyScript = redis.NewScript(`
local P, remote, ttl, bmax, bttl = ARGV[1], ARGV[2] == 'r', ARGV[3], ARGV[4], ARGV[5]
local FIELDS = {'o', 'co', 'ca', 'ro', 'cr', 'ra', 'is'}
local out, touched, tens, sketch, hours, reg, logs = {}, {}, {}, {}, {}, {}, {}
local i, n = 6, #ARGV

local function customer(base, cur, m)
  local ck, hk = P .. 'c:' .. base .. ':' .. cur, P .. 'h:' .. base .. ':' .. cur
  local sk = sketch[hk]
  if sk == nil then
    sk = redis.call('EXISTS', hk) == 1
    sketch[hk] = sk
  end
  if sk then
    local idx = string.byte(m, 9) * 256 + string.byte(m, 10)
    local rank = string.byte(m, 11)
    local c = redis.call('GETRANGE', hk, idx, idx)
    if c == '' or string.byte(c) < rank then redis.call('SETRANGE', hk, idx, string.char(rank)) end
    touched[hk] = true
    return
  end
  if redis.call('SADD', ck, m) == 1 and redis.call('SCARD', ck) > 256 then
    -- past the exact limit: the same registers a MemStore sketch holds
    local regs = {}
    for r = 1, 2048 do regs[r] = 0 end
    for _, x in ipairs(redis.call('SMEMBERS', ck)) do
      local ix = string.byte(x, 9) * 256 + string.byte(x, 10) + 1
      local rk = string.byte(x, 11)
      if rk > regs[ix] then regs[ix] = rk end
    end
    for r = 1, 2048 do regs[r] = string.char(regs[r]) end
    redis.call('SET', hk, table.concat(regs))
    redis.call('DEL', ck)
    sketch[hk] = true
    touched[hk] = true
    return
  end
  touched[ck] = true
end

while i <= n do
  local t, key, hour, cur = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  local di, cust, att = i + 4, ARGV[i + 11], ARGV[i + 12]
  i = i + 13
  local tm, at
  if remote then
    tm = tens[t]
    if not tm then
      local v = redis.call('HMGET', P .. 'm:' .. t, 'F', 'tl', 'maxT', 'last')
      tm = {F = v[1], tl = v[2], maxT = v[3], last = v[4], shard = ARGV[i + 2]}
      if not tm.tl then
        tm.tl = ARGV[i + 3]
        tm.floor = ARGV[i + 3]
      end
      tens[t] = tm
    end
    if not tm.last or ARGV[i] > tm.last then tm.last = ARGV[i] end
    at = ARGV[i + 1]
    i = i + 4
  end
  local ng = tonumber(ARGV[i])
  i = i + 1
  local per = 2
  if remote then per = 4 end
  local dk = P .. 'd:' .. t .. ':' .. hour
  local late, dropped = 0, 0
  if redis.call('SADD', dk, key) == 0 then
    out[#out + 1] = 1
    i = i + ng * per
  else
    out[#out + 1] = 0
    touched[dk] = true
    if att ~= '' then
      local bk = P .. 'b:' .. t
      redis.call('XADD', bk, 'MAXLEN', '~', bmax, '*', 'b', att)
      logs[bk] = true
    end
    local hk = t .. ':' .. hour
    if not hours[hk] then
      hours[hk] = true
      redis.call('ZADD', P .. 'dh:' .. t, 0, hour)
      touched[P .. 'dh:' .. t] = true
    end
    if remote and (not tm.maxT or at > tm.maxT) then tm.maxT = at end
    for _ = 1, ng do
      local g, start = ARGV[i], ARGV[i + 1]
      local pend, last
      if remote then pend, last = ARGV[i + 2], ARGV[i + 3] end
      i = i + per
      if remote and last <= tm.tl then
        dropped = dropped + 1
      else
        local base = t .. ':' .. g .. ':' .. start
        local ak = P .. 'a:' .. base
        for f = 1, 7 do
          local v = ARGV[di + f - 1]
          if v ~= '0' then redis.call('HINCRBY', ak, cur .. '|' .. FIELDS[f], v) end
        end
        touched[ak] = true
        if not reg[ak] then
          reg[ak] = true
          local pk = P .. 'p:' .. t .. ':' .. g
          redis.call('ZADD', pk, 0, start)
          touched[pk] = true
        end
        if cust ~= '' then customer(base, cur, cust) end
        if remote and tm.F and pend <= tm.F then
          late = late + 1
          redis.call('HINCRBY', ak, cur .. '|L|' .. tm.F, 1)
          local xk = P .. 'x:' .. t
          redis.call('HINCRBY', xk, g .. '|' .. start .. '|' .. tm.F, 1)
          touched[xk] = true
        end
      end
    end
  end
  out[#out + 1] = late
  out[#out + 1] = dropped
end
if remote then
  for t, tm in pairs(tens) do
    local mk = P .. 'm:' .. t
    if tm.floor then
      redis.call('HSETNX', mk, 'floor', tm.floor)
      redis.call('HSETNX', mk, 'tl', tm.floor)
    end
    redis.call('HSET', mk, 'last', tm.last)
    if tm.maxT then redis.call('HSET', mk, 'maxT', tm.maxT) end
    touched[mk] = true
    local sk = P .. 's:' .. tm.shard
    redis.call('SADD', sk, t)
    touched[sk] = true
  end
end
for k in pairs(touched) do redis.call('PEXPIRE', k, ttl) end
for k in pairs(logs) do redis.call('PEXPIRE', k, bttl) end
return out
`)

// evictScript is Store.Evict. ARGV: prefix, tenant, ids cut (a
// ZRANGEBYLEX bound), then pairs of grid, pane start.
var evictScript = redis.NewScript(luaPane + `
local t = ARGV[2]
for i = 4, #ARGV, 2 do evictPane(t, ARGV[i], ARGV[i + 1]) end
evictIDs(t, ARGV[3])
return 1
`)

// beginScript raises a tenant's frontier and too-late bound. ARGV:
// prefix, token, shard, tenant, frontier, too-late bound.
var beginScript = redis.NewScript(luaPane + `
local err = fence(ARGV[3], ARGV[2])
if err then return err end
local mk = P .. 'm:' .. ARGV[4]
if redis.call('EXISTS', mk) == 0 then return 0 end
local f = redis.call('HGET', mk, 'F')
if not f or ARGV[5] > f then redis.call('HSET', mk, 'F', ARGV[5], 'tl', ARGV[6]) end
return 1
`)

// commitScript records a close step. ARGV: prefix, token, shard, tenant,
// ttl ms, committed frontier or "", revision cut or "", ids cut or "",
// revision count, (member, rev)..., dirty count,
// (field, n)..., pane count, (grid, start)...
var commitScript = redis.NewScript(luaPane + `
local err = fence(ARGV[3], ARGV[2])
if err then return err end
local t, ttl = ARGV[4], ARGV[5]
local mk = P .. 'm:' .. t
local exists = redis.call('EXISTS', mk) == 1
if exists and ARGV[6] ~= '' then
  local c = redis.call('HGET', mk, 'C')
  if not c or ARGV[6] > c then redis.call('HSET', mk, 'C', ARGV[6]) end
end
local i = 9
local nrev = tonumber(ARGV[i])
i = i + 1
local rk = P .. 'r:' .. t
for _ = 1, nrev do
  redis.call('ZADD', rk, ARGV[i + 1], ARGV[i])
  i = i + 2
end
if nrev > 0 then redis.call('PEXPIRE', rk, ttl) end
local nd = tonumber(ARGV[i])
i = i + 1
local xk = P .. 'x:' .. t
for _ = 1, nd do
  if redis.call('HINCRBY', xk, ARGV[i], '-' .. ARGV[i + 1]) <= 0 then redis.call('HDEL', xk, ARGV[i]) end
  i = i + 2
end
local np = tonumber(ARGV[i])
i = i + 1
for _ = 1, np do
  evictPane(t, ARGV[i], ARGV[i + 1])
  i = i + 2
end
if ARGV[7] ~= '' then redis.call('ZREMRANGEBYLEX', rk, '-', ARGV[7]) end
if ARGV[8] ~= '' then evictIDs(t, ARGV[8]) end
return 1
`)

// forgetScript drops an idle tenant with nothing left. ARGV: prefix,
// token, shard, tenant, last seen or "" (state already expired), grid
// count.
var forgetScript = redis.NewScript(luaPane + `
local err = fence(ARGV[3], ARGV[2])
if err then return err end
local t = ARGV[4]
local mk = P .. 'm:' .. t
local ng = tonumber(ARGV[6])
if ARGV[5] == '' then
  if redis.call('EXISTS', mk) == 1 then return 0 end
else
  if redis.call('HGET', mk, 'last') ~= ARGV[5] then return 0 end
  for g = 0, ng - 1 do
    if redis.call('ZCARD', P .. 'p:' .. t .. ':' .. g) > 0 then return 0 end
  end
  if redis.call('HLEN', P .. 'x:' .. t) > 0 then return 0 end
end
for g = 0, ng - 1 do
  for _, s in ipairs(redis.call('ZRANGE', P .. 'p:' .. t .. ':' .. g, 0, -1)) do evictPane(t, g, s) end
end
evictIDs(t, '+')
redis.call('DEL', mk, P .. 'x:' .. t, P .. 'r:' .. t)
redis.call('SREM', P .. 's:' .. ARGV[3], t)
return 1
`)

// acquireScript takes a free lease. ARGV: prefix, shard, owner, ttl ms.
// Returns the token ("owner|n", n from one increasing counter) or nil.
var acquireScript = redis.NewScript(`
local k = ARGV[1] .. 'lease:' .. ARGV[2]
if redis.call('EXISTS', k) == 1 then return false end
local tok = ARGV[3] .. '|' .. redis.call('INCR', ARGV[1] .. 'lease:seq')
redis.call('SET', k, tok, 'PX', ARGV[4])
return tok
`)

// renewScript extends a lease still held with the token. ARGV: prefix,
// shard, token, ttl ms.
var renewScript = redis.NewScript(`
local k = ARGV[1] .. 'lease:' .. ARGV[2]
if redis.call('GET', k) ~= ARGV[3] then return 0 end
redis.call('PEXPIRE', k, ARGV[4])
return 1
`)

// releaseScript drops a lease still held with the token.
var releaseScript = redis.NewScript(`
local k = ARGV[1] .. 'lease:' .. ARGV[2]
if redis.call('GET', k) ~= ARGV[3] then return 0 end
return redis.call('DEL', k)
`)
