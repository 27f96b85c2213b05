"""Course authoring in the Wagtail admin: instructors edit only their own courses, and a
course reaches learners only after BKPSDM's review ("Tinjauan BKPSDM").

Everything goes through the real admin views with the test client, as an instructor in a
browser would: open the editor, change a field, press a button.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from bs4 import BeautifulSoup, Tag
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse
from wagtail.models import GroupPagePermission, Page, Revision, WorkflowPage, WorkflowState
from wagtail.test.utils.form_data import nested_form_data, rich_text, streamfield

from courses.authoring import (
    GROUP_NAME_MAX,
    INSTRUCTOR_GROUP,
    REVIEWER_GROUP,
    WORKFLOW_NAME,
    authoring_setup,
)
from courses.models import CatalogueIndexPage, CoursePage, HomePage, ModulePage
from lms.people.models import Employee, Role
from lms.people.services import role_grant
from tests.factories import EmployeeFactory

ADMIN_HOME = "/admin/"


# --- the browser's side -----------------------------------------------------------------


def editor_form(client: Client, url: str) -> dict[str, list[str]]:
    """Open a page editor and return what the browser would post back unchanged.

    Wagtail's own ``querydict_from_html`` picks the first option of an empty multiple
    select (which would make the first employee an instructor) and sends checked boxes
    as "", which Django reads as unchecked; this follows the browser instead.
    """
    response = client.get(url)
    assert response.status_code == 200, response.get("Location")
    form = BeautifulSoup(response.content, "html.parser").find("form", id="page-edit-form")
    assert isinstance(form, Tag)
    data: dict[str, list[str]] = {}
    for field in form.find_all(["input", "textarea", "select"]):
        name = attr(field, "name")
        if not name or field.has_attr("disabled"):
            continue
        values = data.setdefault(name, [])
        kind = attr(field, "type", "text")
        if field.name == "textarea":
            # A browser drops the newline that follows <textarea>.
            values.append(field.get_text().removeprefix("\n"))
        elif field.name == "select":
            chosen = list(field.find_all("option", selected=True))
            if not chosen and not field.has_attr("multiple"):
                chosen = list(field.find_all("option"))[:1]
            values.extend(attr(option, "value", option.get_text()) for option in chosen)
        elif kind in ("checkbox", "radio"):
            if field.has_attr("checked"):
                values.append(attr(field, "value", "on"))
        elif kind not in ("submit", "button", "file", "image", "reset"):
            values.append(attr(field, "value"))
    return data


def attr(tag: Tag, name: str, default: str = "") -> str:
    value = tag.get(name)
    return value if isinstance(value, str) else default


def module_body(text: str) -> dict[str, Any]:
    # The StreamField editor is drawn by JavaScript, so its inputs are not in the HTML.
    return nested_form_data({"body": streamfield([("text", rich_text(f"<p>{text}</p>"))])})


def login(user: Employee) -> Client:
    client = Client()
    client.force_login(user)
    return client


def edit_url(page: Page) -> str:
    return reverse("wagtailadmin_pages:edit", args=[page.pk])


def add_url(model: type[Page], parent: Page) -> str:
    meta = model._meta
    return reverse("wagtailadmin_pages:add", args=[meta.app_label, meta.model_name, parent.pk])


def denied(response: Any) -> bool:
    """Wagtail answers a page it will not show with a redirect to the admin home."""
    return response.status_code == 302 and response["Location"] == ADMIN_HOME


def revisions_of(page: Page) -> int:
    return Revision.page_revisions.filter(object_id=str(page.pk)).count()


def latest(page: Page) -> Any:
    return Page.objects.get(pk=page.pk).specific.get_latest_revision_as_object()


# --- the people and the courses -----------------------------------------------------------


def make_instructor(name: str) -> Employee:
    # No is_staff: Wagtail asks only for access_admin, which comes with the role's group.
    employee = EmployeeFactory.create(full_name=name)
    role_grant(actor=None, employee=employee, role=Role.INSTRUCTOR, reason="uji")
    return employee


def make_reviewer(name: str) -> Employee:
    employee = EmployeeFactory.create(full_name=name)
    employee.groups.add(Group.objects.get(name=REVIEWER_GROUP))
    return employee


def bkpsdm_sets_instructors(bkpsdm: Employee, course: CoursePage, *people: Employee) -> None:
    """A BKPSDM superuser picks the instructors in the editor and publishes directly."""
    client = login(bkpsdm)
    data = editor_form(client, edit_url(course))
    data["instructors"] = [str(p.pk) for p in people]
    response = client.post(edit_url(course), {**data, "action-publish": "action-publish"})
    assert response.status_code == 302


def create_course(client: Client, catalogue: CatalogueIndexPage, title: str) -> CoursePage:
    data = editor_form(client, add_url(CoursePage, catalogue))
    slug = f"kursus-{CoursePage.objects.count() + 1}"
    data.update(title=[title], slug=[slug], summary=["Kursus baru dari instruktur."])
    response = client.post(add_url(CoursePage, catalogue), data)
    assert response.status_code == 302
    return CoursePage.objects.child_of(catalogue).get(slug=slug)


def create_module(client: Client, course: CoursePage, title: str) -> ModulePage:
    slug = f"modul-{ModulePage.objects.count() + 1}"
    data = editor_form(client, add_url(ModulePage, course))
    data.update(title=[title], slug=[slug], **module_body(f"Isi {title}."))
    assert client.post(add_url(ModulePage, course), data).status_code == 302
    return ModulePage.objects.child_of(course).get(slug=slug)


@dataclass
class Scene:
    catalogue: CatalogueIndexPage
    bkpsdm: Employee
    ani: Employee  # teaches course_a
    budi: Employee  # teaches course_b
    course_a: CoursePage
    course_b: CoursePage

    def modules(self, course: CoursePage) -> list[ModulePage]:
        return list(ModulePage.objects.child_of(course).order_by("path"))


@pytest.fixture
def scene(home: CoursePage, pemda: dict[str, Any]) -> Scene:
    authoring_setup()  # as seed_demo does once the catalogue exists
    catalogue = CatalogueIndexPage.objects.get()
    ani, budi = make_instructor("Ani Widyaiswara"), make_instructor("Budi Widyaiswara")
    course_a = CoursePage.objects.get(slug="integritas-asn")
    course_b = CoursePage.objects.get(slug="pelayanan-publik-prima")
    bkpsdm_sets_instructors(pemda["superuser"], course_a, ani)
    bkpsdm_sets_instructors(pemda["superuser"], course_b, budi)
    return Scene(catalogue, pemda["superuser"], ani, budi, course_a, course_b)


# --- who may edit what --------------------------------------------------------------------


def test_instructor_edits_own_course_and_its_modules_as_drafts(scene: Scene) -> None:
    client = login(scene.ani)
    assert client.get(ADMIN_HOME).status_code == 200
    for module in scene.modules(scene.course_a):
        assert client.get(edit_url(module)).status_code == 200

    data = editor_form(client, edit_url(scene.course_a))
    data["summary"] = ["Ringkasan baru dari Ani."]
    assert client.post(edit_url(scene.course_a), data).status_code == 302

    draft = latest(scene.course_a)
    assert draft.summary == "Ringkasan baru dari Ani."
    assert draft.latest_revision.user == scene.ani
    live = CoursePage.objects.get(pk=scene.course_a.pk)
    assert live.summary != "Ringkasan baru dari Ani."  # a draft, not yet what learners see
    assert live.has_unpublished_changes

    module = scene.modules(scene.course_a)[0]
    data = editor_form(client, edit_url(module))
    data.update(intro=["Pengantar yang diperbarui."], **module_body("Isi modul versi Ani."))
    assert client.post(edit_url(module), data).status_code == 302
    assert latest(module).intro == "Pengantar yang diperbarui."


def test_instructor_cannot_open_or_change_another_instructors_course(scene: Scene) -> None:
    ani = login(scene.ani)
    before = revisions_of(scene.course_b)
    data = editor_form(login(scene.budi), edit_url(scene.course_b))

    assert denied(ani.get(edit_url(scene.course_b)))
    for module in scene.modules(scene.course_b):
        assert denied(ani.get(edit_url(module)))
    data["summary"] = ["Diubah oleh orang lain."]
    assert denied(ani.post(edit_url(scene.course_b), data))
    assert revisions_of(scene.course_b) == before
    assert latest(scene.course_b).summary != "Diubah oleh orang lain."


def test_instructor_cannot_slip_a_module_into_another_course(scene: Scene) -> None:
    """Wagtail's "add" on the catalogue reaches every course below it; the hooks stop it."""
    ani = login(scene.ani)
    modules_before = ModulePage.objects.child_of(scene.course_b).count()

    assert denied(ani.get(add_url(ModulePage, scene.course_b)))
    data = {"title": "Modul titipan", "slug": "modul-titipan", **module_body("Titipan.")}
    assert denied(ani.post(add_url(ModulePage, scene.course_b), data))

    own_module = scene.modules(scene.course_a)[0]
    copy = {
        "new_title": "Salinan", "new_slug": "salinan",
        "new_parent_page": str(scene.course_b.pk),
    }  # fmt: skip
    assert denied(ani.post(reverse("wagtailadmin_pages:copy", args=[own_module.pk]), copy))

    draft_module = create_module(ani, scene.course_a, "Modul draf Ani")
    move = reverse("wagtailadmin_pages:move_confirm", args=[draft_module.pk, scene.course_b.pk])
    assert denied(ani.post(move))
    bulk_move = reverse("wagtail_bulk_action", args=["wagtailcore", "page", "move"])
    bulk = ani.post(f"{bulk_move}?id={draft_module.pk}", {"chooser": str(scene.course_b.pk)})
    assert denied(bulk)

    assert ModulePage.objects.child_of(scene.course_b).count() == modules_before
    assert ModulePage.objects.child_of(scene.course_a).filter(pk=draft_module.pk).exists()
    # The module form stays open to the course's own instructor.
    assert login(scene.budi).get(add_url(ModulePage, scene.course_b)).status_code == 200


