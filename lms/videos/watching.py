"""Watch tracking: which seconds of a video a learner has seen, credited from the player's
heartbeats, and the module completion that follows.

An interval is ``(start, end)`` in seconds, half-open. The functions at the top are pure
(the property tests in ``tests/videos/test_watch_intervals.py`` prove them); the service at
the bottom is the one place a heartbeat changes anything.

Why a heartbeat cannot fake watching: the server credits only *distinct* seconds (watching
a part twice counts once, so does sending it twice), and the new seconds one heartbeat may
add are capped by the wall-clock time since the previous accepted heartbeat, at most
``MAX_PLAYBACK_RATE`` times as fast. Skipping ahead therefore earns only what is then
watched, and a script that posts the whole video at once gets a few seconds per heartbeat.

Why a heartbeat costs no database or cache work (write-behind): everyone watching sends one
every ten seconds. The module page hands the player a signed *watch ticket*: who, which video
in which module, under which enrolment, bound to the login session, the learner's watched
ranges and the time of their last heartbeat. Each answer carries the ticket back with the new
ranges merged in, so a heartbeat reads no session, user, enrolment or watch. The ranges are
written to ``VideoWatch`` when the course's share is reached (durably, completing the
module), when the player pauses, ends or leaves the page, and at least every
``SINAU_WATCH_FLUSH_SECONDS``; every write re-checks the enrolment and, under the row lock,
caps what it adds by the wall-clock time since the previous write, so copies of a ticket
played against each other earn no more than one. A page closed without its last heartbeat
loses at most that many seconds of progress.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
import math
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from wagtail.models import Page, ReferenceIndex

from courses.models import CoursePage, ModulePage
from lms.learning.models import Enrolment
from lms.people.models import Employee

from .models import Video, VideoWatch
from .selectors import WATCHING_STATUSES, watch_access

Interval = tuple[float, float]

# The fastest playback the player offers; watching faster than this is not watching.
MAX_PLAYBACK_RATE = 2.0
# Wall-clock seconds added to the time since the previous heartbeat, for timer and network
# jitter. Small on purpose: a client could claim it on every heartbeat.
SLACK_SECONDS = 1.0
# A longer gap (a pause, a closed laptop) counts as this much: otherwise waiting a day would
# let one heartbeat claim the whole video. Browsers throttle background timers to one a
# minute, so two minutes still credits a video playing in a background tab in full.
MAX_GAP_SECONDS = 120.0
# A write to the table this soon after the previous one gets no slack (see write_budget). A
# player writes on pause, end and once a minute, never this often.
WRITE_SLACK_AFTER_SECONDS = 2.0
# The player sends its whole session's ranges, merged; a longer list is not a player's.
MAX_INTERVALS = 50
# How far past the probed duration an interval may end: the ladder's last segment can run a
# little longer than the source did.
END_TOLERANCE_SECONDS = 2.0
# The ladder may also be a little shorter than the probe: a threshold of 100% must stay
# reachable.
COMPLETION_TOLERANCE_SECONDS = 0.5
# Resuming this close to the end (or in the last tenth of a short video) would show a
# finished video: start again instead.
RESTART_NEAR_END_SECONDS = 5.0
# A signed ticket carries the watched ranges: a few hundred characters, a few thousand for a
# learner who jumped about a great deal; anything much longer is not one of ours.
MAX_TICKET_CHARS = 32 * 1024


# --- Pure interval arithmetic ---------------------------------------------------------


def normalise(
    intervals: Iterable[Sequence[float]], duration: float | None = None
) -> list[Interval]:
    """Sorted, non-overlapping, non-touching intervals covering exactly the union of the
    given ones (clipped to ``[0, duration]`` when a duration is given); empty ones vanish."""
    upper = math.inf if duration is None else duration
    pieces = sorted(
        (max(float(s), 0.0), min(float(e), upper))
        for s, e in intervals
        if min(float(e), upper) > max(float(s), 0.0)
    )
    merged: list[Interval] = []
    for start, end in pieces:
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def merge(*groups: Iterable[Sequence[float]], duration: float | None = None) -> list[Interval]:
    """The normalised union of several lists of intervals."""
    return normalise((i for group in groups for i in group), duration)


def total_length(intervals: Iterable[Sequence[float]]) -> float:
    """Distinct seconds covered: overlaps count once."""
    return sum(end - start for start, end in normalise(intervals))


def subtract(
    intervals: Iterable[Sequence[float]], covered: Iterable[Sequence[float]]
) -> list[Interval]:
    """The parts of ``intervals`` that ``covered`` does not cover, normalised."""
    holes = normalise(covered)
    result: list[Interval] = []
    for start, end in normalise(intervals):
        cursor = start
        for h_start, h_end in holes:
            if h_end <= cursor:
                continue
            if h_start >= end:
                break
            if h_start > cursor:
                result.append((cursor, h_start))
            cursor = max(cursor, h_end)
            if cursor >= end:
                break
        if cursor < end:
            result.append((cursor, end))
    return result


def take_first(intervals: Iterable[Sequence[float]], budget: float) -> list[Interval]:
    """The earliest ``budget`` seconds of ``intervals`` (normalised); the rest is dropped."""
    result: list[Interval] = []
    left = max(budget, 0.0)
    for start, end in normalise(intervals):
        if left <= 0:
            break
        stop = min(end, start + left)
        if stop <= start:
            break  # a budget too small to move a float: nothing more fits
        result.append((start, stop))
        left -= stop - start
    return result


def credit(
    watched: Iterable[Sequence[float]],
    incoming: Iterable[Sequence[float]],
    *,
    budget: float,
    duration: float,
) -> list[Interval]:
    """``watched`` plus what of ``incoming`` is new, at most ``budget`` new seconds of it.

    Clipping keeps the earliest new seconds and drops the rest: the player sends all the
    ranges of its session every time, so a legitimate excess is credited by a later
    heartbeat, while a claim to the whole video at once gets only ``budget`` of it.
    """
    known = normalise(watched, duration)
    new = take_first(subtract(normalise(incoming, duration), known), budget)
    return merge(known, new, duration=duration)


def write_budget(elapsed_seconds: float | None) -> float:
    """New distinct seconds one write to the table may add, given the wall-clock seconds since
    the watch was last written (None: never). The per-heartbeat budget with one difference:
    writes closer together than ``WRITE_SLACK_AFTER_SECONDS`` get no slack, so that many
    copies of one ticket written at once add up to no more than wall-clock time allows."""
    if elapsed_seconds is not None and elapsed_seconds < WRITE_SLACK_AFTER_SECONDS:
        return MAX_PLAYBACK_RATE * max(elapsed_seconds, 0.0)
    return heartbeat_budget(elapsed_seconds)


def heartbeat_budget(elapsed_seconds: float | None) -> float:
    """New distinct seconds one heartbeat may add, given the wall-clock seconds since the
    previous accepted one (None: this is the first)."""
    elapsed = min(max(elapsed_seconds or 0.0, 0.0), MAX_GAP_SECONDS)
    return MAX_PLAYBACK_RATE * (elapsed + SLACK_SECONDS)


def threshold_reached(*, watched_seconds: float, duration: float | None, percent: int) -> bool:
    """Whether ``percent`` % of the video's distinct seconds are watched."""
    if not duration or duration <= 0:
        return False
    needed = duration * percent / 100
    return watched_seconds + COMPLETION_TOLERANCE_SECONDS >= needed


