"""One of each thing, owned in OPD A, for the authorisation matrix.

Roles (``ROLES``): ``anon``; ``owner`` (a plain learner of OPD A whose enrolment, attempt,
certificate, external training, mentoring and AKPK these are); ``learner`` (a colleague
in the same unit: another learner's things are not theirs); ``supervisor`` (the owner's
atasan: an employee with a subordinate, no admin role); ``admin_a`` (OPD A's admin);
``admin_b`` (OPD B's admin, looking at OPD A's things); ``auditor`` (BKPSDM, read-only,
everything); ``superuser``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from django.utils import timezone
from knox.models import AuthToken

from lms.assessments import services as assessments
from lms.certificates.demo import seed_demo_certificate_template
from lms.certificates.models import CertificateBundle
from lms.certificates.services import certificate_issue
from lms.classroom.evaluation.services import default_questionnaire
from lms.classroom.models import Attendance, Cohort, Series, Session
from lms.interop.models import OutboxMessage
from lms.learning import services as learning
from lms.learning.models import (
    Enrolment,
    ExternalTraining,
    JPEntry,
    JPTarget,
    MentoringAssignment,
)
from lms.people.models import EmployeeImport, Role, RoleAssignment
from lms.people.services import role_grant
from lms.planning.models import (
    AKPK,
    AKPKItem,
    AKPKSubmission,
    CentreImport,
    Competency,
    JabatanStandard,
    ProposalDuplicate,
    TrainingProposal,
)
from lms.reports.models import ReportExport
from lms.reports.selectors import KIND_EMPLOYEES
from lms.reports.siasn import KIND as KIND_SIASN
from tests.factories import EmployeeFactory, make_pemda

ROLES = ("anon", "owner", "learner", "supervisor", "admin_a", "admin_b", "auditor", "superuser")


def build_world(course_with: Any, quiz: Any, video: Any) -> dict[str, Any]:
    """The people (by role) and every object a URL of the project names, as URL kwargs."""
    p = make_pemda()
    owner, colleague, atasan = p["staff_a"]
    owner.supervisor = atasan
    owner.save(update_fields=["supervisor"])
    admin_b = EmployeeFactory.create(
        org_unit=p["opd_b"], full_name="Admin Kesehatan", is_staff=True
    )
    role_grant(actor=None, employee=admin_b, role=Role.OPD_ADMIN, org_unit=p["opd_b"], reason="uji")
    people = {
        "owner": owner, "learner": colleague, "supervisor": atasan, "admin_a": p["admin_a"],
        "admin_b": admin_b, "auditor": p["auditor"], "superuser": p["superuser"],
    }  # fmt: skip
    year = timezone.localdate().year
    today = timezone.localdate()

    course = course_with(
        [("text", "<p>Pengantar</p>"), ("video", {"video": video})],
        [("text", "<p>Bacaan</p>"), ("quiz", {"quiz": quiz, "required_to_pass": True})],
        title="Etika ASN",
    )
    modules = list(course.modules())
    enrolment = learning.enrolment_request(actor=owner, course=course)
    learning.module_start(actor=owner, enrolment=enrolment, module=modules[0])
    attempt = assessments.attempt_start(actor=owner, quiz=quiz)
    done = learning.enrolment_request(
        actor=owner, course=course_with([("text", "<p>Isi</p>")], title="Kursus Selesai")
    )
    done = learning.enrolment_complete(enrolment=done, actor=None)
    certificate = certificate_issue(enrolment=done, actor=None)
    entry = JPEntry.objects.filter(employee=owner).first() or JPEntry.objects.create(
        employee=owner, year=year, jp=Decimal(2), competency_type="teknis", form="klasikal",
        source_type="manual", source_id=1, earned_on=today,
    )  # fmt: skip
    external = ExternalTraining.objects.create(
        employee=owner, title="Bimtek Uji", organiser="BPSDM Provinsi", started_on=today,
        ended_on=today, jp=Decimal(4), competency_type="teknis", form="klasikal",
        evidence="bukti-pelatihan/uji.pdf", submitted_at=timezone.now(),
    )  # fmt: skip
    mentoring = MentoringAssignment.objects.create(
        mentor=atasan, mentee=owner, topic="SOP", jp=Decimal(2), competency_type="teknis",
        starts_on=today, ends_on=today + dt.timedelta(days=30), assigned_by=p["admin_a"],
    )  # fmt: skip
    competency = Competency.objects.create(
        code="TEK-01", name="Tata Naskah", competency_type="teknis"
    )
    other_competency = Competency.objects.create(
        code="TEK-02", name="Arsip Digital", competency_type="teknis"
    )
    JabatanStandard.objects.create(jabatan=owner.jabatan, competency=competency, required_level=2)
    # Not in the AKPK yet: what a need added by POST would name.
    addable = Competency.objects.create(code="TEK-03", name="Kearsipan", competency_type="teknis")
    akpk = AKPK.objects.create(
        employee=owner, year=year, org_unit=owner.org_unit, opd=p["opd_a"], jabatan=owner.jabatan,
    )  # fmt: skip
    item = AKPKItem.objects.create(akpk=akpk, competency=other_competency, required_level=0)
    submission = AKPKSubmission.objects.create(
        opd=p["opd_a"], year=year - 1, status=AKPKSubmission.Status.SUBMITTED,
        submitted_by=p["admin_a"], submitted_at=timezone.now(),
    )  # fmt: skip
    centre = CentreImport.objects.create(
        year=year, original_name="ac.csv", requested_by=p["superuser"]
    )
    proposals = [
        TrainingProposal.objects.create(
            opd=opd,
            year=year + 1,
            title="Pelatihan Arsip Digital",
            participant_count=20,
            jp=Decimal(16),
            training_form="klasikal",
            starts_on=today,
            ends_on=today,
            justification="Kesenjangan",
            created_by=admin,
        )  # fmt: skip
        for opd, admin in ((p["opd_a"], p["admin_a"]), (p["opd_b"], admin_b))
    ]
    pair = ProposalDuplicate.objects.create(
        first=proposals[0], second=proposals[1], score=Decimal("0.9")
    )
    export = ReportExport.objects.create(requested_by=p["admin_a"], kind=KIND_EMPLOYEES)
    siasn = ReportExport.objects.create(requested_by=p["admin_a"], kind=KIND_SIASN)
    bundle = CertificateBundle.objects.create(requested_by=p["auditor"], course=course)
    message = OutboxMessage.objects.create(
        kind=OutboxMessage.Kind.HR_CREDIT, payload={"entry_id": entry.pk}, dedupe_key="jp:uji",
        status=OutboxMessage.Status.FAILED,
    )  # fmt: skip
    employee_import = EmployeeImport.objects.create(
        file="imports/uji.csv", original_name="uji.csv", requested_by=p["admin_a"]
    )
    role = RoleAssignment.objects.get(employee=p["admin_a"])
    # Classroom: the owner is in an angkatan whose first session has begun, and attended a
    # session of a weekly programme (the session the URLs name).
    now = timezone.now()
    classroom = course_with([("text", "<p>Isi</p>")], title="Kursus Klasikal")
    cohort = Cohort.objects.create(
        course=classroom, name="Angkatan I", enrolment_policy="open", starts_on=today,
        ends_on=today + dt.timedelta(days=30),
    )  # fmt: skip
    Enrolment.objects.create(employee=owner, course=classroom, cohort=cohort, source="self")
    cohort_session = Session.objects.create(
        cohort=cohort, title="Sesi 1", starts_at=now - dt.timedelta(minutes=10),
        ends_at=now + dt.timedelta(hours=2), jp=Decimal(2),
    )  # fmt: skip
    series = Series.objects.create(
        title="Kamis Belajar", first_on=today, last_on=today, start_time=dt.time(8),
        end_time=dt.time(10), jp_per_session=Decimal(2),
    )  # fmt: skip
    session = Session.objects.create(
        series=series, title="Kamis Belajar #1", starts_at=now - dt.timedelta(minutes=5),
        ends_at=now + dt.timedelta(hours=2), jp=Decimal(2),
    )  # fmt: skip
    Attendance.objects.create(
        session=session, employee=owner, status="present", method="qr", checked_in_at=now
    )
    questionnaire = default_questionnaire()
    question = quiz.rules.first().question
    token, _key = AuthToken.objects.create(user=owner)
    jp_target = JPTarget.objects.create(year=year, employment_type="", minimum=Decimal(20))
    template = seed_demo_certificate_template()
    standard = JabatanStandard.objects.get(competency=competency)
    # Wagtail admin viewsets and snippets: the object each one's ``pk`` names.
    admin_pk = {
        "jp_target": jp_target.pk, "sertifikat": certificate.pk,
        "kamus_kompetensi": competency.pk, "standar_kompetensi_jabatan": standard.pk,
        "assessments_question": question.pk, "assessments_questionbank": question.bank_id,
        "assessments_questioncategory": question.category_id, "assessments_quiz": quiz.pk,
        "certificates_certificatetemplate": template.pk, "videos_video": video.pk,
        "people:role_revoke": role.pk, "people:import_detail": employee_import.pk,
        "people:import_apply": employee_import.pk,
        "angkatan": cohort.pk, "program_berulang": series.pk, "sesi": cohort_session.pk,
        "classroom_questionnaire": questionnaire.pk,
    }  # fmt: skip

    kwargs = {
        "nip": owner.nip, "employee_id": owner.pk, "pk": role.pk, "video_id": video.pk,
        "upload_id": uuid.uuid4(), "token": "tidak-sah", "name": "360p/seg-0.ts",
        "height": 360, "course_id": course.pk, "enrolment_id": enrolment.pk,
        "module_id": modules[0].pk, "quiz_id": quiz.pk, "attempt_id": attempt.pk,
        "question_id": question.pk, "entry_id": entry.pk, "record_id": external.pk,
        "assignment_id": mentoring.pk, "certificate_id": certificate.pk,
        "code": certificate.code, "bundle_id": bundle.pk, "unit_id": p["unit_a"].pk,
        "export_id": export.pk, "siasn_id": siasn.pk, "table": "pegawai", "fmt": "csv",
        "competency_id": competency.pk, "akpk_id": akpk.pk, "item_id": item.pk,
        "submission_id": submission.pk, "import_id": centre.pk, "proposal_id": proposals[0].pk,
        "pair_id": pair.pk, "message_id": message.pk, "parent_page_id": course.pk,
        "page_id": course.pk, "token_key": token.token_key, "cohort_id": cohort.pk,
        "session_id": session.pk,
    }  # fmt: skip
    post_data = {
        "learning:approval_decide": {"decision": "approve"},
        "planning:akpk_need_add": {"competency": addable.pk},
    }
    return {
        "people": people, "kwargs": kwargs, "admin_pk": admin_pk, "post_data": post_data,
        "pemda": p, "course": course, "modules": modules, "certificate": certificate,
    }  # fmt: skip
