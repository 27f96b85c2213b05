"""xAPI 1.0.3 statements: building them from Sinau's events, checking them against the
statement rules of the specification, and sending them to a Learning Record Store.

A statement carries a fixed UUID ``id`` made when its outbox message is written; it is
sent with ``PUT /statements?statementId=<id>``, which the specification makes idempotent:
a retry after a lost answer stores nothing twice.

What Sinau says, and about what:

- ``launched`` a module (parent: its course), the first time a learner opens it in an
  enrolment;
- ``progressed`` in a course (cmi5's progress extension, 0-100), each time a module of it
  is completed (the module is named in ``contextActivities.other``);
- ``completed`` a course;
- ``passed`` / ``failed`` a graded quiz or post-test, with its score; ``scored`` a
  practice quiz or pre-test (a score without a verdict). Quiz statements name the courses
  that use the quiz as their parents.

Statements about one enrolment carry its ``context.registration``, a UUID derived from the
enrolment (see ``registration_for``).
"""

from __future__ import annotations

import base64
import datetime as dt
import re
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.conf import settings

XAPI_VERSION = "1.0.3"
VERBS = {
    "launched": "http://adlnet.gov/expapi/verbs/launched",
    "progressed": "http://adlnet.gov/expapi/verbs/progressed",
    "completed": "http://adlnet.gov/expapi/verbs/completed",
    "passed": "http://adlnet.gov/expapi/verbs/passed",
    "failed": "http://adlnet.gov/expapi/verbs/failed",
    "scored": "http://adlnet.gov/expapi/verbs/scored",
}
ACTIVITY_TYPES = {
    "course": "http://adlnet.gov/expapi/activities/course",
    "module": "http://adlnet.gov/expapi/activities/module",
    "assessment": "http://adlnet.gov/expapi/activities/assessment",
}
# cmi5's progress extension (an integer 0-100): how far through the course the learner is.
PROGRESS_EXTENSION = "https://w3id.org/xapi/cmi5/result/extensions/progress"
CONTEXT_ACTIVITY_KEYS = ("parent", "grouping", "category", "other")
DEV_PUBLIC_URL = "http://127.0.0.1:8000"


class TransientError(Exception):
    """The LRS could not take it now (down, 5xx, timeout): try again later."""


class PermanentError(Exception):
    """The LRS refused the statement itself (400, 409 ...): retrying changes nothing."""


def enabled() -> bool:
    return bool(settings.SINAU_XAPI_LRS_URL)


def public_base() -> str:
    return str(settings.SINAU_PUBLIC_URL or DEV_PUBLIC_URL).rstrip("/")


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _number(value: Decimal) -> float | int:
    # JSON numbers: xAPI scores are numbers, not strings.
    return int(value) if value == value.to_integral_value() else float(value)


def registration_for(enrolment_id: int) -> str:
    """The enrolment's xAPI registration: a name-based UUID (version 5) of the site and the
    enrolment, so every statement about one enrolment carries the same one without a column
    to store it; a retake is a new enrolment, hence a new registration."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{public_base()}/pendaftaran/{enrolment_id}"))


def _activities(ids: Sequence[str]) -> list[dict[str, str]]:
    return [{"objectType": "Activity", "id": activity_id} for activity_id in ids]


def statement(
    *,
    nip: str,
    verb: str,
    activity_id: str,
    activity_type: str,
    name: str,
    timestamp: dt.datetime,
    result: dict[str, Any] | None = None,
    parents: Sequence[str] = (),
    others: Sequence[str] = (),
    registration: str | None = None,
) -> dict[str, Any]:
    """One statement with a new UUID id (the LRS's idempotency key)."""
    stmt: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "actor": {
            "objectType": "Agent",
            "account": {"homePage": public_base(), "name": nip},
        },
        "verb": {"id": VERBS[verb], "display": {"en-US": verb}},
        "object": {
            "objectType": "Activity",
            "id": activity_id,
            "definition": {
                "type": ACTIVITY_TYPES[activity_type],
                "name": {"id-ID": name},
            },
        },
        "timestamp": _stamp(timestamp),
        "context": {"platform": "Sinau", "language": "id-ID"},
    }
    if result is not None:
        stmt["result"] = result
    if registration:
        stmt["context"]["registration"] = registration
    related = {"parent": _activities(parents), "other": _activities(others)}
    if any(related.values()):
        stmt["context"]["contextActivities"] = {k: v for k, v in related.items() if v}
    return stmt


