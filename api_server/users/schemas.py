"""JSON Schemas of /api/users and /api/admin/users: they validate requests and are
published in OpenAPI."""

from api_server.auth.principal import Role
from api_server.common.pagination import PAGE_QUERY, page_schema
from api_server.common.schemas import INTEGER, NULLABLE_STRING, STRING, UUID, closed_object, text

ROLES = tuple(r.value for r in Role)
ACCOUNT_STATUSES = ("pending_verification", "active", "disabled")
# Only these two can be set by an admin; pending_verification is the email link's business.
SETTABLE_STATUSES = ("active", "disabled")

# Text that reaches a PostgreSQL parameter refuses NUL and lone surrogates (text(...)): a
# 422 for bad input, not the driver's ValueError as a 500. Passwords are only hashed, never
# stored, so any character is theirs to use.
EMAIL = {**text(254, blank=True), "minLength": 3}
PASSWORD = {"type": "string", "minLength": 1, "maxLength": 256}
NAME = {**text(200, blank=True), "minLength": 1}
COUNTRY = {"type": "string", "pattern": "^[A-Z]{2}$"}
COMPANY = text(200, blank=True)
PHONE = {"type": "string", "pattern": r"^\+?[0-9 ()-]{6,20}$"}
TOKEN = {**text(200, blank=True), "minLength": 1}


def _object(required: list[str], **properties: dict) -> dict:
    return {
        "type": "object",
        "required": required,
        "additionalProperties": False,
        "properties": properties,
    }


REGISTER = _object(
    ["email", "password", "full_name", "role"],
    email=EMAIL,
    password=PASSWORD,
    full_name=NAME,
    role={"type": "string", "enum": ["buyer", "seller"]},
    country=COUNTRY,
    company=COMPANY,
)
VERIFY = _object(["token"], token=TOKEN)
VERIFY_QUERY = _object(["token"], token=TOKEN)
RESEND = _object(["email"], email=EMAIL)
LOGIN = _object(["email", "password"], email=EMAIL, password=PASSWORD)
REFRESH = _object(["refresh_token"], refresh_token=TOKEN)
PROFILE_UPDATE = {
    **_object([], full_name=NAME, phone=PHONE, country=COUNTRY, company=COMPANY),
    "minProperties": 1,
}
PASSWORD_CHANGE = _object(
    ["current_password", "new_password"], current_password=PASSWORD, new_password=PASSWORD
)

USER = {
    "type": "object",
    "required": ["id", "email", "full_name", "role", "status", "created_at"],
    "additionalProperties": False,
    "properties": {
        "id": UUID,
        "email": STRING,
        "full_name": STRING,
        "role": {"type": "string", "enum": ["buyer", "seller", "admin"]},
        "status": {"type": "string", "enum": ["pending_verification", "active", "disabled"]},
        "phone": NULLABLE_STRING,
        "country": NULLABLE_STRING,
        "company": NULLABLE_STRING,
        "created_at": STRING,
        "updated_at": STRING,
        "verified_at": NULLABLE_STRING,
    },
}
TOKENS = {
    "type": "object",
    "required": ["access_token", "token_type", "expires_in", "refresh_token", "user"],
    "additionalProperties": False,
    "properties": {
        "access_token": STRING,
        "token_type": {"const": "Bearer"},
        "expires_in": INTEGER,
        "refresh_token": STRING,
        "user": USER,
    },
}
ACCEPTED = {"type": "object", "required": ["status"], "properties": {"status": STRING}}

# Account administration (/api/admin/users)

ACCOUNTS_QUERY = closed_object(
    {
        "role": {"type": "string", "enum": list(ROLES)},
        "status": {"type": "string", "enum": list(ACCOUNT_STATUSES)},
        "q": {**text(200), "minLength": 1},
        **PAGE_QUERY,
    }
)
ACCOUNT_UPDATE = closed_object(
    {
        "role": {"type": "string", "enum": list(ROLES)},
        "status": {"type": "string", "enum": list(SETTABLE_STATUSES)},
    },
    minProperties=1,
)
ACCOUNT_PAGE = page_schema(USER)
