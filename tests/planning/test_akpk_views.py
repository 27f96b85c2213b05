"""AKPK pages: "AKPK Saya", the atasan's list and form, the OPD admin's and BKPSDM's pages.
Every page answers in a bounded number of queries, a GET writes nothing, and bad input (a
bad year, a bad level, a bad id) gets a message or a 404, never a 500."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from lms.people.models import Employee
from lms.planning.akpk import services
from lms.planning.models import AKPK, AKPKItem, AKPKSubmission, Competency
from tests.factories import EmployeeFactory
from tests.planning.test_akpk import (
    BOSS,
    SELF,
    YEAR,
    assessed,
    build_world,
    item,
    levels_for,
    submitted,
)


@pytest.fixture
def world(pemda: dict[str, Any], dictionary: dict[str, Competency]) -> SimpleNamespace:
    return build_world(pemda, dictionary)


MINE = reverse("planning:akpk_mine")
TEAM = reverse("planning:akpk_team")
MANAGE = reverse("planning:akpk_manage")


def as_user(client: Client, user: Employee) -> Client:
    client.force_login(user)
    return client


def said(response: Any) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def text(response: Any) -> str:
    return response.content.decode()


def self_post(akpk: AKPK, levels: dict[str, Any], action: str = "simpan", **extra: Any) -> dict:
    data = {f"level-{item(akpk, code).pk}": value for code, value in levels.items()}
    return {**data, "aksi": action, **extra}


def assess_post(akpk: AKPK, levels: dict[str, Any], **extra: Any) -> dict:
    data = {f"level-{item(akpk, code).pk}": value for code, value in levels.items()}
    return {**data, **extra}


# --- AKPK Saya ------------------------------------------------------------------------------


def test_a_first_visit_reads_and_the_button_opens(
    client: Client, world: SimpleNamespace, django_assert_max_num_queries: Any
) -> None:
    as_user(client, world.employee)
    with django_assert_max_num_queries(10):
        response = client.get(MINE)
    assert response.status_code == 200
    assert not AKPK.objects.exists()  # a GET writes nothing
    page = text(response)
    assert f"Mulai AKPK tahun {YEAR}" in page
    assert 'id="akpk-start"' in page
    assert "5 kompetensi" in page
    response = client.post(reverse("planning:akpk_start"), {"tahun": YEAR})
    assert response.status_code == 302
    akpk = AKPK.objects.get(employee=world.employee, year=YEAR)
    assert response["Location"] == f"{MINE}?tahun={YEAR}"
    with django_assert_max_num_queries(16):
        page = text(client.get(response["Location"]))
    # Radios labelled with the level and its indicator, grouped by type.
    assert 'id="level-tek-01-3"' in page
    assert '<label for="level-tek-01-3"><strong>Level 3</strong>' in page
    assert "Menyusun dokumen anggaran secara mandiri" in page
    assert "Kompetensi Teknis" in page
    assert "Kompetensi Manajerial" in page
    assert f'name="level-{item(akpk, "TEK-01").pk}"' in page
    assert 'id="akpk-save"' in page
    assert 'id="akpk-submit"' in page


def test_the_employee_saves_and_submits(client: Client, world: SimpleNamespace) -> None:
    akpk = services.akpk_open(employee=world.employee, year=YEAR)
    as_user(client, world.employee)
    url = reverse("planning:akpk_save", kwargs={"akpk_id": akpk.pk})
    response = client.post(url, self_post(akpk, {"TEK-01": "2"}, note="Draf"))
    assert response.status_code == 302
    assert "Draf AKPK tersimpan." in said(response)
    assert item(akpk, "TEK-01").self_level == 2
    # Submitting with a level missing: the draft is kept, the page says what is missing.
    response = client.post(url, self_post(akpk, {"TEK-02": "3"}, "ajukan"))
    assert any("Perekat bangsa" in m for m in said(response))
    akpk.refresh_from_db()
    assert akpk.status == AKPK.Status.DRAFT
    assert item(akpk, "TEK-02").self_level == 3
    response = client.post(url, self_post(akpk, SELF, "ajukan"), follow=True)
    akpk.refresh_from_db()
    assert akpk.status == AKPK.Status.SELF_SUBMITTED
    page = text(response)
    assert "menunggu penilaian atasan" in page
    assert 'id="akpk-submit"' not in page


@pytest.mark.parametrize("bad", ["9", "0", "x", "3.5", "<script>"])
def test_a_bad_level_is_a_form_error_and_nothing_changes(
    client: Client, world: SimpleNamespace, bad: str
) -> None:
    akpk = services.akpk_open(employee=world.employee, year=YEAR)
    as_user(client, world.employee)
    url = reverse("planning:akpk_save", kwargs={"akpk_id": akpk.pk})
    response = client.post(url, self_post(akpk, {"TEK-01": "3", "TEK-02": bad}, "ajukan"))
    assert response.status_code == 200
    assert "Pilih level 1 sampai 5." in text(response)
    assert "<script>" not in text(response)
    assert item(akpk, "TEK-01").self_level is None


def test_submitting_without_an_atasan_explains_what_to_do(
    client: Client, world: SimpleNamespace
) -> None:
    Employee.objects.filter(pk=world.employee.pk).update(supervisor=None)
    world.employee.refresh_from_db()
    akpk = services.akpk_open(employee=world.employee, year=YEAR)
    as_user(client, world.employee)
    page = text(client.get(MINE))
    assert 'id="akpk-no-atasan"' in page
    url = reverse("planning:akpk_save", kwargs={"akpk_id": akpk.pk})
    response = client.post(url, self_post(akpk, SELF, "ajukan"))
    assert any("admin OPD" in m and "Draf tersimpan" in m for m in said(response))
    akpk.refresh_from_db()
    assert akpk.status == AKPK.Status.DRAFT


def test_no_standard_says_so_and_allows_needs(client: Client, world: SimpleNamespace) -> None:
    Employee.objects.filter(pk=world.employee.pk).update(jabatan="Penjaga Mercusuar")
    as_user(client, world.employee)
    page = text(client.get(MINE))
    assert "belum tersedia" in page
    response = client.post(reverse("planning:akpk_start"), {"tahun": YEAR}, follow=True)
    page = text(response)
    assert "Standar kompetensi untuk jabatan Anda belum tersedia" in page
    assert 'id="akpk-need-add"' in page
    akpk = AKPK.objects.get(employee=world.employee)
    add = reverse("planning:akpk_need_add", kwargs={"akpk_id": akpk.pk})
    tek03 = world.dictionary["TEK-03"]
    response = client.post(add, {"competency": tek03.pk, "note": "Magang"}, follow=True)
    assert "Pengadaan barang dan jasa ditambahkan" in text(response)
    need = AKPKItem.objects.get(akpk=akpk)
    assert (need.required_level, need.development_note) == (0, "Magang")
    # A competency already there, or none at all, is a message.
    response = client.post(add, {"competency": tek03.pk})
    assert "Pilih kompetensi dari daftar." in said(response)
    response = client.post(add, {"competency": "abc"}, follow=True)
    assert "Pilih kompetensi dari daftar." in text(response)
    assert AKPKItem.objects.filter(akpk=akpk).count() == 1
    remove = reverse("planning:akpk_need_remove", kwargs={"akpk_id": akpk.pk, "item_id": need.pk})
    client.post(remove)
    assert not AKPKItem.objects.filter(akpk=akpk).exists()
    missing = reverse("planning:akpk_need_remove", kwargs={"akpk_id": akpk.pk, "item_id": 99999})
    assert client.post(missing).status_code == 404


def test_after_assessment_a_summary_and_recommended_courses(
    client: Client, world: SimpleNamespace, django_assert_max_num_queries: Any
) -> None:
    assessed(world)
    as_user(client, world.employee)
    with django_assert_max_num_queries(12):
        response = client.get(MINE)
    page = text(response)
    assert 'id="akpk-recommended"' in page
    assert reverse("learning:dashboard") in page
    assert "akpk-has-gap" in page
    assert "kurang 2 level" in page  # TEK-01: 3 required, atasan says 1
    assert 'name="aksi"' not in page


@pytest.mark.parametrize("year", ["abc", "1999", "99999999999999999999", str(YEAR + 5)])
def test_a_bad_year_is_a_message(client: Client, world: SimpleNamespace, year: str) -> None:
    as_user(client, world.employee)
    response = client.get(MINE, {"tahun": year})
    assert response.status_code == 200
    assert any("tidak tersedia" in m for m in said(response))
    response = client.post(reverse("planning:akpk_start"), {"tahun": year})
    assert response.status_code == 302
    assert any("Tahun AKPK" in m for m in said(response))
    assert not AKPK.objects.exists()


def test_years_with_an_akpk_are_listed(client: Client, world: SimpleNamespace) -> None:
    services.akpk_open(employee=world.employee, year=2019)
    as_user(client, world.employee)
    page = text(client.get(MINE, {"tahun": 2019}))
    assert '<option value="2019" selected>' in page
    assert f'<option value="{YEAR + 1}">' in page


def test_another_employees_akpk_is_not_found(client: Client, world: SimpleNamespace) -> None:
    akpk = services.akpk_open(employee=world.employee, year=YEAR)
    as_user(client, world.colleague)
    url = reverse("planning:akpk_save", kwargs={"akpk_id": akpk.pk})
    assert client.post(url, self_post(akpk, SELF)).status_code == 404
    assert (
        client.get(reverse("planning:akpk_detail", kwargs={"akpk_id": akpk.pk})).status_code == 404
    )
    assert (
        client.get(reverse("planning:akpk_assess", kwargs={"akpk_id": akpk.pk})).status_code == 404
    )
    add = reverse("planning:akpk_need_add", kwargs={"akpk_id": akpk.pk})
    assert client.post(add, {"competency": world.dictionary["TEK-03"].pk}).status_code == 404
    assert client.post("/akpk/999999999/simpan/", {}).status_code == 404
    assert client.get("/akpk/9999999999999999999999/nilai/").status_code == 404
    assert item(akpk, "TEK-01").self_level is None


def test_pages_need_a_login(client: Client, world: SimpleNamespace) -> None:
    for url in (MINE, TEAM, MANAGE, reverse("planning:akpk_centre_import")):
        response = client.get(url)
        assert response.status_code == 302
        assert "/masuk" in response["Location"] or "login" in response["Location"]


# --- the atasan ---------------------------------------------------------------------------------


def test_the_atasan_lists_and_assesses(
    client: Client, world: SimpleNamespace, django_assert_max_num_queries: Any
) -> None:
    akpk = submitted(world)
    services.akpk_open(employee=world.colleague, year=YEAR)
    submitted(world, world.neighbour)
    as_user(client, world.boss)
    with django_assert_max_num_queries(9):
        response = client.get(TEAM)
    page = text(response)
    assert world.employee.full_name in page
    assert world.neighbour.full_name not in page
    assert f'id="akpk-nilai-{world.employee.nip}"' in page
    assert "1 bawahan belum memulai" in page
    url = reverse("planning:akpk_assess", kwargs={"akpk_id": akpk.pk})
    with django_assert_max_num_queries(16):
        page = text(client.get(url))
    assert 'id="level-tek-01-1"' in page
    assert 'id="priority-tek-01"' in page
    assert '<label for="priority-tek-01">' in page
    assert 'id="note-tek-01"' in page
    assert 'id="akpk-assess-submit"' in page
    assert 'id="akpk-reopen"' in page
    assert "Penilaian diri: 2" in page
    # A missing level: a message, nothing saved.
    response = client.post(url, assess_post(akpk, {"TEK-01": "1"}))
    assert response.status_code == 200
    assert "Pilih level untuk setiap kompetensi" in text(response)
    post = assess_post(akpk, BOSS, performance_rating="baik", supervisor_note="Bagus")
    post[f"priority-{item(akpk, 'MAN-02').pk}"] = "rendah"
    post[f"note-{item(akpk, 'TEK-01').pk}"] = "Diklat keuangan daerah"
    response = client.post(url, post)
    assert response.status_code == 302
    akpk.refresh_from_db()
    assert akpk.status == AKPK.Status.ASSESSED
    assert item(akpk, "TEK-01").priority == "tinggi"
    assert item(akpk, "MAN-02").priority == "rendah"
    assert item(akpk, "TEK-01").development_note == "Diklat keuangan daerah"


@pytest.mark.parametrize(
    ("field", "value"),
    [("level", "8"), ("priority", "darurat"), ("performance_rating", "oke"), ("level", "")],
)
def test_bad_assessment_input_changes_nothing(
    client: Client, world: SimpleNamespace, field: str, value: str
) -> None:
    akpk = submitted(world)
    as_user(client, world.boss)
    post = assess_post(akpk, BOSS)
    pk = item(akpk, "TEK-01").pk
    if field == "performance_rating":
        post[field] = value
    else:
        post[f"{field}-{pk}"] = value
    response = client.post(reverse("planning:akpk_assess", kwargs={"akpk_id": akpk.pk}), post)
    assert response.status_code == 200
    assert 'class="form-errors"' in text(response) or 'class="error"' in text(response)
    akpk.refresh_from_db()
    assert akpk.status == AKPK.Status.SELF_SUBMITTED


def test_who_may_open_the_assessment_form(client: Client, world: SimpleNamespace) -> None:
    akpk = submitted(world)
    url = reverse("planning:akpk_assess", kwargs={"akpk_id": akpk.pk})
    expected = {
        world.boss: 200, world.employee: 403, world.admin_a: 403, world.auditor: 403,
        world.colleague: 404, world.boss_b: 404, world.admin_b: 404,
    }  # fmt: skip
    for user, status in expected.items():
        client.force_login(user)
        assert client.get(url).status_code == status, user.full_name
        if status != 200:
            assert client.post(url, assess_post(akpk, BOSS)).status_code == status
    akpk.refresh_from_db()
    assert akpk.status == AKPK.Status.SELF_SUBMITTED
    assert client.put(url).status_code == 405


def test_the_atasan_sends_it_back(client: Client, world: SimpleNamespace) -> None:
    akpk = submitted(world)
    as_user(client, world.boss)
    url = reverse("planning:akpk_reopen", kwargs={"akpk_id": akpk.pk})
    response = client.post(url, {"reason": ""})
    assert any("alasan" in m for m in said(response))
    response = client.post(url, {"reason": "Nilai TEK-02 terlalu rendah"})
    assert response["Location"] == TEAM
    akpk.refresh_from_db()
    assert akpk.status == AKPK.Status.DRAFT
    as_user(client, world.employee)
    page = text(client.get(MINE))
    assert "Nilai TEK-02 terlalu rendah" in page
    assert 'id="akpk-submit"' in page
    as_user(client, world.colleague)
    assert client.post(url, {"reason": "x"}).status_code == 404


def test_the_atasan_adds_a_need_while_assessing(client: Client, world: SimpleNamespace) -> None:
    akpk = submitted(world)
    as_user(client, world.boss)
    add = reverse("planning:akpk_need_add", kwargs={"akpk_id": akpk.pk})
    response = client.post(add, {"competency": world.dictionary["TEK-03"].pk, "note": "Magang"})
    assert response["Location"] == reverse("planning:akpk_assess", kwargs={"akpk_id": akpk.pk})
    assert item(akpk, "TEK-03").required_level == 0
    # The employee may not, once submitted.
    as_user(client, world.employee)
    client.post(add, {"competency": world.dictionary["MAN-01"].pk})
    assert akpk.items.count() == 6


# --- OPD admins and BKPSDM ----------------------------------------------------------------------


def test_the_opd_admin_follows_and_sends_the_opd(
    client: Client, world: SimpleNamespace, django_assert_max_num_queries: Any
) -> None:
    done = assessed(world)
    submitted(world, world.neighbour)
    as_user(client, world.admin_a)
    with django_assert_max_num_queries(14):
        response = client.get(MANAGE)
    page = text(response)
    assert "AKPK Dinas Pendidikan" in page
    assert world.employee.full_name in page
    assert world.neighbour.full_name not in page
    assert reverse("planning:akpk_detail", kwargs={"akpk_id": done.pk}) in page
    assert 'id="akpk-opd-submit"' in page
    assert "Yang akan dikirim: 1 AKPK" in page
    # The detail of an employee's AKPK; a neighbour's is not found.
    with django_assert_max_num_queries(10):
        detail = client.get(reverse("planning:akpk_detail", kwargs={"akpk_id": done.pk}))
    assert "kurang 2 level" in text(detail)
    neighbour = AKPK.objects.get(employee=world.neighbour)
    assert (
        client.get(reverse("planning:akpk_detail", kwargs={"akpk_id": neighbour.pk})).status_code
        == 404
    )
    assert client.get(MANAGE, {"opd": world.opd_b.pk}).status_code == 404
    assert client.get(MANAGE, {"opd": "abc"}).status_code == 404
    submit = reverse("planning:akpk_opd_submit")
    assert client.post(submit, {"opd": world.opd_b.pk, "tahun": YEAR}).status_code == 404
    response = client.post(submit, {"opd": world.opd_a.pk, "tahun": "abc"})
    assert any("Tahun AKPK" in m for m in said(response))
    assert not AKPKSubmission.objects.exists()
    response = client.post(submit, {"opd": world.opd_a.pk, "tahun": YEAR}, follow=True)
    assert "dikirim ke BKPSDM: 1 dari 5 pegawai" in text(response)
    assert AKPKSubmission.objects.get().status == AKPKSubmission.Status.SUBMITTED
    response = client.post(submit, {"opd": world.opd_a.pk, "tahun": YEAR})
    assert any("sudah dikirim" in m for m in said(response))
    # Locked: the atasan's form turns read-only.
    as_user(client, world.boss)
    page = text(client.get(reverse("planning:akpk_assess", kwargs={"akpk_id": done.pk})))
    assert "sudah dikirim ke BKPSDM" in page
    assert 'id="akpk-assess-submit"' not in page


def test_status_filter_and_pagination(client: Client, world: SimpleNamespace,
                                      django_assert_max_num_queries: Any) -> None:  # fmt: skip
    for n in range(30):
        EmployeeFactory.create(org_unit=world.unit_a, full_name=f"Staf Tambahan {n:02d}")
    submitted(world)
    as_user(client, world.admin_a)
    with django_assert_max_num_queries(14):
        page = text(client.get(MANAGE, {"halaman": 2}))
    assert "Halaman 2 dari 2" in page
    page = text(client.get(MANAGE, {"status": "self_submitted"}))
    assert world.employee.full_name in page
    assert "Staf Tambahan" not in page
    assert client.get(MANAGE, {"status": "<bogus>", "halaman": "x"}).status_code == 200


def test_bkpsdm_sees_every_opd_and_returns_one(
    client: Client, world: SimpleNamespace, django_assert_max_num_queries: Any
) -> None:
    assessed(world)
    submitted(world, world.neighbour)
    submission = services.opd_submit(opd=world.opd_a, year=YEAR, actor=world.admin_a)
    as_user(client, world.auditor)
    with django_assert_max_num_queries(12):
        page = text(client.get(MANAGE))
    assert "AKPK seluruh Pemda" in page
    assert "Dinas Pendidikan" in page
    assert "Dinas Kesehatan" in page
    assert "Belum dikirim" in page
    ret = reverse("planning:akpk_opd_return", kwargs={"submission_id": submission.pk})
    assert f'action="{ret}"' in page
    assert "Impor hasil assessment center" not in page  # superusers only
    with django_assert_max_num_queries(14):
        assert client.get(MANAGE, {"opd": world.opd_b.pk}).status_code == 200
    response = client.post(ret, {"reason": ""})
    assert any("alasan" in m for m in said(response))
    response = client.post(ret, {"reason": "Lengkapi AKPK yang belum dinilai"})
    submission.refresh_from_db()
    assert submission.status == AKPKSubmission.Status.RETURNED
    as_user(client, world.admin_a)
    assert client.post(ret, {"reason": "x"}).status_code == 403
    page = text(client.get(MANAGE))
    assert "Lengkapi AKPK yang belum dinilai" in page
    assert 'id="akpk-opd-submit"' in page
    assert client.post("/kelola/akpk/pengiriman/99999/kembalikan/", {}).status_code == 403
    as_user(client, world.superuser)
    assert client.post("/kelola/akpk/pengiriman/99999/kembalikan/", {}).status_code == 404


def test_learners_and_atasan_do_not_manage(client: Client, world: SimpleNamespace) -> None:
    for user in (world.employee, world.boss):
        as_user(client, user)
        assert client.get(MANAGE).status_code == 403
        response = client.post(
            reverse("planning:akpk_opd_submit"), {"opd": world.opd_a.pk, "tahun": YEAR}
        )
        assert response.status_code == 403
    assert not AKPKSubmission.objects.exists()


def test_every_action_is_bounded(
    client: Client, world: SimpleNamespace, django_assert_max_num_queries: Any
) -> None:
    """Each POST answers in a fixed number of queries, whatever the AKPK holds."""
    as_user(client, world.employee)
    with django_assert_max_num_queries(16):
        client.post(reverse("planning:akpk_start"), {"tahun": YEAR})
    akpk = AKPK.objects.get(employee=world.employee)
    save = reverse("planning:akpk_save", kwargs={"akpk_id": akpk.pk})
    with django_assert_max_num_queries(18):
        client.post(save, self_post(akpk, SELF))
    add = reverse("planning:akpk_need_add", kwargs={"akpk_id": akpk.pk})
    with django_assert_max_num_queries(14):
        client.post(add, {"competency": world.dictionary["TEK-03"].pk})
    need = item(akpk, "TEK-03")
    remove = reverse("planning:akpk_need_remove", kwargs={"akpk_id": akpk.pk, "item_id": need.pk})
    with django_assert_max_num_queries(14):
        client.post(remove)
    with django_assert_max_num_queries(30):
        client.post(save, self_post(akpk, SELF, "ajukan"))
    as_user(client, world.boss)
    assess = reverse("planning:akpk_assess", kwargs={"akpk_id": akpk.pk})
    with django_assert_max_num_queries(22):
        client.post(assess, assess_post(akpk, BOSS))
    with django_assert_max_num_queries(14):
        client.post(reverse("planning:akpk_reopen", kwargs={"akpk_id": akpk.pk}), {"reason": "x"})
    akpk.refresh_from_db()
    assert akpk.status == AKPK.Status.DRAFT
    services.akpk_self_assess(akpk=akpk, actor=world.employee, levels={}, submit=True)
    services.akpk_assess(akpk=akpk, actor=world.boss, levels=levels_for(akpk, BOSS))
    as_user(client, world.admin_a)
    with django_assert_max_num_queries(18):
        client.post(reverse("planning:akpk_opd_submit"), {"opd": world.opd_a.pk, "tahun": YEAR})
    submission = AKPKSubmission.objects.get()
    as_user(client, world.auditor)
    ret = reverse("planning:akpk_opd_return", kwargs={"submission_id": submission.pk})
    with django_assert_max_num_queries(12):
        client.post(ret, {"reason": "Perbaiki"})
    submission.refresh_from_db()
    assert submission.status == AKPKSubmission.Status.RETURNED
