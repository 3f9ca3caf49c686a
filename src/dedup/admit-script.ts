/**
 * The two Lua scripts of replay-safe dedup (docs/exactly-once.md, "Replay-safe dedup").
 *
 * Marks live in hashes per time slice ("slots"), not in one key per dedup key: a key with its own
 * TTL cost Redis ~6.5 µs of CPU per record in the script (SET NX PX), as much CPU as sluice's own
 * per record; an HMGET/HSET over a slot's hash costs ~3.5 µs (docs/performance.md). The slice is
 * fixed per topology at first use (the format key), so a later TTL change only looks up more or
 * fewer slots. A key written in slot s is looked up while the current slot is within
 * s..s+ceil(ttl/slice), so it is remembered at least `ttl` and at most `ttl + slice`.
 * Time is Redis's own clock (TIME), one clock for every replica; scripts replicate by effects
 * (the default since Redis 5; https://redis.io/docs/latest/develop/interact/programmability/eval-intro/).
 */

/** Slices per TTL: a slot is ttl/2 long, so marks stay at most 1.5 × ttl and a lookup reads 3 slots. */
const SLICES_PER_TTL = 2;

// Shared head: the clock, and the format key (`<slice ms> <legacy until ms>`) created on first use.
const HEAD = `
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[1])
local function format(legacy_until)
  local f = redis.call('GET', KEYS[2])
  if not f then
    f = math.ceil(ttl / ${SLICES_PER_TTL}) .. ' ' .. legacy_until
    redis.call('SET', KEYS[2], f)
  end
  -- outlives every slot (each expires within 2 TTLs of its last write), yet a gone topology's goes too
  redis.call('PEXPIRE', KEYS[2], 3 * ttl)
  local sp = string.find(f, ' ', 1, true)
  return tonumber(string.sub(f, 1, sp - 1)), tonumber(string.sub(f, sp + 1))
end
`;

/**
 * KEYS[1] slot prefix, KEYS[2] format key, KEYS[3] legacy prefix (keys.ts). ARGV[1] ttl ms,
 * ARGV[2] the keys concatenated, ARGV[3] `<UTF-8 length> <offset>,` per key, ARGV[4] partition.
 * Returns one character per key: '1' new (or marked by this same position: a replay), '0' duplicate.
 * Keys run in offset order, so of a key repeated in the batch the first claims it. A few packed
 * arguments and one string reply, not an argument and a reply per key: ioredis spent most of a
 * call's CPU encoding those.
 */
export const ADMIT_LUA = `${HEAD}
local slice, legacy_until = format(0)
local slot = math.floor(now / slice)
local reach = math.ceil(ttl / slice) -- slots back that a lookup reads
local prefix, keys, part = KEYS[1], ARGV[2], ARGV[4] .. ':'
local names, pos, found, n, at = {}, {}, {}, 0, 1
for len, off in string.gmatch(ARGV[3], '(%d+) (%d+),') do
  n = n + 1
  names[n] = string.sub(keys, at, at + len - 1)
  at = at + len
  pos[n] = part .. off
end
for s = slot - reach, slot do
  local b = prefix .. s
  if redis.call('EXISTS', b) == 1 then
    for from = 1, n, 1000 do -- unpack stays far below Lua's C stack limit (8000)
      local to = math.min(n, from + 999)
      local vals = redis.call('HMGET', b, unpack(names, from, to))
      for i = from, to do
        if vals[i - from + 1] then found[i] = vals[i - from + 1] end
      end
    end
  end
end
if legacy_until > now then -- marks written before the upgrade to slots (keys.ts legacyKey)
  for i = 1, n do
    if not found[i] then found[i] = redis.call('GET', KEYS[3] .. names[i]) or nil end
  end
end
local claimed, args, m, out = {}, {}, 0, {}
for i = 1, n do
  local v = found[i] or claimed[names[i]]
  if v then
    out[i] = (v == pos[i]) and '1' or '0'
  else
    claimed[names[i]] = pos[i]
    args[m + 1], args[m + 2], m = names[i], pos[i], m + 2
    out[i] = '1'
  end
end
local cur = prefix .. slot
for from = 1, m, 2000 do
  redis.call('HSET', cur, unpack(args, from, math.min(m, from + 1999)))
end
if m > 0 then redis.call('PEXPIREAT', cur, (slot + reach + 2) * slice) end
-- the slot just out of reach goes now, freed in the background (UNLINK), before its expiry frees it inline
redis.call('UNLINK', prefix .. (slot - reach - 1))
return table.concat(out)
`;

/**
 * KEYS[1] the partition's marker, KEYS[2] format key. ARGV[1] ttl ms, ARGV[2] now (ISO, for people).
 * Returns 'created' or 'present'. A marker holding no `v2 ` prefix was written before slots: its
 * partition's marks may still be legacy keys, so legacy lookups run for one more TTL from now.
 */
export const MARKER_LUA = `${HEAD}
local old = redis.call('GET', KEYS[1])
if not old then
  format(0)
  redis.call('SET', KEYS[1], 'v2 ' .. ARGV[2])
  return 'created'
end
if string.sub(old, 1, 3) ~= 'v2 ' then
  local slice, legacy_until = format(now + ttl)
  if legacy_until < now + ttl then redis.call('SET', KEYS[2], slice .. ' ' .. (now + ttl), 'PX', 3 * ttl) end
  redis.call('SET', KEYS[1], 'v2 ' .. old)
end
return 'present'
`;
