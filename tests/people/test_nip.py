import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from lms.people.nip import normalise_nip, parse_nip

TODAY = dt.date(2026, 11, 24)


def test_valid_pns_nip_gives_its_parts() -> None:
    parts = parse_nip("198609262015051001", "PNS", today=TODAY)
    assert parts.birth_date == dt.date(1986, 9, 26)
    assert parts.appointed == dt.date(2015, 5, 1)
    assert parts.sex == "1"
    assert parts.sequence == 1


def test_nip_as_printed_on_an_sk_is_normalised() -> None:
    assert normalise_nip(" 19860926 201505 1 001 ") == "198609262015051001"
    assert normalise_nip(198609262015051001) == "198609262015051001"


@pytest.mark.parametrize(
    ("nip", "code"),
    [
        ("19860926201505100", "nip_length"),  # 17 digits
        ("1986092620150510011", "nip_length"),  # 19 digits
        ("19860926201505100A", "nip_length"),  # a letter
        ("", "nip_length"),
        ("198602302015051001", "nip_birth_date"),  # 30 February
        ("198613012015051001", "nip_birth_date"),  # month 13
        ("108609262015051001", "nip_birth_date"),  # year 1086, a typo
        ("201501012015051001", "nip_birth_date"),  # born 2015: not of working age
        ("198609262015131001", "nip_appointment"),  # appointment month 13
        ("198609262015001001", "nip_appointment"),  # appointment month 00
        ("198609262003051001", "nip_appointment"),  # appointed at 16, before 18th birthday
        ("198609262004081001", "nip_appointment"),  # one month before the 18th birthday month
        ("198609262030011001", "nip_appointment"),  # appointed in the future
        ("198609262015053001", "nip_sex"),  # sex digit 3
        ("198609262015050001", "nip_sex"),  # sex digit 0
        ("198609262015051000", "nip_sequence"),  # sequence 000
    ],
)
def test_invalid_pns_nips_are_refused_with_the_reason(nip: str, code: str) -> None:
    with pytest.raises(ValidationError) as excinfo:
        parse_nip(nip, "PNS", today=TODAY)
    assert excinfo.value.code == code
    assert excinfo.value.messages[0].startswith("NIP")


def test_appointment_in_the_month_of_the_18th_birthday_is_accepted() -> None:
    assert parse_nip("198609262004091001", "CPNS", today=TODAY).appointed == dt.date(2004, 9, 1)


def test_pppk_number_is_not_read_as_an_appointment_month() -> None:
    # 19900913 2025 24 2 014: "202524" would be month 24 for a PNS, which does not exist.
    nip = "199009132025242014"
    parts = parse_nip(nip, "PPPK", today=TODAY)
    assert parts.birth_date == dt.date(1990, 9, 13)
    assert parts.sex == "2"
    assert parts.appointed is None
    with pytest.raises(ValidationError):
        parse_nip(nip, "PNS", today=TODAY)


@pytest.mark.parametrize(
    "nip",
    ["199002302025242014", "199009132025243014", "19900913202524201"],
)
def test_pppk_numbers_still_check_length_birth_date_and_sex(nip: str) -> None:
    with pytest.raises(ValidationError):
        parse_nip(nip, "PPPK_PW", today=TODAY)


def test_employee_model_refuses_a_bad_nip(employee_factory) -> None:
    employee = employee_factory.build(nip="198602302015051001")
    with pytest.raises(ValidationError) as excinfo:
        employee.full_clean()
    assert "nip" in excinfo.value.message_dict
