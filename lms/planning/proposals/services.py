"""OPD training proposals: an OPD admin drafts a proposal and submits it to BKPSDM, with the
OPD's AKPK figures as its justification; BKPSDM approves it (an unpublished course draft is
created in the catalogue), returns it for revision with a reason, or rejects it. Likely
duplicates across OPDs are stored as pairs when a proposal is submitted; BKPSDM marks a pair
"bukan duplikat" or merges one proposal into the other, so one programme serves both OPDs.

Every action is one transaction, names its actor and writes the audit log where the state
matters. Bad input raises a ``ValidationError`` (keyed by field where there is one) before
anything is written; acting out of scope raises ``PermissionDenied``.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Max, Q
from django.utils import formats, timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from courses.models import CatalogueIndexPage, CompetencyType, CoursePage, TrainingForm
from lms.core.audit import audit_record
from lms.people.models import Employee, OrgUnit
from lms.people.selectors import scope_for
from lms.planning.models import (
    Competency,
    CourseCompetency,
    JabatanStandard,
    ProposalDuplicate,
    TrainingProposal,
    jabatan_key,
)
from lms.planning.permissions import require_bkpsdm

from . import duplicates, selectors

Status = TrainingProposal.Status
Outcome = TrainingProposal.Outcome

# The smallest JP a course credits (a quarter of a 45-minute hour: the CoursePage minimum),
# and the largest the field holds.
MIN_JP = Decimal("0.25")
MAX_JP = Decimal("999.99")
# More participants than a regional government employs is a typing slip.
MAX_PARTICIPANTS = 100_000
# The budget field's 15 digits.
MAX_BUDGET = 10**15 - 1
# A proposal is for this year or one of the next few: the planning horizon of a Renstra.
YEARS_AHEAD = 5
MAX_JABATAN = 50
MAX_JUSTIFICATION = 10_000
MAX_REASON = 2_000
# The catalogue shows a course's summary as one or two sentences.
SUMMARY_LENGTH = 300
# A course's competency level when no target jabatan's standard names the competency:
# level 2 is the dictionary's "can do it with guidance", the usual aim of a first training.
DEFAULT_LEVEL = 2
# Namespace of the PostgreSQL advisory lock that serialises duplicate checks of one year
# ("10" for the issue that introduced it, "1" for proposals).
DUPLICATE_LOCK_NAMESPACE = 101

DECISION_FIELDS = ["status", "decided_by", "decided_at", "decision_note", "updated_at"]


@dataclass(frozen=True)
class ProposalDetails:
    """What an OPD says about the training it proposes."""

    opd: OrgUnit
    year: int
    title: str
    competencies: list[Competency]
    target_jabatan: list[str]
    participant_count: int
    jp: Decimal
    training_form: str
    budget: Decimal
    starts_on: dt.date
    ends_on: dt.date
    justification: str


def details_of(proposal: TrainingProposal) -> ProposalDetails:
    return ProposalDetails(
        opd=proposal.opd, year=proposal.year, title=proposal.title,
        competencies=list(proposal.competencies.all()),
        target_jabatan=list(proposal.target_jabatan or []),
        participant_count=proposal.participant_count, jp=proposal.jp,
        training_form=proposal.training_form, budget=proposal.budget,
        starts_on=proposal.starts_on, ends_on=proposal.ends_on,
        justification=proposal.justification,
    )  # fmt: skip


# --- Rules -------------------------------------------------------------------------------------


def clean_jabatan(names: list[str]) -> list[str]:
    """Spacing tidied, empties dropped, one entry per jabatan (as ``jabatan_key`` matches
    them), in the order given."""
    seen: dict[str, str] = {}
    for name in names:
        tidy = " ".join(str(name).split())[:255]
        key = jabatan_key(tidy)
        if key:
            seen.setdefault(key, tidy)
    return list(seen.values())


def _check(details: ProposalDetails) -> dict[str, list[str]]:
    """Every rule a proposal must meet, by field, so the form shows all of them at once."""
    errors: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    this_year = timezone.localdate().year
    if not this_year <= details.year <= this_year + YEARS_AHEAD:
        add(
            "year",
            _("Tahun pelaksanaan antara %(first)s dan %(last)s.")
            % {"first": this_year, "last": this_year + YEARS_AHEAD},
        )
    if details.opd.kind != OrgUnit.Kind.OPD:
        add("opd", _("Pilih OPD pengusul."))
    if not details.title.strip():
        add("title", _("Isi judul pelatihan."))
    elif len(details.title.strip()) > 255:
        add("title", _("Judul paling panjang 255 karakter."))
    if not details.competencies:
        add("competencies", _("Pilih sedikitnya satu kompetensi dari kamus."))
    inactive = [c.code for c in details.competencies if not c.is_active]
    if inactive:
        add(
            "competencies",
            _("Kompetensi %(codes)s tidak aktif lagi di kamus; pilih yang lain.")
            % {"codes": ", ".join(inactive)},
        )
    jabatan = clean_jabatan(details.target_jabatan)
    if not jabatan:
        add("target_jabatan", _("Sebutkan sedikitnya satu jabatan sasaran."))
    elif len(jabatan) > MAX_JABATAN:
        add("target_jabatan", _("Paling banyak %(n)s jabatan sasaran.") % {"n": MAX_JABATAN})
    if details.participant_count < 1:
        add("participant_count", _("Jumlah peserta sedikitnya 1."))
    elif details.participant_count > MAX_PARTICIPANTS:
        add(
            "participant_count",
            _("Jumlah peserta paling banyak %(n)s.")
            % {"n": formats.number_format(MAX_PARTICIPANTS, force_grouping=True)},
        )
    if details.jp < MIN_JP:
        add("jp", _("JP sedikitnya 0,25."))
    elif details.jp > MAX_JP:
        add("jp", _("JP paling banyak 999,99."))
    elif details.jp != details.jp.quantize(Decimal("0.01")):
        add("jp", _("JP paling banyak dua angka di belakang koma."))
    if details.training_form not in TrainingForm.values:
        add("training_form", _("Pilih bentuk pelatihan: klasikal atau non-klasikal."))
    if details.budget < 0:
        add("budget", _("Anggaran tidak boleh negatif."))
    elif details.budget > MAX_BUDGET:
        add("budget", _("Anggaran terlalu besar."))
    elif details.budget != details.budget.to_integral_value():
        add("budget", _("Tulis anggaran dalam Rupiah tanpa sen."))
    if details.starts_on > details.ends_on:
        add("ends_on", _("Tanggal selesai tidak boleh sebelum tanggal mulai."))
    first, last = selectors.year_bounds(details.year) if 1 <= details.year <= 9999 else (None, None)
    if first and last:
        for name, day in (("starts_on", details.starts_on), ("ends_on", details.ends_on)):
            if not first <= day <= last:
                add(
                    name,
                    _("Jadwal harus di dalam tahun pelaksanaan %(year)s.") % {"year": details.year},
                )
    if not details.justification.strip():
        add("justification", _("Tuliskan justifikasi: kesenjangan kompetensi yang ditutup."))
    elif len(details.justification) > MAX_JUSTIFICATION:
        add("justification", _("Justifikasi terlalu panjang."))
    return errors


def _apply(proposal: TrainingProposal, details: ProposalDetails) -> None:
    proposal.opd = details.opd
    proposal.year = details.year
    proposal.title = " ".join(details.title.split())[:255]
    proposal.target_jabatan = clean_jabatan(details.target_jabatan)
    proposal.participant_count = details.participant_count
    proposal.jp = details.jp
    proposal.training_form = details.training_form
    proposal.budget = details.budget
    proposal.starts_on = details.starts_on
    proposal.ends_on = details.ends_on
    proposal.justification = details.justification.strip()


def _validated(proposal: TrainingProposal, details: ProposalDetails) -> None:
    errors = _check(details)
    if errors:
        raise ValidationError(errors)
    _apply(proposal, details)
    proposal.full_clean(exclude=["gap_summary", "course", "merged_into", "decided_by"])


def _require_proposer(actor: Employee, opd: OrgUnit) -> None:
    """Proposing takes a changing scope over the OPD: its admins, or a superuser."""
    scope = scope_for(actor)
    if not (scope.can_change and scope.covers_path(opd.path)):
        raise PermissionDenied(_("Anda tidak berwenang mengusulkan pelatihan untuk OPD ini."))


def require_editor(actor: Employee, proposal: TrainingProposal) -> None:
    """Changing (editing, submitting) a proposal: its OPD's admins and superusers."""
    scope = scope_for(actor)
    if not selectors.covers(scope, proposal):
        raise PermissionDenied(_("Usulan pelatihan ini di luar lingkup Anda."))
    if not scope.can_change:
        raise PermissionDenied(_("Anda hanya dapat membaca usulan ini."))


