-- wrk script: GETs $PATH_QUERY (a persisted-query URL) and prints one RESULT line.
wrk.method = "GET"
wrk.path = os.getenv("PATH_QUERY")
wrk.headers["Accept"] = "application/graphql-response+json"

done = function(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format("RESULT %.1f %.2f %.2f %.2f %d %d\n",
    summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    e.connect + e.read + e.write + e.status + e.timeout, summary.requests))
end
