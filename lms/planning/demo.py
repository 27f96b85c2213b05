"""Demo planning: a competency dictionary with the standards of the demo's jabatan, the
demo courses tied to the competencies they build, atasan for every employee, this year's
AKPK at every stage, and OPD training proposals with one likely duplicate pair.

The AKPK and the proposals go through the services, as people would make them; a fixed
random seed keeps the figures the same, and a second run changes nothing.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.db import transaction

from courses.models import CoursePage
from lms.people.demo import ACCOUNTS
from lms.people.models import Employee, OrgUnit

from .akpk.services import akpk_assess, akpk_open, akpk_self_assess, current_year, opd_submit
from .models import (
    AKPK,
    AKPKSubmission,
    Competency,
    CourseCompetency,
    JabatanStandard,
    TrainingProposal,
)
from .proposals.services import ProposalDetails, proposal_create, proposal_submit

# The eight manajerial competencies and the sosial kultural one are PermenPANRB 38/2017's;
# the teknis ones are what the demo OPDs' work needs.
DICTIONARY = [
    ("MNJ-01", "Integritas", "manajerial"),
    ("MNJ-02", "Kerja sama", "manajerial"),
    ("MNJ-03", "Komunikasi", "manajerial"),
    ("MNJ-04", "Orientasi pada hasil", "manajerial"),
    ("MNJ-05", "Pelayanan publik", "manajerial"),
    ("MNJ-06", "Pengembangan diri dan orang lain", "manajerial"),
    ("MNJ-07", "Mengelola perubahan", "manajerial"),
    ("MNJ-08", "Pengambilan keputusan", "manajerial"),
    ("SKL-01", "Perekat bangsa", "sosial_kultural"),
    ("TKN-01", "Pengelolaan keuangan daerah", "teknis"),
    ("TKN-02", "Tata naskah dinas elektronik", "teknis"),
    ("TKN-03", "Pelayanan kesehatan primer", "teknis"),
    ("TKN-04", "Pengadaan barang/jasa pemerintah", "teknis"),
    ("TKN-05", "Keamanan informasi", "teknis"),
    ("TKN-06", "Pembelajaran di kelas", "teknis"),
]
LEVEL_TEXT = {
    "1": "Memahami dasar-dasarnya dan melakukannya dengan bimbingan.",
    "2": "Melakukannya sendiri pada tugas rutin.",
    "3": "Melakukannya pada tugas yang beragam dan membimbing rekan.",
    "4": "Mengembangkan cara kerja unit dan menjadi rujukan OPD.",
    "5": "Menjadi rujukan Pemda dan menetapkan arah kebijakannya.",
}
BASE = {"MNJ-01": 2, "MNJ-02": 2, "MNJ-03": 2, "MNJ-05": 2, "SKL-01": 2, "TKN-02": 2}
STANDARDS: dict[str, dict[str, int]] = {
    "Analis Kebijakan Ahli Muda": {**BASE, "MNJ-04": 3, "MNJ-08": 3, "MNJ-01": 3},
    "Pranata Komputer Ahli Pertama": {**BASE, "TKN-05": 3},
    "Guru Ahli Pertama": {**BASE, "TKN-06": 3, "MNJ-06": 2},
    "Perawat Terampil": {**BASE, "TKN-03": 3, "MNJ-05": 3},
    "Pengadministrasi Perkantoran": {**BASE, "TKN-02": 3},
    "Penata Layanan Operasional": {**BASE, "MNJ-05": 3},
    "Kepala Sub Bagian Umum": {**BASE, "TKN-01": 3, "TKN-04": 3, "MNJ-04": 3, "MNJ-06": 3},
    "Kepala Bidang": {
        **BASE, "MNJ-01": 4, "MNJ-03": 3, "MNJ-04": 4, "MNJ-06": 3, "MNJ-07": 3,
        "MNJ-08": 4, "TKN-01": 3,
    },
}  # fmt: skip
COURSE_LEVELS = {
    "integritas-asn": {"MNJ-01": 3, "SKL-01": 2},
    "pelayanan-publik-prima": {"MNJ-05": 3, "MNJ-03": 2},
    "tata-naskah-dinas-elektronik": {"TKN-02": 3},
    "pengelolaan-keuangan-daerah": {"TKN-01": 4},
}
HEADS = ("Kepala Bidang", "Kepala Sub Bagian Umum")
DEMO_LEARNER_NIP = next(a.nip for a in ACCOUNTS if a.label == "Peserta")


def _dictionary() -> dict[str, Competency]:
    found = {}
    for code, name, kind in DICTIONARY:
        found[code], _created = Competency.objects.get_or_create(
            code=code,
            defaults={
                "name": name, "competency_type": kind, "level_descriptions": LEVEL_TEXT,
                "description": f"Kemampuan {name.lower()} sesuai tugas jabatan.",
            },
        )  # fmt: skip
    for jabatan, levels in STANDARDS.items():
        for code, level in levels.items():
            if not JabatanStandard.objects.filter(jabatan=jabatan, competency=found[code]).exists():
                JabatanStandard.objects.create(
                    jabatan=jabatan, competency=found[code], required_level=level
                )
    return found


def _course_levels(found: dict[str, Competency]) -> None:
    """Tie the demo courses to what they build, as a new published revision (an editor's
    next edit starts from it)."""
    for slug, levels in COURSE_LEVELS.items():
        course = CoursePage.objects.filter(slug=slug).first()
        if course is None or CourseCompetency.objects.filter(course=course).exists():
            continue
        for code, level in levels.items():
            course.competency_levels.add(CourseCompetency(competency=found[code], level=level))
        course.save_revision().publish()


def _supervisors(learner_nip: str, atasan_nip: str) -> None:
    """In each OPD, the first head is every other employee's atasan langsung; the demo
    learner's atasan is the demo atasan account."""
    atasan = Employee.objects.filter(nip=atasan_nip).first()
    Employee.objects.filter(nip=learner_nip, supervisor=None).update(supervisor=atasan)
    for opd in OrgUnit.objects.filter(kind=OrgUnit.Kind.OPD):
        staff = Employee.objects.filter(opd.subtree_filter("org_unit__"), is_active=True)
        head = staff.filter(jabatan__in=HEADS).order_by("nip").first()
        if head is None:
            continue
        staff.exclude(pk=head.pk).filter(supervisor=None).exclude(nip=atasan_nip).update(
            supervisor=head
        )


