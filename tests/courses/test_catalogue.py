"""Catalogue search (Wagtail search) and filters, over published courses only."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from courses.models import CatalogueIndexPage, CoursePage
from courses.selectors import catalogue_search


def titles(results: Any) -> set[str]:
    return {c.title for c in results}


def add_course(catalogue: CatalogueIndexPage, publish: bool = True, **fields: Any) -> CoursePage:
    course = CoursePage(live=publish, **fields)
    catalogue.add_child(instance=course)
    revision = course.save_revision()
    if publish:
        revision.publish()
    return CoursePage.objects.get(pk=course.pk)


def test_search_finds_courses_by_words_of_title_and_summary(home: Any) -> None:
    assert titles(catalogue_search(q="antikorupsi")) == {"Integritas dan Antikorupsi bagi ASN"}
    assert titles(catalogue_search(q="APBD")) == {"Pengelolaan Keuangan Daerah"}
    assert titles(catalogue_search(q="tidak-ada-kursus-seperti-ini")) == set()


def test_search_finds_competency_tags(home: Any) -> None:
    catalogue = CatalogueIndexPage.objects.get()
    course = add_course(catalogue, title="Analisis Data", slug="analisis-data", summary="Excel.")
    course.competencies.add("statistik sektoral")
    course.save_revision().publish()
    assert "Analisis Data" in titles(catalogue_search(q="statistik"))


def test_drafts_and_unpublished_courses_stay_out(home: Any) -> None:
    catalogue = CatalogueIndexPage.objects.get()
    add_course(catalogue, publish=False, title="Draf Rahasia", slug="draf", summary="Belum terbit.")
    assert "Draf Rahasia" not in titles(catalogue_search())
    assert "Draf Rahasia" not in titles(catalogue_search(q="Rahasia"))


def test_filters(home: Any) -> None:
    catalogue = CatalogueIndexPage.objects.get()
    add_course(
        catalogue, title="Kepemimpinan Pengawas", slug="kepemimpinan", summary="Untuk pengawas.",
        competency_type="manajerial", level="lanjut", training_form="klasikal",
        target_jabatan_kinds=["struktural"], jp_credited=Decimal("12"), language="id",
    )  # fmt: skip
    assert titles(catalogue_search(competency_type="manajerial")) == {
        "Pelayanan Publik Prima", "Kepemimpinan Pengawas",
    }  # fmt: skip
    assert titles(catalogue_search(training_form="klasikal")) == {"Kepemimpinan Pengawas"}
    assert titles(catalogue_search(level="lanjut", competency_type="teknis")) == {
        "Pengelolaan Keuangan Daerah"
    }
    # A course for struktural only is not offered to pelaksana; untargeted courses are.
    for_pelaksana = titles(catalogue_search(jabatan_kind="pelaksana"))
    assert "Kepemimpinan Pengawas" not in for_pelaksana
    assert "Tata Naskah Dinas Elektronik" in for_pelaksana
    assert titles(catalogue_search(jp_min=Decimal("10"))) == {
        "Pengelolaan Keuangan Daerah", "Kepemimpinan Pengawas",
    }  # fmt: skip
    assert titles(catalogue_search(jp_max=Decimal("3"))) == {"Tata Naskah Dinas Elektronik"}
    assert titles(catalogue_search(q="pengawas", level="dasar")) == set()
    assert titles(catalogue_search(language="en")) == set()
