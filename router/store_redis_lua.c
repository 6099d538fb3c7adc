/* SPDX-License-Identifier: MIT */
/* store_redis_lua.c - the Redis store's scripts (see store_redis_int.h for the keys).
 *
 * DESIGN: what must not interleave with another node runs as one script: a schedule's
 * fire and its last-fire check (so each tick fires once in the fleet), taking an event
 * back from a node that is gone (so two nodes never take it together), and every change
 * that moves an event between the queue, the retry set and the dead letters only while
 * this node's consumer still holds it (a node cut off from Redis whose events were taken
 * over changes nothing when it comes back). Scripts are sent with EVAL: Redis caches them
 * by hash, and a restarted server that lost its cache needs nothing from us. */
#include "store_redis_int.h"

/* Whether consumer ARGV[c] still holds entry ARGV[id] of stream KEYS[1] in group ARGV[1]. */
#define RS_LUA_OWNED(id, c)                                                                     \
    "local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[" #id "], ARGV[" #id "], 1)\n"    \
    "if #p == 0 or p[1][2] ~= ARGV[" #c "] then return 0 end\n"

/* KEYS stream, marks. ARGV kind (s|f|g), field, last fire, file value, event fields...
 * The event, or nil when the schedule's tick was fired already. */
const char fg_rs_lua_accept_mark[] =
    "if ARGV[1] == 's' then\n"
    "  local cur = tonumber(redis.call('HGET', KEYS[2], ARGV[2]))\n"
    "  if cur and cur >= tonumber(ARGV[3]) then return false end\n"
    "  redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])\n"
    "elseif ARGV[1] == 'f' then redis.call('HSET', KEYS[2], ARGV[2], ARGV[4])\n"
    "else redis.call('HDEL', KEYS[2], ARGV[2]) end\n"
    "return redis.call('XADD', KEYS[1], '*', unpack(ARGV, 5))\n";

/* KEYS marks. ARGV kind, field, last fire, file value. A schedule's mark only grows. */
const char fg_rs_lua_mark[] =
    "if ARGV[1] == 's' then\n"
    "  local cur = tonumber(redis.call('HGET', KEYS[1], ARGV[2]))\n"
    "  if cur and cur >= tonumber(ARGV[3]) then return 0 end\n"
    "  redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])\n"
    "elseif ARGV[1] == 'f' then redis.call('HSET', KEYS[1], ARGV[2], ARGV[4])\n"
    "else redis.call('HDEL', KEYS[1], ARGV[2]) end\n"
    "return 1\n";

/* KEYS stream, retry set, delayed hash. ARGV group, id, consumer, due, member, fields...
 * (fields start "r", ID, "f", FUNCTION: ARGV[7] is the function, counted in {P}:retryn). */
const char fg_rs_lua_requeue[] =
    RS_LUA_OWNED(2, 3)
    "redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])\n"
    "redis.call('XDEL', KEYS[1], ARGV[2])\n"
    "redis.call('HSET', KEYS[3], unpack(ARGV, 6))\n"
    "redis.call('ZADD', KEYS[2], ARGV[4], ARGV[5])\n"
    "redis.call('HINCRBY', KEYS[2] .. 'n', ARGV[7], 1)\n"
    "return 1\n";

/* KEYS stream, dlq, dlq sequence, dlq counts. ARGV group, id ('' : not from the stream),
 * consumer, function, dead-letter fields... The dead letter's number, or 0. */
const char fg_rs_lua_bury[] =
    "if ARGV[2] ~= '' then\n"
    "  " RS_LUA_OWNED(2, 3)
    "  redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])\n"
    "  redis.call('XDEL', KEYS[1], ARGV[2])\n"
    "end\n"
    "local n = redis.call('INCR', KEYS[3])\n"
    "redis.call('XADD', KEYS[2], n .. '-1', unpack(ARGV, 5))\n"
    "redis.call('HINCRBY', KEYS[4], ARGV[4], 1)\n"
    "return n\n";

/* KEYS stream of the finished event, stream of the record. ARGV group, id, consumer,
 * record fields... */
const char fg_rs_lua_handoff[] =
    RS_LUA_OWNED(2, 3)
    "redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])\n"
    "redis.call('XDEL', KEYS[1], ARGV[2])\n"
    "redis.call('XADD', KEYS[2], '*', unpack(ARGV, 4))\n"
    "return 1\n";

