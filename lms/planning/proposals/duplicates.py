"""Whether two OPD training proposals look like one programme.

Pure functions over plain data (``ProposalFacts``): no queries, so every rule and threshold
is tested on its own. The service (``services.proposal_duplicates_refresh``) loads the
facts, calls ``compare`` and stores what it finds as ``ProposalDuplicate`` pairs.

A flag is a question for BKPSDM, never a refusal: the rules lean towards flagging a pair
that a person dismisses in one click rather than letting two OPDs run the same programme.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils.translation import gettext as _

# --- Thresholds ------------------------------------------------------------------------------

# Competencies are the spine of the check: proposals name one to three of them, so half of
# the combined set shared ({A} against {A, B}: the smaller one entirely inside the larger)
# is one programme seen from two OPDs; {A, B} against {A, C} (1/3) is a neighbour, not a twin.
COMPETENCY_STRONG = 0.5
# Target jabatan overlap: a third of the combined jabatan shared is already the same people
# (three jabatan against one of them is 1/3); below that the audiences are merely adjacent.
PARTICIPANTS_OVERLAP = 1 / 3
# Schedules "meet" when the date ranges intersect or lie within a month of each other: one
# programme could then take both OPDs' participants in the same batch (angkatan).
SCHEDULE_NEAR_DAYS = 30
# Beyond the window the schedule still weighs in the score, fading to nothing at a quarter.
SCHEDULE_FADE_DAYS = 90
# Title similarity as a supporting signal: half of the distinctive words shared (after the
# generic ones are dropped), e.g. "pengelolaan keuangan daerah" / "... desa".
TITLE_SIMILAR = 0.5
# Near-identical titles flag a pair on their own, whatever the competencies say: OPDs tag
# the same programme with different dictionary entries, and a title this close is the same
# programme more often than not. Both measures must agree: the words (4 of 5 shared, with
# typos forgiven) and the characters (so that "penyusunan SKP" and "penyusunan SOP", 0.93
# on characters but 1/3 on words, stay apart).
TITLE_NEAR_WORDS = 0.8
TITLE_NEAR_CHARS = 0.85
# Two words are one word when they differ by a typo: long enough to judge and 85% alike
# ("pengelolan" / "pengelolaan"), never short codes ("SKP" / "SOP").
WORD_TYPO_MIN_LENGTH = 5
WORD_TYPO_RATIO = 0.85
# How much each signal weighs in the 0-1 score shown to BKPSDM (they sum to 1).
WEIGHTS = {"competencies": 0.40, "title": 0.25, "participants": 0.20, "schedule": 0.15}

# Words that say what kind of event it is, or join words, not what it teaches.
TITLE_STOPWORDS = frozenset(
    {
        "pelatihan", "diklat", "bimtek", "bimbingan", "teknis", "workshop", "lokakarya",
        "kursus", "sosialisasi", "peningkatan", "kapasitas", "tentang", "bagi", "dan", "di",
        "untuk", "dalam", "pada", "yang", "serta", "atau", "ke", "dari", "the", "of", "and",
        "for", "training", "tahun",
    }
)  # fmt: skip

REASON_CODES = ("title_identical", "competencies", "participants", "schedule", "title")


@dataclass(frozen=True)
class ProposalFacts:
    """What the check needs of a proposal, and nothing else."""

    id: int
    opd_id: int
    year: int
    title: str
    competency_ids: frozenset[int]
    jabatan_keys: frozenset[str]
    starts_on: dt.date
    ends_on: dt.date


@dataclass(frozen=True)
class Match:
    """A likely duplicate: its score (0-1) and its reasons, codes with their figures."""

    score: Decimal
    reasons: list[dict[str, Any]] = field(default_factory=list)

    def codes(self) -> list[str]:
        return [reason["code"] for reason in self.reasons]


# --- Measures ----------------------------------------------------------------------------------


def title_words(title: str) -> list[str]:
    """The distinctive words of a title: case and punctuation gone, generic words dropped;
    a year or a number (2027, angkatan II) does not name a programme either."""
    folded = unicodedata.normalize("NFKC", title or "").casefold()
    words = re.sub(r"[\W_]+", " ", folded).split()
    return [w for w in words if w not in TITLE_STOPWORDS and not w.isdigit()]


def title_key(title: str) -> str:
    return " ".join(title_words(title))


def jaccard(a: Iterable[Any], b: Iterable[Any]) -> float:
    """Shared over combined; 0 when either side is empty (nothing to agree on)."""
    sa, sb = set(a), set(b)
    if not sa or not sb:
        return 0.0
    return len(sa & sb) / len(sa | sb)


def _same_word(a: str, b: str) -> bool:
    if a == b:
        return True
    if min(len(a), len(b)) < WORD_TYPO_MIN_LENGTH:
        return False
    return difflib.SequenceMatcher(None, a, b).ratio() >= WORD_TYPO_RATIO


def word_jaccard(a: list[str], b: list[str]) -> float:
    """Jaccard of two titles' distinct words, where a typo still counts as the same word."""
    left, right = sorted(set(a)), sorted(set(b))
    if not left or not right:
        return 0.0
    unmatched = list(right)
    shared = 0
    for word in left:
        for other in unmatched:
            if _same_word(word, other):
                unmatched.remove(other)
                shared += 1
                break
    return shared / (len(left) + len(right) - shared)