def watched_percent(watched_seconds: float, duration: float | None) -> int:
    """Whole percent watched, rounded down; within the completion tolerance of the whole
    it is 100 (the ladder may be a little shorter than the probe said)."""
    if not duration or duration <= 0:
        return 0
    if watched_seconds + COMPLETION_TOLERANCE_SECONDS >= duration:
        return 100
    return max(0, min(100, math.floor(100 * watched_seconds / duration)))


def resume_point(position: float, duration: float | None) -> float:
    """Where the player starts: the last position, or the beginning near the end."""
    if not duration or position <= 0:
        return 0.0
    if position >= duration - min(RESTART_NEAR_END_SECONDS, duration / 10):
        return 0.0
    return round(position, 1)


# --- Input ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Heartbeat:
    module_id: int
    intervals: list[Interval]
    position: float
    # The player paused, ended or is leaving the page: write the watch through now.
    final: bool = False
    # The signed watch ticket the page gave the player (``watch_ticket_sign``), if any.
    ticket: str = ""


def _number(value: Any) -> float | None:
    # bool is an int in Python; true is not a time in JSON.
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _range_error(duration: float | None) -> ValidationError:
    if duration is None:
        return ValidationError(_("Rentang tontonan harus 0 ≤ mulai < akhir (dalam detik)."))
    return ValidationError(
        _("Rentang tontonan harus 0 ≤ mulai < akhir ≤ durasi video (%(d)s detik).")
        % {"d": round(duration, 1)}
    )


