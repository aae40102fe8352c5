"""When the serving loop hands a request to a thread: only once it is whole."""

from __future__ import annotations

from interface.request_buffering import (
    BODY_RATE,
    MAX_BODY_BYTES,
    MAX_HEADER_BYTES,
    RequestReader,
)

HEAD = b"POST /api/v1/sellers HTTP/1.1\r\nHost: x\r\n"


def fed(*parts: bytes) -> RequestReader:
    reader = RequestReader(started=100.0, read_timeout=10.0)
    for part in parts:
        reader.feed(part)
    return reader


def test_a_request_without_a_body_is_whole_at_the_end_of_its_headers():
    request = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"

    assert not fed(request[:-1]).complete
    assert fed(request).complete


def test_a_body_of_declared_length_is_waited_for_byte_by_byte():
    head = HEAD + b"Content-Length: 5\r\n\r\n"
    reader = fed(head, b"1", b"2", b"3", b"4")

    assert not reader.complete
    reader.feed(b"5")
    assert reader.complete


def test_a_chunked_body_is_whole_after_its_last_chunk_and_trailers():
    head = HEAD + b"Transfer-Encoding: chunked\r\n\r\n"
    body = b"5\r\nhello\r\n3;ext=1\r\nabc\r\n0\r\nX-Trailer: 1\r\n\r\n"

    for cut in range(len(body)):
        assert not fed(head, body[:cut]).complete, cut
    assert fed(head, *[body[i : i + 1] for i in range(len(body))]).complete


def test_a_large_declared_body_gets_more_time_and_a_too_large_one_is_refused():
    size = 10 * 1024 * 1024
    reader = fed(HEAD + f"Content-Length: {size}\r\n\r\n".encode())

    assert reader.deadline == 110.0 + size / BODY_RATE
    too_large = fed(HEAD + f"Content-Length: {MAX_BODY_BYTES + 1}\r\n\r\n".encode())
    assert too_large.refusal == 413


def test_an_endless_header_section_is_refused():
    reader = fed(HEAD + b"X-Pad: " + b"a" * MAX_HEADER_BYTES)

    assert reader.refusal == 431
    assert not reader.complete


def test_a_client_expecting_100_continue_is_told_to_go_on():
    reader = fed(HEAD + b"Expect: 100-continue\r\nContent-Length: 2\r\n\r\n")

    assert reader.expects_continue
    assert not reader.complete


def test_framing_gunicorn_will_refuse_is_handed_over_at_once():
    reader = fed(HEAD + b"Content-Length: 5\r\nContent-Length: 6\r\n\r\n")

    assert reader.complete  # gunicorn answers 400 without reading further