def char_ratio(a: list[str], b: list[str]) -> float:
    """difflib's ratio of the two titles' words, in their order or sorted (whichever is
    closer: "keuangan daerah pengelolaan" is the same title reordered)."""
    if not a or not b:
        return 0.0
    in_order = difflib.SequenceMatcher(None, " ".join(a), " ".join(b)).ratio()
    as_sets = difflib.SequenceMatcher(
        None, " ".join(sorted(set(a))), " ".join(sorted(set(b)))
    ).ratio()
    return max(in_order, as_sets)


def title_similarity(a: str, b: str) -> tuple[float, float]:
    """(word Jaccard, character ratio) of two titles after normalising."""
    wa, wb = title_words(a), title_words(b)
    return word_jaccard(wa, wb), char_ratio(wa, wb)


def titles_near_identical(words: float, chars: float) -> bool:
    return words >= TITLE_NEAR_WORDS and chars >= TITLE_NEAR_CHARS


def days_apart(a_start: dt.date, a_end: dt.date, b_start: dt.date, b_end: dt.date) -> int:
    """Days between two date ranges; 0 when they intersect."""
    if a_start <= b_end and b_start <= a_end:
        return 0
    if a_end < b_start:
        return (b_start - a_end).days
    return (a_start - b_end).days


def schedule_closeness(gap_days: int) -> float:
    return max(0.0, 1 - gap_days / SCHEDULE_FADE_DAYS)


def _round(value: float) -> float:
    return float(Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


# --- The rule ------------------------------------------------------------------------------------


def compare(a: ProposalFacts, b: ProposalFacts) -> Match | None:
    """A ``Match`` when ``a`` and ``b`` look like one programme, else None.

    Only proposals of different OPDs for the same year are compared: an OPD's two proposals
    are its own business, and another year's programme is another programme.

    Flagged when the titles are near-identical (whatever the competencies), or when the
    competencies overlap strongly and at least one of participants, schedule or title
    overlaps too. Similar titles with no competency in common are not flagged: the title
    alone is a weak signal unless it is nearly the same words.
    """
    if a.opd_id == b.opd_id or a.year != b.year or a.id == b.id:
        return None
    competencies = jaccard(a.competency_ids, b.competency_ids)
    participants = jaccard(a.jabatan_keys, b.jabatan_keys)
    gap = days_apart(a.starts_on, a.ends_on, b.starts_on, b.ends_on)
    words, chars = title_similarity(a.title, b.title)
    near_identical = titles_near_identical(words, chars)

    signals = {
        "participants": participants >= PARTICIPANTS_OVERLAP,
        "schedule": gap <= SCHEDULE_NEAR_DAYS,
        "title": words >= TITLE_SIMILAR,
    }
    strong = competencies >= COMPETENCY_STRONG
    if not near_identical and not (strong and any(signals.values())):
        return None

    reasons: list[dict[str, Any]] = []
    if near_identical:
        reasons.append({"code": "title_identical", "value": _round(max(words, chars))})
    if competencies > 0:
        reasons.append({"code": "competencies", "value": _round(competencies)})
    if signals["participants"]:
        reasons.append({"code": "participants", "value": _round(participants)})
    if signals["schedule"]:
        reasons.append({"code": "schedule", "value": gap})
    if signals["title"] and not near_identical:
        reasons.append({"code": "title", "value": _round(words)})

    score = (
        WEIGHTS["competencies"] * competencies
        + WEIGHTS["title"] * words
        + WEIGHTS["participants"] * participants
        + WEIGHTS["schedule"] * schedule_closeness(gap)
    )
    score = min(max(score, 0.0), 1.0)
    return Match(
        score=Decimal(str(score)).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP),
        reasons=reasons,
    )


def describe(reason: dict[str, Any]) -> str:
    """A stored reason in the reader's language."""
    code, value = reason.get("code"), reason.get("value")
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        number = 0.0
    percent = round(number * 100)
    if code == "title_identical":
        return _("Judul hampir sama (%(pct)s%% mirip)") % {"pct": percent}
    if code == "title":
        return _("Judul mirip (%(pct)s%% kata sama)") % {"pct": percent}
    if code == "competencies":
        return _("Kompetensi beririsan %(pct)s%%") % {"pct": percent}
    if code == "participants":
        return _("Jabatan sasaran beririsan %(pct)s%%") % {"pct": percent}
    if code == "schedule":
        days = int(number)
        if days <= 0:
            return _("Jadwal bersamaan")
        return _("Jadwal berselang %(days)s hari") % {"days": days}
    return str(code)
