package rediscustomers

import "github.com/redis/go-redis/v9"

// Lua scripts. Times are 20 decimal digits of uint64(ns) XOR 1<<63 (enc),
// so Lua orders them by string comparison and never holds an int64 in a
// double. Spend is a decimal string added exactly as two base-10^9 limbs.
// A customer's value is "orders|spent|last|seg|" + 32 bytes of event-id
// hashes (4 × 8) + the next slot ("0".."3").

// luaMoney holds the exact decimal arithmetic.
const luaMoney = `
local B = 1000000000
local function parse(s)
  local neg = string.sub(s, 1, 1) == '-'
  if neg then s = string.sub(s, 2) end
  local h, l = 0, tonumber(s)
  if #s > 9 then h, l = tonumber(string.sub(s, 1, -10)), tonumber(string.sub(s, -9)) end
  if neg and l == 0 then return -h, 0 end
  if neg then return -h - 1, B - l end
  return h, l
end
local function negate(h, l)
  if l == 0 then return -h, 0 end
  return -h - 1, B - l
end
local function add(h1, l1, h2, l2)
  local h, l = h1 + h2, l1 + l2
  if l >= B then h, l = h + 1, l - B end
  return h, l
end
local function str(h, l)
  if h < 0 then
    local nh, nl = negate(h, l)
    return '-' .. str(nh, nl)
  end
  if h == 0 then return string.format('%d', l) end
  return string.format('%d%09d', h, l)
end
local function gt(a, b)
  local h1, l1 = parse(a)
  local h2, l2 = parse(b)
  return h1 > h2 or (h1 == h2 and l1 > l2)
end
`

// applyScript applies a batch. ARGV: prefix, ttl ms, cap per tenant, dedup
// ttl ms, then per update 14 values: tenant, lease shard, field
// (currency|customer), event hash (8 bytes), kind ("c" completed, "r"
// refund), amount, event time (enc), event time ms (zset score), VIP spend
// (minor units), VIP cutoff (enc of now - VIPWithin), high-value spend,
// high-value cutoff, at-risk cutoff, event hour (dedup set). An event is a
// duplicate when its hash is in the tenant's set of that event hour, or
// among the customer's latest four. Returns per update 11 strings: status ("a" applied, "d"
// duplicate, "n" refund of an unknown customer), segment before, after,
// orders, spent and last before, orders, spent and last after, the
// tenant's first order (enc, "" if none), customers evicted.
var applyScript = redis.NewScript(luaMoney + `
local P, ttl, cap, dttl = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]
local out, firsts, touched, hours = {}, {}, {}, {}
local i = 5
while i <= #ARGV do
  local t, shard, f, hsh, kind, amt, at, atMs = ARGV[i], ARGV[i+1], ARGV[i+2], ARGV[i+3], ARGV[i+4], ARGV[i+5], ARGV[i+6], ARGV[i+7]
  local vipS, vipC, hvS, hvC, riskC, hour = ARGV[i+8], ARGV[i+9], ARGV[i+10], ARGV[i+11], ARGV[i+12], ARGV[i+13]
  i = i + 14
  local cu, cz, cm = P .. 'cu:' .. t, P .. 'cz:' .. t, P .. 'cm:' .. t
  local v = redis.call('HGET', cu, f)
  local first = firsts[t]
  if first == nil then
    first = redis.call('HGET', cm, 'first') or ''
    firsts[t] = first
  end
  if not v and kind == 'r' then
    for _, x in ipairs({'n', '', '', '0', '0', '', '0', '0', '', first, '0'}) do out[#out + 1] = x end
  else
    local orders, spent, last, seg, ring, nxt = 0, '0', '', '', string.rep('\0', 32), 0
    if v then
      local a, b, c, d = string.match(v, '^(%d+)|(%-?%d+)|(%d*)|(%a?)|')
      orders, spent, last, seg = tonumber(a), b, c, d
      local head = #a + #b + #c + #d + 4
      ring = string.sub(v, head + 1, head + 32)
      nxt = tonumber(string.sub(v, head + 33, head + 33))
    end
    local ce = P .. 'ce:' .. t .. ':' .. hour
    local dup = redis.call('SADD', ce, hsh) == 0
    hours[ce] = true
    for k = 0, 3 do
      if string.sub(ring, k * 8 + 1, k * 8 + 8) == hsh then dup = true end
    end
    if dup then
      for _, x in ipairs({'d', seg, seg, tostring(orders), spent, last, tostring(orders), spent, last, first, '0'}) do out[#out + 1] = x end
    else
      local bo, bs, bl, bseg = orders, spent, last, seg
      ring = string.sub(ring, 1, nxt * 8) .. hsh .. string.sub(ring, nxt * 8 + 9)
      nxt = (nxt + 1) % 4
      local h, l = parse(spent)
      local ah, al = parse(amt)
      if kind == 'r' then
        ah, al = negate(ah, al)
      else
        orders = orders + 1
        if last == '' or at > last then
          last = at
          redis.call('ZADD', cz, atMs, f)
        end
        if first == '' or at < first then
          first = at
          firsts[t] = at
          redis.call('HSET', cm, 'first', first)
        end
      end
      spent = str(add(h, l, ah, al))
      local s
      if gt(spent, vipS) and last >= vipC then s = 'V'
      elseif gt(spent, hvS) and last >= hvC then s = 'H'
      elseif last < riskC then s = 'A'
      elseif orders == 1 then s = 'N'
      else s = 'R' end
      redis.call('HSET', cu, f, string.format('%d', orders) .. '|' .. spent .. '|' .. last .. '|' .. s .. '|' .. ring .. nxt)
      local ev = 0
      local n = redis.call('ZCARD', cz)
      if n > cap then
        local drop = n - (cap - math.max(math.floor(cap / 16), 1))
        for _, m in ipairs(redis.call('ZRANGE', cz, 0, drop - 1)) do redis.call('HDEL', cu, m) end
        redis.call('ZREMRANGEBYRANK', cz, 0, drop - 1)
        ev = drop
      end
      touched[t] = shard
      for _, x in ipairs({'a', bseg, s, string.format('%d', bo), bs, bl, string.format('%d', orders), spent, last, first, tostring(ev)}) do out[#out + 1] = x end
    end
  end
end
for ce in pairs(hours) do redis.call('PEXPIRE', ce, dttl) end
for t, shard in pairs(touched) do
  redis.call('SADD', P .. 'ct:' .. shard, t)
  redis.call('PEXPIRE', P .. 'ct:' .. shard, ttl)
  redis.call('PEXPIRE', P .. 'cu:' .. t, ttl)
  redis.call('PEXPIRE', P .. 'cz:' .. t, ttl)
  redis.call('PEXPIRE', P .. 'cm:' .. t, ttl)
end
return out
`)

