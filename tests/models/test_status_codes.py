"""Unit tests for `StatusCode`."""

from __future__ import annotations

import enum
import http

import pytest

from httpcore._status_codes import StatusCode


def test_members_are_ints() -> None:
    ok: int = StatusCode.OK  # (mypy flags comparing an enum literal to a literal)
    assert ok == 200
    assert int(StatusCode.NOT_FOUND) == 404
    assert StatusCode.MOVED_PERMANENTLY + 0 == 301
    assert isinstance(StatusCode.OK, int)
    assert isinstance(StatusCode.OK, enum.IntEnum)
    assert StatusCode(404) is StatusCode.NOT_FOUND


def test_phrase_attribute() -> None:
    assert StatusCode.OK.phrase == "OK"
    assert StatusCode.NOT_FOUND.phrase == "Not Found"
    assert StatusCode.IM_A_TEAPOT.phrase == "I'm a Teapot"


def test_str_is_the_number() -> None:
    assert str(StatusCode.NOT_FOUND) == "404"
    assert f"{StatusCode.NOT_FOUND}" == "404"
    assert repr(StatusCode.NOT_FOUND) == "<StatusCode.NOT_FOUND: 404>"


@pytest.mark.parametrize("status", list(http.HTTPStatus))
def test_every_http_status_is_a_member(status: http.HTTPStatus) -> None:
    member = StatusCode(status.value)
    assert StatusCode[status.name] is member
    assert member.phrase


@pytest.mark.parametrize(
    ("code", "name"),
    [(418, "IM_A_TEAPOT"), (421, "MISDIRECTED_REQUEST"), (425, "TOO_EARLY")],
)
def test_extra_registered_codes(code: int, name: str) -> None:
    assert StatusCode[name] == code


@pytest.mark.parametrize(
    ("new", "old", "phrase"),
    [
        ("CONTENT_TOO_LARGE", "REQUEST_ENTITY_TOO_LARGE", "Content Too Large"),
        ("URI_TOO_LONG", "REQUEST_URI_TOO_LONG", "URI Too Long"),
        (
            "RANGE_NOT_SATISFIABLE",
            "REQUESTED_RANGE_NOT_SATISFIABLE",
            "Range Not Satisfiable",
        ),
        ("UNPROCESSABLE_CONTENT", "UNPROCESSABLE_ENTITY", "Unprocessable Content"),
    ],
)
def test_rfc_9110_renames_keep_the_old_name_as_alias(
    new: str, old: str, phrase: str
) -> None:
    assert StatusCode[old] is StatusCode[new]
    assert StatusCode[new].name == new
    assert StatusCode[new].phrase == phrase


def test_get_reason_phrase() -> None:
    assert StatusCode.get_reason_phrase(200) == "OK"
    assert StatusCode.get_reason_phrase(StatusCode.BAD_GATEWAY) == "Bad Gateway"
    assert StatusCode.get_reason_phrase(599) == ""
    assert StatusCode.get_reason_phrase(0) == ""


def test_coerce() -> None:
    assert StatusCode.coerce(200) is StatusCode.OK
    assert StatusCode.coerce(413) is StatusCode.CONTENT_TOO_LARGE
    unknown = StatusCode.coerce(599)
    assert unknown == 599
    assert type(unknown) is int


@pytest.mark.parametrize(
    ("code", "informational", "success", "redirect", "client", "server"),
    [
        (99, False, False, False, False, False),
        (100, True, False, False, False, False),
        (199, True, False, False, False, False),
        (200, False, True, False, False, False),
        (299, False, True, False, False, False),
        (300, False, False, False, False, False),
        (301, False, False, True, False, False),
        (302, False, False, True, False, False),
        (303, False, False, True, False, False),
        (304, False, False, False, False, False),
        (305, False, False, False, False, False),
        (307, False, False, True, False, False),
        (308, False, False, True, False, False),
        (399, False, False, False, False, False),
        (400, False, False, False, True, False),
        (499, False, False, False, True, False),
        (500, False, False, False, False, True),
        (599, False, False, False, False, True),
        (600, False, False, False, False, False),
    ],
)
def test_classification(
    code: int,
    informational: bool,
    success: bool,
    redirect: bool,
    client: bool,
    server: bool,
) -> None:
    assert StatusCode.is_informational(code) is informational
    assert StatusCode.is_success(code) is success
    assert StatusCode.is_redirect(code) is redirect
    assert StatusCode.is_client_error(code) is client
    assert StatusCode.is_server_error(code) is server
    assert StatusCode.is_error(code) is (client or server)


def test_helpers_accept_members() -> None:
    assert StatusCode.is_redirect(StatusCode.PERMANENT_REDIRECT)
    assert StatusCode.is_error(StatusCode.NOT_FOUND)