def test_instructor_creates_a_course_then_edits_it_and_adds_modules(scene: Scene) -> None:
    ani = login(scene.ani)
    course = create_course(ani, scene.catalogue, "Etika Pelayanan Digital")

    assert course.owner == scene.ani
    assert not course.live
    assert ani.get(edit_url(course)).status_code == 200
    module = create_module(ani, course, "Etika di media sosial")
    assert ani.get(edit_url(module)).status_code == 200
    assert denied(login(scene.budi).get(edit_url(course)))
    assert denied(login(scene.budi).get(edit_url(module)))


def test_changing_the_instructors_moves_the_access(scene: Scene) -> None:
    module = scene.modules(scene.course_a)[0]
    assert login(scene.ani).get(edit_url(module)).status_code == 200

    bkpsdm_sets_instructors(scene.bkpsdm, scene.course_a, scene.budi)

    assert denied(login(scene.ani).get(edit_url(scene.course_a)))
    assert denied(login(scene.ani).get(edit_url(module)))
    assert login(scene.budi).get(edit_url(scene.course_a)).status_code == 200
    assert login(scene.budi).get(edit_url(module)).status_code == 200


# --- review before publishing -------------------------------------------------------------


def test_instructor_cannot_publish_directly(scene: Scene) -> None:
    ani = login(scene.ani)
    data = editor_form(ani, edit_url(scene.course_a))
    data["summary"] = ["Langsung tayang?"]
    assert ani.post(edit_url(scene.course_a), {**data, "action-publish": "1"}).status_code == 302
    assert CoursePage.objects.get(pk=scene.course_a.pk).summary != "Langsung tayang?"

    course = create_course(ani, scene.catalogue, "Kursus yang ingin langsung tayang")
    data = editor_form(ani, edit_url(course))
    assert ani.post(edit_url(course), {**data, "action-publish": "1"}).status_code == 302
    course.refresh_from_db()
    assert not course.live
    assert Client().get(f"/katalog/{course.slug}/").status_code == 404


