"""What the admin console's resources share: admin-only responders and report periods."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from api_server.auth.principal import Role
from api_server.common.errors import Invalid, field_error
from api_server.common.validation import Responder, operation

_DATE_ONLY = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")


def admin_operation(summary: str, **documented: Any) -> Callable[[Responder], Responder]:
    """`operation` for an admins-only responder: 401 without a token, 403 for other roles."""

    return operation(summary, roles=(Role.ADMIN,), **documented)


def _bad_instant(name: str) -> Invalid:
    return Invalid(
        "validation_error",
        "The request has invalid fields.",
        errors=[field_error(name, "must be a valid ISO 8601 date or date-time")],
    )


def _instant(raw: str | None, name: str, *, end: bool) -> datetime | None:
    """A bound of a period, in UTC: a date is a whole UTC day, a date-time without offset is UTC.

    An end bound is returned exclusive: the day after a date, a microsecond (PostgreSQL's
    resolution) after a date-time, so `to` itself is included either way.
    """
    if raw is None:
        return None
    try:
        if _DATE_ONLY.match(raw):
            day = date.fromisoformat(raw)
            return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=int(end))
        moment = datetime.fromisoformat(raw)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        # Python takes offsets up to 23:59, PostgreSQL's timestamptz only up to 15:59: hand
        # it the same instant in UTC (an instant past year 9999 there is an OverflowError).
        return moment.astimezone(UTC) + timedelta(microseconds=int(end))
    except (ValueError, OverflowError) as exc:
        raise _bad_instant(name) from exc


@dataclass(frozen=True)
class Period:
    """[start, until) from the `from` and `to` query parameters; None is open-ended."""

    start: datetime | None
    until: datetime | None

    @classmethod
    def of(cls, query: Mapping[str, Any]) -> Period:
        """Parses `from` and `to`; 422 when either is not a date or `from` is after `to`."""
        period = cls(
            _instant(query.get("from"), "from", end=False),
            _instant(query.get("to"), "to", end=True),
        )
        if period.start and period.until and period.start >= period.until:
            raise Invalid(
                "validation_error",
                "The request has invalid fields.",
                errors=[field_error("from", "must not be after to")],
            )
        return period

    @property
    def params(self) -> dict[str, datetime | None]:
        """The SQL parameters of the period filter."""
        return {"from": self.start, "until": self.until}
