"""The learner and OPD-admin pages: enrol, open modules, mark done, Kursus Saya, approvals,
assignment. Happy paths, refusals, scope, and query counts that do not grow with the rows."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.core import signing
from django.core.files.base import ContentFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from wagtail.documents import get_document_model

from courses.models import CatalogueIndexPage, CoursePage, ModulePage
from lms.assessments.models import Quiz, QuizResult
from lms.learning import services
from lms.learning.forms import module_opened_token
from lms.learning.models import Enrolment, ModuleProgress
from lms.people.models import Employee
from lms.videos.models import Video
from tests.factories import EmployeeFactory

SECRET = "Isi rahasia"

# --- helpers ---------------------------------------------------------------------------


def make_course(
    catalogue: CatalogueIndexPage,
    title: str,
    *,
    policy: str = "open",
    modules: int = 3,
    jp: Decimal = Decimal("2"),
    **fields: Any,
) -> CoursePage:
    slug = title.lower().replace(" ", "-")
    course = CoursePage(
        title=title, slug=slug, summary=f"Ringkasan {title}", jp_credited=jp,
        enrolment_policy=policy, **fields,
    )  # fmt: skip
    catalogue.add_child(instance=course)
    for number in range(1, modules + 1):
        course.add_child(
            instance=ModulePage(
                title=f"Modul {number} {title}",
                slug=f"modul-{number}",
                body=[("text", f"<p>{SECRET} {slug} {number}</p>")],
            )
        )
    return course


def said(response: Any) -> str:
    """The last message the response left for the user ("" if none)."""
    stored = [str(m) for m in get_messages(response.wsgi_request)]
    return stored[-1] if stored else ""


def first_module(course: CoursePage) -> ModulePage:
    module = course.modules().first()
    assert module is not None
    return module


def last_module(course: CoursePage) -> ModulePage:
    module = course.modules().last()
    assert module is not None
    return module


def html(response: Any) -> str:
    return response.content.decode()


def count_queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


def enrol_url(course: CoursePage) -> str:
    return reverse("learning:enrol", kwargs={"course_id": course.pk})


def done_url(module: ModulePage) -> str:
    return reverse("learning:module_done", kwargs={"module_id": module.pk})


def enrolment_of(employee: Employee, course: CoursePage) -> Enrolment:
    return Enrolment.objects.filter(employee=employee, course=course).latest("created_at")


@pytest.fixture
def catalogue(home: CoursePage) -> CatalogueIndexPage:
    return CatalogueIndexPage.objects.get()


@pytest.fixture
def course_factory(catalogue: CatalogueIndexPage) -> Callable[..., CoursePage]:
    def make(title: str, **kwargs: Any) -> CoursePage:
        return make_course(catalogue, title, **kwargs)

    return make


@pytest.fixture
def learner_client(client: Client, pemda: dict[str, Any]) -> Client:
    client.force_login(pemda["learner"])
    return client


# --- catalogue -------------------------------------------------------------------------


def test_catalogue_search_filters_and_cards(
    client: Client, home: CoursePage, course_factory: Callable[..., CoursePage]
) -> None:
    course_factory("Statistik Sektoral", competency_type="teknis", level="lanjut")
    response = client.get("/katalog/", {"q": "integritas"})
    page = html(response)
    assert home.title in page
    assert "Pelayanan Publik Prima" not in page
    assert "1 kursus ditemukan" in page

    response = client.get("/katalog/", {"level": "lanjut", "competency_type": "teknis"})
    titles = {c.title for c in response.context["courses"]}
    assert titles == {"Statistik Sektoral", "Pengelolaan Keuangan Daerah"}
    page = html(response)
    # Each card says JP, competency type, level and how to get in.
    assert "10 JP" in page
    assert "Lanjut" in page
    assert "Hanya penugasan" in page
    assert "Pendaftaran terbuka" in page

    response = client.get("/katalog/", {"q": "kata-yang-tidak-ada-di-mana-pun"})
    assert "Tidak ada kursus yang cocok" in html(response)
    assert "0 kursus ditemukan" in html(response)


@pytest.mark.parametrize(
    "query",
    [
        {"jp_min": "abc"},
        {"level": "<script>"},
        {"page": "zz"},
        {"page": "99999"},
        {"q": "x" * 5000},
        {"jp_min": "5", "jp_max": "1"},
    ],
)
def test_catalogue_bad_input_never_500s(client: Client, home: CoursePage, query: dict) -> None:
    response = client.get("/katalog/", query)
    assert response.status_code == 200


def test_catalogue_paginates(
    client: Client, home: CoursePage, course_factory: Callable[..., CoursePage]
) -> None:
    for n in range(20):
        course_factory(f"Kursus Tambahan {n:02d}", modules=0)
    first = client.get("/katalog/")
    assert len(first.context["courses"]) == 20
    assert "page=2" in html(first)
    second = client.get("/katalog/", {"page": 2})
    assert len(second.context["courses"]) == 4


def test_catalogue_query_count_does_not_grow(
    client: Client,
    pemda: dict[str, Any],
    home: CoursePage,
    course_factory: Callable[..., CoursePage],
    django_assert_max_num_queries: Any,
) -> None:
    client.force_login(pemda["learner"])
    count_queries(client, "/katalog/")  # warm the site-root cache
    few = count_queries(client, "/katalog/")
    few_search = count_queries(client, "/katalog/?q=kursus")
    for n in range(96):
        course_factory(f"Kursus Massal {n:03d}", modules=0)
    assert CoursePage.objects.live().count() == 100
    many = count_queries(client, "/katalog/")
    many_search = count_queries(client, "/katalog/?q=kursus")
    assert many == few
    assert many_search == few_search
    with django_assert_max_num_queries(15):
        client.get("/katalog/?q=kursus&level=dasar&jabatan_kind=fungsional")


# --- course page and enrolment ---------------------------------------------------------


def test_anonymous_sees_the_course_but_no_module_links(client: Client, home: CoursePage) -> None:
    page = html(client.get(home.url))
    assert "Masuk untuk mendaftar" in page
    for module in home.modules():
        assert module.title in page
        assert module.url not in page


def test_open_course_enrols_at_once(learner_client: Client, home: CoursePage) -> None:
    page = html(learner_client.get(home.url))
    assert "Daftar kursus ini" in page
    assert first_module(home).url not in page  # titles only until enrolled

    response = learner_client.post(enrol_url(home))
    assert response.status_code == 302
    assert response["Location"] == home.url
    assert said(response) == "Anda terdaftar. Selamat belajar!"
    learner = response.wsgi_request.user
    assert enrolment_of(learner, home).status == Enrolment.Status.ACTIVE  # type: ignore[arg-type]

    page = html(learner_client.get(home.url))
    assert "Sedang belajar" in page
    assert "0 dari 3 modul wajib selesai" in page
    assert "Yang masih perlu diselesaikan" in page
    assert "Mulai belajar" in page
    assert "Mengundurkan diri dari kursus" in page
    for module in home.modules():
        assert f'href="{module.url}"' in page

    # A second click is the same enrolment, not a second one.
    learner_client.post(enrol_url(home))
    assert Enrolment.objects.filter(course=home).count() == 1


def test_approval_course_waits_for_the_opd_admin(
    client: Client, pemda: dict[str, Any], course_factory: Callable[..., CoursePage]
) -> None:
    course = course_factory("Kepemimpinan Pengawas", policy="approval")
    learner = pemda["learner"]
    client.force_login(learner)
    response = client.post(enrol_url(course))
    assert "menunggu persetujuan admin OPD" in said(response)
    enrolment = enrolment_of(learner, course)
    assert enrolment.status == Enrolment.Status.PENDING
    page = html(client.get(course.url))
    assert "Menunggu persetujuan admin OPD" in page
    assert "Batalkan pengajuan" in page
    assert first_module(course).url not in page

    client.force_login(pemda["admin_a"])
    response = client.post(
        reverse("learning:approval_decide", kwargs={"enrolment_id": enrolment.pk}),
        {"decision": "approve"},
    )
    assert response.status_code == 302
    enrolment.refresh_from_db()
    assert enrolment.status == Enrolment.Status.ACTIVE
    assert enrolment.decided_by == pemda["admin_a"]

    client.force_login(learner)
    module = first_module(course)
    assert client.get(module.url).status_code == 200


def test_assigned_only_course_refuses_self_enrolment(
    learner_client: Client, home: CoursePage
) -> None:
    course = CoursePage.objects.get(slug="pengelolaan-keuangan-daerah")
    page = html(learner_client.get(course.url))
    assert "hanya melalui penugasan" in page
    assert "Daftar kursus ini" not in page
    response = learner_client.post(enrol_url(course))
    assert response.status_code == 302
    assert "hanya dapat diikuti melalui penugasan" in said(response)
    assert not Enrolment.objects.filter(course=course).exists()


def test_window_and_capacity_refusals(
    client: Client, pemda: dict[str, Any], course_factory: Callable[..., CoursePage]
) -> None:
    now = timezone.now()
    closed = course_factory(
        "Sudah Tutup",
        enrolment_opens=now - dt.timedelta(days=10),
        enrolment_closes=now - dt.timedelta(days=1),
    )
    not_yet = course_factory("Belum Buka", enrolment_opens=now + dt.timedelta(days=3))
    full = course_factory("Kursus Penuh", capacity=1)
    client.force_login(pemda["staff_a"][1])
    client.post(enrol_url(full))  # takes the only seat

    client.force_login(pemda["learner"])
    cases = [
        (closed, "Pendaftaran sudah ditutup pada", "Pendaftaran sudah ditutup."),
        (not_yet, "Pendaftaran dibuka", "Pendaftaran belum dibuka."),
        (full, "Kuota kursus ini sudah penuh.", "Kuota sudah penuh."),
    ]
    for course, refusal, reason in cases:
        page = html(client.get(course.url))
        assert reason in page
        assert "Daftar kursus ini" not in page
        response = client.post(enrol_url(course))
        assert refusal in said(response), course.title
        assert not Enrolment.objects.filter(course=course, employee=pemda["learner"]).exists()
    assert "1 peserta, sisa 0 tempat" in html(client.get(full.url))


def test_enrol_needs_post_login_and_a_live_course(
    client: Client, pemda: dict[str, Any], home: CoursePage
) -> None:
    assert client.post(enrol_url(home)).status_code == 302  # to the login page
    assert not Enrolment.objects.exists()
    client.force_login(pemda["learner"])
    assert client.get(enrol_url(home)).status_code == 405
    assert client.post(reverse("learning:enrol", kwargs={"course_id": 999999})).status_code == 404
    module = first_module(home)
    not_a_course = reverse("learning:enrol", kwargs={"course_id": module.pk})
    assert client.post(not_a_course).status_code == 404
    home.unpublish()
    assert client.post(enrol_url(home)).status_code == 404
    assert not Enrolment.objects.exists()


def test_course_page_query_count_does_not_grow_with_modules(
    learner_client: Client,
    pemda: dict[str, Any],
    course_factory: Callable[..., CoursePage],
    django_assert_max_num_queries: Any,
) -> None:
    counts = []
    for size in (2, 10):
        course = course_factory(f"Kursus {size} Modul", modules=size)
        enrolment = services.enrolment_request(actor=pemda["learner"], course=course)
        for module in list(course.modules())[: size // 2]:
            services.module_mark_done(actor=pemda["learner"], enrolment=enrolment, module=module)
        count_queries(learner_client, course.url)
        counts.append(count_queries(learner_client, course.url))
    assert counts[0] == counts[1], counts
    with django_assert_max_num_queries(25):
        learner_client.get(course.url)


# --- modules ---------------------------------------------------------------------------


def test_module_of_a_course_not_enrolled_redirects_without_content(
    learner_client: Client, home: CoursePage
) -> None:
    module = first_module(home)
    response = learner_client.get(module.url)
    assert response.status_code == 302
    assert response["Location"] == home.url
    assert SECRET not in html(response)
    followed = learner_client.get(module.url, follow=True)
    assert "Daftar kursus ini dulu untuk membuka modulnya." in html(followed)
    assert f"<p>{first_module(home).body[0].value}" not in html(followed)
    assert not ModuleProgress.objects.exists()


def test_pending_enrolment_does_not_open_modules(
    learner_client: Client, pemda: dict[str, Any], course_factory: Callable[..., CoursePage]
) -> None:
    course = course_factory("Perlu Izin", policy="approval")
    learner_client.post(enrol_url(course))
    module = first_module(course)
    response = learner_client.get(module.url, follow=True)
    assert response.redirect_chain == [(course.url, 302)]
    assert SECRET not in html(response)
    assert "Pendaftaran Anda menunggu persetujuan admin OPD." in html(response)
    response = learner_client.post(done_url(module))
    assert response["Location"] == course.url
    assert not ModuleProgress.objects.exists()


def test_guessed_module_urls_of_another_course(
    learner_client: Client, home: CoursePage, course_factory: Callable[..., CoursePage]
) -> None:
    other = course_factory("Kursus Lain")
    learner_client.post(enrol_url(home))
    for module in other.modules():
        guessed = f"{home.url}{module.slug}-x/"
        assert learner_client.get(guessed).status_code == 404
        response = learner_client.get(module.url)
        assert response.status_code == 302
        assert response["Location"] == other.url
        assert SECRET not in html(learner_client.get(module.url, follow=True))
        # Nor can it be marked done by its id.
        learner_client.post(done_url(module))
    assert not ModuleProgress.objects.filter(module__in=other.modules()).exists()


def test_enrolled_learner_reads_a_module_and_it_counts_as_started(
    learner_client: Client, pemda: dict[str, Any], home: CoursePage
) -> None:
    learner_client.post(enrol_url(home))
    first, second, third = home.modules()
    response = learner_client.get(second.url)
    assert response.status_code == 200
    page = html(response)
    assert "Modul 2 dari 3" in page
    assert "Tandai selesai" in page
    assert f'href="{first.url}"' in page
    assert f'href="{third.url}"' in page
    progress = ModuleProgress.objects.get(module=second)
    assert progress.started_at is not None
    assert progress.completed_at is None
    course_page = html(learner_client.get(home.url))
    assert "Sedang dipelajari" in course_page
    assert "Lanjutkan belajar" in course_page


def test_module_blocks_say_honestly_what_is_not_there_yet(
    learner_client: Client, pemda: dict[str, Any], home: CoursePage
) -> None:
    video = Video.objects.create(title="Wawancara Inspektur", status=Video.Status.TRANSCODING)
    quiz = Quiz.objects.create(title="Kuis Gratifikasi")
    document = get_document_model().objects.create(
        title="Pedoman Gratifikasi", file=ContentFile(b"%PDF-1.4 uji", name="pedoman.pdf")
    )
    module = last_module(home)
    module.body = [
        ("text", "<p>Pengantar</p>"),
        ("video", {"video": video, "caption": "Bagian 1"}),
        ("document", {"document": document, "description": "Bacaan wajib"}),
        ("quiz", {"quiz": quiz, "required_to_pass": True}),
    ]
    module.save()
    learner_client.post(enrol_url(home))
    page = html(learner_client.get(module.url))
    assert "Video sedang diproses dan belum dapat diputar." in page
    assert "<video" not in page
    assert document.url in page
    assert "Pedoman Gratifikasi" in page
    assert "Kuis Gratifikasi" in page
    assert "Buka kuis" in page
    # A module with a quiz to pass cannot be ticked off by hand.
    assert "Tandai selesai" not in page
    response = learner_client.post(done_url(module))
    assert "setelah Anda lulus kuisnya" in said(response)
    assert ModuleProgress.objects.get(module=module).completed_at is None


def test_module_page_query_count_does_not_grow(
    learner_client: Client,
    pemda: dict[str, Any],
    course_factory: Callable[..., CoursePage],
    django_assert_max_num_queries: Any,
) -> None:
    counts = []
    for size in (3, 12):
        course = course_factory(f"Modul Banyak {size}", modules=size)
        services.enrolment_request(actor=pemda["learner"], course=course)
        module = list(course.modules())[1]
        count_queries(learner_client, module.url)  # the first visit records the start
        counts.append(count_queries(learner_client, module.url))
    assert counts[0] == counts[1], counts
    with django_assert_max_num_queries(25):
        learner_client.get(module.url)


# --- mark done and completion ----------------------------------------------------------


def test_marking_every_module_done_completes_the_course(
    learner_client: Client, pemda: dict[str, Any], home: CoursePage
) -> None:
    learner = pemda["learner"]
    learner_client.post(enrol_url(home))
    first, second, third = home.modules()
    response = learner_client.post(done_url(first))
    assert response["Location"] == second.url  # on to the next one
    assert said(response) == f"Modul {first.title} selesai."
    assert enrolment_of(learner, home).status == Enrolment.Status.ACTIVE
    assert "1 dari 3 modul wajib selesai" in html(learner_client.get(home.url))

    learner_client.post(done_url(second))
    response = learner_client.post(done_url(third))
    assert response["Location"] == home.url
    assert said(response) == f"Selamat! Anda menyelesaikan kursus {home.title}; 4 JP tercatat."
    enrolment = enrolment_of(learner, home)
    assert enrolment.status == Enrolment.Status.COMPLETED
    assert enrolment.completed_at is not None
    page = html(learner_client.get(home.url))
    assert "Selesai pada" in page
    assert "3 dari 3 modul wajib selesai (100%)" in page
    assert "Mengundurkan diri" not in page
    assert "Tandai selesai" not in html(learner_client.get(first.url))
    # A replayed POST changes nothing and does not congratulate twice.
    response = learner_client.post(done_url(third))
    assert "Selamat" not in said(response)
    assert Enrolment.objects.filter(employee=learner, course=home).count() == 1


def test_time_spent_comes_from_the_signed_opened_token(
    learner_client: Client, pemda: dict[str, Any], home: CoursePage, monkeypatch: Any
) -> None:
    learner_client.post(enrol_url(home))
    first, second, third = home.modules()
    real = time.time()
    monkeypatch.setattr(time, "time", lambda: real - 300)
    token = module_opened_token()
    monkeypatch.setattr(time, "time", lambda: real)
    learner_client.post(done_url(first), {"opened": token})
    assert 299 <= ModuleProgress.objects.get(module=first).time_spent_seconds <= 310
    forged = signing.dumps(int(real) - 600, salt="another-salt")
    learner_client.post(done_url(second), {"opened": forged})
    assert ModuleProgress.objects.get(module=second).time_spent_seconds == 0
    learner_client.post(done_url(third), {"seconds": 4 * 60 * 60})
    # The service caps one update at 30 minutes.
    assert ModuleProgress.objects.get(module=third).time_spent_seconds == 30 * 60


def test_mark_done_bad_input(learner_client: Client, home: CoursePage) -> None:
    learner_client.post(enrol_url(home))
    module = first_module(home)
    response = learner_client.post(done_url(module), {"seconds": "abc"})
    assert response["Location"] == module.url
    assert "belum ditandai selesai" in said(response)
    assert not ModuleProgress.objects.filter(completed_at__isnull=False).exists()
    assert learner_client.get(done_url(module)).status_code == 405
    missing = reverse("learning:module_done", kwargs={"module_id": 999999})
    assert learner_client.post(missing).status_code == 404
    assert learner_client.post(done_url(home)).status_code == 404  # a course is not a module


# --- withdraw --------------------------------------------------------------------------


def test_withdraw_own_enrolment(learner_client: Client, home: CoursePage) -> None:
    learner_client.post(enrol_url(home))
    enrolment = Enrolment.objects.get()
    url = reverse("learning:withdraw", kwargs={"enrolment_id": enrolment.pk})
    response = learner_client.post(url, {"reason": "Beban kerja"})
    assert response["Location"] == home.url
    enrolment.refresh_from_db()
    assert enrolment.status == Enrolment.Status.WITHDRAWN
    assert enrolment.decision_note == "Beban kerja"
    page = html(learner_client.get(home.url))
    assert "Anda sudah mengundurkan diri" in page
    assert "Daftar kursus ini" in page  # and may enrol again
    response = learner_client.post(url)
    assert said(response) == "Pendaftaran ini tidak aktif."
    assert learner_client.get(url).status_code == 405
    missing = reverse("learning:withdraw", kwargs={"enrolment_id": 999999})
    assert learner_client.post(missing).status_code == 404


def test_withdraw_someone_elses_enrolment(
    client: Client, pemda: dict[str, Any], home: CoursePage
) -> None:
    enrolment = services.enrolment_request(actor=pemda["learner"], course=home)
    url = reverse("learning:withdraw", kwargs={"enrolment_id": enrolment.pk})
    client.force_login(pemda["staff_a"][1])  # a colleague, no admin
    assert client.post(url).status_code == 403
    client.force_login(pemda["staff_b"][0])
    assert client.post(url).status_code == 403
    enrolment.refresh_from_db()
    assert enrolment.status == Enrolment.Status.ACTIVE
    client.force_login(pemda["admin_a"])  # their OPD admin may
    next_url = reverse("learning:approvals")
    response = client.post(url, {"next": next_url})
    assert response["Location"] == next_url
    enrolment.refresh_from_db()
    assert enrolment.status == Enrolment.Status.WITHDRAWN


def test_withdraw_next_must_stay_on_the_site(learner_client: Client, home: CoursePage) -> None:
    learner_client.post(enrol_url(home))
    enrolment = Enrolment.objects.get()
    url = reverse("learning:withdraw", kwargs={"enrolment_id": enrolment.pk})
    response = learner_client.post(url, {"next": "https://jahat.example/"})
    assert response["Location"] == home.url


# --- Kursus Saya -----------------------------------------------------------------------


def test_dashboard_sections_and_jp(
    client: Client,
    pemda: dict[str, Any],
    home: CoursePage,
    course_factory: Callable[..., CoursePage],
) -> None:
    learner = pemda["learner"]
    admin = pemda["admin_a"]
    waiting = course_factory("Menunggu Izin", policy="approval")
    overdue = course_factory("Tugas Terlambat", policy="assigned")
    later = course_factory("Tugas Nanti", policy="assigned")
    services.enrolment_request(actor=learner, course=waiting)
    services.enrolment_assign(actor=admin, course=later, nips=[learner.nip])
    services.enrolment_assign(
        actor=admin, course=overdue, nips=[learner.nip], due_date=timezone.localdate()
    )
    Enrolment.objects.filter(course=overdue).update(
        due_date=timezone.localdate() - dt.timedelta(days=2)
    )
    Enrolment.objects.filter(course=later).update(
        due_date=timezone.localdate() + dt.timedelta(days=30)
    )
    done = services.enrolment_request(actor=learner, course=home)
    for module in home.modules():
        services.module_mark_done(actor=learner, enrolment=done, module=module)

    client.force_login(learner)
    response = client.get(reverse("learning:dashboard"))
    page = html(response)
    assert [e.course.title for e in response.context["assigned"]] == [
        "Tugas Terlambat",
        "Tugas Nanti",
    ]
    assert [e.course.title for e in response.context["pending"]] == ["Menunggu Izin"]
    assert [e.course.title for e in response.context["completed"]] == [home.title]
    assert "Lewat tenggat" in page
    assert page.count("is-overdue") == 1
    assert "4 dari 20 JP" in page
    assert "Kurang 16 JP" in page
    assert 'value="20"' in page  # the progress bar: 4 of 20
    assert "Persetujuan pendaftaran" not in page  # admin links only for admins

    client.force_login(admin)
    page = html(client.get(reverse("learning:dashboard")))
    assert "Anda belum mengikuti kursus apa pun." in page
    assert "Persetujuan pendaftaran" in page


def test_dashboard_needs_login(client: Client, db: None) -> None:
    response = client.get(reverse("learning:dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("people:login"))


def test_dashboard_query_count_does_not_grow(
    client: Client,
    pemda: dict[str, Any],
    catalogue: CatalogueIndexPage,
    django_assert_max_num_queries: Any,
) -> None:
    learner = pemda["learner"]
    admin = pemda["admin_a"]
    client.force_login(learner)
    courses = [make_course(catalogue, f"Dasbor {n:02d}", modules=1) for n in range(50)]

    def enrol(batch: list[CoursePage]) -> None:
        for i, course in enumerate(batch):
            if i % 3 == 0:
                services.enrolment_assign(
                    actor=admin, course=course, nips=[learner.nip],
                    due_date=timezone.localdate() + dt.timedelta(days=i),
                )  # fmt: skip
            else:
                enrolment = services.enrolment_request(actor=learner, course=course)
                if i % 3 == 1:
                    module = first_module(course)
                    services.module_mark_done(actor=learner, enrolment=enrolment, module=module)

    enrol(courses[:5])
    count_queries(client, reverse("learning:dashboard"))
    few = count_queries(client, reverse("learning:dashboard"))
    enrol(courses[5:])
    assert Enrolment.objects.filter(employee=learner).count() == 50
    many = count_queries(client, reverse("learning:dashboard"))
    assert many == few
    with django_assert_max_num_queries(12):
        client.get(reverse("learning:dashboard"))


# --- approvals -------------------------------------------------------------------------


def test_opd_admin_sees_and_decides_only_their_own_opd(
    client: Client, pemda: dict[str, Any], course_factory: Callable[..., CoursePage]
) -> None:
    course = course_factory("Butuh Persetujuan", policy="approval")
    mine = services.enrolment_request(actor=pemda["staff_a"][1], course=course)
    neighbour = services.enrolment_request(actor=pemda["staff_b"][0], course=course)
    client.force_login(pemda["admin_a"])
    response = client.get(reverse("learning:approvals"))
    assert [e.pk for e in response.context["page"]] == [mine.pk]
    assert pemda["staff_b"][0].full_name not in html(response)

    url = reverse("learning:approval_decide", kwargs={"enrolment_id": neighbour.pk})
    assert client.post(url, {"decision": "approve"}).status_code == 403
    assert client.post(url, {"decision": "reject", "note": "x"}).status_code == 403
    neighbour.refresh_from_db()
    assert neighbour.status == Enrolment.Status.PENDING
    missing = reverse("learning:approval_decide", kwargs={"enrolment_id": 999999})
    assert client.post(missing, {"decision": "approve"}).status_code == 404

    # Rejecting needs a reason the learner can read.
    url = reverse("learning:approval_decide", kwargs={"enrolment_id": mine.pk})
    response = client.post(url, {"decision": "reject", "note": "  "})
    assert said(response) == "Tuliskan alasan penolakan untuk peserta."
    mine.refresh_from_db()
    assert mine.status == Enrolment.Status.PENDING
    response = client.post(url, {"decision": "maybe"})
    assert said(response) == "Pilih setujui atau tolak."
    response = client.post(url, {"decision": "reject", "note": "Kuota OPD habis"})
    mine.refresh_from_db()
    assert mine.status == Enrolment.Status.REJECTED
    assert mine.decision_note == "Kuota OPD habis"
    response = client.post(url, {"decision": "approve"})
    assert said(response) == "Pendaftaran ini sudah diputuskan."
    assert "Tidak ada pendaftaran yang menunggu" in html(client.get(reverse("learning:approvals")))

    client.force_login(pemda["staff_a"][1])
    page = html(client.get(course.url))
    assert "Kuota OPD habis" in page
    assert "Ajukan pendaftaran" in page


def test_approvals_are_for_admins_who_may_change(
    client: Client, pemda: dict[str, Any], course_factory: Callable[..., CoursePage]
) -> None:
    course = course_factory("Untuk Disetujui", policy="approval")
    enrolment = services.enrolment_request(actor=pemda["staff_b"][0], course=course)
    url = reverse("learning:approval_decide", kwargs={"enrolment_id": enrolment.pk})
    for who in ("learner", "auditor"):
        client.force_login(pemda[who])
        assert client.get(reverse("learning:approvals")).status_code == 403
        assert client.post(url, {"decision": "approve"}).status_code == 403
        assert client.get(reverse("learning:assign")).status_code == 403
    enrolment.refresh_from_db()
    assert enrolment.status == Enrolment.Status.PENDING
    client.force_login(pemda["superuser"])  # BKPSDM decides for every OPD
    response = client.get(reverse("learning:approvals"))
    assert [e.pk for e in response.context["page"]] == [enrolment.pk]
    client.post(url, {"decision": "approve"})
    enrolment.refresh_from_db()
    assert enrolment.status == Enrolment.Status.ACTIVE


def test_approvals_paginate(
    client: Client, pemda: dict[str, Any], course_factory: Callable[..., CoursePage]
) -> None:
    course = course_factory("Banyak Peminat", policy="approval", modules=0)
    people = [EmployeeFactory.create(org_unit=pemda["unit_a"]) for _ in range(51)]
    for person in people:
        services.enrolment_request(actor=person, course=course)
    client.force_login(pemda["admin_a"])
    first = client.get(reverse("learning:approvals"))
    assert len(first.context["page"]) == 50
    assert len(client.get(reverse("learning:approvals"), {"page": 2}).context["page"]) == 1
    assert client.get(reverse("learning:approvals"), {"page": "x"}).status_code == 200


def test_approvals_query_count_does_not_grow(
    client: Client,
    pemda: dict[str, Any],
    course_factory: Callable[..., CoursePage],
    django_assert_max_num_queries: Any,
) -> None:
    course = course_factory("Antre Persetujuan", policy="approval", modules=0)
    client.force_login(pemda["admin_a"])

    def requests(n: int) -> None:
        for _ in range(n):
            person = EmployeeFactory.create(org_unit=pemda["unit_a"])
            services.enrolment_request(actor=person, course=course)

    requests(5)
    count_queries(client, reverse("learning:approvals"))
    few = count_queries(client, reverse("learning:approvals"))
    requests(45)
    assert count_queries(client, reverse("learning:approvals")) == few
    with django_assert_max_num_queries(10):
        client.get(reverse("learning:approvals"))


# --- assignment ------------------------------------------------------------------------


def test_assign_to_an_opd_subtree(client: Client, pemda: dict[str, Any], home: CoursePage) -> None:
    course = CoursePage.objects.get(slug="pengelolaan-keuangan-daerah")
    client.force_login(pemda["admin_a"])
    form = client.get(reverse("learning:assign")).context["form"]
    assert set(form.fields["org_unit"].queryset) == {pemda["opd_a"], pemda["unit_a"]}
    due = timezone.localdate() + dt.timedelta(days=14)
    response = client.post(
        reverse("learning:assign"),
        {"course": course.pk, "org_unit": pemda["opd_a"].pk, "due_date": due.isoformat()},
    )
    assert response.status_code == 200
    result = response.context["result"]
    in_opd = {*pemda["staff_a"], pemda["admin_a"]}
    assert {e.employee for e in result.created} == in_opd
    enrolments = Enrolment.objects.filter(course=course)
    assert {e.employee for e in enrolments} == in_opd
    assert all(e.status == Enrolment.Status.ACTIVE and e.due_date == due for e in enrolments)
    assert all(e.source == Enrolment.Source.ASSIGNED for e in enrolments)
    assert f"Ditugaskan baru</dt><dd>{len(in_opd)}</dd>" in html(response)

    # The neighbouring OPD is not a choice, so nothing changes.
    response = client.post(
        reverse("learning:assign"), {"course": course.pk, "org_unit": pemda["opd_b"].pk}
    )
    assert "org_unit" in response.context["form"].errors
    assert response.context["result"] is None
    assert not Enrolment.objects.filter(employee__in=pemda["staff_b"]).exists()


def test_assign_by_nip_list(
    client: Client, pemda: dict[str, Any], course_factory: Callable[..., CoursePage]
) -> None:
    course = course_factory("Kuota Tiga", policy="assigned", capacity=3)
    a1, a2, a3 = pemda["staff_a"]
    unknown = "199901012020011999"
    spaced = f"{a1.nip[:8]} {a1.nip[8:14]} {a1.nip[14]} {a1.nip[15:]}"
    nips = "\n".join([spaced, a2.nip, "", unknown, pemda["staff_b"][0].nip, a2.nip, "12ab"])
    client.force_login(pemda["admin_a"])
    response = client.post(reverse("learning:assign"), {"course": course.pk, "nips": nips})
    result = response.context["result"]
    assert {e.employee for e in result.created} == {a1, a2}
    assert result.not_found == [unknown, "12ab"]
    assert result.out_of_scope == [pemda["staff_b"][0].nip]
    page = html(response)
    assert unknown in page
    assert pemda["staff_b"][0].nip in page
    assert "Penugasan Kuota Tiga disimpan." in page

    # One seat left for two people: who does not fit is reported, not dropped.
    extra = EmployeeFactory.create(org_unit=pemda["unit_a"])
    response = client.post(
        reverse("learning:assign"),
        {"course": course.pk, "nips": f"{a3.nip}\n{extra.nip}\n{a1.nip}"},
    )
    result = response.context["result"]
    assert result.already == 1
    assert len(result.created) == 1
    assert len(result.over_capacity) == 1
    assert result.over_capacity[0] in html(response)
    assert Enrolment.objects.filter(course=course).count() == 3


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Pilih unit atau isi setidaknya satu NIP."),
        ({"due_date": "kemarin"}, "Masukkan tanggal yang valid."),
        ({"due_date": "2001-01-01"}, "Tenggat tidak boleh di masa lalu."),
        ({"course": "999999"}, "Masukkan pilihan yang valid."),
    ],
)
def test_assign_bad_input_changes_nothing(
    client: Client, pemda: dict[str, Any], home: CoursePage, data: dict, message: str
) -> None:
    client.force_login(pemda["admin_a"])
    payload = {"course": home.pk, "nips": pemda["staff_a"][1].nip, **data}
    if not data:
        payload.pop("nips")
    response = client.post(reverse("learning:assign"), payload)
    assert response.status_code == 200
    assert message in html(response)
    assert not Enrolment.objects.exists()


def test_assign_offers_only_live_courses(
    client: Client, pemda: dict[str, Any], course_factory: Callable[..., CoursePage]
) -> None:
    draft = course_factory("Masih Draf")
    draft.unpublish()
    client.force_login(pemda["admin_a"])
    form = client.get(reverse("learning:assign")).context["form"]
    assert draft.pk not in {c.pk for c in form.fields["course"].queryset}
    response = client.post(
        reverse("learning:assign"), {"course": draft.pk, "nips": pemda["staff_a"][1].nip}
    )
    assert "course" in response.context["form"].errors
    assert not Enrolment.objects.exists()


# --- a quiz the learner passed lets the module be marked done -------------------------


def test_module_with_a_passed_quiz_can_be_marked_done(
    learner_client: Client, pemda: dict[str, Any], home: CoursePage
) -> None:
    quiz = Quiz.objects.create(title="Kuis Akhir Modul")
    module = first_module(home)
    module.body = [("text", "<p>Isi</p>"), ("quiz", {"quiz": quiz, "required_to_pass": True})]
    module.save()
    learner_client.post(enrol_url(home))
    QuizResult.objects.create(
        quiz=quiz, employee=pemda["learner"], score=Decimal("80"), passed=True,
        graded_at=timezone.now(),
    )  # fmt: skip
    response = learner_client.post(done_url(module))
    assert said(response) == f"Modul {module.title} selesai."
    assert ModuleProgress.objects.get(module=module).completed_at is not None


@pytest.mark.parametrize(
    "path",
    [
        "/kursus-saya/?selesai=abc&aktif=-1&tugas=99999",
        "/kelola/persetujuan/?page=zz",
        "/kelola/penugasan/?course=abc",
        "/kursus/abc/daftar/",
        "/modul/" + "9" * 30 + "/selesai/",
    ],
)
def test_bad_input_never_makes_a_500(
    client: Client, pemda: dict[str, Any], home: CoursePage, path: str
) -> None:
    client.force_login(pemda["admin_a"])
    assert client.get(path).status_code < 500
    assert client.post(path).status_code < 500
