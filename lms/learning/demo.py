"""Demo hours: the demo learner's record holds last years' and this year's training, the
Dinas Pendidikan admin finds external trainings waiting for verification and a mentoring
waiting for approval. Made through the services, as people would; safe to run twice."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from lms.people.models import Employee, OrgUnit, Role, RoleAssignment

from .external.services import ExternalDetails, external_submit, external_verify
from .mentoring.services import (
    mentoring_assign,
    mentoring_session_log,
    mentoring_sign_off,
)
from .models import ExternalTraining, JenisDiklat, MentoringAssignment

# A one-page PDF, small and valid: what a scanned STTPP would be, without the weight.
DEMO_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def _evidence(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, DEMO_PDF, content_type="application/pdf")


def _jenis(code: int) -> JenisDiklat | None:
    return JenisDiklat.objects.filter(code=code).first()


def seed_demo_ledger(*, learner_nip: str, admin_nip: str) -> None:
    learner = Employee.objects.filter(nip=learner_nip).first()
    admin_role = (
        RoleAssignment.objects.filter(employee__nip=admin_nip, role=Role.OPD_ADMIN)
        .select_related("employee", "org_unit")
        .first()
    )
    auditor = Employee.objects.filter(role_assignments__role=Role.AUDITOR).first()
    if learner is None or admin_role is None or auditor is None:
        return
    if ExternalTraining.objects.filter(employee=learner).exists():
        return
    today = timezone.localdate()
    # The learner's history, verified by BKPSDM: a record with more than one year in it.
    history = [
        ("Pelatihan Dasar CPNS", "BPSDM Provinsi", 1, today.year - 3, Decimal("40"), "klasikal"),
        ("Bimtek Pelayanan Kesehatan Primer", "Dinas Kesehatan Provinsi", 8, today.year - 1,
         Decimal("16"), "klasikal"),
        ("Webinar Etika ASN", "Kementerian PANRB", 9, today.year, Decimal("4"), "non_klasikal"),
    ]  # fmt: skip
    for i, (title, organiser, code, year, jp, form) in enumerate(history):
        day = min(dt.date(year, 3 + i, 10), today)
        record = external_submit(
            actor=learner,
            details=ExternalDetails(
                title=title,
                organiser=organiser,
                jenis=_jenis(code),
                started_on=day,
                ended_on=day,
                jp=jp,
                competency_type="teknis",
                form=form,
                certificate_number=f"800/{100 + i}/SERT/{year}",
            ),  # fmt: skip
            evidence=_evidence(f"sertifikat-{i + 1}.pdf"),
        )
        external_verify(actor=auditor, record=record, note="")
    # Waiting for the Dinas Pendidikan admin: two teachers' trainings, one a likely duplicate.
    unit: OrgUnit | None = admin_role.org_unit
    if unit is None:
        return
    staff = list(
        Employee.objects.filter(org_unit__path__startswith=unit.path, is_active=True)
        .exclude(pk=admin_role.employee_id)
        .order_by("nip")[:3]
    )
    if len(staff) < 3:
        return
    day = today - dt.timedelta(days=14)
    for teacher, number in ((staff[0], "421/77/DISDIK"), (staff[1], "421.77-DISDIK")):
        external_submit(
            actor=teacher,
            details=ExternalDetails(
                title="Workshop Kurikulum Merdeka",
                organiser="LPMP Provinsi",
                jenis=_jenis(4),
                started_on=day,
                ended_on=day + dt.timedelta(days=1),
                jp=Decimal("10"),
                competency_type="teknis",
                form="klasikal",
                certificate_number=number,
            ),  # fmt: skip
            evidence=_evidence("sertifikat-workshop.pdf"),
        )
    # A mentoring the mentor has signed off, waiting for the admin's approval.
    if not MentoringAssignment.objects.filter(mentee=staff[2]).exists():
        start = today - dt.timedelta(days=30)
        assignment = mentoring_assign(
            actor=admin_role.employee, mentor_nip=staff[0].nip, mentee_nip=staff[2].nip,
            topic="Penyusunan modul ajar", jp=Decimal("6"), competency_type="teknis",
            starts_on=start, ends_on=today, jenis=_jenis(15),
        )  # fmt: skip
        for week in (1, 2, 3):
            mentoring_session_log(
                actor=staff[0], assignment=assignment, held_on=start + dt.timedelta(weeks=week),
                minutes=90, notes=f"Pertemuan {week}: telaah dan perbaikan modul ajar.",
            )  # fmt: skip
        mentoring_sign_off(
            actor=staff[0], assignment=assignment,
            summary="Peserta mampu menyusun modul ajar sesuai Kurikulum Merdeka.",
        )  # fmt: skip