def course_completed(
    *,
    nip: str,
    course_id: int,
    course_url: str,
    title: str,
    completed_at: dt.datetime,
    registration: str | None = None,
) -> dict[str, Any]:
    return statement(
        nip=nip, verb="completed", activity_id=course_url, activity_type="course", name=title,
        timestamp=completed_at, result={"completion": True, "success": True},
        registration=registration,
    )  # fmt: skip


def module_launched(
    *,
    nip: str,
    module_url: str,
    title: str,
    course_url: str,
    launched_at: dt.datetime,
    registration: str | None = None,
) -> dict[str, Any]:
    """The learner opened a module of their course."""
    return statement(
        nip=nip, verb="launched", activity_id=module_url, activity_type="module", name=title,
        timestamp=launched_at, parents=[course_url], registration=registration,
    )  # fmt: skip


def course_progressed(
    *,
    nip: str,
    course_url: str,
    title: str,
    percent: int,
    module_url: str,
    progressed_at: dt.datetime,
    registration: str | None = None,
) -> dict[str, Any]:
    """A module of the course is completed: the course is ``percent`` done (cmi5's integer
    progress extension); the module that moved it is the context's other activity."""
    return statement(
        nip=nip, verb="progressed", activity_id=course_url, activity_type="course", name=title,
        timestamp=progressed_at, others=[module_url], registration=registration,
        result={"extensions": {PROGRESS_EXTENSION: max(0, min(100, int(percent)))}},
    )  # fmt: skip


def attempt_graded(
    *,
    nip: str,
    quiz_url: str,
    title: str,
    passed: bool | None,
    score_percent: Decimal,
    marks: Decimal,
    max_marks: Decimal,
    finished_at: dt.datetime,
    course_urls: Sequence[str] = (),
    registration: str | None = None,
) -> dict[str, Any]:
    """passed or failed, with the score (scaled in 0..1, raw in 0..max marks); ``passed``
    None (a quiz whose pass mark is no verdict: practice, pre-test): scored, no success."""
    score: dict[str, Any] = {"scaled": _number((score_percent / 100).quantize(Decimal("0.0001")))}
    if max_marks > 0:
        score.update(raw=_number(marks), min=0, max=_number(max_marks))
    result: dict[str, Any] = {"score": score, "completion": True}
    if passed is None:
        verb = "scored"
    else:
        verb = "passed" if passed else "failed"
        result["success"] = passed
    return statement(
        nip=nip, verb=verb, activity_id=quiz_url, activity_type="assessment", name=title,
        timestamp=finished_at, result=result, parents=course_urls, registration=registration,
    )  # fmt: skip


# --- The statement rules (xAPI 1.0.3, Data part, section 2.4) -------------------------