def heartbeat_parse(body: bytes) -> Heartbeat:
    """Read a heartbeat's JSON body, or raise ValidationError saying what is wrong. The
    video's duration bounds it later (``heartbeat_fit``), once the video is known."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise ValidationError(_("Data tontonan bukan JSON yang sah.")) from None
    if not isinstance(data, dict):
        raise ValidationError(_("Data tontonan harus berupa objek JSON."))
    module_id = data.get("module")
    if isinstance(module_id, bool) or not isinstance(module_id, int) or module_id <= 0:
        raise ValidationError(_("Modul tidak disebutkan dengan benar."))
    raw = data.get("intervals", [])
    if not isinstance(raw, list) or len(raw) > MAX_INTERVALS:
        raise ValidationError(
            _("Rentang tontonan harus berupa daftar berisi paling banyak %(n)s pasang.")
            % {"n": MAX_INTERVALS}
        )
    intervals: list[Interval] = []
    for pair in raw:
        if not isinstance(pair, list) or len(pair) != 2:
            raise ValidationError(
                _("Setiap rentang tontonan harus berupa pasangan [mulai, akhir].")
            )
        start, end = _number(pair[0]), _number(pair[1])
        if start is None or end is None or not 0 <= start < end:
            raise _range_error(None)
        intervals.append((start, end))
    position = _number(data.get("position", 0))
    if position is None or position < 0:
        raise ValidationError(_("Posisi pemutaran di luar durasi video."))
    final = data.get("final", False)
    if not isinstance(final, bool):
        raise ValidationError(_("Penanda akhir tontonan harus true atau false."))
    ticket = data.get("ticket", "")
    if not isinstance(ticket, str) or len(ticket) > MAX_TICKET_CHARS:
        raise ValidationError(_("Tiket tontonan tidak sah; muat ulang halaman."))
    return Heartbeat(
        module_id=module_id, intervals=intervals, position=position, final=final, ticket=ticket
    )


def heartbeat_fit(heartbeat: Heartbeat, *, duration: float) -> Heartbeat:
    """The heartbeat within the video: refused when a range or the position lies past its
    end (beyond a small tolerance), the position clipped to the end otherwise."""
    limit = duration + END_TOLERANCE_SECONDS
    if any(end > limit for _start, end in heartbeat.intervals):
        raise _range_error(duration)
    if heartbeat.position > limit:
        raise ValidationError(_("Posisi pemutaran di luar durasi video."))
    return Heartbeat(
        module_id=heartbeat.module_id,
        intervals=heartbeat.intervals,
        position=min(heartbeat.position, duration),
        final=heartbeat.final,
        ticket=heartbeat.ticket,
    )


# --- Where a heartbeat is credited ------------------------------------------------------


@dataclass(frozen=True)
class WatchContext:
    """Where a heartbeat is credited: the learner's enrolment, the course's share, and the
    video's ladder and duration."""

    enrolment_id: int
    watch_percent: int
    hls_prefix: str
    duration: float | None


