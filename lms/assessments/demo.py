"""The demo's quizzes for `make run`: a shared question bank, a timed graded quiz in the
last module of the sample course, and that course's pre-test and post-test.

Found again on a second run: the bank and its questions by name, the quizzes by title. A
quiz is placed (in the module, on the course) only when it is created, so a second run
neither adds it twice nor undoes what an author changed since.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction

from courses.models import CoursePage, ModulePage
from lms.people.models import Employee

from .models import Question, QuestionBank, QuestionCategory, Quiz, QuizRule
from .services import question_save

BANK_TITLE = "Bank Soal Integritas ASN"
QUIZ_TITLE = "Kuis Integritas"
PRE_TEST_TITLE = "Pre-test Integritas ASN"
POST_TEST_TITLE = "Post-test Integritas ASN"

BERAKHLAK = "Nilai dasar BerAKHLAK"
ANTIKORUPSI = "Gratifikasi dan benturan kepentingan"
BANGKOM = "Pengembangan kompetensi ASN"


def _choice(choice_id: str, text: str, fraction: float | str, feedback: str = "") -> dict[str, Any]:
    return {"id": choice_id, "text": text, "fraction": fraction, "feedback": feedback}


# (category, name, kind, stem, general feedback, data). Texts follow the regulations they
# cite: SE MenPAN-RB 20/2021 (BerAKHLAK), UU 20/2001 Pasal 12B-12C (gratifikasi),
# PP 17/2020 Pasal 203 (20 JP a year).
QUESTIONS: list[tuple[str, str, str, str, str, dict[str, Any]]] = [
    (
        BERAKHLAK, "Makna nilai Akuntabel", Question.Kind.SINGLE,
        "<p>Dalam nilai dasar ASN BerAKHLAK, apa makna <b>Akuntabel</b>?</p>",
        "<p>BerAKHLAK: Berorientasi pelayanan, Akuntabel, Kompeten, Harmonis, Loyal, "
        "Adaptif, Kolaboratif.</p>",
        {
            "choices": [
                _choice("a", "Bertanggung jawab atas kepercayaan yang diberikan", 100,
                        "Tepat: termasuk bekerja jujur, cermat, disiplin dan berintegritas."),
                _choice("b", "Terus berinovasi dan antusias menghadapi perubahan", 0,
                        "Itu makna Adaptif."),
                _choice("c", "Saling peduli dan menghargai perbedaan", 0, "Itu makna Harmonis."),
                _choice("d", "Membangun kerja sama yang sinergis", 0, "Itu makna Kolaboratif."),
            ]
        },
    ),
    (
        BERAKHLAK, "Unsur BerAKHLAK", Question.Kind.MULTIPLE,
        "<p>Manakah yang termasuk nilai dasar ASN BerAKHLAK?</p>",
        "",
        {
            # Moodle's thirds: the three right answers add up to exactly 100%.
            "rule": "sum",
            "choices": [
                _choice("a", "Berorientasi pelayanan", "33.33333"),
                _choice("b", "Kompeten", "33.33333"),
                _choice("c", "Kolaboratif", "33.33334"),
                _choice("d", "Birokratis", -50, "Birokratis bukan nilai BerAKHLAK."),
                _choice("e", "Senioritas", -50, "Senioritas bukan nilai BerAKHLAK."),
            ],
        },
    ),
    (
        BERAKHLAK, "Nilai dan panduan perilakunya", Question.Kind.MATCHING,
        "<p>Jodohkan setiap nilai BerAKHLAK dengan panduan perilakunya.</p>",
        "",
        {
            "pairs": [
                {"id": "1", "prompt": "Berorientasi pelayanan",
                 "answer": "Memahami dan memenuhi kebutuhan masyarakat"},
                {"id": "2", "prompt": "Kompeten",
                 "answer": "Meningkatkan kompetensi diri untuk menjawab tantangan yang selalu "
                 "berubah"},
                {"id": "3", "prompt": "Loyal",
                 "answer": "Menjaga nama baik sesama ASN, pimpinan, instansi dan negara"},
            ],
            # A behaviour that is right, but for a value not asked about (Adaptif).
            "distractors": ["Cepat menyesuaikan diri menghadapi perubahan"],
        },
    ),
    (
        ANTIKORUPSI, "Batas waktu melaporkan gratifikasi", Question.Kind.TRUE_FALSE,
        "<p>Gratifikasi yang berhubungan dengan jabatan wajib dilaporkan kepada KPK paling "
        "lambat 30 hari kerja sejak diterima.</p>",
        "<p>Pasal 12C UU Nomor 20 Tahun 2001. Laporan juga dapat disampaikan melalui Unit "
        "Pengendalian Gratifikasi (UPG) instansi Anda.</p>",
        {
            "correct": True,
            "feedback_true": "Benar: 30 hari kerja sejak gratifikasi diterima.",
            "feedback_false": "Batasnya 30 hari kerja sejak gratifikasi diterima.",
        },
    ),
    (
        ANTIKORUPSI, "Istilah gratifikasi", Question.Kind.SHORT,
        "<p>Pemberian dalam arti luas kepada pegawai negeri, meliputi uang, barang, rabat, "
        "komisi, pinjaman tanpa bunga, tiket perjalanan, fasilitas penginapan dan fasilitas "
        "lainnya, disebut …</p>",
        "<p>Penjelasan Pasal 12B UU Nomor 20 Tahun 2001.</p>",
        {
            "answers": [{"text": "gratifikasi", "fraction": 100, "feedback": "Tepat."}],
            "case_sensitive": False,
        },
    ),
    (
        ANTIKORUPSI, "Benturan kepentingan dalam pengadaan", Question.Kind.SINGLE,
        "<p>Pak Dedi, pejabat pengadaan di sebuah OPD, mengetahui bahwa perusahaan milik adik "
        "kandungnya ikut dalam pengadaan yang ia tangani. Apa yang seharusnya ia lakukan?</p>",
        "",
        {
            "choices": [
                _choice("a", "Menyatakan benturan kepentingan kepada atasan dan tidak ikut "
                        "memutuskan pengadaan itu", 100, "Tepat."),
                _choice("b", "Tetap memproses seperti biasa asalkan penawaran adiknya paling "
                        "murah", 0, "Harga tidak menghapus benturan kepentingan."),
                _choice("c", "Meminta adiknya mundur tanpa memberi tahu siapa pun", 0,
                        "Benturan kepentingan tetap harus dinyatakan dan dicatat."),
                _choice("d", "Menyerahkan berkas adiknya kepada rekan satu tim", 0,
                        "Ia tetap berkepentingan; atasan yang memutuskan."),
            ]
        },
    ),
    (
        BANGKOM, "Lama satu JP", Question.Kind.NUMERIC,
        "<p>Satu jam pelajaran (JP) dalam pengembangan kompetensi ASN sama dengan berapa "
        "menit?</p>",
        "",
        {"answers": [{"value": 45, "tolerance": 0, "fraction": 100, "feedback": "Tepat."}]},
    ),
    (
        BANGKOM, "JP minimal setahun", Question.Kind.NUMERIC,
        "<p>Paling sedikit berapa JP pengembangan kompetensi yang wajib diikuti setiap PNS "
        "dalam satu tahun?</p>",
        "<p>Pasal 203 PP Nomor 17 Tahun 2020.</p>",
        {"answers": [{"value": 20, "tolerance": 0, "fraction": 100, "feedback": "Tepat."}]},
    ),
]  # fmt: skip

# One question of each kind, in this order (the attempt shuffles them).
QUIZ_QUESTIONS = [
    "Makna nilai Akuntabel",
    "Unsur BerAKHLAK",
    "Batas waktu melaporkan gratifikasi",
    "Istilah gratifikasi",
    "Lama satu JP",
    "Nilai dan panduan perilakunya",
]
# The pre-test and the post-test draw the same shape from the bank: 2 + 2 + 1 questions.
TEST_DRAWS = [(BERAKHLAK, 2), (ANTIKORUPSI, 2), (BANGKOM, 1)]

MODULE_TEXT = (
    "<h2>Apa itu gratifikasi?</h2>"
    "<p>Gratifikasi adalah pemberian dalam arti luas: uang, barang, rabat, komisi, pinjaman "
    "tanpa bunga, tiket perjalanan, fasilitas penginapan, perjalanan wisata, pengobatan "
    "cuma-cuma dan fasilitas lainnya.</p>"
    "<p>Gratifikasi yang berhubungan dengan jabatan dan berlawanan dengan tugas ASN dianggap "
    "suap, kecuali dilaporkan kepada KPK paling lambat 30 hari kerja sejak diterima.</p>"
    "<h2>Yang perlu Anda lakukan</h2>"
    "<ul><li>Tolak pemberian yang berkaitan dengan jabatan Anda.</li>"
    "<li>Bila tidak dapat menolak, laporkan melalui Unit Pengendalian Gratifikasi (UPG) "
    "instansi Anda atau langsung kepada KPK.</li>"
    "<li>Nyatakan benturan kepentingan kepada atasan sebelum mengambil keputusan.</li></ul>"
    "<p>Setelah membaca, kerjakan Kuis Integritas di bawah ini. Modul ini selesai setelah "
    "Anda lulus kuis (nilai minimal 70).</p>"
)


def _bank(owner: Employee | None) -> dict[str, Question]:
    """The shared bank's questions by name, the missing ones created."""
    bank = QuestionBank.objects.filter(title=BANK_TITLE, course__isnull=True).first()
    if bank is None:
        bank = QuestionBank.objects.create(
            title=BANK_TITLE, owner=owner,
            description="Soal bersama tentang nilai dasar ASN, antikorupsi dan JP; dipakai "
            "kuis dan pre-test/post-test kursus integritas.",
        )  # fmt: skip
    found = {q.name: q for q in bank.questions.all()}
    for category_name, name, kind, stem, general_feedback, data in QUESTIONS:
        if name in found:
            continue
        category, _created = QuestionCategory.objects.get_or_create(bank=bank, name=category_name)
        question = Question(
            bank=bank, category=category, kind=kind, name=name, stem=stem,
            general_feedback=general_feedback, data=data,
        )  # fmt: skip
        found[name] = question_save(question=question)
    return found


