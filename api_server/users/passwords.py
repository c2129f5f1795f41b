"""Password rules and argon2 hashing with a named parameter profile."""

from __future__ import annotations

import re
from functools import cached_property

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

from api_server.config import ConfigError

MIN_LENGTH = 12
# argon2-cffi's own profiles. The default is the library's (RFC 9106, low memory); `cheapest`
# exists for test stacks only, where thousands of hashes would otherwise dominate the run.
PROFILES = {
    "rfc_9106_low_memory": profiles.RFC_9106_LOW_MEMORY,
    "rfc_9106_high_memory": profiles.RFC_9106_HIGH_MEMORY,
    "cheapest": profiles.CHEAPEST,
}
DEFAULT_PROFILE = "rfc_9106_low_memory"


def password_problems(password: str, email: str) -> list[str]:
    """Why a new password is not acceptable; empty when it is."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(f"must be at least {MIN_LENGTH} characters")
    if not re.search(r"[A-Za-z]", password) or not re.search(r"\d", password):
        problems.append("must contain letters and digits")
    if password.strip().lower() == email.strip().lower():
        problems.append("must not be the email address")
    return problems


class Passwords:
    """Hashes and verifies with one argon2id profile; older hashes still verify."""

    def __init__(self, profile: str = DEFAULT_PROFILE) -> None:
        if profile not in PROFILES:
            raise ConfigError(f"PASSWORD_HASH_PROFILE must be one of {sorted(PROFILES)}")
        self.profile = profile
        self._hasher = PasswordHasher.from_parameters(PROFILES[profile])

    @cached_property
    def _dummy_hash(self) -> str:
        # Verifying against this when the email is unknown keeps login timing the same.
        return self._hasher.hash("not-a-real-password-0")

    def hash(self, password: str) -> str:
        """An argon2id hash with this profile's parameters."""
        return self._hasher.hash(password)

    def verify(self, password_hash: str | None, password: str) -> bool:
        """True when the password matches; always spends the same work, even with no hash."""
        try:
            return self._hasher.verify(password_hash or self._dummy_hash, password) and bool(
                password_hash
            )
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        """True when the hash was made with other parameters (a profile that changed)."""
        try:
            return self._hasher.check_needs_rehash(password_hash)
        except InvalidHashError:
            return True
