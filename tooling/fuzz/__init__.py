"""Schemathesis against the live API, from its own OpenAPI document (`make fuzz`)."""
