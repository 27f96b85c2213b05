"""Certificate PDFs per second: 1,000 certificates rendered by two warm worker processes
(both cores), against one plain WeasyPrint render per certificate in the same run.

Run: ``.venv/bin/python -m bench.certificates`` (PostgreSQL on 127.0.0.1:5432 as
``postgres``, or the server in ``BENCH_DATABASE_URL``); ``--count 50`` for a quick check.

- *issue*: ``certificate_issue`` for each completed enrolment, one after another (lock the
  year's sequence row, number, snapshot, audit): the part that runs on completion.
- *render*: ``certificate_render`` (load the row, HTML from the template, WeasyPrint, the
  PDF written to storage, the row updated) in ``--workers`` processes, as Celery's prefork
  pool runs it. Each process is warm before the clock starts: Django set up, the font
  configuration, the stylesheet and the template's images made once (the warm-up is timed
  separately). Target: 1,000 in under 30 s.
- *baseline*: the same certificates' HTML rendered the plain way, in this one process:
  ``HTML(string=...).write_pdf(stylesheets=[CSS(string=...)])``, nothing shared between
  certificates; and a few renders by a fresh ``weasyprint`` process each, which is what
  a worker that is not kept warm would pay.
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench._common import django_on_fresh_database, machine_info, rate, timed, write_results

NAME = "certificates"
DB_NAME = "sinau_bench_certificates"
DEFAULT_COUNT = 1000
TARGET_SECONDS = 30.0
FIRST = ["Agus", "Dewi", "Hendra", "Kartika", "Made", "Ni Luh", "Rahmat", "Siti", "Wahyu"]
LAST = ["Pratama", "Wulandari", "Hidayat", "Saputra", "Nasution", "Kusumawati", "Siregar"]
FRONT = ["", "", "", "Dr.", "Ir.", "H.", "dr."]
BACK = ["", "S.Kom.", "S.E.", "S.Pd.", "S.Kep., Ns.", "M.Si.", "S.T., M.T.", "S.H., M.H."]


def _nip(i: int) -> str:
    birth = dt.date(1970, 1, 1) + dt.timedelta(days=(i * 7) % 9000)
    return f"{birth:%Y%m%d}{2000 + i % 20}{1 + i % 12:02d}{1 + i % 2}{1 + i % 999:03d}"


def _prepare(count: int) -> tuple[list[int], float]:
    """The demo course and template, ``count`` completed enrolments, and their certificates
    issued through the service (timed: the issue figure)."""
    from django.utils import timezone

    from courses.demo import seed_demo_catalogue
    from courses.models import CoursePage
    from lms.certificates import services
    from lms.certificates.demo import seed_demo_certificate_template
    from lms.learning.models import Enrolment
    from lms.people.models import Employee, OrgUnit

    root = OrgUnit.add_root(name="Pemerintah Kabupaten Sinau", kind=OrgUnit.Kind.PEMDA)
    opd = root.add_child(name="Dinas Pendidikan", kind=OrgUnit.Kind.OPD)
    seed_demo_catalogue()
    seed_demo_certificate_template()
    courses = list(CoursePage.objects.order_by("pk"))
    people = Employee.objects.bulk_create(
        Employee(
            nip=_nip(i), org_unit=opd, password="!",
            full_name=f"{FIRST[i % len(FIRST)]} {LAST[(i // 3) % len(LAST)]}",
            gelar_depan=FRONT[i % len(FRONT)], gelar_belakang=BACK[(i // 2) % len(BACK)],
        )
        for i in range(count)
    )  # fmt: skip
    now = timezone.now()
    enrolments = Enrolment.objects.bulk_create(
        Enrolment(
            employee=person, course=courses[i % len(courses)], source=Enrolment.Source.SELF,
            status=Enrolment.Status.COMPLETED, started_at=now, completed_at=now,
        )
        for i, person in enumerate(people)
    )  # fmt: skip
    start = time.perf_counter()
    ids = [services.certificate_issue(enrolment=e).pk for e in enrolments]
    return ids, time.perf_counter() - start


# --- The warm workers ------------------------------------------------------------------


def _worker_init(warm_id: int) -> None:
    """Once per worker process: Django, then one render to build what WeasyPrint reuses
    (fonts, stylesheet, the template's images), not stored."""
    import django

    django.setup()
    from lms.certificates.models import Certificate
    from lms.certificates.rendering import certificate_pdf

    certificate = Certificate.objects.select_related("employee", "template").get(pk=warm_id)
    certificate_pdf(certificate)


def _render(certificate_id: int) -> tuple[float, int]:
    from lms.certificates.services import certificate_render

    start = time.perf_counter()
    certificate = certificate_render(certificate_id=certificate_id)
    seconds = time.perf_counter() - start
    if certificate is None or not certificate.pdf:
        raise RuntimeError(f"certificate {certificate_id} has no PDF")
    return seconds, certificate.pdf.size


def _warm_pool(workers: int, warm_id: int) -> tuple[Any, float]:
    from django.db import connections

    connections.close_all()  # the children open their own
    # spawn: each worker starts clean (no parent connection or font state inherited).
    context = multiprocessing.get_context("spawn")
    start = time.perf_counter()
    pool = context.Pool(workers, initializer=_worker_init, initargs=(warm_id,))
    # A no-op per worker waits until every initializer has run.
    pool.map(time.sleep, [0.05] * workers, chunksize=1)
    return pool, time.perf_counter() - start


# --- The baseline ----------------------------------------------------------------------


def _plain(htmls: list[str], css: str) -> float:
    """Seconds per certificate, rendered as a script would without a warm renderer."""
    from weasyprint import CSS, HTML

    start = time.perf_counter()
    for html in htmls:
        HTML(string=html).write_pdf(stylesheets=[CSS(string=css)])
    return (time.perf_counter() - start) / len(htmls)


def _fresh_process(htmls: list[str], css: str) -> float:
    """Seconds per certificate when each one is a new ``weasyprint`` process."""
    with tempfile.TemporaryDirectory(prefix="bench-cert-") as folder:
        css_path = Path(folder) / "certificate.css"
        css_path.write_text(css, encoding="utf-8")
        paths = []
        for i, html in enumerate(htmls):
            path = Path(folder) / f"{i}.html"
            path.write_text(html, encoding="utf-8")
            paths.append(path)
        start = time.perf_counter()
        for path in paths:
            subprocess.run(  # noqa: S603 - our own venv's weasyprint
                [sys.executable, "-m", "weasyprint", "-s", str(css_path), "-u", folder,
                 str(path), str(path.with_suffix(".pdf"))],
                check=True, capture_output=True, timeout=120,
            )  # fmt: skip
        return (time.perf_counter() - start) / len(paths)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=DEFAULT_COUNT, help="certificates")
    parser.add_argument("--workers", type=int, default=2, help="worker processes")
    parser.add_argument(
        "--plain", type=int, default=50, help="certificates in the plain-render baseline"
    )
    parser.add_argument("--fresh", type=int, default=5, help="renders by a fresh process")
    args = parser.parse_args(argv)
    count = max(args.count, 2)
    # One log line per certificate issued would be the loudest thing in the run.
    os.environ.setdefault("LOG_LEVEL", "WARNING")

    with django_on_fresh_database(DB_NAME, settings_module="bench._settings"):
        from django.template.loader import render_to_string

        from lms.certificates import rendering
        from lms.certificates.models import Certificate

        ids, issue_s = _prepare(count)
        print(f"issued {count:,} certificates in {issue_s:.1f} s")

        pool, warm_s = _warm_pool(args.workers, ids[0])
        try:
            results, render_s = timed(
                lambda: pool.map(_render, ids, chunksize=max(1, count // (args.workers * 20)))
            )
        finally:
            pool.close()
            pool.join()
        rendered = Certificate.objects.exclude(pdf="").count()
        per_render = [seconds for seconds, _size in results]
        sizes = [size for _seconds, size in results]
        print(f"rendered {rendered:,} in {render_s:.2f} s with {args.workers} warm workers "
              f"({rate(count, render_s):.1f}/s; warm-up {warm_s:.1f} s)")  # fmt: skip

        sample = list(
            Certificate.objects.select_related("employee", "template").filter(pk__in=ids)[
                : max(1, min(args.plain, count))
            ]
        )
        htmls = [rendering.certificate_html(c) for c in sample]
        css = render_to_string(rendering.CSS_TEMPLATE)
        _plain(htmls[:1], css)  # imports and the first fontconfig scan, off the clock
        plain_s = _plain(htmls, css)
        fresh = htmls[: max(1, min(args.fresh, len(htmls)))]
        fresh_s = _fresh_process(fresh, css) if args.fresh else None
        print(f"plain WeasyPrint, one process: {plain_s * 1000:.0f} ms per certificate"
              + (f"; fresh process each: {fresh_s * 1000:.0f} ms" if fresh_s else ""))  # fmt: skip
        machine = machine_info()

    seconds_1000 = render_s * 1000 / count
    figures = {
        "certificates": count,
        "workers": args.workers,
        "render_seconds": round(render_s, 3),
        "certificates_per_second": round(rate(count, render_s), 1),
        "seconds_for_1000": round(seconds_1000, 2),
        "seconds_for_1000_measured": count == 1000,
        "target_seconds_for_1000": TARGET_SECONDS,
        "target_met": seconds_1000 < TARGET_SECONDS,
        "render_ms_per_certificate_in_worker_median": round(
            statistics.median(per_render) * 1000, 1
        ),
        "worker_warm_up_seconds": round(warm_s, 2),
        "pdf_kib_mean": round(statistics.mean(sizes) / 1024, 1),
        "issue_per_second": round(rate(count, issue_s), 1),
        "cpu_count": os.cpu_count(),
    }
    baseline = {
        "plain_render_ms_per_certificate": round(plain_s * 1000, 1),
        "plain_certificates_per_second_one_process": round(1 / plain_s, 1),
        "plain_sample": len(htmls),
        "fresh_process_ms_per_certificate": round(fresh_s * 1000, 1) if fresh_s else None,
        "fresh_process_sample": len(fresh) if fresh_s else 0,
    }
    ratio = {
        # How many times the plain way's rate the warm workers reach (both cores vs one).
        "throughput_to_plain": round(rate(count, render_s) * plain_s, 2),
        # Per certificate inside one warm worker (storage and database included) vs plain.
        "worker_ms_to_plain_ms": round(statistics.median(per_render) / plain_s, 3),
        "throughput_to_fresh_process": (
            round(rate(count, render_s) * fresh_s, 2) if fresh_s else None
        ),
    }
    path = write_results(NAME, figures=figures, baseline=baseline, ratio=ratio, machine=machine)
    print(f"{figures['certificates_per_second']} certificates/s; 1,000 in "
          f"{figures['seconds_for_1000']} s"
          f"{'' if count == 1000 else ' (extrapolated from ' + str(count) + ')'}; "
          f"target {TARGET_SECONDS:.0f} s {'met' if figures['target_met'] else 'MISSED'}; "
          f"{ratio['throughput_to_plain']}x the plain render's rate")  # fmt: skip
    print(f"wrote {path}")
    return 0 if rendered == count else 1


if __name__ == "__main__":
    sys.exit(main())
