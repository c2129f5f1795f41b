"""Traces of the API: OpenTelemetry, W3C Trace Context, OTLP (docs/architecture.md "Traces")."""
