"""The demo Pemda's hours: the learner's record spans years; the Dinas Pendidikan admin
finds trainings to verify (one flagged as a likely duplicate) and a mentoring to approve."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.urls import reverse
from django.utils import timezone

from lms.learning.demo import seed_demo_ledger
from lms.learning.models import ExternalTraining, JPYearTotal, MentoringAssignment
from lms.people.demo import ACCOUNTS, seed_demo_pemda
from lms.people.models import Employee


def test_the_demo_ledger_gives_every_role_something_to_see(db: None, client: Any) -> None:
    seed_demo_pemda(employees=30)
    learner = next(a for a in ACCOUNTS if a.role is None and not a.superuser)
    admin = next(a for a in ACCOUNTS if a.role == "opd_admin")
    seed_demo_ledger(learner_nip=learner.nip, admin_nip=admin.nip)
    seed_demo_ledger(learner_nip=learner.nip, admin_nip=admin.nip)  # twice changes nothing
    year = timezone.localdate().year
    years = dict(JPYearTotal.objects.filter(employee__nip=learner.nip).values_list("year", "total"))
    assert years[year - 3] == Decimal("40")
    assert years[year] == Decimal("4")
    waiting = ExternalTraining.objects.filter(status=ExternalTraining.Status.SUBMITTED)
    assert waiting.count() == 2
    assert any(record.duplicate_of for record in waiting)
    assert MentoringAssignment.objects.get().status == MentoringAssignment.Status.SIGNED_OFF
    client.force_login(Employee.objects.get(nip=admin.nip))
    queue = client.get(reverse("learning:external_queue")).content.decode()
    assert queue.count("Workshop Kurikulum Merdeka") >= 2