def _levels_near(akpk: AKPK, rng: random.Random, shift: int) -> dict[int, int]:
    if akpk.employee.nip == DEMO_LEARNER_NIP:
        # The demo learner is one level short everywhere, whatever the year: their
        # dashboard always has courses to recommend.
        return {item.pk: max(1, item.required_level - 1) for item in akpk.items.all()}
    return {
        item.pk: max(1, min(5, item.required_level + rng.choice((-2, -1, -1, 0, 0, 1)) + shift))
        for item in akpk.items.all()
    }


def _akpk(year: int, learner_nip: str) -> None:
    """Most employees filled theirs; most of those were assessed by their atasan."""
    employees = (
        Employee.objects.filter(is_active=True, jabatan__in=list(STANDARDS))
        .select_related("supervisor", "org_unit")
        .order_by("nip")
    )
    for employee in employees:
        if AKPK.objects.filter(employee=employee, year=year).exists():
            continue
        # One generator per employee: a second run decides the same for each.
        rng = random.Random(f"{year}-{employee.nip}")  # noqa: S311 (demo figures, not secrets)
        if employee.nip != learner_nip and rng.random() < 0.25:
            continue  # has not started yet
        akpk = akpk_open(employee=employee, year=year)
        if employee.supervisor is None:
            continue
        submit = employee.nip == learner_nip or rng.random() < 0.85
        akpk_self_assess(
            akpk=akpk, actor=employee, levels=_levels_near(akpk, rng, 0), submit=submit
        )
        if not submit or (employee.nip != learner_nip and rng.random() < 0.2):
            continue  # waiting for the atasan
        akpk_assess(
            akpk=akpk, actor=employee.supervisor, levels=_levels_near(akpk, rng, -1),
            performance_rating=rng.choice(["sangat_baik", "baik", "baik", "butuh_perbaikan"]),
        )  # fmt: skip


