"""Rotating attendance codes.

The code shown in the room is ``<session>-<step>-<mac>``: the session, the time step it
belongs to (the clock divided by ``SINAU_ATTENDANCE_QR_SECONDS``) and an HMAC over both,
keyed by the site's secret and the session's own secret. It names nobody: whoever is
logged in when it is opened checks in as themself. A code is good for its own step and
the one after (a phone needs a moment to open it), so at most two steps old; one person
uses a step once (``Attendance.qr_step``), so a code replayed is refused.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from .models import Session

CODE_RE = re.compile(r"^(?P<session>[1-9][0-9]{0,17})-(?P<step>[0-9]{1,12})-(?P<mac>[0-9a-f]{20})$")


def step_seconds() -> int:
    return max(5, int(settings.SINAU_ATTENDANCE_QR_SECONDS))


def step_at(moment: dt.datetime) -> int:
    return int(moment.timestamp()) // step_seconds()


def _mac(session: Session, step: int) -> str:
    return salted_hmac(
        f"sinau.attendance.{session.qr_secret}", f"{session.pk}:{step}", algorithm="sha256"
    ).hexdigest()[:20]


@dataclass(frozen=True)
class ShownCode:
    code: str
    step: int
    expires_at: dt.datetime  # when a phone opening it is refused


def code_for(session: Session, now: dt.datetime | None = None) -> ShownCode:
    step = step_at(now or timezone.now())
    expires = dt.datetime.fromtimestamp((step + 2) * step_seconds(), tz=dt.UTC)
    return ShownCode(
        code=f"{session.pk}-{step}-{_mac(session, step)}", step=step, expires_at=expires
    )


@dataclass(frozen=True)
class ParsedCode:
    session_id: int
    step: int
    mac: str


def parse(code: str) -> ParsedCode | None:
    match = CODE_RE.match(code.strip())
    if match is None:
        return None
    return ParsedCode(int(match["session"]), int(match["step"]), match["mac"])


def genuine(session: Session, parsed: ParsedCode) -> bool:
    return constant_time_compare(_mac(session, parsed.step), parsed.mac)


def fresh(parsed: ParsedCode, now: dt.datetime | None = None) -> bool:
    current = step_at(now or timezone.now())
    return current - 1 <= parsed.step <= current
