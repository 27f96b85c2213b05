"""The demo's planning: every role finds something to look at, and a second run of the
seed changes nothing."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from courses.demo import seed_demo_catalogue
from lms.people.demo import ACCOUNTS, seed_demo_pemda
from lms.people.models import Employee
from lms.planning.demo import seed_demo_planning
from lms.planning.models import AKPK, ProposalDuplicate, TrainingProposal
from tests.conftest import ensure_wagtail_root


def test_the_demo_plans_give_every_role_something_to_see(db: None, client: Any) -> None:
    ensure_wagtail_root()
    seed_demo_pemda(employees=60)
    seed_demo_catalogue()
    learner = next(a for a in ACCOUNTS if a.label == "Peserta")
    atasan = next(a for a in ACCOUNTS if a.jabatan == "Kepala Bidang")
    seed_demo_planning(learner_nip=learner.nip, atasan_nip=atasan.nip)
    counts = (AKPK.objects.count(), TrainingProposal.objects.count())
    seed_demo_planning(learner_nip=learner.nip, atasan_nip=atasan.nip)
    assert (AKPK.objects.count(), TrainingProposal.objects.count()) == counts

    statuses = set(AKPK.objects.values_list("status", flat=True))
    assert statuses == {AKPK.Status.DRAFT, AKPK.Status.SELF_SUBMITTED, AKPK.Status.ASSESSED}
    # The two OPDs' finance trainings are one programme waiting for BKPSDM's eye.
    pair = ProposalDuplicate.objects.select_related("first", "second").get()
    assert {pair.first.opd.name, pair.second.opd.name} == {"Dinas Pendidikan", "Dinas Kesehatan"}

    # The learner was assessed by the demo atasan and is recommended courses.
    me = Employee.objects.get(nip=learner.nip)
    assert me.supervisor is not None
    assert me.supervisor.nip == atasan.nip
    assert AKPK.objects.get(employee=me).status == AKPK.Status.ASSESSED
    client.force_login(me)
    dashboard = client.get(reverse("learning:dashboard")).content.decode()
    assert "Kursus yang direkomendasikan" in dashboard
    assert "Pelayanan Publik Prima" in dashboard  # Perawat Terampil's standard asks MNJ-05 at 3