def test_submission_waits_for_bkpsdm_review_before_going_live(scene: Scene) -> None:
    ani = login(scene.ani)
    course = create_course(ani, scene.catalogue, "Manajemen Risiko Pemda")
    data = editor_form(ani, edit_url(course))
    assert ani.post(edit_url(course), {**data, "action-submit": "1"}).status_code == 302

    state = WorkflowState.objects.for_instance(course).get()
    assert state.status == WorkflowState.STATUS_IN_PROGRESS
    assert state.workflow.name == WORKFLOW_NAME
    assert state.requested_by == scene.ani
    course.refresh_from_db()
    assert not course.live
    assert Client().get(f"/katalog/{course.slug}/").status_code == 404

    task_state = course.current_workflow_task_state
    approve = reverse(
        "wagtailadmin_pages:workflow_action", args=[course.pk, "approve", task_state.pk]
    )
    assert denied(ani.post(approve, {"comment": ""}))  # nobody approves their own course
    state.refresh_from_db()
    assert state.status == WorkflowState.STATUS_IN_PROGRESS

    reviewer = login(make_reviewer("Rina Reviewer"))
    assert reviewer.get(edit_url(course)).status_code == 200
    assert reviewer.post(approve, {"comment": "Layak tayang."}).status_code == 302

    state.refresh_from_db()
    course.refresh_from_db()
    assert state.status == WorkflowState.STATUS_APPROVED
    assert course.live
    assert Client().get(f"/katalog/{course.slug}/").status_code == 200
    # The revision history shows who wrote it and who approved it.
    history = ani.get(reverse("wagtailadmin_pages:history", args=[course.pk]))
    assert history.status_code == 200
    assert "Rina Reviewer" in history.content.decode()