/* KEYS stream. ARGV group, me, node key prefix, count. Takes up to count events held by
 * consumers whose node key is gone, and removes such consumers once they hold nothing.
 * The entries taken (XCLAIM's answer). */
const char fg_rs_lua_reclaim[] =
    "local ok, cs = pcall(redis.call, 'XINFO', 'CONSUMERS', KEYS[1], ARGV[1])\n"
    "if not ok then return {} end\n"
    "local out, want = {}, tonumber(ARGV[4])\n"
    "for _, c in ipairs(cs) do\n"
    "  local name, pending\n"
    "  for i = 1, #c, 2 do\n"
    "    if c[i] == 'name' then name = c[i + 1] elseif c[i] == 'pending' then pending = c[i + 1] end\n"
    "  end\n"
    "  if name ~= ARGV[2] and redis.call('EXISTS', ARGV[3] .. name) == 0 then\n"
    "    if pending == 0 then\n"
    "      redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], name)\n"
    "    elseif want > 0 then\n"
    "      local p = redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', want, name)\n"
    "      local ids = {}\n"
    "      for _, e in ipairs(p) do ids[#ids + 1] = e[1] end\n"
    "      if #ids > 0 then\n"
    "        for _, g in ipairs(redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, unpack(ids))) do\n"
    "          if g then out[#out + 1] = g; want = want - 1 end\n"
    "        end\n"
    "      end\n"
    "    end\n"
    "  end\n"
    "end\n"
    "return out\n";

/* KEYS retry set. ARGV prefix, now (ms), limit. Due retries go back to their streams. */
const char fg_rs_lua_move_due[] =
    "local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[2], 'LIMIT', 0, tonumber(ARGV[3]))\n"
    "for _, k in ipairs(due) do\n"
    "  local hk = ARGV[1] .. ':d:' .. k\n"
    "  local h = redis.call('HGETALL', hk)\n"
    "  redis.call('ZREM', KEYS[1], k)\n"
    "  local fn\n"
    "  for i = 1, #h, 2 do if h[i] == 'f' then fn = h[i + 1] end end\n"
    "  if fn then\n"
    "    redis.call('XADD', ARGV[1] .. ':q:' .. fn, '*', unpack(h))\n"
    "    if redis.call('HINCRBY', KEYS[1] .. 'n', fn, -1) <= 0 then redis.call('HDEL', KEYS[1] .. 'n', fn) end\n"
    "  end\n"
    "  redis.call('DEL', hk)\n"
    "end\n"
    "return #due\n";

/* KEYS stream. ARGV group, me. What consumer me holds goes back to the stream as new
 * entries; me leaves the group. How many went back. */
const char fg_rs_lua_release[] =
    "local n = 0\n"
    "while true do\n"
    "  local ok, p = pcall(redis.call, 'XPENDING', KEYS[1], ARGV[1], '-', '+', 100, ARGV[2])\n"
    "  if not ok or #p == 0 then break end\n"
    "  for _, e in ipairs(p) do\n"
    "    local r = redis.call('XRANGE', KEYS[1], e[1], e[1])\n"
    "    if #r > 0 then redis.call('XADD', KEYS[1], '*', unpack(r[1][2])); n = n + 1 end\n"
    "    redis.call('XACK', KEYS[1], ARGV[1], e[1])\n"
    "    redis.call('XDEL', KEYS[1], e[1])\n"
    "  end\n"
    "end\n"
    "pcall(redis.call, 'XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2])\n"
    "return n\n";

/* KEYS dlq, dlq counts. ARGV id "N-1", prefix, new request id, now (ms), r|p (redrive or
 * purge), function ('' : any). 1 when it was done, 0 when there is no such dead letter. */