def _context_sql() -> str:
    # Table names come from the models (a renamed table cannot silently break it) and are
    # the only things formatted in; every value is a parameter. Shaped for the planner:
    # PostgreSQL plans every execution, and a six-table join took it ten times as long to
    # plan as to run. The reference index row says the page is a module showing the video.
    page = Page._meta.db_table
    return f"""
        SELECT e.id, c.video_watch_percent, v.hls_prefix, v.duration_seconds
        FROM {Enrolment._meta.db_table} e
        JOIN {CoursePage._meta.db_table} c ON c.page_ptr_id = e.course_id
        JOIN {Video._meta.db_table} v ON v.id = %s
        WHERE e.employee_id = %s
          AND e.status IN (%s, %s)
          AND e.course_id = (
            SELECT cp.id FROM {page} mp
            JOIN {page} cp
              ON cp.path = substr(mp.path, 1, length(mp.path) - {ModulePage.steplen})
            WHERE mp.id = %s AND mp.live AND cp.live
              AND EXISTS (
                SELECT 1 FROM {ReferenceIndex._meta.db_table} r
                WHERE r.content_type_id = %s AND r.object_id = %s
                  AND r.to_content_type_id = %s AND r.to_object_id = %s
              )
          )
        ORDER BY CASE WHEN e.status = %s THEN 0 ELSE 1 END, e.created_at DESC
        LIMIT 1
    """  # noqa: S608


def watch_context(
    *, employee: Employee | int, video_id: int, module_id: int
) -> WatchContext | None:
    """The learner's enrolment (active or completed; the active one first) in the live course
    whose live module ``module_id`` shows the video, with what the heartbeat needs to know
    of the course and the video, in one query; None when there is none.

    The rule is ``selectors.watch_access``'s for a learner (its ``uses``: modules found
    through Wagtail's reference index, the course as the module's parent), read for one
    module instead of all of them, and in plain SQL: a heartbeat comes every few seconds
    from everyone watching, and building this query through the ORM cost more than
    running it. Tests hold the two to the same answers.
    """
    params: list[int | str] = [
        video_id,
        employee if isinstance(employee, int) else employee.pk,
        *WATCHING_STATUSES,
        module_id,
        ContentType.objects.get_for_model(ModulePage).pk,
        str(module_id),
        ContentType.objects.get_for_model(Video).pk,
        str(video_id),
        Enrolment.Status.ACTIVE,
    ]
    with connection.cursor() as cursor:
        cursor.execute(_context_sql(), params)
        row = cursor.fetchone()
    if row is None:
        return None
    enrolment_id, percent, hls_prefix, duration = row
    return WatchContext(enrolment_id, percent, hls_prefix or "", duration)


def _refusal(actor: Employee, video_id: int) -> Exception:
    """Why a heartbeat has nowhere to go (the rare path: may cost a few queries)."""
    video = Video.objects.filter(pk=video_id).first()
    if video is None:
        return Http404(_("Video tidak ditemukan."))
    if watch_access(viewer=actor, video=video).allowed:
        # An author's or admin's preview, or a module that does not show this video.
        return PermissionDenied(_("Tontonan hanya dicatat untuk peserta kursus yang terdaftar."))
    return PermissionDenied(_("Anda tidak terdaftar di kursus yang memuat video ini."))


def _commit_without_waiting_for_disk() -> None:
    """A write-through that completes nothing is not worth a disk flush: on PostgreSQL its
    commit returns before the WAL reaches the disk (for this transaction only). A crash can
    lose the last fraction of a second of such writes, never consistency, and the player
    sends its ranges again with the next heartbeat. What completes a video, a module or a
    course commits durably."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


# --- Watch tickets ----------------------------------------------------------------------

TICKET_SALT = "sinau.videos.watch-ticket"


class VideoNotReady(Exception):
    """The video has no ladder playing (yet): nothing can have been watched."""


class TooSoon(Exception):
    """A heartbeat sooner than ``SINAU_HEARTBEAT_MIN_SECONDS`` after the previous one."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


