"""The benchmark of docs/benchmarks.md: a real server, a filled database, wrk."""
