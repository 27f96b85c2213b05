from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction
from wagtail.models import Page, Site

from .models import CatalogueIndexPage, CompetencyType, CoursePage, HomePage, ModulePage


@transaction.atomic
def seed_demo_catalogue() -> CoursePage:
    """Home, catalogue and one published sample course; found again on a second run."""
    home = HomePage.objects.first()
    if home is None:
        root = Page.get_first_root_node()
        home = HomePage(
            title="Sinau",
            slug="sinau-home",
            intro="<p>Belajar mandiri untuk ASN: kursus daring, jam pelajaran (JP) tercatat, "
            "sertifikat, dan rekam kompetensi Anda.</p>",
        )
        root.add_child(instance=home)
        site = Site.objects.filter(is_default_site=True).first()
        if site is None:
            Site.objects.create(hostname="localhost", root_page=home, is_default_site=True)
        else:
            old_root = site.root_page
            site.root_page = home
            site.site_name = "Sinau"
            site.save()
            # Wagtail's "Welcome" placeholder page has no place in Sinau.
            if old_root.pk != home.pk and old_root.specific_class is Page:
                old_root.delete()
    catalogue = CatalogueIndexPage.objects.child_of(home).first()
    if catalogue is None:
        catalogue = CatalogueIndexPage(title="Katalog kursus", slug="katalog")
        home.add_child(instance=catalogue)
    course = CoursePage.objects.child_of(catalogue).filter(slug="integritas-asn").first()
    if course is None:
        course = CoursePage(
            title="Integritas dan Antikorupsi bagi ASN",
            slug="integritas-asn",
            summary="Nilai dasar ASN BerAKHLAK, benturan kepentingan dan gratifikasi, "
            "dalam empat modul singkat.",
            body="<p>Kursus mandiri untuk seluruh ASN. Selesaikan semua modul untuk "
            "memperoleh sertifikat dan JP.</p>",
            jp_credited=Decimal("4"),
            competency_type=CompetencyType.SOSIAL_KULTURAL,
        )
        catalogue.add_child(instance=course)
        course.save_revision().publish()
    _seed_modules(course)
    for spec in MORE_COURSES:
        if not CoursePage.objects.child_of(catalogue).filter(slug=spec["slug"]).exists():
            extra = CoursePage(**spec)
            catalogue.add_child(instance=extra)
            extra.save_revision().publish()
            _seed_modules(extra)
    return course


MODULES = [
    ("Mengenal nilai dasar BerAKHLAK", "Berorientasi pelayanan, akuntabel, kompeten, "
     "harmonis, loyal, adaptif, kolaboratif: apa artinya dalam pekerjaan sehari-hari."),
    ("Benturan kepentingan", "Mengenali situasi ketika kepentingan pribadi memengaruhi "
     "keputusan dinas, dan cara melaporkannya."),
    ("Gratifikasi", "Apa yang termasuk gratifikasi, kapan wajib dilaporkan, dan ke mana."),
]  # fmt: skip
MORE_COURSES = [
    {
        "title": "Pelayanan Publik Prima", "slug": "pelayanan-publik-prima",
        "summary": "Standar pelayanan, survei kepuasan masyarakat dan pengelolaan pengaduan.",
        "jp_credited": Decimal("6"), "competency_type": CompetencyType.MANAJERIAL,
        "enrolment_policy": "approval", "level": "menengah",
    },
    {
        "title": "Tata Naskah Dinas Elektronik", "slug": "tata-naskah-dinas-elektronik",
        "summary": "Membuat, memaraf dan mengarsipkan naskah dinas secara elektronik.",
        "jp_credited": Decimal("3"), "competency_type": CompetencyType.TEKNIS,
        "enrolment_policy": "open", "level": "dasar",
    },
    {
        "title": "Pengelolaan Keuangan Daerah", "slug": "pengelolaan-keuangan-daerah",
        "summary": "Siklus APBD, penatausahaan dan pertanggungjawaban untuk bendahara OPD.",
        "jp_credited": Decimal("10"), "competency_type": CompetencyType.TEKNIS,
        "enrolment_policy": "assigned", "level": "lanjut",
    },
]  # fmt: skip


def _seed_modules(course: CoursePage) -> None:
    if ModulePage.objects.child_of(course).exists():
        return
    for number, (title, text) in enumerate(MODULES, start=1):
        module = ModulePage(
            title=f"{number}. {title}", slug=f"modul-{number}", intro=text,
            body=[("text", f"<p>{text}</p><p>Bacalah materi ini, lalu tandai selesai.</p>")],
            required_for_completion=True, estimated_minutes=15,
        )  # fmt: skip
        course.add_child(instance=module)
        module.save_revision().publish()


def demo_video_module(*, course: CoursePage, video: Any) -> ModulePage:
    """A video module in the sample course (the demo shows the player and watch tracking)."""
    existing = ModulePage.objects.child_of(course).filter(slug="modul-video").first()
    if existing is not None:
        return existing
    module = ModulePage(
        title="Video: Pengantar Sinau", slug="modul-video",
        intro="Tonton video ini sampai selesai; modul selesai setelah 90% video ditonton.",
        body=[("video", {"video": video, "caption": "Video demo"})],
        required_for_completion=False, estimated_minutes=1,
    )  # fmt: skip
    course.add_child(instance=module)
    module.save_revision().publish()
    return module


def demo_instructor_assign(*, course: CoursePage) -> None:
    """The demo instructor teaches the sample course, so they can edit it in the admin."""
    from lms.people.models import Employee, Role

    from .authoring import course_instructors_sync

    instructor = Employee.objects.filter(role_assignments__role=Role.INSTRUCTOR).first()
    if instructor is None or course.instructors.filter(pk=instructor.pk).exists():
        return
    course.instructors.add(instructor)
    # Through a revision, so that the next edit in the admin starts from it.
    course.save_revision().publish()
    course_instructors_sync(course)
