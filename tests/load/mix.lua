-- wrk script: sends the request mix of $MIX_FILE (tests/load/mix-requests.py or
-- longtail-requests.py writes it) in turn, signed-in requests with a buyer token of
-- $TOKENS_FILE drawn at random (a mix without them needs no TOKENS_FILE), and prints the
-- RESULT line of report.lua. It reads no response body: handing every body to Lua cost wrk
-- about a third of its throughput on these 2 cores, so GraphQL errors are counted by the
-- server (mix.sh reads textisur_graphql_errors_total).
dofile("tests/load/report.lua")

local requests = {}
local signed_in = false
for line in io.lines(os.getenv("MIX_FILE")) do
  local kind, method, path, auth, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
  if kind then
    requests[#requests + 1] = { method = method, path = path, auth = auth ~= "-",
      body = body ~= "-" and body or nil, keyed = body:find("@KEY@", 1, true) ~= nil }
    signed_in = signed_in or auth ~= "-"
  end
end
assert(#requests > 0, "no requests in " .. os.getenv("MIX_FILE"))

local tokens = {}
if signed_in then
  for line in io.lines(os.getenv("TOKENS_FILE")) do
    if #line > 0 then tokens[#tokens + 1] = "Bearer " .. line end
  end
  assert(#tokens > 0, "no tokens in " .. os.getenv("TOKENS_FILE"))
end

local threads = 0
function setup(thread)
  thread:set("id", threads)
  threads = threads + 1
end

local next_request = 0
local sent = 0

local anonymous = { ["Accept"] = "application/graphql-response+json" }

function init(args)
  -- Threads start at different places of the mix, and draw different keys and tokens. Each
  -- run starts where the last one stopped ($START, kept by mix.sh): a run replaying what the
  -- last one just sent would find it in the response cache and look faster than it is.
  local start = tonumber(os.getenv("START") or "0") or 0
  local parts = tonumber(os.getenv("WRK_THREADS") or "2") or 2
  next_request = (start + (id or 0) * math.floor(#requests / parts)) % #requests
  math.randomseed(os.time() + (id or 0) * 7919)
end

function request()
  next_request = next_request % #requests + 1
  local r = requests[next_request]
  if not r.auth then
    return wrk.format(r.method, r.path, anonymous, nil)
  end
  local headers = {
    ["Accept"] = "application/graphql-response+json",
    ["Content-Type"] = "application/json",
    ["Authorization"] = tokens[math.random(#tokens)],
  }
  local body = r.body
  if r.keyed then
    sent = sent + 1
    local key = string.format("mix-%d-%d-%08x%08x", id or 0, sent, math.random(0, 0x7fffffff),
      math.random(0, 0x7fffffff))
    body = body:gsub("@KEY@", key)
  end
  return wrk.format(r.method, r.path, headers, body)
end

done = function(summary, latency, requests)
  report(summary, latency)
end