_STATEMENT_KEYS = {
    "id", "actor", "verb", "object", "result", "context", "timestamp", "stored",
    "authority", "version", "attachments",
}  # fmt: skip
_IFIS = ("mbox", "mbox_sha1sum", "openid", "account")
_UUID = re.compile(
    r"^[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", re.I
)
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
_DURATION = re.compile(
    r"^P(?=\d|T\d)(\d+(\.\d+)?Y)?(\d+(\.\d+)?M)?(\d+(\.\d+)?W)?(\d+(\.\d+)?D)?"
    r"(T(?=\d)(\d+(\.\d+)?H)?(\d+(\.\d+)?M)?(\d+(\.\d+)?S)?)?$"
)
_LANG = re.compile(r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$")


def _is_iri(value: Any) -> bool:
    if not isinstance(value, str) or not value or any(c.isspace() for c in value):
        return False
    parsed = urllib.parse.urlsplit(value)
    return bool(re.match(r"^[A-Za-z][A-Za-z0-9+.-]*$", parsed.scheme or "")) and bool(
        parsed.netloc or parsed.path
    )


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _language_map(value: Any, where: str) -> list[str]:
    if not isinstance(value, dict):
        return [f"{where} must be a language map"]
    return [f"{where}: {key!r} is not an RFC 5646 tag" for key in value if not _LANG.match(key)]


def _agent_problems(agent: Any, where: str) -> list[str]:
    if not isinstance(agent, dict):
        return [f"{where} must be an object"]
    problems = []
    if agent.get("objectType", "Agent") not in ("Agent", "Group"):
        problems.append(f"{where}.objectType must be Agent or Group")
    ifis = [key for key in _IFIS if key in agent]
    if agent.get("objectType") != "Group" and len(ifis) != 1:
        problems.append(f"{where} must have exactly one inverse functional identifier")
    if "mbox" in agent and not str(agent["mbox"]).startswith("mailto:"):
        problems.append(f"{where}.mbox must be a mailto IRI")
    if "account" in agent:
        account = agent["account"]
        if not isinstance(account, dict):
            problems.append(f"{where}.account must be an object")
        else:
            if not _is_iri(account.get("homePage")):
                problems.append(f"{where}.account.homePage must be an IRL")
            if not isinstance(account.get("name"), str) or not account.get("name"):
                problems.append(f"{where}.account.name is required")
    return problems


def _extensions_problems(value: Any, where: str) -> list[str]:
    if not isinstance(value, dict):
        return [f"{where} must be an object"]
    return [f"{where}: {key!r} is not an IRI" for key in value if not _is_iri(key)]


def _context_activities_problems(value: Any) -> list[str]:
    where = "context.contextActivities"
    if not isinstance(value, dict):
        return [f"{where} must be an object"]
    problems = []
    for key, activities in value.items():
        if key not in CONTEXT_ACTIVITY_KEYS:
            problems.append(f"{where}: unknown key {key!r}")
            continue
        # One Activity or an array of them (the LRS turns the former into the latter).
        for activity in activities if isinstance(activities, list) else [activities]:
            kind = activity.get("objectType", "Activity") if isinstance(activity, dict) else None
            if kind != "Activity":
                problems.append(f"{where}.{key} must hold Activity objects")
            elif not _is_iri(activity.get("id")):
                problems.append(f"{where}.{key}: an Activity id must be an IRI")
    return problems


def _result_problems(result: Any) -> list[str]:
    if not isinstance(result, dict):
        return ["result must be an object"]
    problems = []
    for flag in ("success", "completion"):
        if flag in result and not isinstance(result[flag], bool):
            problems.append(f"result.{flag} must be a boolean")
    if "duration" in result and not _DURATION.match(str(result["duration"])):
        problems.append("result.duration must be an ISO 8601 duration")
    if "extensions" in result:
        problems += _extensions_problems(result["extensions"], "result.extensions")
        extensions = result["extensions"]
        progress = extensions.get(PROGRESS_EXTENSION) if isinstance(extensions, dict) else None
        if progress is not None and not (
            isinstance(progress, int) and not isinstance(progress, bool) and 0 <= progress <= 100
        ):
            problems.append("result.extensions progress must be an integer from 0 to 100")
    score = result.get("score")
    if score is None:
        return problems
    if not isinstance(score, dict):
        return [*problems, "result.score must be an object"]
    for key in ("scaled", "raw", "min", "max"):
        if key in score and not _is_number(score[key]):
            problems.append(f"result.score.{key} must be a number")
    if problems:
        return problems
    if "scaled" in score and not -1 <= score["scaled"] <= 1:
        problems.append("result.score.scaled must be between -1 and 1")
    low, high, raw = score.get("min"), score.get("max"), score.get("raw")
    if low is not None and high is not None and not low < high:
        problems.append("result.score.min must be less than max")
    if raw is not None and low is not None and raw < low:
        problems.append("result.score.raw must not be below min")
    if raw is not None and high is not None and raw > high:
        problems.append("result.score.raw must not be above max")
    return problems


def statement_problems(stmt: Any) -> list[str]:
    """What breaks the xAPI 1.0.3 statement rules; empty when the statement is valid."""
    if not isinstance(stmt, dict):
        return ["a statement must be a JSON object"]
    problems = [f"unknown property {key!r}" for key in stmt if key not in _STATEMENT_KEYS]
    if "id" in stmt and not (isinstance(stmt["id"], str) and _UUID.match(stmt["id"])):
        problems.append("id must be a UUID")
    if "actor" not in stmt:
        problems.append("actor is required")
    else:
        problems += _agent_problems(stmt["actor"], "actor")
    verb = stmt.get("verb")
    if verb is None:
        problems.append("verb is required")
    elif not isinstance(verb, dict) or not _is_iri(verb.get("id")):
        problems.append("verb.id must be an IRI")
    elif "display" in verb:
        problems += _language_map(verb["display"], "verb.display")
    obj = stmt.get("object")
    if obj is None:
        problems.append("object is required")
    elif not isinstance(obj, dict):
        problems.append("object must be an object")
    elif obj.get("objectType", "Activity") == "Activity":
        if not _is_iri(obj.get("id")):
            problems.append("object.id must be an IRI")
        definition = obj.get("definition", {})
        if "type" in definition and not _is_iri(definition["type"]):
            problems.append("object.definition.type must be an IRI")
        if "name" in definition:
            problems += _language_map(definition["name"], "object.definition.name")
    if "result" in stmt:
        problems += _result_problems(stmt["result"])
    if "timestamp" in stmt:
        text = stmt["timestamp"]
        if not isinstance(text, str) or not _TIMESTAMP.match(text):
            problems.append("timestamp must be an ISO 8601 date and time with a time zone")
        else:
            try:
                dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
            except ValueError:
                problems.append("timestamp must be an ISO 8601 date and time with a time zone")
    context = stmt.get("context")
    if context is not None:
        if not isinstance(context, dict):
            problems.append("context must be an object")
        else:
            if "language" in context and not _LANG.match(str(context["language"])):
                problems.append("context.language must be an RFC 5646 tag")
            if "platform" in context and not isinstance(context["platform"], str):
                problems.append("context.platform must be a string")
            if "registration" in context and not _UUID.match(str(context["registration"])):
                problems.append("context.registration must be a UUID")
            if "contextActivities" in context:
                problems += _context_activities_problems(context["contextActivities"])
            if "extensions" in context:
                problems += _extensions_problems(context["extensions"], "context.extensions")
    if "version" in stmt and not str(stmt["version"]).startswith("1.0"):
        problems.append("version must be 1.0.x")
    return problems


# --- Sending ------------------------------------------------------------------------------


def send(stmt: dict[str, Any], *, timeout: float = 10) -> int:
    """PUT the statement under its id; the HTTP status (204: stored, or already stored)."""
    base = str(settings.SINAU_XAPI_LRS_URL).rstrip("/")
    if not base:
        raise TransientError("SINAU_XAPI_LRS_URL is not set")
    url = f"{base}/statements?" + urllib.parse.urlencode({"statementId": stmt["id"]})
    request = urllib.request.Request(  # noqa: S310 - the configured LRS (http or https)
        url, data=_json_bytes(stmt), method="PUT",
        headers={
            "Content-Type": "application/json", "X-Experience-API-Version": XAPI_VERSION,
            **_auth_header(),
        },
    )  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return int(response.status)
    except urllib.error.HTTPError as exc:
        if exc.code in (400, 404, 409, 413):  # the statement itself is refused
            raise PermanentError(f"LRS answered {exc.code}") from exc
        raise TransientError(f"LRS answered {exc.code}") from exc
    except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
        raise TransientError(f"LRS unreachable: {exc}") from exc


def _auth_header() -> dict[str, str]:
    user, password = settings.SINAU_XAPI_LRS_USER, settings.SINAU_XAPI_LRS_PASSWORD
    if not user:
        return {}
    token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
    return {"Authorization": f"Basic {token}"}


def _json_bytes(value: Any) -> bytes:
    import json

    return json.dumps(value, separators=(",", ":")).encode()