def edit_refusal(proposal: TrainingProposal) -> str:
    if proposal.status == Status.SUBMITTED:
        return _("Usulan ini sedang diperiksa BKPSDM dan tidak dapat diubah.")
    if proposal.status == Status.MERGED:
        return _("Usulan ini sudah digabung ke usulan lain dan tidak dapat diubah.")
    return _("Usulan yang sudah diputuskan tidak dapat diubah.")


def _when(moment: dt.datetime | None) -> str:
    if moment is None:
        return ""
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def decided_refusal(proposal: TrainingProposal) -> str:
    """Why a decision cannot be made now, naming who decided and when."""
    who = proposal.decided_by.name_with_gelar if proposal.decided_by else _("BKPSDM")
    when = _when(proposal.decided_at)
    if proposal.status == Status.APPROVED:
        return _("Usulan ini sudah disetujui oleh %(who)s pada %(when)s.") % {
            "who": who, "when": when,
        }  # fmt: skip
    if proposal.status == Status.REJECTED:
        return _("Usulan ini sudah ditolak oleh %(who)s pada %(when)s.") % {
            "who": who, "when": when,
        }  # fmt: skip
    if proposal.status == Status.RETURNED:
        return _("Usulan ini sudah dikembalikan ke OPD untuk direvisi; tunggu pengajuan ulang.")
    if proposal.status == Status.MERGED:
        return _("Usulan ini sudah digabung ke usulan lain.")
    return _("Usulan ini belum diajukan ke BKPSDM.")


