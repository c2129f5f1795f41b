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

# A new hash of the same password: no token is revoked, and a concurrent change wins.
REHASH = "UPDATE users SET password_hash = %s WHERE id = %s AND password_hash = %s"

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

INSERT_ADMIN = f"""
INSERT INTO users (email, password_hash, full_name, role, status, verified_at)
VALUES (%s, %s, %s, 'admin', 'active', now())
ON CONFLICT ((lower(email))) DO NOTHING
RETURNING {USER_COLUMNS}
"""

# Account administration: listing accounts, changing role and status

_USERS_WHERE = """
WHERE (%(role)s::text IS NULL OR role = %(role)s)
  AND (%(status)s::text IS NULL OR status = %(status)s)
  AND (%(q)s::text IS NULL OR email ILIKE %(q)s OR full_name ILIKE %(q)s)
"""

LIST_USERS = f"""
SELECT {USER_COLUMNS}, count(*) OVER () AS total FROM users
{_USERS_WHERE}
ORDER BY created_at DESC, id DESC
LIMIT %(limit)s OFFSET %(offset)s
"""

COUNT_USERS = f"SELECT count(*) AS total FROM users {_USERS_WHERE}"

LOCK_USER = f"SELECT {USER_COLUMNS} FROM users WHERE id = %s FOR UPDATE"

# Any two requests that could each remove an active admin take this lock first, so the
# count below always sees the other's committed change (the pair cannot both pass it).
ADMIN_ROSTER_LOCK_KEY = 7_246_113_006
LOCK_ADMIN_ROSTER = "SELECT pg_advisory_xact_lock(%s)"

OTHER_ACTIVE_ADMINS = """
SELECT count(*) AS admins FROM users WHERE role = 'admin' AND status = 'active' AND id <> %s
"""

# A new token version fails every access token issued before, for good: re-enabling the
# account later does not bring old tokens back. Activation by an admin counts as verified.
UPDATE_USER = f"""
UPDATE users
SET role = %(role)s, status = %(status)s,
    token_version = token_version + CASE WHEN %(revoke)s THEN 1 ELSE 0 END,
    verified_at = CASE WHEN %(status)s = 'active' THEN coalesce(verified_at, now())
                       ELSE verified_at END,
    updated_at = now()
WHERE id = %(id)s
RETURNING {USER_COLUMNS}
"""
