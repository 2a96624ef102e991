-- wrk script: sends the request mix of $MIX_FILE (tests/load/mix-requests.py writes it) in
-- turn, signed-in requests with a buyer token of $TOKENS_FILE drawn at random, and prints the
-- RESULT line of report.lua plus
--   GRAPHQL_ERRORS n     responses with a top-level "errors" entry
--   USER_ERRORS n        checkouts and cart changes refused with a userErrors code
dofile("tests/load/report.lua")

local requests = {}
for line in io.lines(os.getenv("MIX_FILE")) do
  local kind, method, path, auth, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
  if kind then
    requests[#requests + 1] = { method = method, path = path, auth = auth ~= "-",
      body = body ~= "-" and body or nil, keyed = body:find("@KEY@", 1, true) ~= nil }
  end
end
assert(#requests > 0, "no requests in " .. os.getenv("MIX_FILE"))

local tokens = {}
for line in io.lines(os.getenv("TOKENS_FILE")) do
  if #line > 0 then tokens[#tokens + 1] = "Bearer " .. line end
end
assert(#tokens > 0, "no tokens in " .. os.getenv("TOKENS_FILE"))

local threads = {}
function setup(thread)
  thread:set("id", #threads)
  threads[#threads + 1] = thread
end

local next_request = 0
local sent = 0
-- Globals, so done() can read each thread's counts with thread:get.
graphql_errors = 0
user_errors = 0

local anonymous = { ["Accept"] = "application/graphql-response+json" }

function init(args)
  -- Threads start at different places of the mix, and draw different keys and tokens.
  next_request = (id or 0) * math.floor(#requests / 2)
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

function response(status, headers, body)
  if body:find('"errors"', 1, true) then
    graphql_errors = graphql_errors + 1
  elseif body:find('"userErrors":[{', 1, true) then
    user_errors = user_errors + 1
  end
end

done = function(summary, latency, requests)
  report(summary, latency)
  local errors, refused = 0, 0
  for _, thread in ipairs(threads) do
    errors = errors + (thread:get("graphql_errors") or 0)
    refused = refused + (thread:get("user_errors") or 0)
  end
  io.write(string.format("GRAPHQL_ERRORS %d\nUSER_ERRORS %d\n", errors, refused))
end
