"""A listener that masks secrets in every message any library logs, before it is written."""

from __future__ import annotations

import re

from robot import result

_MASK = "***"
_MASKED_FIELDS = (
    r"(?<![A-Za-z_])(?:password|current_password|new_password|access_token|refresh_token|token"
    r"|client_secret|secret|secret_hash|webhook_secret|api_key|card_number|cvc|verif-hash)"
)
_RAW_PATTERNS: list[tuple[str | re.Pattern[str], str]] = [
    # Bearer tokens, whatever library logs the Authorization header.
    (re.compile(r"(Bearer\s+)[A-Za-z0-9._~+/=-]+", re.I), rf"\1{_MASK}"),
    # JWTs anywhere, e.g. in a response body or a `${token} =` assignment.
    (re.compile(r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"), _MASK),
    # Fields whose values are secrets: quoted (JSON, Python repr) or bare (Robot's
    # `&{dict} = { password=... | ... }` assignment lines).
    (rf"""(["']?{_MASKED_FIELDS}["']?\s*[:=]\s*)(["'])(?:(?!\2).)*\2""", rf"\1\2{_MASK}\2"),
    (rf"""(["']?{_MASKED_FIELDS}["']?\s*[:=]\s*)(?!["'*])[^\s|,}}&]+""", rf"\1{_MASK}"),
    # Collections' "Removed item with key 'password' and value '...'".
    (rf"""(key ['"]{_MASKED_FIELDS}['"] and value ['"])[^'"]*""", rf"\1{_MASK}"),
    # Robot's own `${JWT_SECRET} = ...` lines, for any variable named like a secret.
    (
        r"(\$\{[A-Za-z_]*(?:SECRET|PASSWORD|TOKEN|KEY|HASH)[A-Za-z_]*\} = )\S+",
        rf"\1{_MASK}",
    ),
    # Query-string tokens, as in a verification link.
    (re.compile(r"([?&](?:token|refresh_token)=)[^&\s\"']+"), rf"\1{_MASK}"),
    # Gateway keys and webhook secrets by their well-known prefixes.
    (re.compile(r"\b(sk|rk|whsec)_(test|live)?_?[A-Za-z0-9]{6,}"), rf"\1_{_MASK}"),
    (re.compile(r"FLWSECK[A-Za-z0-9_-]*"), f"FLWSECK{_MASK}"),
    # Card numbers: 13 to 19 digits, optionally grouped.
    (re.compile(r"\b(?:\d[ -]?){14,18}\d\b"), _MASK),
    # Passwords inside database URLs.
    (re.compile(r"(postgres(?:ql)?://[^:/@\s]+:)[^@\s]+@"), rf"\1{_MASK}@"),
]


_PATTERNS = [(re.compile(p) if isinstance(p, str) else p, r) for p, r in _RAW_PATTERNS]
# Every pattern above needs one of these in its match, so a message without any is left as it
# is after one search instead of eleven substitutions: most messages hold no secret, and the
# eleven cost about 4% of a suite's CPU. Keep it a superset when adding a pattern.
_CLUES = re.compile(
    r"(?i:bearer|eyJ|password|token|secret|api_key|card_number|cvc|verif-hash|hash|key"
    r"|sk_|rk_|whsec|flwseck|postgres)|\b(?:\d[ -]?){14,18}\d\b"
)
MAX_MESSAGE = 20_000


def mask(text: str) -> str:
    """The text with every known kind of secret replaced by ***, long bodies shortened."""
    if len(text) > MAX_MESSAGE:
        text = f"{text[:MAX_MESSAGE]}... [{len(text) - MAX_MESSAGE} more characters]"
    if not _CLUES.search(text):
        return text
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class SecretMasker:
    """Library and listener: importing it masks messages of every library in the run."""

    ROBOT_LISTENER_API_VERSION = 3
    ROBOT_LIBRARY_SCOPE = "GLOBAL"

    def __init__(self) -> None:
        self.ROBOT_LIBRARY_LISTENER = self

    def log_message(self, message: result.Message) -> None:
        """Rewrites the message in place, so output.xml never holds the secret."""
        message.message = mask(message.message)

    def message(self, message: result.Message) -> None:
        """System messages too (syslog, warnings)."""
        message.message = mask(message.message)

    def end_for_iteration(self, data: object, result: result.ForIteration) -> None:
        """FOR loop values (an actor with its password) are written to output.xml too."""
        result.assign = {name: mask(value) for name, value in result.assign.items()}
