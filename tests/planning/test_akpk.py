"""AKPK: gaps, the workflow (employee -> atasan -> OPD -> BKPSDM) and who may do what, the
lock while an OPD's AKPK stands at BKPSDM, and the scope of every read."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from wagtail.models import ModelLogEntry

from lms.people.models import Employee, Role
from lms.people.selectors import scope_for
from lms.people.services import role_grant
from lms.planning.akpk import selectors, services
from lms.planning.models import (
    AKPK,
    AKPKItem,
    AKPKSubmission,
    Competency,
    JabatanStandard,
    LevelSource,
)
from tests.factories import EmployeeFactory
from tests.support import at_once

YEAR = services.current_year()
INDICATORS = {
    "1": "Memahami dasar pengelolaan keuangan daerah",
    "2": "Menyusun dokumen anggaran dengan bimbingan",
    "3": "Menyusun dokumen anggaran secara mandiri",
    "4": "Menelaah dan memperbaiki dokumen anggaran unit lain",
    "5": "Merumuskan kebijakan pengelolaan keuangan daerah",
}


# --- fixtures shared with the other AKPK suites ------------------------------------------------


def build_world(pemda: dict[str, Any], dictionary: dict[str, Competency]) -> SimpleNamespace:
    """The two OPDs of ``make_pemda`` with an atasan for each OPD's staff, an admin for OPD B,
    and indicator texts on TEK-01."""
    dictionary["TEK-01"].level_descriptions = INDICATORS
    dictionary["TEK-01"].save()
    boss = EmployeeFactory.create(
        org_unit=pemda["unit_a"], full_name="Kepala Bidang SD", jabatan="Kepala Seksi"
    )
    boss_b = EmployeeFactory.create(
        org_unit=pemda["unit_b"], full_name="Kepala Bidang P2P", jabatan="Kepala Seksi"
    )
    Employee.objects.filter(pk__in=[e.pk for e in pemda["staff_a"]]).update(supervisor=boss)
    Employee.objects.filter(pk__in=[e.pk for e in pemda["staff_b"]]).update(supervisor=boss_b)
    admin_b = EmployeeFactory.create(org_unit=pemda["opd_b"], full_name="Admin Kesehatan")
    role_grant(actor=None, employee=admin_b, role=Role.OPD_ADMIN, org_unit=pemda["opd_b"],
               reason="uji")  # fmt: skip
    for key in ("staff_a", "staff_b"):
        for employee in pemda[key]:
            employee.refresh_from_db()
    return SimpleNamespace(
        **pemda, boss=boss, boss_b=boss_b, admin_b=admin_b, dictionary=dictionary,
        employee=pemda["staff_a"][0], colleague=pemda["staff_a"][1],
        neighbour=pemda["staff_b"][0],
    )  # fmt: skip


@pytest.fixture
def world(pemda: dict[str, Any], dictionary: dict[str, Competency]) -> SimpleNamespace:
    return build_world(pemda, dictionary)


def levels_for(akpk: AKPK, levels: dict[str, int]) -> dict[int, int]:
    """Competency code -> level, as item id -> level (what the services take)."""
    items = {i.competency.code: i.pk for i in akpk.items.select_related("competency")}
    return {items[code]: level for code, level in levels.items()}


def item(akpk: AKPK, code: str) -> AKPKItem:
    return AKPKItem.objects.get(akpk=akpk, competency__code=code)


SELF = {"TEK-01": 2, "TEK-02": 2, "MAN-01": 3, "MAN-02": 2, "SK-01": 1}
BOSS = {"TEK-01": 1, "TEK-02": 3, "MAN-01": 3, "MAN-02": 2, "SK-01": 2}


def submitted(world: SimpleNamespace, employee: Employee | None = None) -> AKPK:
    employee = employee or world.employee
    akpk = services.akpk_open(employee=employee, year=YEAR)
    return services.akpk_self_assess(
        akpk=akpk, actor=employee, levels=levels_for(akpk, SELF), submit=True
    )


def assessed(world: SimpleNamespace, employee: Employee | None = None) -> AKPK:
    akpk = submitted(world, employee)
    boss = akpk.supervisor
    assert boss is not None
    return services.akpk_assess(akpk=akpk, actor=boss, levels=levels_for(akpk, BOSS))


def audit_actions(instance: Any) -> list[str]:
    return list(
        ModelLogEntry.objects.for_instance(instance).order_by("pk").values_list("action", flat=True)
    )


# --- gaps ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("required", "self_", "boss", "centre", "current", "source", "gap"),
    [
        (3, None, None, None, None, "", None),  # not assessed: no gap yet, not a zero gap
        (3, 1, None, None, 1, LevelSource.SELF, 2),
        (3, 1, 2, None, 2, LevelSource.SUPERVISOR, 1),
        (3, 1, 2, 4, 4, LevelSource.CENTRE, 0),  # the centre outranks; above the standard: 0
        (3, 5, 1, None, 1, LevelSource.SUPERVISOR, 2),  # the atasan outranks the employee
        (2, 5, None, None, 5, LevelSource.SELF, 0),  # never negative
        (0, 3, None, None, 3, LevelSource.SELF, 0),  # outside the standard: a wish, not a gap
        (4, None, None, 1, 1, LevelSource.CENTRE, 3),
    ],
)
def test_gap_is_required_minus_the_strongest_evidence(
    required: int,
    self_: int | None,
    boss: int | None,
    centre: int | None,
    current: int | None,
    source: str,
    gap: int | None,
) -> None:
    row = AKPKItem(
        required_level=required, self_level=self_, supervisor_level=boss, centre_level=centre
    )
    row.recompute()
    assert (row.current_level, row.current_source, row.gap) == (current, source, gap)


def test_gaps_follow_the_workflow(world: SimpleNamespace) -> None:
    akpk = services.akpk_open(employee=world.employee, year=YEAR)
    assert {i.gap for i in akpk.items.all()} == {None}
    services.akpk_self_assess(akpk=akpk, actor=world.employee, levels=levels_for(akpk, SELF))
    # Analis: TEK-01 3, TEK-02 4, MAN-01 3, MAN-02 2, SK-01 2
    assert item(akpk, "TEK-01").gap == 1
    assert item(akpk, "TEK-02").gap == 2
    assert item(akpk, "SK-01").gap == 1
    assert item(akpk, "MAN-02").gap == 0
    services.akpk_self_assess(akpk=akpk, actor=world.employee, levels={}, submit=True)
    services.akpk_assess(akpk=akpk, actor=world.boss, levels=levels_for(akpk, BOSS))
    tek01 = item(akpk, "TEK-01")
    assert (tek01.self_level, tek01.supervisor_level, tek01.current_level, tek01.gap) == (
        2, 1, 1, 2,
    )  # fmt: skip
    assert tek01.current_source == LevelSource.SUPERVISOR
    assert item(akpk, "SK-01").gap == 0


# --- opening --------------------------------------------------------------------------------


def test_open_snapshots_the_employee_and_the_standard(world: SimpleNamespace) -> None:
    akpk = services.akpk_open(employee=world.employee, year=YEAR)
    assert akpk.status == AKPK.Status.DRAFT
    assert (akpk.org_unit, akpk.opd, akpk.jabatan, akpk.supervisor) == (
        world.unit_a, world.opd_a, "Analis", world.boss,
    )  # fmt: skip
    required = {i.competency.code: i.required_level for i in akpk.items.all()}
    assert required == {"TEK-01": 3, "TEK-02": 4, "MAN-01": 3, "MAN-02": 2, "SK-01": 2}
    # Opening again returns the same AKPK; moving the employee does not move it.
    world.employee.org_unit = world.unit_b
    world.employee.save()
    again = services.akpk_open(employee=world.employee, year=YEAR)
    assert again.pk == akpk.pk
    assert again.opd == world.opd_a
    assert AKPK.objects.filter(employee=world.employee).count() == 1


def test_open_without_a_standard_gives_an_empty_akpk(world: SimpleNamespace) -> None:
    world.employee.jabatan = "Penjaga Mercusuar"
    world.employee.save()
    akpk = services.akpk_open(employee=world.employee, year=YEAR)
    assert akpk.items.count() == 0
    with pytest.raises(ValidationError, match="belum berisi kompetensi"):
        services.akpk_self_assess(akpk=akpk, actor=world.employee, levels={}, submit=True)
    # They add needs of their own, and may then submit.
    need = services.akpk_need_add(
        akpk=akpk, actor=world.employee, competency=world.dictionary["TEK-03"], note="Pelatihan"
    )
    assert need.required_level == 0
    services.akpk_self_assess(akpk=akpk, actor=world.employee, levels={need.pk: 2}, submit=True)
    akpk.refresh_from_db()
    assert akpk.status == AKPK.Status.SELF_SUBMITTED


def test_a_draft_follows_its_standard_and_a_submitted_one_keeps_it(
    world: SimpleNamespace,
) -> None:
    akpk = services.akpk_open(employee=world.employee, year=YEAR)
    services.akpk_self_assess(akpk=akpk, actor=world.employee, levels=levels_for(akpk, SELF))
    JabatanStandard.objects.create(
        jabatan="analis", competency=world.dictionary["TEK-03"], required_level=2
    )
    JabatanStandard.objects.filter(jabatan_key="analis", competency__code="TEK-01").update(
        required_level=4
    )
    services.akpk_open(employee=world.employee, year=YEAR)
    assert item(akpk, "TEK-03").required_level == 2
    assert (item(akpk, "TEK-01").required_level, item(akpk, "TEK-01").gap) == (4, 2)
    services.akpk_self_assess(
        akpk=akpk, actor=world.employee, levels=levels_for(akpk, {"TEK-03": 2}), submit=True
    )
    JabatanStandard.objects.filter(jabatan_key="analis", competency__code="TEK-01").update(
        required_level=5
    )
    services.akpk_open(employee=world.employee, year=YEAR)
    assert item(akpk, "TEK-01").required_level == 4


@pytest.mark.parametrize("year", [2016, YEAR + 2, 0, "2026", True])
def test_open_refuses_a_year_out_of_range(world: SimpleNamespace, year: Any) -> None:
    with pytest.raises(ValidationError, match="Tahun AKPK"):
        services.akpk_open(employee=world.employee, year=year)
    assert not AKPK.objects.exists()


# --- the employee ---------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [0, 6, 9, -1, "x", "3.5", True, 2.0, [3]])
def test_a_bad_level_is_refused_and_nothing_is_saved(world: SimpleNamespace, bad: Any) -> None:
    akpk = services.akpk_open(employee=world.employee, year=YEAR)
    levels = levels_for(akpk, {"TEK-01": 3})
    levels[item(akpk, "TEK-02").pk] = bad
    with pytest.raises(ValidationError, match="1 sampai 5"):
        services.akpk_self_assess(akpk=akpk, actor=world.employee, levels=levels, note="x")
    assert item(akpk, "TEK-01").self_level is None
    akpk.refresh_from_db()
    assert akpk.self_note == ""


def test_levels_of_another_akpk_are_refused(world: SimpleNamespace) -> None:
    mine = services.akpk_open(employee=world.employee, year=YEAR)
    theirs = services.akpk_open(employee=world.colleague, year=YEAR)
    with pytest.raises(ValidationError, match="bukan bagian"):
        services.akpk_self_assess(
            akpk=mine, actor=world.employee, levels={item(theirs, "TEK-01").pk: 3}
        )
    with pytest.raises(ValidationError, match="bukan bagian"):
        services.akpk_self_assess(akpk=mine, actor=world.employee, levels={"abc": 3})


def test_only_the_employee_self_assesses(world: SimpleNamespace) -> None:
    akpk = services.akpk_open(employee=world.employee, year=YEAR)
    for other in (world.colleague, world.boss, world.admin_a, world.superuser):
        with pytest.raises(PermissionDenied):
            services.akpk_self_assess(akpk=akpk, actor=other, levels=levels_for(akpk, SELF))
    assert item(akpk, "TEK-01").self_level is None


def test_submitting_needs_every_level(world: SimpleNamespace) -> None:
    akpk = services.akpk_open(employee=world.employee, year=YEAR)
    partial = {k: v for k, v in SELF.items() if k != "SK-01"}
    with pytest.raises(ValidationError, match="Perekat bangsa"):
        services.akpk_self_assess(
            akpk=akpk, actor=world.employee, levels=levels_for(akpk, partial), submit=True
        )
    akpk.refresh_from_db()
    assert akpk.status == AKPK.Status.DRAFT
    assert item(akpk, "TEK-01").self_level is None  # nothing saved


def test_submitting_needs_an_atasan(world: SimpleNamespace) -> None:
    Employee.objects.filter(pk=world.employee.pk).update(supervisor=None)
    world.employee.refresh_from_db()
    akpk = services.akpk_open(employee=world.employee, year=YEAR)
    assert akpk.supervisor is None
    with pytest.raises(ValidationError, match="admin OPD") as caught:
        services.akpk_self_assess(
            akpk=akpk, actor=world.employee, levels=levels_for(akpk, SELF), submit=True
        )
    assert "atasan langsung" in str(caught.value)
    # A draft is fine without one.
    services.akpk_self_assess(akpk=akpk, actor=world.employee, levels=levels_for(akpk, SELF))
    # An inactive atasan is no atasan.
    world.boss.is_active = False
    world.boss.save()
    Employee.objects.filter(pk=world.employee.pk).update(supervisor=world.boss)
    with pytest.raises(ValidationError, match="admin OPD"):
        services.akpk_self_assess(akpk=akpk, actor=world.employee, levels={}, submit=True)


def test_submitting_records_the_atasan_and_audits(world: SimpleNamespace) -> None:
    akpk = services.akpk_open(employee=world.employee, year=YEAR)
    # The atasan changed after the AKPK was opened: the one at submission assesses.
    new_boss = EmployeeFactory.create(org_unit=world.unit_a, full_name="Kepala Baru")
    Employee.objects.filter(pk=world.employee.pk).update(supervisor=new_boss)
    akpk = services.akpk_self_assess(
        akpk=akpk, actor=world.employee, levels=levels_for(akpk, SELF), note=" Mohon dinilai ",
        submit=True,
    )  # fmt: skip
    akpk.refresh_from_db()
    assert akpk.status == AKPK.Status.SELF_SUBMITTED
    assert akpk.self_submitted_at is not None
    assert akpk.supervisor == new_boss
    assert akpk.self_note == "Mohon dinilai"
    assert audit_actions(akpk) == ["sinau.akpk.self_submit"]
    with pytest.raises(ValidationError, match="menunggu penilaian"):
        services.akpk_self_assess(akpk=akpk, actor=world.employee, levels=levels_for(akpk, SELF))


# --- needs outside the standard --------------------------------------------------------------


def test_needs_are_added_and_removed_by_the_right_people(world: SimpleNamespace) -> None:
    akpk = services.akpk_open(employee=world.employee, year=YEAR)
    tek03 = world.dictionary["TEK-03"]
    need = services.akpk_need_add(akpk=akpk, actor=world.employee, competency=tek03)
    with pytest.raises(ValidationError, match="sudah ada"):
        services.akpk_need_add(akpk=akpk, actor=world.employee, competency=tek03)
    with pytest.raises(ValidationError, match="standar jabatan"):
        services.akpk_need_remove(akpk=akpk, actor=world.employee, item=item(akpk, "TEK-01"))
    with pytest.raises(PermissionDenied):
        services.akpk_need_add(
            akpk=akpk, actor=world.colleague, competency=world.dictionary["MAN-02"]
        )
    # The atasan only while assessing.
    with pytest.raises(ValidationError, match="belum diajukan"):
        services.akpk_need_remove(akpk=akpk, actor=world.boss, item=need)
    services.akpk_need_remove(akpk=akpk, actor=world.employee, item=need)
    assert not AKPKItem.objects.filter(pk=need.pk).exists()
    services.akpk_self_assess(
        akpk=akpk, actor=world.employee, levels=levels_for(akpk, SELF), submit=True
    )
    with pytest.raises(ValidationError, match="menunggu penilaian"):
        services.akpk_need_add(akpk=akpk, actor=world.employee, competency=tek03)
    added = services.akpk_need_add(akpk=akpk, actor=world.boss, competency=tek03, note="Magang")
    assert (added.required_level, added.development_note) == (0, "Magang")
    # The atasan must now give it a level too.
    with pytest.raises(ValidationError, match="Pengadaan barang"):
        services.akpk_assess(akpk=akpk, actor=world.boss, levels=levels_for(akpk, BOSS))
    inactive = Competency.objects.create(
        code="OLD-1", name="Lama", competency_type="teknis", is_active=False
    )
    with pytest.raises(ValidationError, match="tidak aktif"):
        services.akpk_need_add(akpk=akpk, actor=world.boss, competency=inactive)


# --- the atasan -----------------------------------------------------------------------------


def test_the_atasan_assesses_with_priorities_from_the_gap(world: SimpleNamespace) -> None:
    akpk = submitted(world)
    services.akpk_assess(
        akpk=akpk, actor=world.boss, levels=levels_for(akpk, BOSS),
        priorities={item(akpk, "MAN-02").pk: "rendah"},
        notes={item(akpk, "TEK-01").pk: " Diklat keuangan daerah "},
        performance_rating="baik", supervisor_note="Perlu penguatan teknis",
    )  # fmt: skip
    akpk.refresh_from_db()
    assert akpk.status == AKPK.Status.ASSESSED
    assert (akpk.assessed_by, akpk.performance_rating) == (world.boss, "baik")
    assert akpk.assessed_at is not None
    # TEK-01 3-1=2 -> tinggi, TEK-02 4-3=1 -> sedang, MAN-01 0 -> none, MAN-02 given.
    priorities = {i.competency.code: i.priority for i in akpk.items.select_related("competency")}
    assert priorities == {
        "TEK-01": "tinggi", "TEK-02": "sedang", "MAN-01": "", "MAN-02": "rendah", "SK-01": "",
    }  # fmt: skip
    assert item(akpk, "TEK-01").development_note == "Diklat keuangan daerah"
    assert audit_actions(akpk) == ["sinau.akpk.self_submit", "sinau.akpk.assess"]
    # Amending while the OPD has not sent its AKPK.
    services.akpk_assess(
        akpk=akpk, actor=world.boss, levels=levels_for(akpk, {"TEK-01": 3}), performance_rating=""
    )
    assert (item(akpk, "TEK-01").gap, item(akpk, "TEK-01").priority) == (0, "")


def test_assessing_needs_every_level_and_valid_choices(world: SimpleNamespace) -> None:
    akpk = submitted(world)
    partial = {k: v for k, v in BOSS.items() if k != "TEK-02"}
    with pytest.raises(ValidationError, match="Analisis kebijakan"):
        services.akpk_assess(akpk=akpk, actor=world.boss, levels=levels_for(akpk, partial))
    with pytest.raises(ValidationError, match="Prioritas"):
        services.akpk_assess(
            akpk=akpk, actor=world.boss, levels=levels_for(akpk, BOSS),
            priorities={item(akpk, "TEK-01").pk: "darurat"},
        )  # fmt: skip
    with pytest.raises(ValidationError, match="predikat"):
        services.akpk_assess(
            akpk=akpk, actor=world.boss, levels=levels_for(akpk, BOSS), performance_rating="oke"
        )
    with pytest.raises(ValidationError, match="1 sampai 5"):
        services.akpk_assess(
            akpk=akpk,
            actor=world.boss,
            levels={**levels_for(akpk, BOSS), item(akpk, "SK-01").pk: 7},
        )
    akpk.refresh_from_db()
    assert akpk.status == AKPK.Status.SELF_SUBMITTED
    assert item(akpk, "TEK-01").supervisor_level is None


def test_who_may_assess(world: SimpleNamespace) -> None:
    akpk = submitted(world)
    levels = levels_for(akpk, BOSS)
    for outsider in (
        world.employee, world.colleague, world.boss_b, world.admin_a, world.admin_b,
        world.auditor, world.superuser,
    ):  # fmt: skip
        with pytest.raises(PermissionDenied):
            services.akpk_assess(akpk=akpk, actor=outsider, levels=levels)
        with pytest.raises(PermissionDenied):
            services.akpk_reopen(akpk=akpk, actor=outsider, reason="x")
    # The employee's atasan now, when it changed after submission, may assess too.
    Employee.objects.filter(pk=world.employee.pk).update(supervisor=world.colleague)
    akpk.refresh_from_db()
    services.akpk_assess(akpk=akpk, actor=world.colleague, levels=levels)


def test_the_opd_admin_assesses_when_no_atasan_is_left(world: SimpleNamespace) -> None:
    akpk = submitted(world)
    world.boss.is_active = False
    world.boss.save()
    Employee.objects.filter(pk=world.employee.pk).update(supervisor=None)
    akpk.refresh_from_db()
    with pytest.raises(PermissionDenied):
        services.akpk_assess(akpk=akpk, actor=world.admin_b, levels=levels_for(akpk, BOSS))
    with pytest.raises(PermissionDenied):
        services.akpk_assess(akpk=akpk, actor=world.auditor, levels=levels_for(akpk, BOSS))
    services.akpk_assess(akpk=akpk, actor=world.admin_a, levels=levels_for(akpk, BOSS))
    akpk.refresh_from_db()
    assert akpk.assessed_by == world.admin_a


def test_assessing_a_draft_is_refused(world: SimpleNamespace) -> None:
    akpk = services.akpk_open(employee=world.employee, year=YEAR)
    with pytest.raises(ValidationError, match="belum diajukan"):
        services.akpk_assess(akpk=akpk, actor=world.boss, levels=levels_for(akpk, BOSS))
    with pytest.raises(ValidationError, match="belum diajukan"):
        services.akpk_reopen(akpk=akpk, actor=world.boss, reason="Perbaiki")


def test_the_atasan_sends_it_back(world: SimpleNamespace) -> None:
    akpk = assessed(world)
    with pytest.raises(ValidationError, match="alasan"):
        services.akpk_reopen(akpk=akpk, actor=world.boss, reason="  ")
    services.akpk_reopen(akpk=akpk, actor=world.boss, reason="Penilaian diri terlalu tinggi")
    akpk.refresh_from_db()
    assert akpk.status == AKPK.Status.DRAFT
    assert (akpk.self_submitted_at, akpk.assessed_at, akpk.assessed_by) == (None, None, None)
    assert item(akpk, "TEK-01").supervisor_level == 1  # kept to start from
    entry = selectors.akpk_last_reopen(akpk=akpk)
    assert entry is not None
    assert entry.data["reason"] == "Penilaian diri terlalu tinggi"
    # The employee corrects and submits again.
    services.akpk_self_assess(
        akpk=akpk, actor=world.employee, levels=levels_for(akpk, {"TEK-01": 1}), submit=True
    )
    akpk.refresh_from_db()
    assert akpk.status == AKPK.Status.SELF_SUBMITTED


# --- the OPD and BKPSDM -----------------------------------------------------------------------


def test_the_opd_admin_sends_the_opd_akpk(world: SimpleNamespace) -> None:
    with pytest.raises(ValidationError, match="Belum ada AKPK"):
        services.opd_submit(opd=world.opd_a, year=YEAR, actor=world.admin_a)
    assessed(world)
    submitted(world, world.colleague)
    for outsider in (world.admin_b, world.auditor, world.employee, world.boss):
        with pytest.raises(PermissionDenied):
            services.opd_submit(opd=world.opd_a, year=YEAR, actor=outsider)
    with pytest.raises(PermissionDenied):
        services.opd_submit(opd=world.opd_b, year=YEAR, actor=world.admin_a)
    with pytest.raises(ValidationError, match="per OPD"):
        services.opd_submit(opd=world.unit_a, year=YEAR, actor=world.superuser)
    submission = services.opd_submit(opd=world.opd_a, year=YEAR, actor=world.admin_a)
    # opd_a: three staff, the atasan and the admin; one AKPK assessed.
    assert (submission.employee_count, submission.assessed_count) == (5, 1)
    assert submission.status == AKPKSubmission.Status.SUBMITTED
    assert audit_actions(submission) == ["sinau.akpk.opd_submit"]
    with pytest.raises(ValidationError, match="sudah dikirim"):
        services.opd_submit(opd=world.opd_a, year=YEAR, actor=world.superuser)


def test_a_standing_submission_locks_the_opd_akpk_until_returned(world: SimpleNamespace) -> None:
    done = assessed(world)
    waiting = submitted(world, world.colleague)
    draft = services.akpk_open(employee=world.staff_a[2], year=YEAR)
    elsewhere = submitted(world, world.neighbour)
    submission = services.opd_submit(opd=world.opd_a, year=YEAR, actor=world.admin_a)
    locked = "sudah dikirim ke BKPSDM"
    with pytest.raises(ValidationError, match=locked):
        services.akpk_self_assess(
            akpk=draft, actor=world.staff_a[2], levels=levels_for(draft, SELF)
        )
    with pytest.raises(ValidationError, match=locked):
        services.akpk_need_add(
            akpk=draft, actor=world.staff_a[2], competency=world.dictionary["TEK-03"]
        )
    with pytest.raises(ValidationError, match=locked):
        services.akpk_assess(akpk=waiting, actor=world.boss, levels=levels_for(waiting, BOSS))
    with pytest.raises(ValidationError, match=locked):
        services.akpk_assess(akpk=done, actor=world.boss, levels=levels_for(done, BOSS))
    with pytest.raises(ValidationError, match=locked):
        services.akpk_reopen(akpk=done, actor=world.boss, reason="Ubah")
    # A new AKPK cannot be opened in the OPD either; another OPD is not affected.
    with pytest.raises(ValidationError, match=locked):
        services.akpk_open(employee=world.boss, year=YEAR)
    services.akpk_assess(akpk=elsewhere, actor=world.boss_b, levels=levels_for(elsewhere, BOSS))
    # Another year is not affected.
    services.akpk_open(employee=world.boss, year=YEAR + 1)

    with pytest.raises(PermissionDenied):
        services.opd_return(submission=submission, actor=world.admin_a, reason="x")
    with pytest.raises(ValidationError, match="alasan"):
        services.opd_return(submission=submission, actor=world.auditor, reason=" ")
    services.opd_return(submission=submission, actor=world.auditor, reason="Lengkapi penilaian")
    submission.refresh_from_db()
    assert submission.status == AKPKSubmission.Status.RETURNED
    assert (submission.returned_by, submission.return_reason) == (
        world.auditor, "Lengkapi penilaian",
    )  # fmt: skip
    with pytest.raises(ValidationError, match="sudah dikembalikan"):
        services.opd_return(submission=submission, actor=world.superuser, reason="lagi")
    services.akpk_assess(akpk=waiting, actor=world.boss, levels=levels_for(waiting, BOSS))
    # Sent again: the same row, new counts.
    again = services.opd_submit(opd=world.opd_a, year=YEAR, actor=world.admin_a)
    assert again.pk == submission.pk
    assert (again.status, again.assessed_count) == (AKPKSubmission.Status.SUBMITTED, 2)
    assert AKPKSubmission.objects.count() == 1
    assert audit_actions(submission) == [
        "sinau.akpk.opd_submit", "sinau.akpk.opd_return", "sinau.akpk.opd_submit",
    ]  # fmt: skip


# --- reads and scope -------------------------------------------------------------------------


def test_each_viewer_reads_only_their_scope(world: SimpleNamespace) -> None:
    mine = submitted(world)
    colleague = services.akpk_open(employee=world.colleague, year=YEAR)
    neighbour = submitted(world, world.neighbour)
    boss_own = services.akpk_open(employee=world.boss, year=YEAR)

    def visible(viewer: Employee) -> set[int]:
        return set(selectors.akpk_visible(viewer=viewer).values_list("pk", flat=True))

    assert visible(world.employee) == {mine.pk}
    assert visible(world.boss) == {mine.pk, colleague.pk, boss_own.pk}
    assert visible(world.boss_b) == {neighbour.pk}
    assert visible(world.admin_a) == {mine.pk, colleague.pk, boss_own.pk}
    assert visible(world.admin_b) == {neighbour.pk}
    assert visible(world.auditor) == visible(world.superuser) == {
        mine.pk, colleague.pk, neighbour.pk, boss_own.pk,
    }  # fmt: skip
    with pytest.raises(AKPK.DoesNotExist):
        selectors.akpk_get(viewer=world.admin_a, pk=neighbour.pk)
    with pytest.raises(AKPK.DoesNotExist):
        selectors.akpk_get(viewer=world.colleague, pk=mine.pk)
    assert selectors.akpk_get(viewer=world.boss, pk=mine.pk).items.count() == 5


def test_the_atasan_queue_puts_waiting_ones_first(world: SimpleNamespace) -> None:
    draft = services.akpk_open(employee=world.staff_a[2], year=YEAR)
    done = assessed(world, world.colleague)
    waiting = submitted(world)
    submitted(world, world.neighbour)
    queue = list(selectors.akpk_supervisor_queue(viewer=world.boss, year=YEAR))
    assert [a.pk for a in queue] == [waiting.pk, draft.pk, done.pk]
    gaps = sum(1 for i in done.items.all() if i.gap)
    assert queue[2].gap_count == gaps  # type: ignore[attr-defined]
    assert list(selectors.akpk_supervisor_queue(viewer=world.employee, year=YEAR)) == []
    assert selectors.akpk_subordinates_not_started(viewer=world.boss, year=YEAR) == 0
    assert selectors.akpk_subordinates_not_started(viewer=world.boss, year=YEAR + 1) == 3
    assert selectors.is_atasan(viewer=world.boss)
    assert not selectors.is_atasan(viewer=world.employee)


def test_opd_progress_counts_employees_who_have_not_started(world: SimpleNamespace) -> None:
    assessed(world)
    submitted(world, world.colleague)
    submitted(world, world.neighbour)
    scope = scope_for(world.admin_a)
    assert selectors.akpk_opd_choices(scope=scope) == [world.opd_a]
    progress = selectors.akpk_opd_progress(scope=scope, opd=world.opd_a, year=YEAR)
    assert progress.counts == {"belum": 3, "draft": 0, "self_submitted": 1, "assessed": 1}
    assert progress.employee_count == 5
    assert progress.may_submit
    assert progress.submission is None
    names = {e.full_name: e.akpk_status for e in progress.employees}  # type: ignore[attr-defined]
    assert names[world.employee.full_name] == AKPK.Status.ASSESSED
    assert names["Kepala Bidang SD"] is None
    assert world.neighbour.full_name not in names
    waiting = selectors.akpk_opd_progress(
        scope=scope, opd=world.opd_a, year=YEAR, status="self_submitted"
    )
    assert [e.pk for e in waiting.employees] == [world.colleague.pk]
    not_started = selectors.akpk_opd_progress(
        scope=scope, opd=world.opd_a, year=YEAR, status="belum"
    )
    assert not_started.employees.count() == 3
    # An auditor sees it, but may not send it.
    audit_view = selectors.akpk_opd_progress(
        scope=scope_for(world.auditor), opd=world.opd_a, year=YEAR
    )
    assert not audit_view.may_submit


def test_a_unit_admin_follows_their_opd_but_cannot_send_it(world: SimpleNamespace) -> None:
    unit_admin = EmployeeFactory.create(org_unit=world.unit_a, full_name="Admin Bidang")
    role_grant(actor=None, employee=unit_admin, role=Role.OPD_ADMIN, org_unit=world.unit_a,
               reason="uji")  # fmt: skip
    scope = scope_for(unit_admin)
    assert selectors.akpk_opd_choices(scope=scope) == [world.opd_a]
    progress = selectors.akpk_opd_progress(scope=scope, opd=world.opd_a, year=YEAR)
    assert not progress.may_submit
    assert world.admin_a.pk not in {e.pk for e in progress.employees}  # the admin sits above


def test_the_pemda_overview_counts_every_opd(world: SimpleNamespace) -> None:
    assessed(world)
    submitted(world, world.colleague)
    submitted(world, world.neighbour)
    services.opd_submit(opd=world.opd_a, year=YEAR, actor=world.admin_a)
    overview = selectors.akpk_pemda_overview(scope=scope_for(world.auditor), year=YEAR)
    rows = {row.opd.name: row for row in overview.rows}
    assert set(rows) == {"Dinas Pendidikan", "Dinas Kesehatan"}
    a, b = rows["Dinas Pendidikan"], rows["Dinas Kesehatan"]
    assert (a.employee_count, a.not_started, a.counts["assessed"], a.counts["self_submitted"]) == (
        5, 3, 1, 1,
    )  # fmt: skip
    assert (b.employee_count, b.not_started, b.counts["self_submitted"]) == (5, 4, 1)
    assert a.submission is not None
    assert b.submission is None
    assert overview.totals.employee_count == 10
    # An OPD admin's overview holds their OPD only.
    mine = selectors.akpk_pemda_overview(scope=scope_for(world.admin_b), year=YEAR)
    assert [row.opd for row in mine.rows] == [world.opd_b]
    assert selectors.akpk_pemda_overview(scope=scope_for(world.employee), year=YEAR).rows == []


# --- concurrency --------------------------------------------------------------------------------


@pytest.fixture
def pg_world(transactional_db: None) -> SimpleNamespace:
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is tested on PostgreSQL (set DATABASE_URL)")
    from tests.factories import make_pemda
    from tests.planning.conftest import DICTIONARY, STANDARDS

    competencies = {
        code: Competency.objects.create(code=code, name=name, competency_type=kind)
        for code, name, kind in DICTIONARY
    }
    for jabatan, levels in STANDARDS.items():
        for code, level in levels.items():
            JabatanStandard.objects.create(
                jabatan=jabatan, competency=competencies[code], required_level=level
            )
    return build_world(make_pemda(), competencies)


@pytest.mark.postgres
def test_twenty_simultaneous_opens_make_one_akpk(pg_world: SimpleNamespace) -> None:
    employee = pg_world.employee
    results, failures = at_once(20, lambda _i: services.akpk_open(employee=employee, year=YEAR).pk)
    assert not failures, failures
    assert len(set(results)) == 1
    assert AKPK.objects.filter(employee=employee, year=YEAR).count() == 1
    assert AKPKItem.objects.filter(akpk_id=results[0]).count() == 5
