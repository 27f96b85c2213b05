"""The proposal pages: who sees and does what (OPD admin of A, of B, auditor, superuser,
learner), bad input answered with a message and never a 500, and a bounded number of
queries on every page."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from wagtail.models import Page

from courses.models import CoursePage
from lms.planning.models import Competency, ProposalDuplicate, TrainingProposal
from tests.factories import EmployeeFactory
from tests.planning.test_proposals import YEAR, admin_of, draft, submitted

Status = TrainingProposal.Status


@pytest.fixture
def world(pemda: dict[str, Any], dictionary: dict[str, Competency]) -> dict[str, Any]:
    return {**pemda, "admin_b": admin_of(pemda["opd_b"], "Admin Kesehatan"), "c": dictionary}


def as_user(client: Client, user: Any) -> Client:
    client.force_login(user)
    return client


def said(response: Any) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def text(response: Any) -> str:
    return response.content.decode()


def url(name: str, **kwargs: Any) -> str:
    return reverse(f"planning:{name}", kwargs=kwargs)


def form_data(competencies: list[Competency] | None = None, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "year": str(YEAR),
        "title": "Pelatihan Pengelolaan Keuangan Daerah",
        "competencies": [str(c.pk) for c in competencies or []],
        "jabatan_suggested": ["Analis"],
        "target_jabatan": "Bendahara Pengeluaran\nbendahara pengeluaran",
        "participant_count": "30",
        "jp": "24,5",
        "training_form": "klasikal",
        "budget": "Rp 45.000.000",
        "starts_on": f"{YEAR}-03-10",
        "ends_on": f"{YEAR}-03-13",
        "justification": "Bendahara sekolah belum tertib menatausahakan dana BOS.",
    }
    data.update(overrides)
    return data


# --- Who sees what --------------------------------------------------------------------------------


def test_the_list_is_scoped(client: Client, world: dict[str, Any]) -> None:
    c = world["c"]
    draft(world["admin_a"], world["opd_a"], [c["TEK-01"]], title="Usulan Pendidikan")
    draft(world["admin_b"], world["opd_b"], [c["TEK-01"]], title="Usulan Kesehatan")
    page = text(as_user(client, world["admin_a"]).get(url("proposal_list")))
    assert "Usulan Pendidikan" in page
    assert "Usulan Kesehatan" not in page
    assert url("proposal_create") in page
    page = text(as_user(client, world["auditor"]).get(url("proposal_list")))
    assert "Usulan Pendidikan" in page
    assert "Usulan Kesehatan" in page
    assert url("proposal_create") not in page  # auditors decide, they do not propose
    assert url("proposal_duplicates") in page
    assert as_user(client, world["learner"]).get(url("proposal_list")).status_code == 403
    client.logout()
    assert client.get(url("proposal_list")).status_code == 302


def test_list_filters_and_bad_filters(client: Client, world: dict[str, Any]) -> None:
    c = world["c"]
    submitted(world["admin_a"], world["opd_a"], [c["TEK-01"]], title="Diajukan A")
    draft(world["admin_b"], world["opd_b"], [c["TEK-02"]], title="Draf B")
    as_user(client, world["auditor"])
    page = text(client.get(url("proposal_list"), {"status": "submitted"}))
    assert "Diajukan A" in page
    assert "Draf B" not in page
    page = text(client.get(url("proposal_list"), {"opd": world["opd_b"].pk}))
    assert "Draf B" in page
    assert "Diajukan A" not in page
    page = text(client.get(url("proposal_list"), {"tahun": YEAR - 1}))
    assert "Belum ada usulan" in page
    for bad in (
        {"tahun": "abc"}, {"status": "zzz"}, {"opd": "99999999"}, {"opd": "x"},
        {"halaman": "-1"}, {"halaman": "9999"}, {"tahun": "99999999999999999999"},
    ):  # fmt: skip
        response = client.get(url("proposal_list"), bad)
        assert response.status_code == 200, bad
    # An OPD admin filtering on another OPD sees only their own.
    page = text(
        as_user(client, world["admin_a"]).get(url("proposal_list"), {"opd": world["opd_b"].pk})
    )
    assert "Draf B" not in page
    assert "Diajukan A" in page


def test_detail_is_404_out_of_scope(client: Client, world: dict[str, Any]) -> None:
    c = world["c"]
    b = draft(world["admin_b"], world["opd_b"], [c["TEK-01"]])
    assert (
        as_user(client, world["admin_a"]).get(url("proposal_detail", proposal_id=b.pk)).status_code
        == 404
    )
    assert client.get(url("proposal_edit", proposal_id=b.pk)).status_code == 404
    assert client.get(url("proposal_detail", proposal_id=987654)).status_code == 404
    assert client.get("/kelola/usulan/999999999999999999999/").status_code == 404
    assert (
        as_user(client, world["auditor"]).get(url("proposal_detail", proposal_id=b.pk)).status_code
        == 200
    )
    assert (
        as_user(client, world["learner"]).get(url("proposal_detail", proposal_id=b.pk)).status_code
        == 403
    )


def test_acting_out_of_scope_is_403_and_changes_nothing(
    client: Client, world: dict[str, Any]
) -> None:
    c = world["c"]
    b = draft(world["admin_b"], world["opd_b"], [c["TEK-01"]])
    as_user(client, world["admin_a"])
    assert client.post(url("proposal_submit", proposal_id=b.pk)).status_code == 403
    assert (
        client.post(url("proposal_edit", proposal_id=b.pk), form_data([c["TEK-01"]])).status_code
        == 403
    )
    assert (
        client.post(url("proposal_approve", proposal_id=b.pk), {"outcome": "course"}).status_code
        == 403
    )
    assert client.post(url("proposal_submit", proposal_id=987654)).status_code == 404
    assert client.get(url("proposal_submit", proposal_id=b.pk)).status_code == 405
    # The auditor reads but does not change an OPD's proposal.
    as_user(client, world["auditor"])
    assert client.get(url("proposal_edit", proposal_id=b.pk)).status_code == 403
    assert client.post(url("proposal_submit", proposal_id=b.pk)).status_code == 403
    assert client.get(url("proposal_create")).status_code == 403
    as_user(client, world["learner"])
    assert client.get(url("proposal_create")).status_code == 403
    assert client.post(url("proposal_submit", proposal_id=b.pk)).status_code == 403
    b.refresh_from_db()
    assert b.status == Status.DRAFT


# --- The form -------------------------------------------------------------------------------------


def test_an_opd_admin_proposes_through_the_form(client: Client, world: dict[str, Any]) -> None:
    c = world["c"]
    as_user(client, world["admin_a"])
    page = text(client.get(url("proposal_create")))
    assert "Dinas Pendidikan" in page
    assert "Dinas Kesehatan" not in page
    assert 'value="Analis"' in page  # a suggested jabatan
    response = client.post(url("proposal_create"), form_data([c["TEK-01"], c["MAN-01"]]))
    proposal = TrainingProposal.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("proposal_detail", proposal_id=proposal.pk)
    assert proposal.opd == world["opd_a"]  # the only OPD in scope, chosen for them
    assert proposal.jp == Decimal("24.5")
    assert proposal.budget == Decimal("45000000")
    assert proposal.target_jabatan == ["Analis", "Bendahara Pengeluaran"]
    assert proposal.status == Status.DRAFT

    # Edit, then submit.
    response = client.get(url("proposal_edit", proposal_id=proposal.pk))
    assert 'value="24,5"' in text(response)
    assert "45.000.000" in text(response)
    response = client.post(
        url("proposal_edit", proposal_id=proposal.pk),
        form_data([c["TEK-01"]], title="Pelatihan Keuangan Daerah", budget="0"),
    )
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert (proposal.title, proposal.budget) == ("Pelatihan Keuangan Daerah", Decimal("0"))
    response = client.post(url("proposal_submit", proposal_id=proposal.pk), follow=True)
    proposal.refresh_from_db()
    assert proposal.status == Status.SUBMITTED
    assert any("diajukan ke BKPSDM" in m for m in said(response))
    # No AKPK gap: the OPD is told, and may not edit any more.
    assert any("tidak menunjukkan kesenjangan" in m for m in said(response))
    response = client.get(url("proposal_edit", proposal_id=proposal.pk), follow=True)
    assert any("sedang diperiksa" in m for m in said(response))


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"ends_on": f"{YEAR}-03-01"}, "Tanggal selesai tidak boleh sebelum tanggal mulai"),
        ({"starts_on": f"{YEAR - 1}-12-01"}, "di dalam tahun pelaksanaan"),
        ({"jp": "0"}, "JP sedikitnya 0,25"),
        ({"jp": "dua"}, "Tulis JP sebagai angka"),
        ({"budget": "15 juta"}, "Tulis anggaran dalam Rupiah"),
        ({"budget": "-5"}, "Tulis anggaran dalam Rupiah"),
        ({"competencies": ["987654"]}, "tidak ada di kamus"),
        ({"competencies": ["abc"]}, "tidak dikenal"),
        ({"competencies": []}, "sedikitnya satu kompetensi"),
        ({"jabatan_suggested": ["Lurah Gaib"], "target_jabatan": ""}, "Pilih jabatan dari daftar"),
        ({"jabatan_suggested": [], "target_jabatan": " \n "}, "sedikitnya satu jabatan"),
        ({"participant_count": "banyak"}, "sebagai bilangan bulat"),
        ({"participant_count": "0"}, "Jumlah peserta sedikitnya 1"),
        ({"year": "1999"}, "Pilih tahun pelaksanaan dari daftar"),
        ({"starts_on": "31-31-2030"}, "tanggal yang valid"),
        ({"justification": ""}, "Tuliskan justifikasi"),
        ({"opd": "99999"}, "Pilih OPD dari daftar"),
    ],
)
def test_bad_input_is_a_form_error_never_a_500(
    client: Client, world: dict[str, Any], overrides: dict[str, Any], error: str
) -> None:
    as_user(client, world["admin_a"])
    data = {**form_data([world["c"]["TEK-01"]]), **overrides}
    response = client.post(url("proposal_create"), data)
    assert response.status_code == 200
    assert error in text(response)
    assert not TrainingProposal.objects.exists()


def test_another_opd_posted_in_the_form_is_refused(client: Client, world: dict[str, Any]) -> None:
    as_user(client, world["admin_a"])
    data = form_data([world["c"]["TEK-01"]], opd=str(world["opd_b"].pk))
    response = client.post(url("proposal_create"), data)
    assert response.status_code == 200
    assert "Pilih OPD dari daftar" in text(response)
    assert not TrainingProposal.objects.exists()


# --- The proposal page and decisions --------------------------------------------------------------


def test_the_page_shows_the_akpk_justification(
    client: Client, world: dict[str, Any], make_akpk: Any
) -> None:
    c = world["c"]
    for employee, level in zip(world["staff_a"], (1, 2, 3), strict=True):
        make_akpk(employee, YEAR, {"TEK-01": level})
    proposal = draft(world["admin_a"], world["opd_a"], [c["TEK-01"]])
    page = text(
        as_user(client, world["admin_a"]).get(url("proposal_detail", proposal_id=proposal.pk))
    )
    assert "Justifikasi AKPK: 2 pegawai dengan kesenjangan" in page
    assert "Perkiraan dari AKPK saat ini" in page
    assert "1,50" in page  # average gap of TEK-01: (2 + 1) / 2
    submitted_ = draft(world["admin_a"], world["opd_a"], [c["SK-01"]], title="Perekat Bangsa")
    client.post(url("proposal_submit", proposal_id=submitted_.pk))
    # BKPSDM is warned about the proposal without any gap; the list carries a badge.
    as_user(client, world["auditor"])
    page = text(client.get(url("proposal_detail", proposal_id=submitted_.pk)))
    assert "Peringatan: AKPK OPD ini" in page
    assert "Tanpa kesenjangan AKPK" in text(client.get(url("proposal_list")))


def test_bkpsdm_approves_into_a_draft_course_once(
    client: Client, world: dict[str, Any], catalogue: Any
) -> None:
    proposal = submitted(world["admin_a"], world["opd_a"], [world["c"]["TEK-01"]])
    as_user(client, world["auditor"])
    page = text(client.get(url("proposal_detail", proposal_id=proposal.pk)))
    assert url("proposal_approve", proposal_id=proposal.pk) in page
    response = client.post(
        url("proposal_approve", proposal_id=proposal.pk), {"outcome": "classroom"}, follow=True
    )
    assert any("disetujui" in m for m in said(response))
    course = CoursePage.objects.get()
    assert not course.live
    assert course.training_form == "klasikal"
    page = text(response)
    assert reverse("wagtailadmin_pages:edit", args=[course.pk]) in page
    assert "angkatan" in page
    response = client.post(
        url("proposal_approve", proposal_id=proposal.pk), {"outcome": "course"}, follow=True
    )
    assert any("sudah disetujui" in m for m in said(response))
    assert CoursePage.objects.count() == 1


def test_bad_decisions_are_messages(client: Client, world: dict[str, Any], catalogue: Any) -> None:
    proposal = submitted(world["admin_a"], world["opd_a"], [world["c"]["TEK-01"]])
    as_user(client, world["auditor"])
    response = client.post(
        url("proposal_approve", proposal_id=proposal.pk), {"outcome": "x"}, follow=True
    )
    assert any("Pilih hasil persetujuan" in m for m in said(response))
    response = client.post(
        url("proposal_return", proposal_id=proposal.pk), {"kembali-reason": " "}, follow=True
    )
    assert any("perlu direvisi" in m for m in said(response))
    response = client.post(url("proposal_reject", proposal_id=proposal.pk), {}, follow=True)
    assert any("alasan penolakan" in m for m in said(response))
    Page.objects.filter(pk=catalogue.pk).update(live=False)
    response = client.post(
        url("proposal_approve", proposal_id=proposal.pk), {"outcome": "course"}, follow=True
    )
    assert any("Belum ada halaman katalog" in m for m in said(response))
    proposal.refresh_from_db()
    assert proposal.status == Status.SUBMITTED
    assert (
        client.post(url("proposal_approve", proposal_id=987654), {"outcome": "course"}).status_code
        == 404
    )


def test_return_then_the_opd_revises_and_resubmits(client: Client, world: dict[str, Any]) -> None:
    c = world["c"]
    proposal = submitted(world["admin_a"], world["opd_a"], [c["TEK-01"]])
    as_user(client, world["auditor"])
    client.post(
        url("proposal_return", proposal_id=proposal.pk), {"kembali-reason": "Rinci anggarannya."}
    )
    proposal.refresh_from_db()
    assert proposal.status == Status.RETURNED
    as_user(client, world["admin_a"])
    page = text(client.get(url("proposal_edit", proposal_id=proposal.pk)))
    assert "Rinci anggarannya." in page
    client.post(
        url("proposal_edit", proposal_id=proposal.pk), form_data([c["TEK-01"]], budget="12.500.000")
    )
    client.post(url("proposal_submit", proposal_id=proposal.pk))
    proposal.refresh_from_db()
    assert (proposal.status, proposal.budget) == (Status.SUBMITTED, Decimal("12500000"))
    page = text(client.get(url("proposal_detail", proposal_id=proposal.pk)))
    assert "Rinci anggarannya." in page  # in the decision history
    as_user(client, world["auditor"])
    client.post(
        url("proposal_reject", proposal_id=proposal.pk), {"tolak-reason": "Bukan prioritas."}
    )
    proposal.refresh_from_db()
    assert proposal.status == Status.REJECTED


# --- Duplicates -----------------------------------------------------------------------------------


def planted_pair(
    world: dict[str, Any],
) -> tuple[TrainingProposal, TrainingProposal, ProposalDuplicate]:
    c = world["c"]
    a = submitted(world["admin_a"], world["opd_a"], [c["TEK-01"]])
    b = submitted(
        world["admin_b"], world["opd_b"], [c["TEK-01"]],
        title="Bimtek pengelolaan keuangan daerah bagi bendahara",
        target_jabatan=["Bendahara Pengeluaran"],
        starts_on=dt.date(YEAR, 3, 12), ends_on=dt.date(YEAR, 3, 12),
    )  # fmt: skip
    return a, b, ProposalDuplicate.objects.get()


def test_the_duplicate_queue_is_for_bkpsdm(client: Client, world: dict[str, Any]) -> None:
    a, b, pair = planted_pair(world)
    as_user(client, world["auditor"])
    page = text(client.get(url("proposal_duplicates")))
    assert a.title in page
    assert b.title in page
    assert "Kompetensi beririsan 100%" in page
    assert "Jadwal bersamaan" in page
    assert url("proposal_merge", pair_id=pair.pk) in page
    for bad in ({"status": "x"}, {"tahun": "x"}, {"halaman": "x"}):
        assert client.get(url("proposal_duplicates"), bad).status_code == 200
    assert "Tidak ada pasangan" in text(
        client.get(url("proposal_duplicates"), {"status": "merged"})
    )
    # The proposals show their flags to BKPSDM; the OPD sees that BKPSDM is looking, not who.
    assert "Kemungkinan duplikat: 1" in text(client.get(url("proposal_list")))
    assert b.title in text(client.get(url("proposal_detail", proposal_id=a.pk)))
    as_user(client, world["admin_a"])
    assert client.get(url("proposal_duplicates")).status_code == 403
    assert client.post(url("proposal_not_duplicate", pair_id=pair.pk)).status_code == 403
    assert client.post(url("proposal_merge", pair_id=pair.pk), {"keep": a.pk}).status_code == 403
    page = text(client.get(url("proposal_detail", proposal_id=a.pk)))
    assert "BKPSDM sedang meninjau kemiripan" in page
    assert b.title not in page
    assert "Dinas Kesehatan" not in page


def test_not_a_duplicate(client: Client, world: dict[str, Any]) -> None:
    _a, _b, pair = planted_pair(world)
    as_user(client, world["auditor"])
    response = client.post(url("proposal_not_duplicate", pair_id=pair.pk), follow=True)
    assert any("bukan duplikat" in m for m in said(response))
    pair.refresh_from_db()
    assert pair.status == "dismissed"
    response = client.post(url("proposal_not_duplicate", pair_id=pair.pk), follow=True)
    assert any("sudah diputuskan" in m for m in said(response))
    assert client.post(url("proposal_not_duplicate", pair_id=987654)).status_code == 404
    assert "Tidak ada kemungkinan duplikat" in text(client.get(url("proposal_duplicates")))


def test_merge_through_the_queue(client: Client, world: dict[str, Any], catalogue: Any) -> None:
    a, b, pair = planted_pair(world)
    as_user(client, world["superuser"])
    for bad in ({"keep": "abc"}, {}, {"keep": "987654"}):
        response = client.post(url("proposal_merge", pair_id=pair.pk), bad, follow=True)
        assert any("Pilih salah satu" in m for m in said(response)), bad
    client.post(url("proposal_approve", proposal_id=b.pk), {"outcome": "course"})
    page = text(client.get(url("proposal_duplicates")))
    assert "Tidak dapat menggabungkan" in page  # B, approved, cannot go
    response = client.post(url("proposal_merge", pair_id=pair.pk), {"keep": a.pk}, follow=True)
    assert any("sudah diputuskan" in m for m in said(response))
    response = client.post(url("proposal_merge", pair_id=pair.pk), {"keep": b.pk}, follow=True)
    assert response.redirect_chain[-1][0] == url("proposal_detail", proposal_id=b.pk)
    page = text(response)
    assert "OPD yang dilayani program ini" in page
    assert "Dinas Pendidikan" in page
    a.refresh_from_db()
    assert (a.status, a.merged_into_id) == (Status.MERGED, b.pk)
    # The OPD whose proposal was merged sees where it went.
    page = text(as_user(client, world["admin_a"]).get(url("proposal_detail", proposal_id=a.pk)))
    assert "Digabung ke usulan" in page
    assert b.title in page


# --- Bounded queries ------------------------------------------------------------------------------


@pytest.fixture
def busy(world: dict[str, Any], make_akpk: Any, catalogue: Any) -> dict[str, Any]:
    """Several proposals in both OPDs, pairs among them, decisions and history."""
    c = world["c"]
    for employee in world["staff_a"]:
        make_akpk(employee, YEAR, {"TEK-01": 1, "TEK-02": 2})
    made = []
    for i in range(4):
        made.append(
            submitted(
                world["admin_a"], world["opd_a"], [c["TEK-01"], c["TEK-02"]], title=f"Keuangan {i}"
            )
        )
        made.append(
            submitted(world["admin_b"], world["opd_b"], [c["TEK-01"]], title=f"Keuangan Daerah {i}")
        )
    from lms.planning.proposals import services

    services.proposal_approve(actor=world["auditor"], proposal=made[0], outcome="course")
    services.proposal_return(actor=world["auditor"], proposal=made[1], reason="Revisi.")
    draft(world["admin_a"], world["opd_a"], [c["MAN-01"]])
    EmployeeFactory.create_batch(3, org_unit=world["unit_a"], jabatan="Bendahara")
    assert ProposalDuplicate.objects.count() >= 8
    return {**world, "made": made}


def test_every_page_runs_a_bounded_number_of_queries(
    client: Client, busy: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    proposal = busy["made"][0]
    as_user(client, busy["auditor"])
    with django_assert_max_num_queries(12):
        assert client.get(url("proposal_list")).status_code == 200
    with django_assert_max_num_queries(12):
        assert (
            client.get(
                url("proposal_list"), {"tahun": str(YEAR), "status": "submitted"}
            ).status_code
            == 200
        )
    with django_assert_max_num_queries(10):
        assert client.get(url("proposal_detail", proposal_id=proposal.pk)).status_code == 200
    with django_assert_max_num_queries(10):
        assert client.get(url("proposal_duplicates")).status_code == 200
    as_user(client, busy["admin_a"])
    with django_assert_max_num_queries(10):
        assert client.get(url("proposal_list")).status_code == 200
    with django_assert_max_num_queries(10):
        assert client.get(url("proposal_create")).status_code == 200
    editable = TrainingProposal.objects.filter(opd=busy["opd_a"], status=Status.DRAFT).get()
    with django_assert_max_num_queries(14):
        assert client.get(url("proposal_edit", proposal_id=editable.pk)).status_code == 200
    # A draft's page computes today's AKPK figures (the submitted one reads them stored).
    with django_assert_max_num_queries(14):
        assert client.get(url("proposal_detail", proposal_id=editable.pk)).status_code == 200


def test_actions_run_a_bounded_number_of_queries(
    client: Client, busy: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    c = busy["c"]
    as_user(client, busy["admin_a"])
    with django_assert_max_num_queries(25):
        client.post(url("proposal_create"), form_data([c["TEK-01"]]))
    proposal = TrainingProposal.objects.latest("pk")
    with django_assert_max_num_queries(40):
        client.post(url("proposal_submit", proposal_id=proposal.pk))
    as_user(client, busy["auditor"])
    pair = ProposalDuplicate.objects.filter(status="open").first()
    assert pair is not None
    with django_assert_max_num_queries(15):
        client.post(url("proposal_not_duplicate", pair_id=pair.pk))
    # Most of these are Wagtail creating the draft page (tree, revision, search and reference
    # index, its logs): a constant, whatever the number of proposals.
    with django_assert_max_num_queries(110):
        client.post(url("proposal_approve", proposal_id=proposal.pk), {"outcome": "course"})
    proposal.refresh_from_db()
    assert proposal.status == Status.APPROVED
    waiting = list(TrainingProposal.objects.filter(status=Status.SUBMITTED).order_by("pk"))
    with django_assert_max_num_queries(15):
        client.post(url("proposal_return", proposal_id=waiting[0].pk), {"kembali-reason": "x"})
    with django_assert_max_num_queries(15):
        client.post(url("proposal_reject", proposal_id=waiting[1].pk), {"tolak-reason": "x"})
    pair = ProposalDuplicate.objects.filter(
        status="open", first__status=Status.SUBMITTED, second__status=Status.SUBMITTED
    ).first()
    assert pair is not None
    with django_assert_max_num_queries(25):
        client.post(url("proposal_merge", pair_id=pair.pk), {"keep": pair.first_id})
    pair.refresh_from_db()
    assert pair.status == "merged"
    for proposal, status in zip(waiting[:2], (Status.RETURNED, Status.REJECTED), strict=True):
        proposal.refresh_from_db()
        assert proposal.status == status
