"""SQL of the audit log."""

INSERT = """
INSERT INTO audit_log (actor_id, action, target_type, target_id, details, request_id)
VALUES (%s, %s, %s, %s, %s::jsonb, %s)
"""