def test_instructor_cannot_name_co_instructors(scene: Scene) -> None:
    # Naming instructors grants edit rights, so only BKPSDM may do it: the field is not on
    # an instructor's form, and what they post for it is ignored, even after approval.
    ani = login(scene.ani)
    data = editor_form(ani, edit_url(scene.course_a))
    assert "instructors" not in data
    data["instructors"] = [str(scene.ani.pk), str(scene.budi.pk)]
    assert ani.post(edit_url(scene.course_a), {**data, "action-submit": "1"}).status_code == 302

    task_state = Page.objects.get(pk=scene.course_a.pk).current_workflow_task_state
    approve = reverse(
        "wagtailadmin_pages:workflow_action", args=[scene.course_a.pk, "approve", task_state.pk]
    )
    reviewer = login(make_reviewer("Rudi Reviewer"))
    assert reviewer.post(approve, {"comment": ""}).status_code == 302

    assert denied(login(scene.budi).get(edit_url(scene.course_a)))
    assert list(CoursePage.objects.get(pk=scene.course_a.pk).instructors.all()) == [scene.ani]


def test_superuser_may_still_publish_without_review(scene: Scene) -> None:
    bkpsdm = login(scene.bkpsdm)
    data = editor_form(bkpsdm, edit_url(scene.course_a))
    data["summary"] = ["Diterbitkan langsung oleh BKPSDM."]
    assert bkpsdm.post(edit_url(scene.course_a), {**data, "action-publish": "1"}).status_code == 302
    assert CoursePage.objects.get(pk=scene.course_a.pk).summary == (
        "Diterbitkan langsung oleh BKPSDM."
    )


# --- preview ------------------------------------------------------------------------------


def test_instructor_previews_a_draft_module(scene: Scene) -> None:
    ani = login(scene.ani)
    module = scene.modules(scene.course_a)[1]
    data = editor_form(ani, edit_url(module))
    data.update(module_body("Materi draf yang belum tayang."))
    assert ani.post(edit_url(module), data).status_code == 302

    draft = ani.get(reverse("wagtailadmin_pages:view_draft", args=[module.pk]))
    assert draft.status_code == 200
    assert "Materi draf yang belum tayang." in draft.content.decode()

    # The live preview panel: the editor posts the form, then the panel loads it.
    preview_url = reverse("wagtailadmin_pages:preview_on_edit", args=[module.pk])
    data.update(module_body("Ketikan yang belum disimpan."))
    assert ani.post(preview_url, data).json() == {"is_valid": True, "is_available": True}
    preview = ani.get(preview_url)
    assert preview.status_code == 200
    assert "Ketikan yang belum disimpan." in preview.content.decode()

    assert denied(login(scene.budi).get(reverse("wagtailadmin_pages:view_draft", args=[module.pk])))
    public = Client().get(module.url, follow=True)
    assert "Materi draf yang belum tayang." not in public.content.decode()