PROPOSALS = [
    # OPD, title, competency codes, target jabatan, participants, JP, form, budget, month
    ("Dinas Pendidikan", "Bimtek Pengelolaan Keuangan Daerah bagi Bendahara Sekolah",
     ["TKN-01"], ["Kepala Sub Bagian Umum", "Pengadministrasi Perkantoran"], 40, "24",
     "klasikal", 45_000_000, 4),
    ("Dinas Kesehatan", "Pelatihan Pengelolaan Keuangan Daerah",
     ["TKN-01"], ["Kepala Sub Bagian Umum", "Pengadministrasi Perkantoran"], 30, "24",
     "klasikal", 38_000_000, 4),
    ("Dinas Komunikasi dan Informatika", "Pelatihan Keamanan Informasi untuk Pranata Komputer",
     ["TKN-05"], ["Pranata Komputer Ahli Pertama"], 20, "16", "non_klasikal", 12_000_000, 6),
    ("Dinas Kesehatan", "Pelatihan Pelayanan Kesehatan Primer",
     ["TKN-03", "MNJ-05"], ["Perawat Terampil"], 50, "32", "klasikal", 60_000_000, 8),
]  # fmt: skip


def _proposals(year: int, found: dict[str, Competency]) -> None:
    superuser = Employee.objects.filter(is_superuser=True).order_by("pk").first()
    if superuser is None or TrainingProposal.objects.filter(year=year).exists():
        return
    opds = {u.name: u for u in OrgUnit.objects.filter(kind=OrgUnit.Kind.OPD)}
    for i, (opd, title, codes, jabatan, count, jp, form, budget, month) in enumerate(PROPOSALS):
        if opd not in opds:
            continue
        start = dt.date(year, month, 6 + i)
        proposal = proposal_create(
            actor=superuser,
            details=ProposalDetails(
                opd=opds[opd], year=year, title=title,
                competencies=[found[c] for c in codes], target_jabatan=jabatan,
                participant_count=count, jp=Decimal(jp), training_form=form,
                budget=Decimal(budget), starts_on=start, ends_on=start + dt.timedelta(days=2),
                justification="Kesenjangan kompetensi pada AKPK OPD tahun ini.",
            ),
        )  # fmt: skip
        if i < 3:  # the last one stays a draft of its OPD
            proposal_submit(actor=superuser, proposal=proposal)


@transaction.atomic
def seed_demo_planning(*, learner_nip: str, atasan_nip: str) -> None:
    found = _dictionary()
    _course_levels(found)
    _supervisors(learner_nip, atasan_nip)
    year = current_year()
    _akpk(year, learner_nip)
    _proposals(year, found)
    # One OPD has already sent its AKPK, so BKPSDM's view has something to return.
    inspektorat = OrgUnit.objects.filter(kind=OrgUnit.Kind.OPD, name="Inspektorat Daerah").first()
    superuser = Employee.objects.filter(is_superuser=True).order_by("pk").first()
    if (
        inspektorat is not None
        and superuser is not None
        and not AKPKSubmission.objects.filter(opd=inspektorat, year=year).exists()
        and AKPK.objects.filter(opd=inspektorat, year=year, status=AKPK.Status.ASSESSED).exists()
    ):
        opd_submit(opd=inspektorat, year=year, actor=superuser)
