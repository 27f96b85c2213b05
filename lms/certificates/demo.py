"""The demo Pemda's certificate template: BKPSDM issues, its Kepala signs. The logo and the
signature are drawn here (no real emblem, no real person's signature). Safe to run twice."""

from __future__ import annotations

import io
import math
from typing import Any

from django.conf import settings
from django.core.files.images import ImageFile
from wagtail.images import get_image_model

from .models import CertificateTemplate

DEMO_TEMPLATE_NAME = "Sertifikat BKPSDM (bawaan)"
LOGO_TITLE = "Logo Pemda (demo)"
SIGNATURE_TITLE = "Tanda tangan Kepala BKPSDM (demo)"
NAVY = (30, 58, 95, 255)
GOLD = (184, 146, 58, 255)
INK = (24, 40, 110, 255)


def _png(image: Any) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def draw_logo(size: int = 360) -> bytes:
    """A plain shield with a star and waves: reads as a regional emblem, copies none."""
    from PIL import Image, ImageDraw

    scale = 4  # drawn large and scaled down: smooth edges without an anti-aliasing API
    s = size * scale
    img = Image.new("RGBA", (s, s), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)

    def shield(inset: float) -> list[tuple[float, float]]:
        top, bottom = s * 0.06 + inset, s * 0.96 - inset * 1.3
        left, right = s * 0.14 + inset, s * 0.86 - inset
        points = [(left, top), (right, top), (right, s * 0.55)]
        # The lower edge curves to a point, as shields do.
        for i in range(1, 20):
            t = i / 20
            x = right + (s / 2 - right) * t
            y = s * 0.55 + (bottom - s * 0.55) * math.sin(t * math.pi / 2)
            points.append((x, y))
        points.append((s / 2, bottom))
        for i in range(19, 0, -1):
            t = i / 20
            x = left + (s / 2 - left) * t
            y = s * 0.55 + (bottom - s * 0.55) * math.sin(t * math.pi / 2)
            points.append((x, y))
        points.append((left, s * 0.55))
        return points

    d.polygon(shield(0), fill=GOLD)
    d.polygon(shield(s * 0.03), fill=NAVY)
    d.polygon(shield(s * 0.055), outline=GOLD, width=max(2, s // 160))
    # A five-pointed star.
    cx, cy, outer, inner = s / 2, s * 0.30, s * 0.13, s * 0.052
    star = []
    for k in range(10):
        r = outer if k % 2 == 0 else inner
        angle = -math.pi / 2 + k * math.pi / 5
        star.append((cx + r * math.cos(angle), cy + r * math.sin(angle)))
    d.polygon(star, fill=GOLD)
    # Three waves: the river every kabupaten seems to have.
    for row in range(3):
        y0 = s * (0.53 + row * 0.075)
        wave = [
            (x, y0 + s * 0.018 * math.sin((x - s * 0.25) / (s * 0.5) * 4 * math.pi))
            for x in range(int(s * 0.27), int(s * 0.73), 4)
        ]
        d.line(wave, fill=(255, 255, 255, 235), width=max(3, s // 70))
    return _png(img.resize((size, size), Image.Resampling.LANCZOS))


def draw_signature(width: int = 520, height: int = 200) -> bytes:
    """A slanted pen stroke in blue ink on a transparent ground: a capital, a run of
    cursive loops and a flourish back beneath them."""
    from PIL import Image, ImageDraw

    scale = 3
    w, h = width * scale, height * scale
    img = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    points: list[tuple[float, float]] = []
    for i in range(161):  # the capital: up, a tall loop, down and across
        t = i / 160
        a = t * 2 * math.pi * 1.25
        x = w * 0.13 + w * 0.055 * math.sin(a) + w * 0.05 * t
        y = h * 0.60 - h * 0.40 * math.sin(t * math.pi) + h * 0.05 * math.cos(a)
        points.append((x, y))
    x0, y0 = points[-1]
    per_loop = 60
    # The letters: a prolate trochoid, each loop its own height.
    for j, k in enumerate([1.0, 0.55, 1.25, 0.6, 0.45, 0.9, 0.5, 0.35]):
        for i in range(per_loop):
            t = (j + i / per_loop) * 2 * math.pi
            x = x0 + w * 0.012 * t - w * 0.017 * math.sin(t)
            y = y0 - h * 0.15 * k * (1 - math.cos(t)) / 2 + h * 0.01 * j
            points.append((x, y))
    x1, y1 = points[-1]
    for i in range(1, 181):  # the flourish: a dip, then a long sweep back
        t = i / 180
        x = x1 + w * 0.07 * math.sin(t * math.pi * 0.9) - w * 0.66 * t**1.8
        y = y1 + h * 0.27 * math.sin(t * math.pi * 0.55)
        points.append((x, y))
    points = [(x + (h * 0.5 - y) * 0.28, y) for x, y in points]  # a right hand's slant
    for i in range(len(points) - 1):
        pen = scale * (1.8 + 1.8 * math.sin(min(1.0, i / len(points) * 1.15) * math.pi))
        (xa, ya), r = points[i], pen / 2
        d.line([points[i], points[i + 1]], fill=INK, width=max(2, int(pen)))
        d.ellipse([xa - r, ya - r, xa + r, ya + r], fill=INK)  # round joints
    return _png(img.resize((width, height), Image.Resampling.LANCZOS))


def _demo_image(title: str, filename: str, content: bytes) -> Any:
    image_model = get_image_model()
    existing = image_model.objects.filter(title=title).first()
    if existing is not None:
        return existing
    image = image_model(title=title, file=ImageFile(io.BytesIO(content), name=filename))
    image.save()
    return image


def seed_demo_certificate_template() -> CertificateTemplate:
    """The default template of the demo Pemda (made once; an edited one is kept)."""
    existing = CertificateTemplate.objects.filter(is_default=True).first()
    if existing is not None:
        return existing
    place = settings.SINAU_PEMDA_NAME.removeprefix("Pemerintah ").split(" ", 1)[-1]
    template = CertificateTemplate(
        name=DEMO_TEMPLATE_NAME, is_default=True, heading="SERTIFIKAT",
        issuer_name="Badan Kepegawaian dan Pengembangan Sumber Daya Manusia",
        statement="telah mengikuti dan menyelesaikan pelatihan",
        logo=_demo_image(LOGO_TITLE, "logo-pemda-demo.png", draw_logo()),
        signature=_demo_image(SIGNATURE_TITLE, "ttd-kepala-bkpsdm-demo.png", draw_signature()),
        signatory_place=place,
        signatory_title="Kepala Badan Kepegawaian dan Pengembangan Sumber Daya Manusia",
        # Made up: a structurally valid NIP (born 17 May 1972, appointed March 1998).
        signatory_name="Dr. Hendra Wibisono, S.Sos., M.Si.",
        signatory_nip="197205171998031004",
    )  # fmt: skip
    template.full_clean()
    template.save()
    return template
