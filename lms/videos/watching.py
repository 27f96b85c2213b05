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
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.http import Http404
from django.utils import timezone
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
    return Heartbeat(module_id=module_id, intervals=intervals, position=position)


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
    )


# --- The heartbeat ----------------------------------------------------------------------


def heartbeat_key(*, employee_id: int, video_id: int) -> str:
    return f"sinau:heartbeat:{employee_id}:{video_id}"


def heartbeat_allowed(*, employee_id: int, video_id: int) -> bool:
    """One heartbeat per learner and video per ``SINAU_HEARTBEAT_MIN_SECONDS`` (0: no limit).

    The shared cache makes it one limit across web processes (Redis in production; the
    embedded default's local-memory cache limits each process on its own).
    """
    window = settings.SINAU_HEARTBEAT_MIN_SECONDS
    if window <= 0:
        return True
    key = heartbeat_key(employee_id=employee_id, video_id=video_id)
    return bool(cache.add(key, 1, timeout=window))


class VideoNotReady(Exception):
    """The video has no ladder playing (yet): nothing can have been watched."""


@dataclass(frozen=True)
class HeartbeatResult:
    watched_seconds: float
    percent: int
    completed: bool
    resume_at: float
    credited_seconds: float
    module_completed: bool

    def as_json(self) -> dict[str, Any]:
        return {
            "watched_seconds": round(self.watched_seconds, 1),
            "percent": self.percent,
            "completed": self.completed,
            "resume_at": self.resume_at,
            "credited_seconds": round(self.credited_seconds, 1),
            "module_completed": self.module_completed,
        }


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


def watch_context(*, employee: Employee, video_id: int, module_id: int) -> WatchContext | None:
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
        employee.pk,
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
    """A heartbeat that completes nothing is not worth a disk flush: on PostgreSQL its commit
    returns before the WAL reaches the disk (for this transaction only). A crash can lose
    the last fraction of a second of such heartbeats, never consistency, and the player
    sends its ranges again with the next one. What completes a video, a module or a course
    commits durably."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


def watch_heartbeat(*, actor: Employee, video_id: int, heartbeat: Heartbeat) -> HeartbeatResult:
    """Credit one heartbeat to the learner's watch of the video in the heartbeat's module.

    Refused (PermissionDenied; Http404 for no such video) unless the learner has an active
    or completed enrolment in the live course whose live module shows the video; VideoNotReady
    for a video with no ladder; ValidationError for ranges past its end. Once the course's
    share of the video is watched, the watch is marked complete (once) and the module is
    completed through ``lms.learning.services`` when everything else it needs is done too.
    """
    # Imported here: lms.learning's selectors read watches through this module.
    from lms.learning.services import module_videos_watched

    context = watch_context(employee=actor, video_id=video_id, module_id=heartbeat.module_id)
    if context is None:
        raise _refusal(actor, video_id)
    if not context.hls_prefix or not context.duration:
        raise VideoNotReady
    duration = float(context.duration)
    heartbeat = heartbeat_fit(heartbeat, duration=duration)
    now = timezone.now()
    with transaction.atomic():
        watch, _created = VideoWatch.objects.select_for_update().get_or_create(
            employee=actor, video_id=video_id
        )
        elapsed = (
            (now - watch.last_heartbeat_at).total_seconds() if watch.last_heartbeat_at else None
        )
        before = watch.watched_seconds
        intervals = credit(
            watch.intervals,
            heartbeat.intervals,
            budget=heartbeat_budget(elapsed),
            duration=duration,
        )
        watch.intervals = [[round(s, 3), round(e, 3)] for s, e in intervals]
        watch.watched_seconds = min(total_length(intervals), duration)
        watch.last_position = heartbeat.position
        watch.last_heartbeat_at = now
        reached = threshold_reached(
            watched_seconds=watch.watched_seconds,
            duration=duration,
            percent=context.watch_percent,
        )
        if reached and watch.completed_at is None:
            watch.completed_at = now
        # Not full_clean(): the row is locked, its keys are the ones just read and its
        # uniqueness is the database's; those checks would cost three queries a heartbeat.
        # (An empty list of intervals, nothing watched yet, is valid here.)
        watch.clean_fields(exclude=["employee", "video", "intervals"])
        watch.save(update_fields=WATCH_FIELDS)
        if not reached:
            _commit_without_waiting_for_disk()
        module_completed = False
        if reached:
            progress = module_videos_watched(
                actor=actor,
                enrolment=Enrolment.objects.select_related("course").get(pk=context.enrolment_id),
                module=ModulePage.objects.get(pk=heartbeat.module_id),
            )
            module_completed = bool(progress and progress.completed_at)
    return HeartbeatResult(
        watched_seconds=watch.watched_seconds,
        percent=watched_percent(watch.watched_seconds, duration),
        completed=reached,
        resume_at=resume_point(watch.last_position, duration),
        credited_seconds=max(watch.watched_seconds - before, 0.0),
        module_completed=module_completed,
    )


WATCH_FIELDS = [
    "intervals",
    "watched_seconds",
    "last_position",
    "last_heartbeat_at",
    "completed_at",
    "updated_at",
]