def _quiz(*, rules: list[QuizRule], **fields: Any) -> Quiz:
    quiz = Quiz(**fields)
    quiz.full_clean()
    quiz.save()
    for order, rule in enumerate(rules):
        rule.quiz = quiz
        rule.sort_order = order
        rule.full_clean()
        rule.save()
    return quiz


def _test_rules(bank_questions: dict[str, Question]) -> list[QuizRule]:
    categories = {
        q.category.name: q.category for q in bank_questions.values() if q.category is not None
    }
    return [QuizRule(category=categories[name], draw_count=n) for name, n in TEST_DRAWS]


def _place_in_last_module(*, course: CoursePage, quiz: Quiz) -> ModulePage | None:
    """The course's last required module: its placeholder text becomes a reading on
    gratifikasi followed by the quiz, required to pass. Through a published revision:
    Wagtail's reference index, which tells the quiz where it is used, is filled from it."""
    required = [m for m in course.modules() if m.required_for_completion]
    if not required:
        return None
    module = required[-1]
    module.body = [
        ("text", MODULE_TEXT),
        ("quiz", {"quiz": quiz, "required_to_pass": True}),
    ]
    module.save_revision().publish()
    return module


@transaction.atomic
def seed_demo_quizzes(*, course: CoursePage, owner: Employee | None = None) -> Quiz:
    """The demo bank and quizzes on the sample course; the graded quiz is returned."""
    questions = _bank(owner)
    quiz = Quiz.objects.filter(title=QUIZ_TITLE, kind=Quiz.Kind.GRADED).first()
    if quiz is None:
        quiz = _quiz(
            title=QUIZ_TITLE, kind=Quiz.Kind.GRADED,
            intro="Enam soal tentang nilai dasar BerAKHLAK, gratifikasi dan JP. Waktunya 10 "
            "menit sejak Anda menekan Mulai. Nilai lulus 70; ada tiga kesempatan dan nilai "
            "tertinggi yang dihitung.",
            pass_mark=Decimal("70"), time_limit_minutes=10, max_attempts=3,
            grading=Quiz.Grading.HIGHEST, review=Quiz.Review.AFTER_SUBMIT,
            layout=Quiz.Layout.ONE_PER_PAGE,
            rules=[QuizRule(question=questions[name]) for name in QUIZ_QUESTIONS],
        )  # fmt: skip
        _place_in_last_module(course=course, quiz=quiz)
    if not Quiz.objects.filter(title=PRE_TEST_TITLE, kind=Quiz.Kind.PRE_TEST).exists():
        pre_test = _quiz(
            title=PRE_TEST_TITLE, kind=Quiz.Kind.PRE_TEST,
            intro="Kerjakan sebelum mempelajari modul, untuk mengukur titik awal Anda. "
            "Nilainya tidak memengaruhi kelulusan.",
            pass_mark=Decimal("70"), time_limit_minutes=10, max_attempts=1,
            # The key stays hidden: the post-test draws from the same bank.
            review=Quiz.Review.NEVER, layout=Quiz.Layout.ALL, rules=_test_rules(questions),
        )  # fmt: skip
        post_test = _quiz(
            title=POST_TEST_TITLE, kind=Quiz.Kind.POST_TEST,
            intro="Kerjakan setelah semua modul selesai; bandingkan dengan nilai pre-test Anda.",
            pass_mark=Decimal("70"), time_limit_minutes=10, max_attempts=3,
            review=Quiz.Review.AFTER_SUBMIT, layout=Quiz.Layout.ALL,
            rules=_test_rules(questions),
        )  # fmt: skip
        course = CoursePage.objects.get(pk=course.pk)
        course.pre_test, course.post_test = pre_test, post_test
        # The course page does not link its pre-test and post-test yet: requiring a pass
        # would leave demo learners unable to finish the course.
        course.require_post_test_pass = False
        course.save_revision().publish()
    return quiz