# --- The OPD's actions ---------------------------------------------------------------------------


def proposal_create(*, actor: Employee, details: ProposalDetails) -> TrainingProposal:
    """A draft proposal of one of the actor's OPDs."""
    _require_proposer(actor, details.opd)
    proposal = TrainingProposal(created_by=actor)
    _validated(proposal, details)
    with transaction.atomic():
        proposal.save()
        proposal.competencies.set(details.competencies)
    return proposal


def proposal_update(
    *, actor: Employee, proposal: TrainingProposal, details: ProposalDetails
) -> TrainingProposal:
    """Edit a draft or a returned proposal; it keeps its status until submitted."""
    require_editor(actor, proposal)
    _require_proposer(actor, details.opd)
    # Checked on a copy, so that a refusal leaves the caller's object as it was.
    _validated(TrainingProposal(created_by=proposal.created_by), details)
    with transaction.atomic():
        locked = TrainingProposal.objects.select_for_update().get(pk=proposal.pk)
        if locked.status not in selectors.EDITABLE_STATUSES:
            raise ValidationError(edit_refusal(locked))
        _apply(locked, details)
        locked.save()
        locked.competencies.set(details.competencies)
    return locked


def _lock_year(year: int) -> None:
    """One duplicate check per year at a time: two OPDs submitting at the same moment would
    otherwise each miss the other (neither sees the other's uncommitted submission).
    SQLite takes one writer at a time already."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, %s)", [DUPLICATE_LOCK_NAMESPACE, int(year)]
            )


def proposal_submit(*, actor: Employee, proposal: TrainingProposal) -> TrainingProposal:
    """Send a draft (or a revised returned proposal) to BKPSDM: the OPD's AKPK figures are
    frozen into it, and it is compared with the other OPDs' proposals of the year."""
    require_editor(actor, proposal)
    with transaction.atomic():
        _lock_year(proposal.year)
        locked = (
            TrainingProposal.objects.select_for_update(of=("self",))
            .select_related("opd")
            .get(pk=proposal.pk)
        )
        if locked.status not in selectors.EDITABLE_STATUSES:
            raise ValidationError(edit_refusal(locked))
        errors = _check(details_of(locked))
        if errors:
            raise ValidationError(
                _("Lengkapi usulan sebelum diajukan: %(errors)s")
                % {"errors": " ".join(m for ms in errors.values() for m in ms)}
            )
        competency_ids = list(locked.competencies.values_list("pk", flat=True))
        resubmission = locked.status == Status.RETURNED
        locked.gap_summary = selectors.akpk_gap_summary(
            opd_id=locked.opd_id, year=locked.year, competency_ids=competency_ids
        )
        locked.status = Status.SUBMITTED
        locked.submitted_at = timezone.now()
        locked.decided_by = None
        locked.decided_at = None
        locked.decision_note = ""
        locked.save()
        pairs = proposal_duplicates_refresh(proposal=locked)
        audit_record(
            actor=actor, action="sinau.proposal.submit", instance=locked,
            data={
                "resubmission": resubmission,
                "gap_employees": locked.gap_summary.get("employees", 0),
                "duplicates": [
                    p.second_id if p.first_id == locked.pk else p.first_id for p in pairs
                ],
            },
        )  # fmt: skip
    return locked


