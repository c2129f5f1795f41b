"""SQL of the authentication floor: the state a token is checked against."""

TOKEN_STATE = """
SELECT u.role, u.status, u.token_version,
       EXISTS (SELECT 1 FROM revoked_tokens r WHERE r.jti = %(jti)s) AS revoked
FROM users u WHERE u.id = %(sub)s
"""