@dataclass(frozen=True)
class WatchTicket:
    """Where one learner's heartbeats for one video in one module are credited (as checked
    against the database when the ticket was made or last written through), and the
    learner's watch as the heartbeats of this page view have left it."""

    employee_id: int
    video_id: int
    module_id: int
    enrolment_id: int
    watch_percent: int
    duration: float
    intervals: list[list[float]]
    position: float = 0.0
    heartbeat_at: float | None = None  # the last heartbeat the watch recorded (epoch)
    written_at: float = 0.0  # the last write to ``VideoWatch`` (epoch)
    completed: bool = False

    @functools.cached_property
    def watched_seconds(self) -> float:
        return min(total_length(self.intervals), self.duration)


def _watch_rows(employee_id: int, video_ids: Iterable[int]) -> dict[int, tuple[Any, ...]]:
    rows = VideoWatch.objects.filter(employee_id=employee_id, video_id__in=video_ids).values_list(
        "video_id", "intervals", "last_position", "last_heartbeat_at", "completed_at"
    )
    return {row[0]: row[1:] for row in rows}


def watch_tickets(
    *,
    employee_id: int,
    module_id: int,
    enrolment_id: int,
    watch_percent: int,
    durations: dict[int, float],
) -> dict[int, WatchTicket]:
    """Tickets for the videos (id: duration of the ladder playing) of a module the caller
    has checked the learner may be credited for, with their watches as the table holds them
    (one query)."""
    now = time.time()
    rows = _watch_rows(employee_id, durations)
    tickets = {}
    for video_id, duration in durations.items():
        intervals, position, heartbeat_at, completed_at = rows.get(video_id, ([], 0.0, None, None))
        tickets[video_id] = WatchTicket(
            employee_id=employee_id,
            video_id=video_id,
            module_id=module_id,
            enrolment_id=enrolment_id,
            watch_percent=watch_percent,
            duration=duration,
            intervals=[list(pair) for pair in intervals or []],
            position=position,
            heartbeat_at=heartbeat_at.timestamp() if heartbeat_at else None,
            written_at=now,
            completed=completed_at is not None,
        )
    return tickets


def watch_ticket(*, employee: Employee, video_id: int, module_id: int) -> WatchTicket:
    """The learner's ticket for the video in the module, or the reason there is none:
    PermissionDenied (not enrolled, a preview, a module without the video), Http404 (no
    such video), VideoNotReady (no ladder playing)."""
    context = watch_context(employee=employee, video_id=video_id, module_id=module_id)
    if context is None:
        raise _refusal(employee, video_id)
    if not context.hls_prefix or not context.duration:
        raise VideoNotReady
    return watch_tickets(
        employee_id=employee.pk,
        module_id=module_id,
        enrolment_id=context.enrolment_id,
        watch_percent=context.watch_percent,
        durations={video_id: float(context.duration)},
    )[video_id]


@functools.lru_cache(maxsize=4096)
def _session_tag(session_key: str) -> str:
    # Remembered: a heartbeat needs it twice (reading the ticket, signing the next one).
    return salted_hmac(TICKET_SALT, session_key).hexdigest()[:24]


def watch_ticket_sign(ticket: WatchTicket, *, session_key: str) -> str:
    """The ticket, signed and bound to the login session: a logout (which ends the session)
    or another browser makes it worthless, and it names one learner, video and module."""
    payload = [
        ticket.employee_id, ticket.video_id, ticket.module_id, ticket.enrolment_id,
        ticket.watch_percent, ticket.duration, ticket.intervals, round(ticket.position, 3),
        None if ticket.heartbeat_at is None else round(ticket.heartbeat_at, 3),
        round(ticket.written_at, 3), ticket.completed, _session_tag(session_key),
    ]  # fmt: skip
    return signing.dumps(payload, salt=TICKET_SALT)