# --- Duplicates --------------------------------------------------------------------------------


def _other_id(pair: ProposalDuplicate, proposal_id: int) -> int:
    return pair.second_id if pair.first_id == proposal_id else pair.first_id


def proposal_duplicates_refresh(*, proposal: TrainingProposal) -> list[ProposalDuplicate]:
    """Compare a submitted proposal with the same year's proposals of other OPDs and store
    the likely duplicates: new pairs are created, open ones get today's score and reasons,
    open ones that no longer match are removed. Pairs BKPSDM already decided stay as they
    were. Returns the pairs that match now."""
    competency_ids = list(proposal.competencies.values_list("pk", flat=True))
    facts = selectors.facts_of(proposal, competency_ids)
    matches: dict[int, duplicates.Match] = {}
    for other in selectors.duplicate_candidates(proposal):
        match = duplicates.compare(facts, other)
        if match is not None:
            matches[other.id] = match
    existing = {
        _other_id(pair, proposal.pk): pair
        for pair in ProposalDuplicate.objects.filter(Q(first=proposal) | Q(second=proposal))
    }
    found = []
    for other_id, match in matches.items():
        pair = existing.get(other_id)
        if pair is None:
            first, second = sorted((proposal.pk, other_id))
            pair = ProposalDuplicate.objects.create(
                first_id=first, second_id=second, score=match.score, reasons=match.reasons
            )
        elif pair.status == ProposalDuplicate.Status.OPEN:
            pair.score = match.score
            pair.reasons = match.reasons
            pair.save(update_fields=["score", "reasons", "updated_at"])
        found.append(pair)
    stale = [
        pair.pk
        for other_id, pair in existing.items()
        if other_id not in matches and pair.status == ProposalDuplicate.Status.OPEN
    ]
    if stale:
        ProposalDuplicate.objects.filter(pk__in=stale).delete()
    return found


def _drop_open_pairs(proposal: TrainingProposal) -> None:
    """A proposal that is no programme any more (rejected, merged) leaves nothing to decide
    in its open pairs."""
    ProposalDuplicate.objects.filter(
        Q(first=proposal) | Q(second=proposal), status=ProposalDuplicate.Status.OPEN
    ).delete()


def _locked_pair(pair: ProposalDuplicate) -> ProposalDuplicate:
    locked = ProposalDuplicate.objects.select_for_update().get(pk=pair.pk)
    if locked.status != ProposalDuplicate.Status.OPEN:
        decided = locked.get_status_display()
        raise ValidationError(
            _("Pasangan ini sudah diputuskan (%(status)s).") % {"status": decided}
        )
    return locked


def proposal_duplicate_dismiss(
    *, actor: Employee, pair: ProposalDuplicate, note: str = ""
) -> ProposalDuplicate:
    """BKPSDM: the two proposals are different programmes. The pair stays decided; later
    resubmissions do not reopen it."""
    require_bkpsdm(actor)
    with transaction.atomic():
        locked = _locked_pair(pair)
        locked.status = ProposalDuplicate.Status.DISMISSED
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.save(update_fields=["status", "decided_by", "decided_at", "updated_at"])
        audit_record(
            actor=actor, action="sinau.proposal.not_duplicate", instance=locked,
            reason=note.strip()[:MAX_REASON],
            data={"first": locked.first_id, "second": locked.second_id, "score": str(locked.score)},
        )  # fmt: skip
    return locked


def merge_refusal(stays: TrainingProposal, goes: TrainingProposal) -> str | None:
    """Why ``goes`` cannot be merged into ``stays``, or None."""
    if goes.status in (Status.APPROVED, Status.REJECTED):
        return _(
            "Usulan %(title)s sudah diputuskan (%(status)s) sehingga tidak dapat digabung ke "
            "usulan lain. Pertahankan usulan itu dan gabungkan yang lain ke dalamnya, atau "
            "tandai bukan duplikat."
        ) % {"title": goes.title, "status": goes.get_status_display()}
    if goes.status not in (Status.SUBMITTED, Status.RETURNED):
        return _("Usulan %(title)s tidak dapat digabung (%(status)s).") % {
            "title": goes.title, "status": goes.get_status_display(),
        }  # fmt: skip
    if stays.status not in selectors.COMPARED_STATUSES:
        return _("Usulan %(title)s tidak dapat dipertahankan (%(status)s).") % {
            "title": stays.title, "status": stays.get_status_display(),
        }  # fmt: skip
    return None