// casScript records sweep reclassifications. ARGV: prefix, tenant, then
// triples field, expected value, new value. A triple applies only if the
// field still holds the expected value (no order since it was read, and no
// other sweeper recorded the move). Returns 1 or 0 per triple.
var casScript = redis.NewScript(`
local cu = ARGV[1] .. 'cu:' .. ARGV[2]
local out = {}
for i = 3, #ARGV, 3 do
  if redis.call('HGET', cu, ARGV[i]) == ARGV[i + 1] then
    redis.call('HSET', cu, ARGV[i], ARGV[i + 2])
    out[#out + 1] = 1
  else
    out[#out + 1] = 0
  end
end
return out
`)

// forgetScript drops up to limit customers of a tenant whose last order
// is before the cutoff. ARGV: prefix, tenant, shard, cutoff (enc), cutoff
// ms, limit. When nothing is left it drops the tenant. Returns the number
// dropped.
var forgetScript = redis.NewScript(`
local P, t = ARGV[1], ARGV[2]
local cu, cz = P .. 'cu:' .. t, P .. 'cz:' .. t
local n = 0
for _, m in ipairs(redis.call('ZRANGEBYSCORE', cz, '-inf', ARGV[5], 'LIMIT', 0, tonumber(ARGV[6]))) do
  local v = redis.call('HGET', cu, m)
  local last = v and string.match(v, '^%d+|%-?%d+|(%d*)|')
  if not last or last < ARGV[4] then
    redis.call('HDEL', cu, m)
    redis.call('ZREM', cz, m)
    if v then n = n + 1 end
  end
end
if redis.call('EXISTS', cu) == 0 then
  redis.call('SREM', P .. 'ct:' .. ARGV[3], t)
  redis.call('DEL', cz, P .. 'cm:' .. t)
end
return n
`)

// claimScript records the summary day. ARGV: prefix, tenant, day, ttl ms.
// Returns 1 if the day is later than the one recorded.
var claimScript = redis.NewScript(`
local cm = ARGV[1] .. 'cm:' .. ARGV[2]
local d = redis.call('HGET', cm, 'sday')
if d and tonumber(d) >= tonumber(ARGV[3]) then return 0 end
redis.call('HSET', cm, 'sday', ARGV[3])
redis.call('PEXPIRE', cm, ARGV[4])
return 1
`)
