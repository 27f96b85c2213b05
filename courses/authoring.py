"""Who may author which course, and how a course reaches learners.

Wagtail's page permissions decide every access here (``GroupPagePermission`` rows on page
subtrees); this module only keeps the groups and the workflow that feed them in step with
the catalogue and with each course's instructors:

- "Instruktur" holds *add* on every catalogue. Wagtail lets the owner of a page edit it
  when they hold "add" above it, so an instructor edits the courses they created.
- each course has its own group, "Kursus #<id>: <title>", holding change and add on the
  course's subtree (the course and its modules). Its members are the course's
  instructors and its owner.
- neither holds publish: every catalogue carries the "Tinjauan BKPSDM" workflow, whose
  one task is approval by "Reviewer BKPSDM".

The setup runs from a data migration (with historical models) and again from
``seed_demo``, because the catalogue is made by the seed, not by a migration. The admin
hooks in ``wagtail_hooks.py`` keep it true for catalogues and courses made later.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.apps import apps as global_apps
from django.conf import settings
from django.db import transaction

from lms.people.models import ROLE_GROUPS, Role

if TYPE_CHECKING:
    from django.apps.registry import Apps
    from django.contrib.auth.models import Group
    from wagtail.models import Page

    from .models import CoursePage

INSTRUCTOR_GROUP = ROLE_GROUPS[Role.INSTRUCTOR]
REVIEWER_GROUP = "Reviewer BKPSDM"
WORKFLOW_NAME = "Tinjauan BKPSDM"
REVIEW_TASK_NAME = "Persetujuan Reviewer BKPSDM"
COURSE_GROUP_PREFIX = "Kursus #"
# Group.name's max_length; a long course title must not make the group unsavable.
GROUP_NAME_MAX = 150
# A course group is found by its page id, so a renamed course keeps its group.
COURSE_GROUP_PATTERN = r"^Kursus #[0-9]+: "


@dataclass(frozen=True)
class _Models:
    """The models the setup touches, from the live registry or a migration's state."""

    ContentType: Any
    Permission: Any
    Group: Any
    Employee: Any
    Page: Any
    CoursePage: Any
    GroupPagePermission: Any
    GroupApprovalTask: Any
    Workflow: Any
    WorkflowTask: Any
    WorkflowPage: Any
    Collection: Any
    GroupCollectionPermission: Any

    @classmethod
    def of(cls, apps: Apps) -> _Models:
        return cls(
            ContentType=apps.get_model("contenttypes", "ContentType"),
            Permission=apps.get_model("auth", "Permission"),
            Group=apps.get_model("auth", "Group"),
            Employee=apps.get_model(settings.AUTH_USER_MODEL),
            Page=apps.get_model("wagtailcore", "Page"),
            CoursePage=apps.get_model("courses", "CoursePage"),
            GroupPagePermission=apps.get_model("wagtailcore", "GroupPagePermission"),
            GroupApprovalTask=apps.get_model("wagtailcore", "GroupApprovalTask"),
            Workflow=apps.get_model("wagtailcore", "Workflow"),
            WorkflowTask=apps.get_model("wagtailcore", "WorkflowTask"),
            WorkflowPage=apps.get_model("wagtailcore", "WorkflowPage"),
            Collection=apps.get_model("wagtailcore", "Collection"),
            GroupCollectionPermission=apps.get_model("wagtailcore", "GroupCollectionPermission"),
        )


def course_group_name(course_id: int, title: str) -> str:
    name = f"{COURSE_GROUP_PREFIX}{course_id}: {title}"
    if len(name) <= GROUP_NAME_MAX:
        return name
    return name[: GROUP_NAME_MAX - 1] + "…"


def authoring_setup(*, apps: Apps | None = None) -> None:
    """Groups, catalogue permissions, the review workflow and one group per course.

    Safe to run any number of times. It adds what is missing and never takes away what
    BKPSDM chose in the admin: an extra reviewer group on the task, another workflow on a
    catalogue, a deactivated workflow all stay as they are.
    """
    m = _Models.of(apps or global_apps)
    with transaction.atomic():
        access_admin = _admin_access_permission(m)
        page_perms = _page_permissions(m)
        instructors = _group(m, INSTRUCTOR_GROUP, access_admin)
        reviewers = _group(m, REVIEWER_GROUP, access_admin)
        _instructor_media(m, instructors)
        workflow = _review_workflow(m, reviewers)
        catalogues = m.Page.objects.filter(
            content_type__app_label="courses", content_type__model="catalogueindexpage"
        ).values_list("pk", flat=True)
        for catalogue_id in catalogues:
            _grant(m, instructors, catalogue_id, [page_perms["add"]])
            _grant(m, reviewers, catalogue_id, [page_perms["change"], page_perms["publish"]])
            m.WorkflowPage.objects.get_or_create(
                page_id=catalogue_id, defaults={"workflow": workflow}
            )
        for course in m.CoursePage.objects.values("pk", "title", "owner_id"):
            _course_group_sync(m, page_perms, **course)
        _course_groups_prune(m)


def course_instructors_sync(course: CoursePage) -> Group:
    """Make the course's group hold exactly its instructors and its owner.

    Members are read from the stored course, not from the object in hand: for a live
    course that is the published version, so an instructor added or removed in a draft
    gains or loses access only once BKPSDM approves it.
    """
    m = _Models.of(global_apps)
    with transaction.atomic():
        stored = m.CoursePage.objects.values("pk", "title", "owner_id").get(pk=course.pk)
        group: Group = _course_group_sync(m, _page_permissions(m), **stored)
    return group