def proposal_duplicate_merge(
    *, actor: Employee, pair: ProposalDuplicate, keep_id: int, note: str = ""
) -> TrainingProposal:
    """BKPSDM: one programme serves both OPDs. The kept proposal stays as it is; the other
    becomes ``merged`` into it, and so do the proposals already merged into that one.
    A proposal already approved or rejected is never the one merged away."""
    require_bkpsdm(actor)
    if keep_id not in (pair.first_id, pair.second_id):
        raise ValidationError(
            _("Pilih salah satu dari dua usulan pasangan ini untuk dipertahankan.")
        )
    goes_id = pair.second_id if keep_id == pair.first_id else pair.first_id
    with transaction.atomic():
        locked_pair = _locked_pair(pair)
        # Both rows locked in id order, so that two merges never wait on each other.
        rows = {
            p.pk: p
            for p in TrainingProposal.objects.select_for_update(of=("self",))
            .filter(pk__in=[keep_id, goes_id])
            .order_by("pk")
        }
        stays, goes = rows[keep_id], rows[goes_id]
        refusal = merge_refusal(stays, goes)
        if refusal:
            raise ValidationError(refusal)
        now = timezone.now()
        note = note.strip()[:MAX_REASON]
        goes.status = Status.MERGED
        goes.merged_into = stays
        goes.decided_by = actor
        goes.decided_at = now
        goes.decision_note = note
        goes.save(update_fields=[*DECISION_FIELDS, "merged_into"])
        TrainingProposal.objects.filter(merged_into=goes).update(merged_into=stays)
        locked_pair.status = ProposalDuplicate.Status.MERGED
        locked_pair.decided_by = actor
        locked_pair.decided_at = now
        locked_pair.save(update_fields=["status", "decided_by", "decided_at", "updated_at"])
        _drop_open_pairs(goes)
        audit_record(
            actor=actor, action="sinau.proposal.merge", instance=goes, reason=note,
            data={"into": stays.pk, "pair": locked_pair.pk},
        )  # fmt: skip
        audit_record(
            actor=actor, action="sinau.proposal.merge", instance=stays, reason=note,
            data={"merged": goes.pk, "opd": goes.opd_id, "pair": locked_pair.pk},
        )  # fmt: skip
    return stays


# --- BKPSDM's decisions --------------------------------------------------------------------------


def _locked_submitted(proposal: TrainingProposal) -> TrainingProposal:
    locked = (
        TrainingProposal.objects.select_for_update(of=("self",))
        .select_related("decided_by", "opd")
        .get(pk=proposal.pk)
    )
    if locked.status != Status.SUBMITTED:
        raise ValidationError(decided_refusal(locked))
    return locked


def course_summary(justification: str) -> str:
    """The justification cut to a catalogue summary, at a word."""
    text = " ".join(justification.split())
    if len(text) <= SUMMARY_LENGTH:
        return text
    cut = text[: SUMMARY_LENGTH - 1].rsplit(" ", 1)[0].rstrip(",.;:")
    return f"{cut}…"


def course_levels(proposal: TrainingProposal, competency_ids: list[int]) -> dict[int, int]:
    """Per competency, the highest level the target jabatan's standards require."""
    keys = [k for k in (jabatan_key(str(j)) for j in proposal.target_jabatan or []) if k]
    if not keys:
        return {}
    rows = (
        JabatanStandard.objects.filter(jabatan_key__in=keys, competency_id__in=competency_ids)
        .values("competency_id")
        .annotate(level=Max("required_level"))
        .order_by()
    )
    return {row["competency_id"]: row["level"] for row in rows}


def course_competencies(proposal: TrainingProposal) -> list[Competency]:
    """The proposal's competencies in the course's order: by the dictionary's type order
    (teknis, manajerial, sosial kultural, pemerintahan), then code."""
    order = {value: i for i, value in enumerate(CompetencyType.values)}
    return sorted(
        proposal.competencies.all(), key=lambda c: (order.get(c.competency_type, 99), c.code)
    )


def course_competency_type(competencies: list[Competency]) -> str:
    """The course's competency type: the one most of its competencies share; on a tie the
    first in the dictionary's type order (a finance training with an integrity component is
    teknis)."""
    if not competencies:
        return CompetencyType.TEKNIS
    counts = Counter(c.competency_type for c in competencies)
    best = max(counts.values())
    return next(c.competency_type for c in competencies if counts[c.competency_type] == best)


