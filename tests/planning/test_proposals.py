"""OPD training proposals through their services: an OPD admin drafts and submits, the AKPK
figures are frozen at submission, likely duplicates in other OPDs are stored as pairs (and
refreshed on resubmission), BKPSDM approves (one unpublished course draft), returns, rejects,
dismisses a pair or merges one proposal into another. Scope holds at every step."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone
from wagtail.models import ModelLogEntry, Page

from courses.models import CatalogueIndexPage, CoursePage
from lms.people.models import Employee, OrgUnit, Role
from lms.people.services import role_grant
from lms.planning.models import (
    Competency,
    CourseCompetency,
    JabatanStandard,
    ProposalDuplicate,
    TrainingProposal,
)
from lms.planning.proposals import selectors, services
from lms.planning.proposals.services import ProposalDetails
from tests.factories import EmployeeFactory, OrgUnitFactory
from tests.support import at_once

YEAR = timezone.localdate().year + 1
Status = TrainingProposal.Status


# --- helpers (also used by test_proposals_views.py) -----------------------------------------------


def admin_of(opd: OrgUnit, name: str = "Admin OPD") -> Employee:
    admin = EmployeeFactory.create(org_unit=opd, full_name=name, is_staff=True)
    role_grant(actor=None, employee=admin, role=Role.OPD_ADMIN, org_unit=opd, reason="uji")
    return admin


def details(opd: OrgUnit, competencies: list[Competency] | None = None, **overrides: Any) -> Any:
    fields: dict[str, Any] = {
        "opd": opd,
        "year": YEAR,
        "title": "Pelatihan Pengelolaan Keuangan Daerah",
        "competencies": competencies or [],
        "target_jabatan": ["Analis", "Bendahara Pengeluaran"],
        "participant_count": 30,
        "jp": Decimal("24"),
        "training_form": "klasikal",
        "budget": Decimal("45000000"),
        "starts_on": dt.date(YEAR, 3, 10),
        "ends_on": dt.date(YEAR, 3, 13),
        "justification": "Banyak bendahara belum menguasai penatausahaan keuangan daerah.",
    }
    fields.update(overrides)
    return ProposalDetails(**fields)


def draft(actor: Employee, opd: OrgUnit, competencies: list[Competency], **o: Any) -> Any:
    return services.proposal_create(actor=actor, details=details(opd, competencies, **o))


def submitted(actor: Employee, opd: OrgUnit, competencies: list[Competency], **o: Any) -> Any:
    return services.proposal_submit(actor=actor, proposal=draft(actor, opd, competencies, **o))


def pairs() -> list[tuple[int, int, str]]:
    return list(
        ProposalDuplicate.objects.order_by("pk").values_list("first_id", "second_id", "status")
    )


def actions(instance: Any) -> list[str]:
    return list(
        ModelLogEntry.objects.for_instance(instance).order_by("pk").values_list("action", flat=True)
    )


@pytest.fixture
def world(pemda: dict[str, Any], dictionary: dict[str, Competency]) -> dict[str, Any]:
    """The Pemda with an OPD admin for OPD B too, and the dictionary."""
    return {**pemda, "admin_b": admin_of(pemda["opd_b"], "Admin Kesehatan"), "c": dictionary}


# --- Drafting and submitting ----------------------------------------------------------------------


def test_opd_admin_drafts_edits_and_submits(world: dict[str, Any]) -> None:
    c = world["c"]
    proposal = draft(world["admin_a"], world["opd_a"], [c["TEK-01"]])
    assert proposal.status == Status.DRAFT
    assert proposal.created_by == world["admin_a"]
    assert list(proposal.competencies.all()) == [c["TEK-01"]]
    assert proposal.target_jabatan == ["Analis", "Bendahara Pengeluaran"]

    changed = services.proposal_update(
        actor=world["admin_a"], proposal=proposal,
        details=details(
            world["opd_a"], [c["TEK-01"], c["MAN-01"]], title="  Pelatihan   Keuangan ",
            target_jabatan=["analis", " Analis ", "Bendahara  Pengeluaran", ""],
        ),
    )  # fmt: skip
    assert changed.title == "Pelatihan Keuangan"
    # Jabatan are one entry each however they are spelled; the first spelling stays.
    assert changed.target_jabatan == ["analis", "Bendahara Pengeluaran"]
    assert set(changed.competencies.all()) == {c["TEK-01"], c["MAN-01"]}

    done = services.proposal_submit(actor=world["admin_a"], proposal=changed)
    assert done.status == Status.SUBMITTED
    assert done.submitted_at is not None
    assert actions(done) == ["sinau.proposal.submit"]
    # Submitted: read-only for the OPD.
    with pytest.raises(ValidationError, match="sedang diperiksa"):
        services.proposal_update(
            actor=world["admin_a"], proposal=done, details=details(world["opd_a"], [c["TEK-01"]])
        )
    with pytest.raises(ValidationError):
        services.proposal_submit(actor=world["admin_a"], proposal=done)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"ends_on": dt.date(YEAR, 3, 1)}, "ends_on"),  # before the start
        ({"starts_on": dt.date(YEAR - 1, 12, 30)}, "starts_on"),  # outside the year
        ({"ends_on": dt.date(YEAR + 1, 1, 2)}, "ends_on"),
        ({"jp": Decimal("0")}, "jp"),
        ({"jp": Decimal("0.2")}, "jp"),
        ({"jp": Decimal("1.255")}, "jp"),
        ({"jp": Decimal("1000")}, "jp"),
        ({"budget": Decimal("-1")}, "budget"),
        ({"budget": Decimal("10.5")}, "budget"),
        ({"participant_count": 0}, "participant_count"),
        ({"competencies": []}, "competencies"),
        ({"target_jabatan": [" ", ""]}, "target_jabatan"),
        ({"title": "   "}, "title"),
        ({"justification": " \n "}, "justification"),
        ({"training_form": "daring"}, "training_form"),
        ({"year": 1999, "starts_on": dt.date(1999, 1, 1), "ends_on": dt.date(1999, 1, 2)}, "year"),
    ],
)
def test_bad_details_are_refused_with_the_field_and_nothing_is_written(
    world: dict[str, Any], overrides: dict[str, Any], field: str
) -> None:
    fields = {"competencies": [world["c"]["TEK-01"]], **overrides}
    with pytest.raises(ValidationError) as caught:
        services.proposal_create(actor=world["admin_a"], details=details(world["opd_a"], **fields))
    assert field in caught.value.error_dict
    assert not TrainingProposal.objects.exists()


def test_inactive_competency_and_non_opd_unit_are_refused(world: dict[str, Any]) -> None:
    c = world["c"]
    c["TEK-02"].is_active = False
    c["TEK-02"].save()
    with pytest.raises(ValidationError) as caught:
        draft(world["admin_a"], world["opd_a"], [c["TEK-02"]])
    assert "competencies" in caught.value.error_dict
    with pytest.raises(ValidationError) as caught:
        draft(world["admin_a"], world["unit_a"], [c["TEK-01"]])
    assert "opd" in caught.value.error_dict


def test_who_may_propose_and_change(world: dict[str, Any]) -> None:
    c = world["c"]
    # Another OPD, an auditor, a learner: not theirs to propose.
    for actor in (world["admin_b"], world["auditor"], world["learner"]):
        with pytest.raises(PermissionDenied):
            draft(actor, world["opd_a"], [c["TEK-01"]])
    # A superuser proposes for any OPD.
    assert draft(world["superuser"], world["opd_a"], [c["TEK-01"]]).opd == world["opd_a"]
    proposal = draft(world["admin_a"], world["opd_a"], [c["TEK-01"]])
    for actor in (world["admin_b"], world["auditor"], world["learner"]):
        with pytest.raises(PermissionDenied):
            services.proposal_submit(actor=actor, proposal=proposal)
        with pytest.raises(PermissionDenied):
            services.proposal_update(
                actor=actor, proposal=proposal, details=details(world["opd_a"], [c["TEK-01"]])
            )
    # An OPD admin cannot move a proposal to another OPD.
    with pytest.raises(PermissionDenied):
        services.proposal_update(
            actor=world["admin_a"], proposal=proposal,
            details=details(world["opd_b"], [c["TEK-01"]]),
        )  # fmt: skip
    proposal.refresh_from_db()
    assert proposal.status == Status.DRAFT
    assert proposal.opd == world["opd_a"]


def test_only_bkpsdm_decides_and_auditors_may(world: dict[str, Any], catalogue: Any) -> None:
    c = world["c"]
    proposal = submitted(world["admin_a"], world["opd_a"], [c["TEK-01"]])
    for actor in (world["admin_a"], world["admin_b"], world["learner"]):
        with pytest.raises(PermissionDenied):
            services.proposal_approve(actor=actor, proposal=proposal, outcome="course")
        with pytest.raises(PermissionDenied):
            services.proposal_return(actor=actor, proposal=proposal, reason="x")
        with pytest.raises(PermissionDenied):
            services.proposal_reject(actor=actor, proposal=proposal, reason="x")
    approved = services.proposal_approve(
        actor=world["auditor"], proposal=proposal, outcome="course"
    )
    assert approved.status == Status.APPROVED
    assert approved.decided_by == world["auditor"]


# --- AKPK figures ---------------------------------------------------------------------------------


def test_submission_freezes_the_opds_akpk_gap_figures(
    world: dict[str, Any], make_akpk: Any
) -> None:
    c = world["c"]
    staff_a, staff_b = world["staff_a"], world["staff_b"]
    # "Analis" requires TEK-01 at 3, TEK-02 at 4, MAN-01 at 3.
    make_akpk(staff_a[0], YEAR, {"TEK-01": 1, "TEK-02": 2, "MAN-01": 3})  # gaps 2, 2, 0
    make_akpk(staff_a[1], YEAR, {"TEK-01": 2, "TEK-02": 4})  # gaps 1, 0
    make_akpk(staff_a[2], YEAR, {"TEK-01": 3, "TEK-02": 1})  # gaps 0, 3
    newcomer = EmployeeFactory.create(org_unit=world["unit_a"])
    make_akpk(newcomer, YEAR - 1, {"TEK-01": 1})  # another year: not counted
    make_akpk(staff_b[0], YEAR, {"TEK-01": 1})  # another OPD: not counted

    proposal = submitted(world["admin_a"], world["opd_a"], [c["TEK-01"], c["TEK-02"], c["MAN-01"]])
    summary = proposal.gap_summary
    assert summary["year"] == YEAR
    assert summary["akpk"] == 3
    assert summary["employees"] == 3  # distinct: staff 0 has two gaps, counted once
    rows = {row["code"]: row for row in summary["competencies"]}
    assert rows["TEK-01"]["employees"] == 2
    assert rows["TEK-01"]["average_gap"] == "1.50"
    assert rows["TEK-02"]["employees"] == 2
    assert rows["TEK-02"]["average_gap"] == "2.50"
    assert rows["MAN-01"] == {
        "id": c["MAN-01"].pk, "code": "MAN-01", "name": "Integritas", "employees": 0,
        "average_gap": None,
    }  # fmt: skip
    assert not selectors.no_akpk_gap(proposal)


def test_a_proposal_without_akpk_gaps_is_allowed_and_flagged(world: dict[str, Any]) -> None:
    proposal = submitted(world["admin_a"], world["opd_a"], [world["c"]["SK-01"]])
    assert proposal.status == Status.SUBMITTED
    assert proposal.gap_summary["employees"] == 0
    assert selectors.no_akpk_gap(proposal)
    # A draft has no frozen figures and no flag.
    assert not selectors.no_akpk_gap(draft(world["admin_a"], world["opd_a"], [world["c"]["SK-01"]]))


# --- Duplicates stored ----------------------------------------------------------------------------


def test_submitting_stores_pairs_with_other_opds_only(world: dict[str, Any]) -> None:
    c = world["c"]
    a = submitted(world["admin_a"], world["opd_a"], [c["TEK-01"]])
    # The same OPD's second proposal is its own business.
    a2 = submitted(world["admin_a"], world["opd_a"], [c["TEK-01"]], title="Diklat Keuangan")
    # Another year: another programme.
    submitted(
        world["admin_b"], world["opd_b"], [c["TEK-01"]], year=YEAR + 1,
        starts_on=dt.date(YEAR + 1, 3, 10), ends_on=dt.date(YEAR + 1, 3, 13),
    )  # fmt: skip
    # A draft of OPD B is not compared until submitted.
    b = draft(
        world["admin_b"], world["opd_b"], [c["TEK-01"]],
        title="Bimtek pengelolaan keuangan daerah bagi bendahara",
        target_jabatan=["Bendahara Pengeluaran"],
        starts_on=dt.date(YEAR, 3, 12), ends_on=dt.date(YEAR, 3, 12),
    )  # fmt: skip
    assert pairs() == []
    b = services.proposal_submit(actor=world["admin_b"], proposal=b)
    assert pairs() == [(a.pk, b.pk, "open"), (a2.pk, b.pk, "open")]
    pair = ProposalDuplicate.objects.get(first=a, second=b)
    assert [r["code"] for r in pair.reasons] == [
        "competencies",
        "participants",
        "schedule",
        "title",
    ]
    assert Decimal("0") < pair.score <= Decimal("1")
    assert selectors.open_duplicate_counts([a.pk, a2.pk, b.pk]) == {a.pk: 1, a2.pk: 1, b.pk: 2}


def test_resubmission_updates_and_removes_open_pairs_but_keeps_decided_ones(
    world: dict[str, Any], catalogue: Any
) -> None:
    c = world["c"]
    a = submitted(world["admin_a"], world["opd_a"], [c["TEK-01"]])
    a2 = submitted(
        world["admin_a"], world["opd_a"], [c["TEK-01"]], title="Penatausahaan Bendahara",
        starts_on=dt.date(YEAR, 3, 20), ends_on=dt.date(YEAR, 3, 21),
    )  # fmt: skip
    b = submitted(world["admin_b"], world["opd_b"], [c["TEK-01"]])
    assert len(pairs()) == 2
    dismissed = ProposalDuplicate.objects.get(first=a2, second=b)
    services.proposal_duplicate_dismiss(actor=world["auditor"], pair=dismissed)

    # Returned, B moves its training to another competency and to the autumn.
    services.proposal_return(actor=world["auditor"], proposal=b, reason="Perjelas sasaran.")
    b.refresh_from_db()
    services.proposal_update(
        actor=world["admin_b"], proposal=b,
        details=details(
            world["opd_b"], [c["TEK-03"]], title="Pengadaan Barang dan Jasa Pemerintah",
            starts_on=dt.date(YEAR, 10, 1), ends_on=dt.date(YEAR, 10, 2),
        ),
    )  # fmt: skip
    services.proposal_submit(actor=world["admin_b"], proposal=b)
    # The open pair with A is gone; the one BKPSDM dismissed stays as decided.
    assert pairs() == [(a2.pk, b.pk, "dismissed")]

    # Back to a near copy of A: the pair comes back with today's reasons.
    services.proposal_return(actor=world["auditor"], proposal=b, reason="Kembali.")
    services.proposal_update(
        actor=world["admin_b"], proposal=b,
        details=details(world["opd_b"], [c["TEK-01"], c["MAN-01"]]),
    )  # fmt: skip
    services.proposal_submit(actor=world["admin_b"], proposal=b)
    pair = ProposalDuplicate.objects.get(first=a, second=b)
    assert pair.status == "open"
    codes = [r["code"] for r in pair.reasons]
    assert codes[:2] == ["title_identical", "competencies"]
    assert pair.reasons[1]["value"] == 0.5


def test_rejecting_drops_open_pairs(world: dict[str, Any]) -> None:
    c = world["c"]
    a = submitted(world["admin_a"], world["opd_a"], [c["TEK-01"]])
    submitted(world["admin_b"], world["opd_b"], [c["TEK-01"]])
    services.proposal_reject(actor=world["auditor"], proposal=a, reason="Sudah ada di provinsi.")
    assert pairs() == []
    assert actions(a) == ["sinau.proposal.submit", "sinau.proposal.reject"]


def test_dismissing_a_pair(world: dict[str, Any]) -> None:
    c = world["c"]
    submitted(world["admin_a"], world["opd_a"], [c["TEK-01"]])
    submitted(world["admin_b"], world["opd_b"], [c["TEK-01"]])
    pair = ProposalDuplicate.objects.get()
    with pytest.raises(PermissionDenied):
        services.proposal_duplicate_dismiss(actor=world["admin_a"], pair=pair)
    services.proposal_duplicate_dismiss(actor=world["auditor"], pair=pair, note="Beda sasaran.")
    pair.refresh_from_db()
    assert (pair.status, pair.decided_by) == ("dismissed", world["auditor"])
    assert actions(pair) == ["sinau.proposal.not_duplicate"]
    with pytest.raises(ValidationError, match="sudah diputuskan"):
        services.proposal_duplicate_dismiss(actor=world["auditor"], pair=pair)
    assert selectors.duplicate_queue().count() == 0


def test_merging_keeps_one_programme_serving_both_opds(world: dict[str, Any]) -> None:
    c = world["c"]
    a = submitted(world["admin_a"], world["opd_a"], [c["TEK-01"]])
    b = submitted(world["admin_b"], world["opd_b"], [c["TEK-01"]], participant_count=12)
    # A third OPD with its own near copy.
    opd_c = OrgUnitFactory.child(world["root"], "Dinas Sosial", OrgUnit.Kind.OPD)
    c3 = submitted(admin_of(opd_c), opd_c, [c["TEK-01"]])
    assert len(pairs()) == 3
    pair_ab = ProposalDuplicate.objects.get(first=a, second=b)
    with pytest.raises(ValidationError, match="salah satu"):
        services.proposal_duplicate_merge(actor=world["auditor"], pair=pair_ab, keep_id=c3.pk)

    stays = services.proposal_duplicate_merge(
        actor=world["auditor"], pair=pair_ab, keep_id=a.pk, note="Satu angkatan gabungan."
    )
    assert stays.pk == a.pk
    b.refresh_from_db()
    assert (b.status, b.merged_into_id, b.decided_by) == (Status.MERGED, a.pk, world["auditor"])
    # B's other open pair is moot; A's stays for BKPSDM.
    assert pairs() == [(a.pk, b.pk, "merged"), (a.pk, c3.pk, "open")]
    assert actions(a)[-1] == actions(b)[-1] == "sinau.proposal.merge"
    served = selectors.served_opds(proposal=a)
    assert [p.opd.name for p in served] == ["Dinas Pendidikan", "Dinas Kesehatan"]

    # C merged into A as well, keeping C: A (and B with it) now belong to C's programme.
    pair_ac = ProposalDuplicate.objects.get(first=a, second=c3)
    services.proposal_duplicate_merge(actor=world["superuser"], pair=pair_ac, keep_id=c3.pk)
    assert set(TrainingProposal.objects.filter(merged_into=c3).values_list("pk", flat=True)) == {
        a.pk, b.pk,
    }  # fmt: skip


def test_an_approved_or_rejected_proposal_is_never_merged_away(
    world: dict[str, Any], catalogue: Any
) -> None:
    c = world["c"]
    a = submitted(world["admin_a"], world["opd_a"], [c["TEK-01"]])
    b = submitted(world["admin_b"], world["opd_b"], [c["TEK-01"]])
    pair = ProposalDuplicate.objects.get()
    services.proposal_approve(actor=world["auditor"], proposal=a, outcome="classroom")
    with pytest.raises(ValidationError, match="sudah diputuskan"):
        services.proposal_duplicate_merge(actor=world["auditor"], pair=pair, keep_id=b.pk)
    b.refresh_from_db()
    assert b.status == Status.SUBMITTED
    assert pairs() == [(a.pk, b.pk, "open")]
    # The approved one may stay, and B joins its programme.
    services.proposal_duplicate_merge(actor=world["auditor"], pair=pair, keep_id=a.pk)
    b.refresh_from_db()
    assert b.status == Status.MERGED


# --- Decisions ------------------------------------------------------------------------------------


def test_approval_drafts_one_unpublished_course_with_the_competencies(
    world: dict[str, Any], catalogue: CatalogueIndexPage
) -> None:
    c = world["c"]
    JabatanStandard.objects.create(
        jabatan="Bendahara Pengeluaran", competency=c["TEK-01"], required_level=4
    )
    long_reason = "Bendahara di sekolah belum tertib menatausahakan BOS. " * 12
    proposal = submitted(
        world["admin_a"], world["opd_a"], [c["MAN-01"], c["TEK-01"], c["TEK-03"]],
        jp=Decimal("16.5"), justification=long_reason,
    )  # fmt: skip
    approved = services.proposal_approve(
        actor=world["superuser"], proposal=proposal, outcome="course", note="Lanjutkan."
    )
    course = CoursePage.objects.get()
    assert approved.course_id == course.pk
    assert (approved.status, approved.outcome) == (Status.APPROVED, "course")
    assert not course.live
    assert course.get_parent().pk == catalogue.pk
    assert course.latest_revision is not None
    assert course.title == "Pelatihan Pengelolaan Keuangan Daerah"
    assert course.jp_credited == Decimal("16.5")
    assert course.training_form == "non_klasikal"
    # Two teknis competencies to one manajerial: a teknis course.
    assert course.competency_type == "teknis"
    assert len(course.summary) <= services.SUMMARY_LENGTH
    assert course.summary.startswith("Bendahara di sekolah")
    assert course.summary.endswith("…")
    levels = {
        row.competency.code: row.level
        for row in CourseCompetency.objects.filter(course=course).select_related("competency")
    }
    # TEK-01: Analis 3, Bendahara Pengeluaran 4 -> 4. MAN-01: Analis 3. TEK-03: no standard.
    assert levels == {"TEK-01": 4, "MAN-01": 3, "TEK-03": services.DEFAULT_LEVEL}
    # The draft's revision carries the competency rows, so Wagtail's editor shows them.
    revised = course.latest_revision.as_object()
    assert {cc.competency_id for cc in revised.competency_levels.all()} == {
        c["TEK-01"].pk, c["MAN-01"].pk, c["TEK-03"].pk,
    }  # fmt: skip
    assert actions(approved) == ["sinau.proposal.submit", "sinau.proposal.approve"]

    # Approving twice: refused, still one draft.
    with pytest.raises(ValidationError, match="sudah disetujui"):
        services.proposal_approve(actor=world["superuser"], proposal=proposal, outcome="course")
    assert CoursePage.objects.count() == 1


def test_classroom_outcome_makes_a_klasikal_draft(
    world: dict[str, Any], catalogue: CatalogueIndexPage
) -> None:
    c = world["c"]
    proposal = submitted(world["admin_a"], world["opd_a"], [c["MAN-02"]])
    services.proposal_approve(actor=world["auditor"], proposal=proposal, outcome="classroom")
    course = CoursePage.objects.get()
    assert (course.training_form, course.competency_type) == ("klasikal", "manajerial")
    assert CourseCompetency.objects.get(course=course).level == 2  # Analis requires MAN-02 at 2


def test_approval_needs_a_live_catalogue_and_a_known_outcome(
    world: dict[str, Any], catalogue: CatalogueIndexPage
) -> None:
    proposal = submitted(world["admin_a"], world["opd_a"], [world["c"]["TEK-01"]])
    with pytest.raises(ValidationError) as caught:
        services.proposal_approve(actor=world["auditor"], proposal=proposal, outcome="kursus")
    assert "outcome" in caught.value.error_dict
    Page.objects.filter(pk=catalogue.pk).update(live=False)
    with pytest.raises(ValidationError, match="katalog"):
        services.proposal_approve(actor=world["auditor"], proposal=proposal, outcome="course")
    proposal.refresh_from_db()
    assert proposal.status == Status.SUBMITTED
    assert not CoursePage.objects.exists()


def test_return_and_reject_need_a_reason_and_a_submitted_proposal(world: dict[str, Any]) -> None:
    c = world["c"]
    proposal = submitted(world["admin_a"], world["opd_a"], [c["TEK-01"]])
    with pytest.raises(ValidationError) as caught:
        services.proposal_return(actor=world["auditor"], proposal=proposal, reason="  ")
    assert "reason" in caught.value.error_dict
    returned = services.proposal_return(
        actor=world["auditor"], proposal=proposal, reason="Tambahkan rincian anggaran."
    )
    assert (returned.status, returned.decision_note) == (
        Status.RETURNED,
        "Tambahkan rincian anggaran.",
    )
    # Returned: BKPSDM waits for the OPD.
    with pytest.raises(ValidationError, match="dikembalikan"):
        services.proposal_reject(actor=world["auditor"], proposal=proposal, reason="x")
    # The OPD edits and submits again: the decision is cleared, the history keeps it.
    resubmitted = services.proposal_submit(actor=world["admin_a"], proposal=returned)
    assert (resubmitted.status, resubmitted.decision_note) == (Status.SUBMITTED, "")
    assert actions(proposal) == [
        "sinau.proposal.submit", "sinau.proposal.return", "sinau.proposal.submit",
    ]  # fmt: skip
    services.proposal_reject(actor=world["auditor"], proposal=proposal, reason="Tidak prioritas.")
    proposal.refresh_from_db()
    assert proposal.status == Status.REJECTED
    # Rejected: neither editable nor decidable again.
    with pytest.raises(ValidationError, match="sudah ditolak"):
        services.proposal_return(actor=world["auditor"], proposal=proposal, reason="x")
    with pytest.raises(ValidationError):
        services.proposal_submit(actor=world["admin_a"], proposal=proposal)


def test_scope_of_the_list_and_the_reads(world: dict[str, Any]) -> None:
    c = world["c"]
    a = draft(world["admin_a"], world["opd_a"], [c["TEK-01"]])
    b = draft(world["admin_b"], world["opd_b"], [c["TEK-01"]])
    from lms.people.selectors import scope_for

    scope_a = scope_for(world["admin_a"])
    assert list(selectors.proposal_list(scope=scope_a)) == [a]
    with pytest.raises(TrainingProposal.DoesNotExist):
        selectors.proposal_get(scope=scope_a, pk=b.pk)
    assert set(selectors.proposal_list(scope=scope_for(world["auditor"]))) == {a, b}
    assert list(selectors.proposal_list(scope=scope_for(world["learner"]))) == []
    assert list(selectors.proposal_opds(scope=scope_a)) == [world["opd_a"]]
    counts = selectors.proposal_status_counts(scope=scope_a)
    assert counts["draft"] == 1
    assert sum(counts.values()) == 1


def test_jabatan_suggestions_come_from_the_opd_and_the_standards(world: dict[str, Any]) -> None:
    EmployeeFactory.create(org_unit=world["unit_a"], jabatan="Bendahara  Pengeluaran")
    EmployeeFactory.create(org_unit=world["unit_b"], jabatan="Perawat Ahli Muda")
    suggestions = selectors.jabatan_suggestions(opds=[world["opd_a"]])
    assert suggestions[0] == "Analis"  # held by most of OPD A
    assert "Bendahara Pengeluaran" in suggestions
    assert "Kepala Seksi" in suggestions  # from the standards
    assert "Perawat Ahli Muda" not in suggestions  # OPD B's


# --- Concurrency (PostgreSQL) ---------------------------------------------------------------------


@pytest.mark.postgres
def test_two_opds_submitting_the_same_programme_at_once_are_paired(
    transactional_db: None, pemda: dict[str, Any], dictionary: dict[str, Competency]
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is tested on PostgreSQL (set DATABASE_URL)")
    admin_b = admin_of(pemda["opd_b"])
    drafts = [
        draft(pemda["admin_a"], pemda["opd_a"], [dictionary["TEK-01"]]),
        draft(admin_b, pemda["opd_b"], [dictionary["TEK-01"]]),
    ]
    actors = [pemda["admin_a"], admin_b]
    results, failures = at_once(
        2, lambda i: services.proposal_submit(actor=actors[i], proposal=drafts[i]).pk
    )
    assert not failures, failures
    assert len(pairs()) == 1
