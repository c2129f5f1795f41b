"""Rows made through SQL in seconds: verified accounts and listings, for the benchmarks, the
fuzzer, the deployment check and the model-based test."""
