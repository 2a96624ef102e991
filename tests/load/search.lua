-- wrk script: POSTs the GraphQL bodies of $QUERIES_FILE (a JSON array, one body per line,
-- as tests/load/search-queries.py writes it) in turn, and prints the RESULT line of
-- report.lua plus one line with the responses that carried GraphQL errors:
--   GRAPHQL_ERRORS n
dofile("tests/load/report.lua")

local bodies = {}
for line in io.lines(os.getenv("QUERIES_FILE")) do
  local body = line:gsub(",%s*$", "")
  if body:sub(1, 1) == "{" then
    bodies[#bodies + 1] = body
  end
end
assert(#bodies > 0, "no queries in " .. os.getenv("QUERIES_FILE"))

local threads = {}
function setup(thread)
  thread:set("id", #threads)
  threads[#threads + 1] = thread
end

local next_body = 0
-- Global, so done() can read each thread's count with thread:get.
graphql_errors = 0
local headers = {
  ["Content-Type"] = "application/json",
  ["Accept"] = "application/graphql-response+json",
}

function init(args)
  -- Threads start at different places of the mix.
  next_body = (id or 0) * 37
end

function request()
  next_body = next_body % #bodies + 1
  return wrk.format("POST", "/graphql", headers, bodies[next_body])
end

function response(status, headers, body)
  if status == 200 and body:find('"errors"', 1, true) then
    graphql_errors = graphql_errors + 1
  end
end

done = function(summary, latency, requests)
  report(summary, latency)
  local total = 0
  for _, thread in ipairs(threads) do
    total = total + (thread:get("graphql_errors") or 0)
  end
  io.write(string.format("GRAPHQL_ERRORS %d\n", total))
end
