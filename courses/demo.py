from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from wagtail.models import Page, Site

from .models import CatalogueIndexPage, CompetencyType, CoursePage, HomePage


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
    return course
