-- GCRA (the generic cell rate algorithm) over one or more tiers, in one atomic step.
--
-- Each tier is a bucket of `burst` points that regains one point every `interval`
-- microseconds. Its state is one number, the theoretical arrival time (TAT): the bucket is
-- full when the TAT is not after now. Spending n points moves the TAT n intervals on, and is
-- allowed while the TAT stays within `burst` intervals of now.
--
-- KEYS:    one bucket per tier, narrowest first.
-- ARGV[1]: points to spend; a negative number gives points back to KEYS[1] (never above full).
-- ARGV[2k], ARGV[2k + 1]: tier k's burst (points) and interval (microseconds per point).
-- Returns {allowed (1 or 0), points left in the last tier looked at, microseconds to wait}.
-- The first tier that cannot pay refuses, and the tiers after it are not spent.
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local amount = tonumber(ARGV[1])
local remaining = 0
for i, key in ipairs(KEYS) do
  local burst = tonumber(ARGV[2 * i])
  local interval = tonumber(ARGV[2 * i + 1])
  local capacity = burst * interval
  local tat = tonumber(redis.call('GET', key) or now)
  if tat < now then
    tat = now
  end
  local new_tat
  if amount < 0 then
    new_tat = math.max(now, tat + amount * interval)
  else
    new_tat = tat + amount * interval
    if new_tat - capacity > now then
      local left = math.floor((capacity - (tat - now)) / interval)
      return {0, left, math.ceil(new_tat - capacity - now)}
    end
  end
  if new_tat > now then
    redis.call('SET', key, string.format('%d', new_tat), 'PX', math.ceil((new_tat - now) / 1000) + 1)
  else
    redis.call('DEL', key)
  end
  remaining = math.floor((capacity - (new_tat - now)) / interval)
end
return {1, remaining, 0}
