-- wrk script: logs in as comprador1..$ACCOUNTS@textisur.example in turn with the demo
-- password, and prints one RESULT line (see graphql.lua).
dofile("tests/load/report.lua")
local accounts = tonumber(os.getenv("ACCOUNTS") or "200")
local password = os.getenv("PASSWORD") or "lana de alpaca"
local n = 0

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

request = function()
  n = n % accounts + 1
  local body = string.format(
    '{"query":"mutation($i: LoginInput!) { login(input: $i) { accessToken userErrors { code } } }","variables":{"i":{"email":"comprador%d@textisur.example","password":"%s"}}}',
    n, password)
  return wrk.format(nil, nil, nil, body)
end

done = function(summary, latency, requests)
  report(summary, latency)
end
