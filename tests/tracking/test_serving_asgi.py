"""The ASGI wrapper of MLflow's scoring app, in process (no server): error bodies, CSV, pass-through."""

from __future__ import annotations

import asyncio
import json

import pytest

from gridcrm.tracking._asgi import BadRequest, ServingMiddleware, clean_message, csv_to_split, error_body


def _call(app, body: bytes = b"{}", content_type: str = "application/json", path: str = "/invocations"):
    """Run one POST through ``ServingMiddleware(app)``; return (status, headers, body) as sent to the client."""
    sent: list[dict] = []
    chunks = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive():
        return chunks.pop(0) if chunks else {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": path,
             "headers": [(b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode())]}
    asyncio.run(ServingMiddleware(app)(scope, receive, send))
    start = sent[0]
    assert start["type"] == "http.response.start"
    return start["status"], dict(start["headers"]), b"".join(m.get("body", b"") for m in sent[1:])


def _answering(status: int, body: bytes, content_type: bytes = b"application/json", parts: int = 1, seen=None):
    async def app(scope, receive, send):
        if seen is not None:
            seen.append((dict(scope["headers"]), (await receive())["body"]))
        await send({"type": "http.response.start", "status": status, "headers": [(b"content-type", content_type)]})
        step = max(1, len(body) // parts)
        pieces = [body[i:i + step] for i in range(0, len(body), step)] or [b""]
        for i, piece in enumerate(pieces):
            await send({"type": "http.response.body", "body": piece, "more_body": i < len(pieces) - 1})
    return app


def test_an_error_body_keeps_only_code_and_message_without_traceback_or_path():
    mlflow_body = json.dumps({
        "error_code": "BAD_REQUEST", "sqlstate": "KAM00", "error_class": "INVALID_PARAMETER_VALUE",
        "message": "Failed to parse input. Error: 'bad'\nTraceback (most recent call last):\n"
                   '  File "/srv/venv/lib/python3.11/site-packages/mlflow/x.py", line 2',
        "stack_trace": 'Traceback (most recent call last):\n  File "/tmp/x.py", line 1'}).encode()
    status, headers, body = _call(_answering(400, mlflow_body, parts=3))  # streamed in parts
    assert status == 400 and headers[b"content-type"] == b"application/json"
    assert json.loads(body) == {"error_code": "BAD_REQUEST", "message": "Failed to parse input. Error: 'bad'"}
    assert headers[b"content-length"] == str(len(body)).encode()


@pytest.mark.parametrize(("status", "body", "content_type", "expected"), [
    (500, b"Internal Server Error", b"text/plain", {"error_code": "INTERNAL_ERROR",
                                                    "message": "Internal Server Error"}),
    (504, b"Request processing time exceeded limit", b"application/json",  # MLflow's timeout: not JSON
     {"error_code": "INTERNAL_ERROR", "message": "Request processing time exceeded limit"}),
    (415, b"The scoring server only supports UTF-8", b"text/plain",
     {"error_code": "BAD_REQUEST", "message": "The scoring server only supports UTF-8"}),
    (404, b'{"detail": "Not Found"}', b"application/json", {"error_code": "BAD_REQUEST", "message": "Not Found"}),
    (400, b"", b"text/plain", {"error_code": "BAD_REQUEST", "message": "the model server answered HTTP 400"}),
], ids=["text-500", "timeout-504", "text-415", "fastapi-404", "empty"])
def test_a_non_mlflow_error_body_becomes_two_keys(status, body, content_type, expected):
    got_status, _, got = _call(_answering(status, body, content_type))
    assert got_status == status and json.loads(got) == expected


def test_an_app_that_crashes_is_a_500_with_two_keys():
    async def before_answering(scope, receive, send):
        raise RuntimeError("/srv/secret/path exploded")

    async def after_answering(scope, receive, send):  # Starlette answers 500 as text, then re-raises
        await _answering(500, b"Internal Server Error", b"text/plain")(scope, receive, send)
        raise RuntimeError("/srv/secret/path exploded")

    for app in (before_answering, after_answering):
        status, _, body = _call(app)
        assert status == 500 and set(json.loads(body)) == {"error_code", "message"}
        assert json.loads(body)["error_code"] == "INTERNAL_ERROR" and b"/srv" not in body


def test_successes_pass_through_untouched():
    answer = b'{"predictions": [{"p": 0.25}]}' * 50
    status, headers, body = _call(_answering(200, answer, parts=4))
    assert status == 200 and body == answer and headers == {b"content-type": b"application/json"}


def test_a_csv_request_reaches_mlflow_as_dataframe_split_json():
    seen: list = []
    status, _, _ = _call(_answering(200, b"{}", seen=seen), b"customer_id,blacklisted,kwh\n7,false,1.5\n8,no,\n",
                         "text/csv; charset=utf-8")
    headers, forwarded = seen[0]
    assert status == 200 and headers[b"content-type"] == b"application/json"
    assert headers[b"content-length"] == str(len(forwarded)).encode()
    assert json.loads(forwarded) == {"dataframe_split": {"columns": ["customer_id", "blacklisted", "kwh"],
                                                         "data": [[7, False, 1.5], [8, "no", None]]}}


def test_a_malformed_csv_is_a_400_and_never_reaches_mlflow():
    seen: list = []
    status, _, body = _call(_answering(200, b"{}", seen=seen), b"a,b\n1,2,3\n", "text/csv")
    assert status == 400 and seen == []
    assert json.loads(body) == {"error_code": "BAD_REQUEST", "message": "the CSV body has 3 fields on line 2, "
                                                                        "the header has 2"}


def test_csv_values_are_read_as_pandas_reads_them():
    split = csv_to_split(b"i,f,b,s,mixed,inf\n1,2.5,True,x,false,inf\n2,1e300,FALSE,,0,-inf\n")
    assert split["data"] == [[1, 2.5, True, "x", False, float("inf")], [2, 1e300, False, None, "0", float("-inf")]]
    assert [type(v) for v in split["data"][0]] == [int, float, bool, str, bool, float]
    # exact floats: what to_csv wrote is what the model sees
    assert csv_to_split(b"x\n0.1234567890123456789\n")["data"][0][0] == 0.12345678901234568
    with pytest.raises(BadRequest, match="names column 'a' twice"):
        csv_to_split(b"a,a\n1,2\n")
    with pytest.raises(BadRequest, match="1 field on line 3, the header has 2"):
        csv_to_split(b"a,b\n1,2\n3\n")


def test_mlflow_messages_lose_the_request_echo_and_paths():
    schema = ("Failed to predict data '   customer_id  kwh\n0  1001  2.5'. \nError: Failed to enforce schema of "
              "data '   customer_id  kwh\n0  1001  2.5' with schema '['customer_id': Any (required)]'. "
              "Error: Model is missing inputs ['on_time_rate_365d'].")
    assert clean_message(schema) == ("the request does not match the model's input schema: "
                                     "Model is missing inputs ['on_time_rate_365d'].")
    echo = "Ensure that input is a valid JSON formatted string. Error: 'x'\nInput: \n{customer 1001 secret"
    assert clean_message(echo) == "Ensure that input is a valid JSON formatted string. Error: 'x'"
    assert clean_message("no file file:///srv/a/b.db or /home/u/x.py, but kWh/day and 1/2/3 stay") == (
        "no file <server path> or <server path>, but kWh/day and 1/2/3 stay")
    assert len(clean_message("x" * 10_000)) == 2000
    assert error_body(400, b'["not", "an", "object"]') == {"error_code": "BAD_REQUEST",
                                                           "message": '["not", "an", "object"]'}
