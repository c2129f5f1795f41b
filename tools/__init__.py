"""Small drivers that make targets run against a stack (python -m tools.NAME)."""
