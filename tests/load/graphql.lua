-- wrk script: POSTs the GraphQL body in $BODY_FILE and prints one RESULT line:
-- req/s p50_ms p95_ms p99_ms errors requests
dofile("tests/load/report.lua")
local file = assert(io.open(os.getenv("BODY_FILE"), "r"))
local body = file:read("*a")
file:close()

wrk.method = "POST"
wrk.body = body
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/graphql-response+json"

done = function(summary, latency, requests)
  report(summary, latency)
end
