"""The rules of accounts, verification, login, sessions and profiles."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import psycopg2.errors
from email_validator import EmailNotValidError, validate_email

from api_server.auth.principal import Principal
from api_server.auth.tokens import TokenService, new_opaque_token, token_hash
from api_server.common.errors import (
    Busy,
    Conflict,
    Forbidden,
    Invalid,
    Malformed,
    Unauthenticated,
    field_error,
)
from api_server.common.outbox import OutboxDispatcher, enqueue_email
from api_server.config import Config
from api_server.db import Database
from api_server.users import queries
from api_server.users.passwords import Passwords, password_problems

PUBLIC_FIELDS = (
    "id",
    "email",
    "full_name",
    "role",
    "status",
    "phone",
    "country",
    "company",
    "created_at",
    "updated_at",
    "verified_at",
)
PROFILE_FIELDS = ("full_name", "phone", "country", "company")


def public_user(row: dict[str, Any]) -> dict[str, Any]:
    """The user as the API shows it: no hash, no internals, ISO timestamps."""
    return {
        k: (row[k].isoformat() if isinstance(row[k], datetime) else row[k])
        for k in PUBLIC_FIELDS
        if k in row
    }


def normalise_email(raw: str, field: str = "email") -> str:
    """A syntactically valid, lower-cased address; 422 naming the field otherwise."""
    try:
        return validate_email(raw, check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise Invalid(
            "validation_error",
            "The request has invalid fields.",
            errors=[field_error(field, "must be a valid email address")],
        ) from exc


def check_new_password(password: str, email: str, field: str = "password") -> None:
    """422 listing why a new password is refused."""
    problems = password_problems(password, email)
    if problems:
        raise Invalid(
            "weak_password",
            "The password does not meet the rules.",
            errors=[field_error(field, p) for p in problems],
        )


class UsersService:
    """Accounts: everything that changes a user, one transaction per call."""

    def __init__(
        self,
        config: Config,
        db: Database,
        tokens: TokenService,
        outbox: OutboxDispatcher,
        passwords: Passwords,
    ) -> None:
        self._config = config
        self._db = db
        self._tokens = tokens
        self._outbox = outbox
        self._passwords = passwords

    # Registration and verification

    def register(self, body: dict[str, Any]) -> dict[str, Any]:
        """Creates a pending account and its verification email in one transaction."""
        email = normalise_email(body["email"])
        check_new_password(body["password"], email)
        row = {
            "email": email,
            "password_hash": self._passwords.hash(body["password"]),
            "full_name": body["full_name"].strip(),
            "role": body["role"],
            "country": body.get("country"),
            "company": body.get("company"),
            "status": "pending_verification",
        }
        try:
            with self._db.transaction() as cur:
                cur.execute(queries.INSERT_USER, row)
                user = cur.fetchone()
                self._send_verification(cur, user)
        except psycopg2.errors.UniqueViolation as exc:
            raise Conflict(
                "email_taken",
                "An account with this email already exists.",
                errors=[field_error("email", "is already registered")],
            ) from exc
        self._outbox.wake()
        return public_user(user)

    def _send_verification(self, cur: Any, user: dict[str, Any]) -> None:
        token = new_opaque_token()
        cur.execute(
            queries.INSERT_VERIFICATION,
            (token_hash(token), user["id"], self._config.verification_ttl),
        )
        link = f"{self._config.public_url}/api/users/verify?token={token}"
        enqueue_email(
            cur,
            user["email"],
            "Verify your Mining Marketplace account",
            f"Hello {user['full_name']},\n\nConfirm your email address by opening this link:\n"
            f"{link}\n\nThe link works once and expires in "
            f"{self._config.verification_ttl // 3600} hours.\n",
        )

    def verify(self, token: str) -> dict[str, Any]:
        """Activates the account of an unused, unexpired token; 400 otherwise."""
        with self._db.transaction() as cur:
            cur.execute(queries.CLAIM_VERIFICATION, (token_hash(token),))
            claim = cur.fetchone()
            if claim is None or not claim["unused"] or not claim["fresh"]:
                raise Malformed(
                    "invalid_token", "The verification link is unknown, used or expired."
                )
            cur.execute(queries.USE_VERIFICATION, (token_hash(token),))
            cur.execute(queries.ACTIVATE_USER, (claim["user_id"],))
            user = cur.fetchone()
            if user is None:
                raise Malformed("invalid_token", "This account cannot be verified.")
        return public_user(user)

    def resend_verification(self, raw_email: str) -> None:
        """Sends a new link when a pending account exists; says nothing either way."""
        try:
            email = normalise_email(raw_email)
        except Invalid:
            return
        with self._db.transaction() as cur:
            cur.execute(queries.USER_BY_EMAIL, (email,))
            user = cur.fetchone()
            if user is not None and user["status"] == "pending_verification":
                self._send_verification(cur, user)
        self._outbox.wake()

    # Login and sessions

    def login(self, raw_email: str, password: str, client_ip: str) -> dict[str, Any]:
        """Tokens for valid credentials; uniform 401, 403 for inactive accounts, 429 limits."""
        email = raw_email.strip().lower()
        attempt_id = self._record_attempt(email, client_ip)
        with self._db.transaction() as cur:
            cur.execute(queries.USER_BY_EMAIL, (email,))
            user = cur.fetchone()
        ok = self._passwords.verify(user["password_hash"] if user else None, password)
        if ok:
            # Commits on its own: the refusals below must not roll it back.
            with self._db.transaction() as cur:
                cur.execute(queries.MARK_ATTEMPT_SUCCEEDED, (attempt_id,))
                if user and self._passwords.needs_rehash(user["password_hash"]):
                    # The profile changed: the password is at hand only now, so upgrade.
                    new_hash = self._passwords.hash(password)
                    cur.execute(queries.REHASH, (new_hash, user["id"], user["password_hash"]))
        if not ok or user is None:
            raise Unauthenticated("invalid_credentials", "The email or password is wrong.")
        if user["status"] == "pending_verification":
            raise Forbidden("email_not_verified", "Verify your email address first.")
        if user["status"] == "disabled":
            raise Forbidden("account_disabled", "This account has been disabled.")
        with self._db.transaction() as cur:
            return self._issue_session(cur, user, family_id=None)

    def _record_attempt(self, email: str, client_ip: str) -> int:
        """429 when a limit is reached; else records the attempt as failed and returns its id.

        The attempt counts as a failure until the password proves right, and the check and the
        record happen under one lock per email and per address: otherwise a burst of parallel
        guesses would all pass the check before any of them was recorded.
        """
        window = self._config.login_window_seconds
        limits = (
            ("email", email, self._config.login_max_failures),
            ("client_ip", client_ip, self._config.login_max_failures_per_ip),
        )
        with self._db.transaction() as cur:
            # Always email first, then address, so two logins cannot deadlock.
            for column, value, _ in limits:
                cur.execute(queries.LOCK_LOGIN_KEY, (f"login:{column}:{value}",))
            for column, value, limit in limits:
                cur.execute(
                    queries.RECENT_FAILURES.format(column=column),
                    {"window": window, "value": value},
                )
                row = cur.fetchone()
                if row["failures"] >= limit:
                    retry_after = str(max(1, row["retry_after"] or 1))
                    raise Busy(
                        "too_many_attempts",
                        "Too many failed logins; wait before trying again.",
                        headers={"Retry-After": retry_after},
                    )
            cur.execute(queries.RECORD_ATTEMPT, (email, client_ip))
            return int(cur.fetchone()["id"])

    def _issue_session(
        self, cur: Any, user: dict[str, Any], family_id: str | None
    ) -> dict[str, Any]:
        access, jti = self._tokens.issue_access(user)
        refresh = new_opaque_token()
        cur.execute("SELECT gen_random_uuid()::text AS id")
        family = family_id or cur.fetchone()["id"]
        cur.execute(
            queries.INSERT_REFRESH,
            (token_hash(refresh), user["id"], family, jti, self._config.refresh_token_ttl),
        )
        return {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": self._config.access_token_ttl,
            "refresh_token": refresh,
            "user": public_user(user),
        }

    def refresh(self, refresh_token: str) -> dict[str, Any]:
        """Rotates a refresh token; a spent one revokes its whole family."""
        with self._db.transaction() as cur:
            cur.execute(queries.CLAIM_REFRESH, (token_hash(refresh_token),))
            claim = cur.fetchone()
            if claim is None or claim["revoked"] or claim["expired"]:
                claim = None
            elif claim["spent"]:
                cur.execute(
                    queries.REVOKE_FAMILY,
                    {
                        "family_id": claim["family_id"],
                        "reason": "refresh_reuse",
                        "ttl": self._config.access_token_ttl,
                    },
                )
                claim = None
            else:
                cur.execute(queries.SPEND_REFRESH, (claim["id"],))
                cur.execute(queries.USER_BY_ID, (claim["user_id"],))
                user = cur.fetchone()
                if user["status"] == "active":
                    return self._issue_session(cur, user, family_id=claim["family_id"])
        raise Unauthenticated("invalid_grant", "The refresh token is not valid.")

    def logout(self, principal: Principal) -> None:
        """Revokes the access token and every refresh token of its session."""
        with self._db.transaction() as cur:
            cur.execute(queries.REVOKE_JTI, (principal.jti, principal.id, "logout", principal.exp))
            cur.execute(queries.FAMILY_OF_ACCESS, (principal.jti,))
            family = cur.fetchone()
            if family is not None:
                cur.execute(
                    queries.REVOKE_FAMILY,
                    {
                        "family_id": family["family_id"],
                        "reason": "logout",
                        "ttl": self._config.access_token_ttl,
                    },
                )

    # Profile

    def profile(self, user_id: str) -> dict[str, Any]:
        """The caller's own account."""
        with self._db.transaction() as cur:
            cur.execute(queries.USER_BY_ID, (user_id,))
            return public_user(cur.fetchone())

    def update_profile(self, user_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        """Changes the profile fields given; the schema already refused any other field."""
        fields = [f for f in PROFILE_FIELDS if f in changes]
        sql = queries.UPDATE_PROFILE.format(
            assignments=", ".join(f"{f} = %({f})s" for f in fields), columns=queries.USER_COLUMNS
        )
        with self._db.transaction() as cur:
            cur.execute(sql, {**{f: changes[f] for f in fields}, "id": user_id})
            return public_user(cur.fetchone())

    def change_password(self, principal: Principal, current: str, new: str) -> None:
        """Sets a new password and revokes every token issued before."""
        with self._db.transaction() as cur:
            cur.execute(queries.USER_BY_ID, (principal.id,))
            email = cur.fetchone()["email"]
            cur.execute(queries.USER_BY_EMAIL, (email,))
            user = cur.fetchone()
        if not self._passwords.verify(user["password_hash"], current):
            raise Forbidden(
                "wrong_password",
                "The current password is wrong.",
                errors=[field_error("current_password", "is wrong")],
            )
        check_new_password(new, email, field="new_password")
        with self._db.transaction() as cur:
            cur.execute(queries.SET_PASSWORD, (self._passwords.hash(new), principal.id))
            cur.execute(queries.REVOKE_USER_REFRESH, (principal.id,))

    def create_admin(self, raw_email: str, password: str, full_name: str) -> dict[str, Any]:
        """An active admin (command line only); ValueError if the email is taken or weak."""
        email = normalise_email(raw_email)
        check_new_password(password, email)
        with self._db.transaction() as cur:
            cur.execute(queries.INSERT_ADMIN, (email, self._passwords.hash(password), full_name))
            user = cur.fetchone()
        if user is None:
            raise ValueError(f"an account with email {email} already exists")
        return public_user(user)
