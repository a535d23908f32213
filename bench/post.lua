-- wrk script: POST one GraphQL query (the body comes from the BENCH_BODY env var).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/graphql-response+json"
wrk.body = os.getenv("BENCH_BODY")