def _course_draft(
    proposal: TrainingProposal, outcome: str, catalogue: CatalogueIndexPage, actor: Employee
) -> CoursePage:
    competencies = course_competencies(proposal)
    levels = course_levels(proposal, [c.pk for c in competencies])
    base = slugify(proposal.title)[:60].strip("-") or "pelatihan"
    page = CoursePage(
        title=proposal.title[:255],
        slug=f"{base}-usulan-{proposal.pk}",
        summary=course_summary(proposal.justification),
        jp_credited=proposal.jp,
        training_form=(
            TrainingForm.KLASIKAL if outcome == Outcome.CLASSROOM else TrainingForm.NON_KLASIKAL
        ),
        competency_type=course_competency_type(competencies),
        owner=actor,
    )
    page.competency_levels = [
        CourseCompetency(
            competency=competency, level=levels.get(competency.pk, DEFAULT_LEVEL), sort_order=i
        )
        for i, competency in enumerate(competencies)
    ]
    # A draft: never live until its author publishes it from Wagtail.
    page.live = False
    catalogue.add_child(instance=page)
    page.save_revision(user=actor, log_action=True)
    return page


def proposal_approve(
    *, actor: Employee, proposal: TrainingProposal, outcome: str, note: str = ""
) -> TrainingProposal:
    """BKPSDM approves: in the same transaction an unpublished course (online, or classroom)
    is drafted in the catalogue from the proposal, once. A second approval is refused."""
    require_bkpsdm(actor)
    if outcome not in Outcome.values:
        raise ValidationError(
            {"outcome": [_("Pilih hasil persetujuan: draf kursus daring atau pelatihan klasikal.")]}
        )
    if selectors.catalogue_page() is None:
        raise ValidationError(
            _(
                "Belum ada halaman katalog kursus yang tayang, sehingga draf kursus tidak dapat "
                "dibuat. Buat dan terbitkan halaman Katalog di Wagtail, lalu setujui lagi."
            )
        )
    with transaction.atomic():
        locked = _locked_submitted(proposal)
        # The catalogue row locked and read afresh: two approvals at once would otherwise
        # give their drafts the same place in the page tree.
        catalogue = CatalogueIndexPage.objects.live().select_for_update().order_by("path").first()
        if catalogue is None:  # unpublished between the check and the lock
            raise ValidationError(_("Halaman katalog kursus tidak tersedia."))
        course = _course_draft(locked, outcome, catalogue, actor)
        locked.status = Status.APPROVED
        locked.outcome = outcome
        locked.course = course
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.decision_note = note.strip()[:MAX_REASON]
        locked.save(update_fields=[*DECISION_FIELDS, "outcome", "course"])
        audit_record(
            actor=actor, action="sinau.proposal.approve", instance=locked,
            reason=locked.decision_note, data={"outcome": outcome, "course": course.pk},
        )  # fmt: skip
    return locked


def _reason(reason: str, message: str) -> str:
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": [message]})
    return reason[:MAX_REASON]


def proposal_return(
    *, actor: Employee, proposal: TrainingProposal, reason: str
) -> TrainingProposal:
    """BKPSDM sends the proposal back with a reason; the OPD revises it and submits again."""
    require_bkpsdm(actor)
    reason = _reason(reason, _("Tuliskan apa yang perlu direvisi OPD."))
    with transaction.atomic():
        locked = _locked_submitted(proposal)
        locked.status = Status.RETURNED
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.decision_note = reason
        locked.save(update_fields=DECISION_FIELDS)
        audit_record(actor=actor, action="sinau.proposal.return", instance=locked, reason=reason)
    return locked


def proposal_reject(
    *, actor: Employee, proposal: TrainingProposal, reason: str
) -> TrainingProposal:
    """BKPSDM turns the proposal down with a reason; its open duplicate pairs go with it."""
    require_bkpsdm(actor)
    reason = _reason(reason, _("Tuliskan alasan penolakan untuk OPD."))
    with transaction.atomic():
        locked = _locked_submitted(proposal)
        locked.status = Status.REJECTED
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.decision_note = reason
        locked.save(update_fields=DECISION_FIELDS)
        _drop_open_pairs(locked)
        audit_record(actor=actor, action="sinau.proposal.reject", instance=locked, reason=reason)
    return locked