def course_groups_prune() -> int:
    """Delete the groups of deleted courses; returns how many went."""
    return _course_groups_prune(_Models.of(global_apps))


def may_add_below(*, user: Any, parent: Page) -> bool:
    """Whether the user may put a page (a new, copied or moved one) under ``parent``.

    Wagtail's "add" reaches down the whole subtree, so the "add" that lets an instructor
    create courses in the catalogue would also let them slip modules into any course.
    A module is part of its course: placing one needs the right to edit that course.
    """
    from .models import CoursePage

    specific_class = parent.specific_class
    if specific_class is None or not issubclass(specific_class, CoursePage):
        return True
    return bool(parent.permissions_for_user(user).can_edit())


def _admin_access_permission(m: _Models) -> Any:
    # Wagtail's own migration makes this permission; creating it here too keeps a database
    # flushed by a test (or restored partially) working.
    content_type, _created = m.ContentType.objects.get_or_create(
        app_label="wagtailadmin", model="admin"
    )
    permission, _created = m.Permission.objects.get_or_create(
        content_type=content_type,
        codename="access_admin",
        defaults={"name": "Can access Wagtail admin"},
    )
    return permission


def _permission(m: _Models, app_label: str, model: str, codename: str, name: str) -> Any:
    content_type, _created = m.ContentType.objects.get_or_create(app_label=app_label, model=model)
    permission, _created = m.Permission.objects.get_or_create(
        content_type=content_type, codename=codename, defaults={"name": name}
    )
    return permission


# What a module is made of: instructors upload and choose images and documents (in the root
# collection), upload videos (and re-transcode their own) and choose videos and quizzes in
# the module's blocks.
COLLECTION_PERMISSIONS = [
    ("wagtailimages", "image", "add_image", "Can add image"),
    ("wagtailimages", "image", "choose_image", "Can choose image"),
    ("wagtaildocs", "document", "add_document", "Can add document"),
    ("wagtaildocs", "document", "choose_document", "Can choose document"),
]
MODEL_PERMISSIONS = [
    ("videos", "video", "view_video", "Can view video"),
    ("videos", "video", "add_video", "Can add video"),
    ("assessments", "quiz", "view_quiz", "Can view kuis"),
]


def _instructor_media(m: _Models, instructors: Any) -> None:
    for spec in MODEL_PERMISSIONS:
        instructors.permissions.add(_permission(m, *spec))
    root = m.Collection.objects.filter(depth=1).first()
    if root is None:
        return
    for spec in COLLECTION_PERMISSIONS:
        m.GroupCollectionPermission.objects.get_or_create(
            group=instructors, collection=root, permission=_permission(m, *spec)
        )


def _page_permissions(m: _Models) -> dict[str, Any]:
    content_type, _created = m.ContentType.objects.get_or_create(
        app_label="wagtailcore", model="page"
    )
    perms = {}
    for action in ("add", "change", "publish"):
        perms[action], _created = m.Permission.objects.get_or_create(
            content_type=content_type,
            codename=f"{action}_page",
            defaults={"name": f"Can {action} page"},
        )
    return perms


def _group(m: _Models, name: str, access_admin: Any) -> Any:
    group, _created = m.Group.objects.get_or_create(name=name)
    group.permissions.add(access_admin)
    return group


def _grant(m: _Models, group: Any, page_id: int, permissions: list[Any]) -> None:
    for permission in permissions:
        m.GroupPagePermission.objects.get_or_create(
            group=group, page_id=page_id, permission=permission
        )


def _review_workflow(m: _Models, reviewers: Any) -> Any:
    task = m.GroupApprovalTask.objects.filter(name=REVIEW_TASK_NAME).order_by("pk").first()
    if task is None:
        # Task is polymorphic through its content type, which historical models do not set.
        content_type, _created = m.ContentType.objects.get_or_create(
            app_label="wagtailcore", model="groupapprovaltask"
        )
        task = m.GroupApprovalTask.objects.create(
            name=REVIEW_TASK_NAME, active=True, content_type=content_type
        )
    task.groups.add(reviewers)
    workflow, _created = m.Workflow.objects.get_or_create(
        name=WORKFLOW_NAME, defaults={"active": True}
    )
    steps = m.WorkflowTask.objects.filter(workflow=workflow)
    if not steps.filter(task=task).exists():
        m.WorkflowTask.objects.create(workflow=workflow, task=task, sort_order=steps.count())
    return workflow


def _course_group_sync(
    m: _Models, page_perms: dict[str, Any], *, pk: int, title: str, owner_id: int | None
) -> Any:
    name = course_group_name(pk, title)
    group = (
        m.Group.objects.filter(name__startswith=f"{COURSE_GROUP_PREFIX}{pk}: ")
        .order_by("pk")
        .first()
    )
    if group is None:
        group = m.Group.objects.create(name=name)
    elif group.name != name:
        group.name = name
        group.save(update_fields=["name"])
    # "add" lets members create modules; "change" lets them edit every page of the course,
    # whoever created it.
    _grant(m, group, pk, [page_perms["change"], page_perms["add"]])
    members = set(m.Employee.objects.filter(courses_taught=pk).values_list("pk", flat=True))
    if owner_id is not None:
        members.add(owner_id)
    group.user_set.set(members)
    return group


def _course_groups_prune(m: _Models) -> int:
    # A course's page permissions go with the page (ON DELETE CASCADE), so a course group
    # left without any is the group of a deleted course.
    _total, per_model = m.Group.objects.filter(
        name__regex=COURSE_GROUP_PATTERN, page_permissions__isnull=True
    ).delete()
    return int(per_model.get("auth.Group", 0))