# --- setup, groups and cost ---------------------------------------------------------------


def test_setup_is_idempotent_and_new_catalogues_get_it(scene: Scene) -> None:
    def counts() -> tuple[int, ...]:
        return (
            Group.objects.count(),
            GroupPagePermission.objects.count(),
            WorkflowPage.objects.count(),
            Group.objects.get(name=INSTRUCTOR_GROUP).user_set.count(),
        )

    before = counts()
    authoring_setup()
    authoring_setup()
    assert counts() == before

    bkpsdm = login(scene.bkpsdm)
    home = HomePage.objects.get()
    data = editor_form(bkpsdm, add_url(CatalogueIndexPage, home))
    data.update(title=["Katalog Pelatihan Teknis"], slug=["katalog-teknis"])
    assert bkpsdm.post(add_url(CatalogueIndexPage, home), data).status_code == 302
    second = CatalogueIndexPage.objects.get(slug="katalog-teknis")

    assert WorkflowPage.objects.get(page=second).workflow.name == WORKFLOW_NAME
    ani = login(scene.ani)
    assert ani.get(add_url(CoursePage, second)).status_code == 200
    course = create_course(ani, second, "Kursus di katalog kedua")
    assert course.get_workflow().name == WORKFLOW_NAME


def test_course_group_is_named_within_the_limit_and_goes_with_its_course(scene: Scene) -> None:
    ani = login(scene.ani)
    course = create_course(ani, scene.catalogue, "Kebijakan " * 25)
    group = Group.objects.get(name__startswith=f"Kursus #{course.pk}: ")
    assert len(group.name) <= GROUP_NAME_MAX
    assert list(group.user_set.all()) == [scene.ani]

    bkpsdm = login(scene.bkpsdm)
    response = bkpsdm.post(reverse("wagtailadmin_pages:delete", args=[course.pk]))
    assert response.status_code == 302
    assert not Group.objects.filter(pk=group.pk).exists()
    assert Group.objects.filter(name__startswith=f"Kursus #{scene.course_a.pk}: ").exists()


def test_course_edit_view_query_count(scene: Scene, django_assert_max_num_queries: Any) -> None:
    ani = login(scene.ani)
    ani.get(edit_url(scene.course_a))  # warm per-process caches (content types, site root)
    with django_assert_max_num_queries(60):
        assert ani.get(edit_url(scene.course_a)).status_code == 200


# --- what modules are made of --------------------------------------------------------------


def test_instructor_can_upload_and_choose_module_media(scene: Scene) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from wagtail.documents.models import Document

    ani = login(scene.ani)
    for url in (
        "/admin/images/chooser/",
        "/admin/documents/chooser/",
        "/admin/snippets/choose/videos/video/",
        "/admin/snippets/choose/assessments/quiz/",
    ):
        assert ani.get(url).status_code == 200, url
    response = ani.post(
        "/admin/documents/multiple/add/",
        {"files[]": SimpleUploadedFile("materi.pdf", b"%PDF-1.4 materi", "application/pdf")},
    )
    assert response.json()["success"] is True
    document = Document.objects.get(pk=response.json()["doc_id"])
    assert document.uploaded_by_user == scene.ani


def test_a_learner_cannot_choose_admin_media(pemda: dict[str, Any], home: CoursePage) -> None:
    authoring_setup()
    learner = login(pemda["learner"])
    assert learner.get("/admin/images/chooser/").status_code in (302, 403)
    assert learner.get("/admin/snippets/choose/videos/video/").status_code in (302, 403)