def watch_ticket_read(
    signed: str, *, video_id: int, module_id: int, session_key: str | None
) -> WatchTicket | None:
    """The ticket inside ``signed`` if it is genuine, recent (``SINAU_WATCH_TICKET_SECONDS``
    since it was signed), for this video and module and this login session; None otherwise
    (the caller then asks the database instead)."""
    if not signed or not session_key:
        return None
    try:
        payload = signing.loads(
            signed, salt=TICKET_SALT, max_age=settings.SINAU_WATCH_TICKET_SECONDS
        )
        (
            employee_id, v_id, m_id, enrolment_id, percent, duration, intervals, position,
            heartbeat_at, written_at, completed, tag,
        ) = payload  # fmt: skip
    except (signing.BadSignature, TypeError, ValueError):
        return None
    if (v_id, m_id) != (video_id, module_id) or tag != _session_tag(session_key):
        return None
    return WatchTicket(
        employee_id=int(employee_id),
        video_id=video_id,
        module_id=module_id,
        enrolment_id=int(enrolment_id),
        watch_percent=int(percent),
        duration=float(duration),
        intervals=intervals,
        position=float(position),
        heartbeat_at=heartbeat_at,
        written_at=float(written_at),
        completed=bool(completed),
    )


# --- The heartbeat ----------------------------------------------------------------------


@dataclass(frozen=True)
class HeartbeatResult:
    ticket: WatchTicket
    credited_seconds: float
    module_completed: bool
    completed: bool

    def as_json(self) -> dict[str, Any]:
        watched = self.ticket.watched_seconds
        return {
            "watched_seconds": round(watched, 1),
            "percent": watched_percent(watched, self.ticket.duration),
            "completed": self.completed,
            "resume_at": resume_point(self.ticket.position, self.ticket.duration),
            "credited_seconds": round(self.credited_seconds, 1),
            "module_completed": self.module_completed,
        }


def watch_heartbeat(
    *, ticket: WatchTicket, heartbeat: Heartbeat, checked: bool = False
) -> HeartbeatResult:
    """Credit one heartbeat to the learner's watch of the ticket's video; the result carries
    the ticket for the next one.

    The watch is written through to ``VideoWatch`` once the course's share is reached
    (marking it complete, once, and completing the module through ``lms.learning.services``
    when everything else it needs is done too), on a final heartbeat, or when the last
    write is ``SINAU_WATCH_FLUSH_SECONDS`` old. ``checked`` says the enrolment was read from
    the database for this very heartbeat; otherwise the write reads it again and refuses
    (PermissionDenied) if it has ended. ValidationError for ranges past the video's end;
    TooSoon for a heartbeat less than ``SINAU_HEARTBEAT_MIN_SECONDS`` after the previous.

    Why a ticket sent twice (two tabs, a replay, a script) earns nothing extra: each copy
    may add seconds to its own ticket, but what reaches the table is capped when it is
    written, under the row lock, by the wall-clock time since the watch was last written
    (``write_budget``), whichever page view wrote it; the table keeps the union.
    """
    duration = ticket.duration
    heartbeat = heartbeat_fit(heartbeat, duration=duration)
    now = time.time()
    elapsed = None if ticket.heartbeat_at is None else now - ticket.heartbeat_at
    window = settings.SINAU_HEARTBEAT_MIN_SECONDS
    if window > 0 and elapsed is not None and 0 <= elapsed < window:
        raise TooSoon(retry_after=window - elapsed)
    before = ticket.watched_seconds
    intervals = credit(
        ticket.intervals, heartbeat.intervals, budget=heartbeat_budget(elapsed), duration=duration
    )
    ticket = dataclasses.replace(
        ticket,
        intervals=[[round(s, 3), round(e, 3)] for s, e in intervals],
        position=heartbeat.position,
        heartbeat_at=now,
    )
    after = ticket.watched_seconds
    credited_seconds = max(after - before, 0.0)
    reached = threshold_reached(
        watched_seconds=after, duration=duration, percent=ticket.watch_percent
    )
    module_completed = False
    if (
        (reached and not ticket.completed)
        or heartbeat.final
        # The first heartbeat on this video ever: the table starts the watch's clock, from
        # which every later write's budget is counted.
        or elapsed is None
        or now - ticket.written_at >= settings.SINAU_WATCH_FLUSH_SECONDS
    ):
        ticket, module_completed = _write_through(ticket, checked=checked, now=now)
    return HeartbeatResult(
        ticket=ticket,
        credited_seconds=credited_seconds,
        module_completed=module_completed,
        completed=reached,
    )


