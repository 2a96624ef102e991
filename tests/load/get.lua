-- wrk script: GETs $PATH_QUERY (a persisted-query URL) and prints one RESULT line.
dofile("tests/load/report.lua")
wrk.method = "GET"
wrk.path = os.getenv("PATH_QUERY")
wrk.headers["Accept"] = "application/graphql-response+json"

done = function(summary, latency, requests)
  report(summary, latency)
end
