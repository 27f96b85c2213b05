"""Reads about videos: who may watch one, and through which course modules."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import IntegerField
from django.db.models.functions import Cast
from wagtail.models import ReferenceIndex
from wagtail.permission_policies.pages import PagePermissionPolicy

from courses.models import CoursePage, ModulePage
from lms.learning.models import Enrolment
from lms.people.models import Employee

from .models import Video

# Enrolments that open a course's modules (as in lms.learning.selectors.module_access).
WATCHING_STATUSES = (Enrolment.Status.ACTIVE, Enrolment.Status.COMPLETED)


@dataclass(frozen=True)
class VideoUse:
    """A live module showing the video, in a live course the viewer is enrolled in."""

    enrolment: Enrolment
    module: ModulePage


@dataclass(frozen=True)
class WatchAccess:
    allowed: bool
    # Where the viewer watches it as a learner: what watch tracking credits. Empty for
    # someone allowed only as an author or admin (a preview, nothing to credit).
    uses: tuple[VideoUse, ...] = ()

    @property
    def is_preview(self) -> bool:
        return self.allowed and not self.uses

    def __bool__(self) -> bool:
        return self.allowed


def _modules_showing(video: Video) -> list[ModulePage]:
    """Module pages whose stored body holds a video block with this video, found through
    Wagtail's reference index (kept up to date on every page save), in one query.

    The index follows the page row, which for a live page is its published content: a
    video added only in an unpublished draft is not listed until the draft is published.
    """
    refs = (
        ReferenceIndex.get_references_to(video)
        .filter(content_type__app_label="courses", content_type__model="modulepage")
        .annotate(page_id=Cast("object_id", IntegerField()))
        .values("page_id")
    )
    return list(ModulePage.objects.filter(pk__in=refs).only("id", "path", "depth", "live", "title"))


def _parent_path(page: ModulePage) -> str:
    return page.path[: -ModulePage.steplen]


def _learner_uses(*, employee: Employee, modules: list[ModulePage]) -> tuple[VideoUse, ...]:
    """The live modules among ``modules`` in live courses the employee is enrolled in
    (active or completed); with several enrolments in one course, the active one."""
    live = [m for m in modules if m.live]
    if not live:
        return ()
    enrolments = list(
        Enrolment.objects.filter(
            employee=employee,
            status__in=WATCHING_STATUSES,
            course__live=True,
            course__path__in={_parent_path(m) for m in live},
        )
        .select_related("course")
        .order_by("-created_at")
    )
    by_path: dict[str, Enrolment] = {}
    for e in enrolments:
        current = by_path.get(e.course.path)
        if current is None or (
            current.status != Enrolment.Status.ACTIVE and e.status == Enrolment.Status.ACTIVE
        ):
            by_path[e.course.path] = e
    return tuple(
        VideoUse(enrolment=by_path[_parent_path(m)], module=m)
        for m in live
        if _parent_path(m) in by_path
    )


def _authors_course(*, employee: Employee, modules: list[ModulePage]) -> bool:
    """Whether the employee teaches or may edit a course (live or draft) that uses the
    video: named instructor, or Wagtail "change" (or "add" as the page owner) on it."""
    paths = {_parent_path(m) for m in modules}
    if not paths:
        return False
    courses = list(CoursePage.objects.filter(path__in=paths).only("id", "path", "owner_id"))
    if not courses:
        return False
    if CoursePage.objects.filter(pk__in=[c.pk for c in courses], instructors=employee).exists():
        return True
    # The policy reads the user's page permissions once and caches them on the user; it
    # checks the tree by path, so this costs one query however many courses there are.
    policy = PagePermissionPolicy()
    return any(
        policy.user_has_permission_for_instance(employee, "change", course) for course in courses
    )


def watch_access(*, viewer: Any, video: Video) -> WatchAccess:
    """Whether ``viewer`` may fetch the video's playlists, segments and poster, and where
    they watch it as a learner.

    Allowed: a learner with an active or completed enrolment in a live course whose live
    module shows the video; the instructors and editors of a course using it (also in a
    draft); superusers (BKPSDM); the video's owner and users with ``videos.change_video``
    (preview). A bounded number of queries (at most about seven), none per learner or page.
    """
    if not isinstance(viewer, Employee) or not viewer.is_active:
        return WatchAccess(False)
    modules = _modules_showing(video)
    uses = _learner_uses(employee=viewer, modules=modules)
    if uses:
        return WatchAccess(True, uses)
    if viewer.is_superuser or (video.owner_id is not None and video.owner_id == viewer.pk):
        return WatchAccess(True)
    if _authors_course(employee=viewer, modules=modules):
        return WatchAccess(True)
    return WatchAccess(viewer.has_perm("videos.change_video"))


def may_watch(viewer: Any, video: Video) -> bool:
    """Whether ``viewer`` (any user, anonymous too) may watch ``video``: enrolled learners
    (active or completed) of a live course with a live module showing it, that course's
    instructors and editors, superusers, the video's owner and ``videos.change_video``
    holders. See ``watch_access`` for the modules a learner watches it in."""
    return watch_access(viewer=viewer, video=video).allowed