def _write_through(ticket: WatchTicket, *, checked: bool, now: float) -> tuple[WatchTicket, bool]:
    """Merge the ticket's watch into ``VideoWatch`` under its row lock (two page views or
    devices never overwrite each other's seconds) and complete what it completes. Returns
    the ticket as the table now stands and whether the module is complete."""
    # Imported here: lms.learning's selectors read watches through this module.
    from lms.learning.services import module_requirements_met

    enrolment_id, percent = ticket.enrolment_id, ticket.watch_percent
    if not checked:
        context = watch_context(
            employee=ticket.employee_id, video_id=ticket.video_id, module_id=ticket.module_id
        )
        if context is None:
            raise _refusal(Employee.objects.get(pk=ticket.employee_id), ticket.video_id)
        enrolment_id, percent = context.enrolment_id, context.watch_percent
    duration = ticket.duration
    with transaction.atomic():
        watch, _created = VideoWatch.objects.select_for_update().get_or_create(
            employee_id=ticket.employee_id, video_id=ticket.video_id
        )
        since = None
        if watch.last_heartbeat_at is not None:
            # Read now, holding the lock: the previous writer's time is then always past.
            since = time.time() - watch.last_heartbeat_at.timestamp()
        intervals = credit(
            watch.intervals, ticket.intervals, budget=write_budget(since), duration=duration
        )
        watch.intervals = [[round(s, 3), round(e, 3)] for s, e in intervals]
        watch.watched_seconds = min(total_length(intervals), duration)
        watch.last_position = ticket.position
        if ticket.heartbeat_at is not None:
            watch.last_heartbeat_at = dt.datetime.fromtimestamp(ticket.heartbeat_at, tz=dt.UTC)
        reached = threshold_reached(
            watched_seconds=watch.watched_seconds, duration=duration, percent=percent
        )
        if reached and watch.completed_at is None:
            watch.completed_at = timezone.now()
        # Not full_clean(): the row is locked, its keys are the ones just read and its
        # uniqueness is the database's; those checks would cost three queries a write.
        # (An empty list of intervals, nothing watched yet, is valid here.)
        watch.clean_fields(exclude=["employee", "video", "intervals"])
        watch.save(update_fields=WATCH_FIELDS)
        module_completed = False
        if reached:
            # Every write past the share asks, not only the first: a learner enrolled again
            # (or a quiz passed since) completes the module with the video already watched.
            progress = module_requirements_met(
                actor=Employee.objects.get(pk=ticket.employee_id),
                enrolment=Enrolment.objects.select_related("course").get(pk=enrolment_id),
                module=ModulePage.objects.get(pk=ticket.module_id),
            )
            module_completed = bool(progress and progress.completed_at)
        else:
            _commit_without_waiting_for_disk()
    written = dataclasses.replace(
        ticket,
        enrolment_id=enrolment_id,
        watch_percent=percent,
        intervals=watch.intervals,
        written_at=now,
        completed=watch.completed_at is not None,
    )
    return written, module_completed


WATCH_FIELDS = [
    "intervals",
    "watched_seconds",
    "last_position",
    "last_heartbeat_at",
    "completed_at",
    "updated_at",
]
