"""SQL of the users service."""

USER_COLUMNS = """id::text AS id, email, full_name, role, status, phone, country, company,
    created_at, updated_at, verified_at, token_version"""

INSERT_USER = f"""
INSERT INTO users (email, password_hash, full_name, role, country, company, status, verified_at)
VALUES (%(email)s, %(password_hash)s, %(full_name)s, %(role)s, %(country)s, %(company)s,
        %(status)s, CASE WHEN %(status)s = 'active' THEN now() END)
RETURNING {USER_COLUMNS}
"""

USER_BY_ID = f"SELECT {USER_COLUMNS} FROM users WHERE id = %s"

USER_BY_EMAIL = f"SELECT {USER_COLUMNS}, password_hash FROM users WHERE lower(email) = lower(%s)"

INSERT_VERIFICATION = """
INSERT INTO email_verifications (token_hash, user_id, expires_at)
VALUES (%s, %s, now() + make_interval(secs => %s))
"""

# Locks the token row so two clicks of the same link cannot both succeed.
CLAIM_VERIFICATION = """
SELECT v.user_id::text AS user_id, v.expires_at > now() AS fresh, v.used_at IS NULL AS unused,
       u.status
FROM email_verifications v JOIN users u ON u.id = v.user_id
WHERE v.token_hash = %s
FOR UPDATE OF v
"""

USE_VERIFICATION = "UPDATE email_verifications SET used_at = now() WHERE token_hash = %s"

ACTIVATE_USER = f"""
UPDATE users SET status = 'active', verified_at = now(), updated_at = now()
WHERE id = %s AND status = 'pending_verification'
RETURNING {USER_COLUMNS}
"""

UPDATE_PROFILE = """
UPDATE users SET {assignments}, updated_at = now() WHERE id = %(id)s RETURNING {columns}
"""

SET_PASSWORD = """
UPDATE users SET password_hash = %s, token_version = token_version + 1, updated_at = now()
WHERE id = %s
"""

# Held until the transaction ends: one login at a time checks and records per key.
LOCK_LOGIN_KEY = "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))"

# Every attempt starts as a failure; a right password then marks it succeeded.
RECORD_ATTEMPT = """
INSERT INTO login_attempts (email, client_ip, succeeded) VALUES (lower(%s), %s, false)
RETURNING id
"""

MARK_ATTEMPT_SUCCEEDED = "UPDATE login_attempts SET succeeded = true WHERE id = %s"

# The oldest failure still inside the window tells when the limit lifts.
RECENT_FAILURES = """
SELECT count(*) AS failures,
       ceil(extract(epoch FROM min(attempted_at) + make_interval(secs => %(window)s)
                        - clock_timestamp()))::int AS retry_after
FROM login_attempts
WHERE NOT succeeded AND attempted_at > clock_timestamp() - make_interval(secs => %(window)s)
  AND {column} = %(value)s
"""

INSERT_REFRESH = """
INSERT INTO refresh_tokens (token_hash, user_id, family_id, access_jti, expires_at)
VALUES (%s, %s, %s, %s, now() + make_interval(secs => %s))
"""

CLAIM_REFRESH = """
SELECT r.id, r.user_id::text AS user_id, r.family_id::text AS family_id,
       r.used_at IS NOT NULL AS spent, r.revoked_at IS NOT NULL AS revoked,
       r.expires_at <= now() AS expired
FROM refresh_tokens r WHERE r.token_hash = %s
FOR UPDATE
"""

SPEND_REFRESH = "UPDATE refresh_tokens SET used_at = now() WHERE id = %s"

# Reuse of a spent token means it leaked: every token of the family goes, access ones too.
REVOKE_FAMILY = """
WITH family AS (
    UPDATE refresh_tokens SET revoked_at = coalesce(revoked_at, now())
    WHERE family_id = %(family_id)s
    RETURNING access_jti, user_id
)
INSERT INTO revoked_tokens (jti, user_id, reason, expires_at)
SELECT access_jti, user_id, %(reason)s, now() + make_interval(secs => %(ttl)s) FROM family
ON CONFLICT (jti) DO NOTHING
"""

FAMILY_OF_ACCESS = "SELECT family_id::text AS family_id FROM refresh_tokens WHERE access_jti = %s"

REVOKE_USER_REFRESH = """
UPDATE refresh_tokens SET revoked_at = now() WHERE user_id = %s AND revoked_at IS NULL
"""

REVOKE_JTI = """
INSERT INTO revoked_tokens (jti, user_id, reason, expires_at)
VALUES (%s, %s, %s, to_timestamp(%s)) ON CONFLICT (jti) DO NOTHING
"""

TOKEN_STATE = """
SELECT u.role, u.status, u.token_version,
       EXISTS (SELECT 1 FROM revoked_tokens r WHERE r.jti = %(jti)s) AS revoked
FROM users u WHERE u.id = %(sub)s
"""

INSERT_ADMIN = f"""
INSERT INTO users (email, password_hash, full_name, role, status, verified_at)
VALUES (%s, %s, %s, 'admin', 'active', now())
ON CONFLICT ((lower(email))) DO NOTHING
RETURNING {USER_COLUMNS}
"""
