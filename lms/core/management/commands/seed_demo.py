from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from courses.authoring import authoring_setup
from courses.demo import demo_instructor_assign, demo_video_module, seed_demo_catalogue
from lms.assessments.demo import seed_demo_quizzes
from lms.certificates.demo import seed_demo_certificate_template
from lms.classroom.demo import seed_demo_classroom
from lms.learning.demo import seed_demo_ledger
from lms.people.demo import seed_demo_pemda
from lms.planning.demo import seed_demo_planning
from lms.videos.demo import seed_demo_video


class Command(BaseCommand):
    help = "Load the demo Pemda (OPDs, ~200 ASN, role accounts, one course). Safe to run twice."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--employees", type=int, default=200)

    def handle(self, *args: Any, **options: Any) -> None:
        accounts = seed_demo_pemda(employees=options["employees"])
        course = seed_demo_catalogue()
        authoring_setup()  # after the catalogue exists: it grants permissions on it
        demo_instructor_assign(course=course)
        instructor = course.instructors.first()
        seed_demo_quizzes(course=course, owner=instructor)
        video = seed_demo_video(owner=instructor)
        demo_video_module(course=course, video=video)
        by_role = {a.role: a for a in accounts if a.role}
        learner = next(a for a in accounts if a.role is None and not a.superuser)
        seed_demo_certificate_template()
        seed_demo_ledger(learner_nip=learner.nip, admin_nip=by_role["opd_admin"].nip)
        atasan = next(a for a in accounts if a.jabatan == "Kepala Bidang")
        seed_demo_planning(learner_nip=learner.nip, atasan_nip=atasan.nip)
        classroom = seed_demo_classroom(learner_nip=learner.nip)
        self.stdout.write(self.style.SUCCESS(f"Demo Pemda ready: {settings.SINAU_PEMDA_NAME}"))
        self.stdout.write(f"Sample course: {course.title} ({course.url_path})")
        if classroom is not None:
            instructor = classroom.instructor
            self.stdout.write(
                f"Classroom: {classroom.cohort.name}, /angkatan/{classroom.cohort.pk}/ "
                f"(session 1 is on now; instructor: "
                f"{instructor.full_name + ' NIP ' + instructor.nip if instructor else '-'}; "
                f"learner {learner.label} enrolled)"
            )
        self.stdout.write("Demo logins (NIP or email; password for all below):")
        self.stdout.write(f"  password: {settings.SINAU_DEMO_PASSWORD}")
        for account in accounts:
            self.stdout.write(f"  {account.label:<30} NIP {account.nip}")