const char fg_rs_lua_redrive[] =
    "local r = redis.call('XRANGE', KEYS[1], ARGV[1], ARGV[1])\n"
    "if #r == 0 then return 0 end\n"
    "local h, f = r[1][2], {}\n"
    "for i = 1, #h, 2 do f[h[i]] = h[i + 1] end\n"
    "if ARGV[6] ~= '' and f['f'] ~= ARGV[6] then return 0 end\n"
    "if ARGV[5] == 'r' then\n"
    "  local ev = {'r', ARGV[3], 'f', f['f'], 'a', ARGV[4], 'n', '0', 'd', '0'}\n"
    "  if f['u'] then ev[#ev + 1] = 'u'; ev[#ev + 1] = f['u'] end\n"
    "  ev[#ev + 1] = 'p'; ev[#ev + 1] = f['p'] or ''\n"
    "  redis.call('XADD', ARGV[2] .. ':q:' .. f['f'], '*', unpack(ev))\n"
    "end\n"
    "redis.call('XDEL', KEYS[1], ARGV[1])\n"
    "redis.call('HINCRBY', KEYS[2], f['f'], -1)\n"
    "return 1\n";

/* KEYS the function's test events. ARGV name, "UPDATED JSON", most kept. 1 saved, 0 refused
 * (a new name past the limit). */
const char fg_rs_lua_test_save[] =
    "if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 and redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[3]) then\n"
    "  return 0\n"
    "end\n"
    "redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])\n"
    "return 1\n";

/* KEYS the function's running counts (consumer → events). ARGV node key prefix, consumer,
 * wanted, limit. Forgets the counts of nodes that are gone, then grants what fits under the
 * limit fleet-wide. How many were granted. */
const char fg_rs_lua_slots[] =
    "local h = redis.call('HGETALL', KEYS[1])\n"
    "local used = 0\n"
    "for i = 1, #h, 2 do\n"
    "  if h[i] ~= ARGV[2] and redis.call('EXISTS', ARGV[1] .. h[i]) == 0 then\n"
    "    redis.call('HDEL', KEYS[1], h[i])\n"
    "  else used = used + tonumber(h[i + 1]) end\n"
    "end\n"
    "local g = math.min(tonumber(ARGV[3]), tonumber(ARGV[4]) - used)\n"
    "if g <= 0 then return 0 end\n"
    "redis.call('HINCRBY', KEYS[1], ARGV[2], g)\n"
    "return g\n";

/* KEYS the function's running counts. ARGV consumer, how many it gives back. */
const char fg_rs_lua_slots_release[] =
    "local n = redis.call('HINCRBY', KEYS[1], ARGV[1], -tonumber(ARGV[2]))\n"
    "if n <= 0 then redis.call('HDEL', KEYS[1], ARGV[1]) end\n"
    "return n\n";

/* KEYS the function's token bucket. ARGV rate (per s), burst, wanted. Tokens refill with
 * the server's clock (one clock for the fleet). How many were granted. */
const char fg_rs_lua_tokens[] =
    "local t = redis.call('TIME')\n"
    "local now = tonumber(t[1]) + tonumber(t[2]) / 1e6\n"
    "local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])\n"
    "local b = redis.call('HMGET', KEYS[1], 't', 'at')\n"
    "local tokens, at = tonumber(b[1]) or burst, tonumber(b[2]) or now\n"
    "if now > at then tokens = math.min(burst, tokens + (now - at) * rate) end\n"
    "local g = math.min(tonumber(ARGV[3]), math.floor(tokens))\n"
    "if g < 0 then g = 0 end\n"
    "redis.call('HSET', KEYS[1], 't', tostring(tokens - g), 'at', tostring(now))\n"
    "redis.call('PEXPIRE', KEYS[1], 3600000)\n"
    "return g\n";

/* KEYS the function's token bucket. ARGV burst, tokens given back (granted, not used). */
const char fg_rs_lua_tokens_back[] =
    "local t = tonumber(redis.call('HGET', KEYS[1], 't')) or 0\n"
    "redis.call('HSET', KEYS[1], 't', tostring(math.min(tonumber(ARGV[1]), t + tonumber(ARGV[2]))))\n"
    "return 1\n";

/* KEYS the lease. ARGV consumer, ms. 2: taken now, 1: renewed, 0: another node holds it. */
const char fg_rs_lua_lease[] =
    "local v = redis.call('GET', KEYS[1])\n"
    "if v == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]); return 1 end\n"
    "if v then return 0 end\n"
    "redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])\n"
    "return 2\n";

/* KEYS the lease. ARGV consumer. Gives it up if consumer holds it. */
const char fg_rs_lua_lease_drop[] =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end\n"
    "return 0\n";
