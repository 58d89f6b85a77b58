"""The ASGI app ``gridcrm serve`` runs: MLflow's scoring app behind a small middleware.

``uvicorn gridcrm.tracking._asgi:app`` serves the model whose local folder is in
``$__pyfunc_model_path__`` (as ``mlflow.pyfunc.scoring_server.app`` does) through
:class:`ServingMiddleware`, which

- answers every error (HTTP status >= 400) with exactly ``{"error_code", "message"}``:
  MLflow's scoring server adds a ``stack_trace`` field with server paths to the body of a
  request it cannot parse, and echoes the request's data in some messages; both are dropped
  (the server's log keeps the details);
- reads ``text/csv`` requests itself, with pandas' default inference (``True``/``false``
  become booleans, numbers numbers, other text stays text), and passes them on as a JSON
  ``dataframe_split`` body. MLflow's own CSV parser cannot read columns logged with MLflow's
  ``any`` type, which gridcrm models use so that MLflow casts nothing before the model's
  request checks (:func:`gridcrm.tracking.adapters.check_request`) see the values;
- leaves successful responses untouched.

The app itself is built on first access of ``app`` (loading the model), so importing this
module costs nothing.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

__all__ = ["ServingMiddleware", "csv_to_split", "error_body"]

logger = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

MAX_MESSAGE = 2000
"""Longest message answered, in characters (gridcrm's own messages are a few hundred)."""

_PATH = re.compile(r"(?<![\w.~])(?:[A-Za-z][\w+.-]*:)?/+(?:[^\s'\"/,;()\[\]<>]+/)+[^\s'\"/,;()\[\]<>]*")
_FAILED_TO_PREDICT = re.compile(r"^Failed to predict data '.*?'\. \nError: ", re.DOTALL)
_SCHEMA = "Failed to enforce schema of data '"


class BadRequest(Exception):
    """A request the middleware refuses itself (HTTP 400, ``BAD_REQUEST``)."""


def error_body(status: int, body: bytes, content_type: str = "application/json") -> dict[str, str]:
    """The two-key error body answered for an error response of MLflow's scoring app.

    Parameters
    ----------
    status : int
        HTTP status of the response (>= 400).
    body : bytes
        The body MLflow's app answered.
    content_type : str
        Its ``Content-Type``; a body that is not a JSON object is answered as text.

    Returns
    -------
    dict
        ``{"error_code": ..., "message": ...}``: MLflow's code and message when it gave
        them, else ``BAD_REQUEST`` (4xx) or ``INTERNAL_ERROR`` (5xx) and the body's text;
        the message is one line, without traceback, server path or echo of the request.

    Examples
    --------
    >>> error_body(400, b'{"error_code": "BAD_REQUEST", "message": "bad", "stack_trace": "Traceback ..."}')
    {'error_code': 'BAD_REQUEST', 'message': 'bad'}
    >>> error_body(500, b"Internal Server Error", "text/plain")
    {'error_code': 'INTERNAL_ERROR', 'message': 'Internal Server Error'}
    """
    fallback = "BAD_REQUEST" if status < 500 else "INTERNAL_ERROR"
    parsed: Any = None
    if "json" in content_type.lower():
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = None
    if isinstance(parsed, dict):
        code = parsed.get("error_code")
        message = parsed.get("message", parsed.get("detail"))
    else:
        code, message = None, body.decode("utf-8", errors="replace")
    if not isinstance(message, str) or not message.strip():
        message = f"the model server answered HTTP {status}"
    return {"error_code": code if isinstance(code, str) and code else fallback, "message": clean_message(message)}


def clean_message(message: str) -> str:
    """``message`` as one line, without traceback, server path, or the request's data echoed by MLflow.

    Examples
    --------
    >>> clean_message("Failed to predict data '   a\\n0  1'. \\nError: Model is missing inputs ['b'].")
    "Model is missing inputs ['b']."
    >>> clean_message('boom\\nTraceback (most recent call last):\\n  File "/srv/venv/lib/x.py", line 3')
    'boom'
    >>> clean_message("cannot open /srv/models/m1/model.pkl")
    'cannot open <server path>'
    """
    text = message
    cut = text.find("Traceback (most recent call last)")
    if cut >= 0:
        text = text[:cut]
    text = _FAILED_TO_PREDICT.sub("", text, count=1)  # MLflow prefixes the request's data
    if text.startswith(_SCHEMA) and "'. Error: " in text:  # ... and the schema enforcement's data too
        text = "the request does not match the model's input schema: " + text[text.rfind("'. Error: ") + 10:]
    if "\nInput: " in text:  # MLflow's JSON parse error echoes the whole body
        text = text[:text.find("\nInput: ")]
    lines = [line.strip() for line in text.splitlines()]
    text = " ".join(line for line in lines if line and not line.startswith('File "'))
    text = _PATH.sub("<server path>", text)
    if len(text) > MAX_MESSAGE:
        text = text[:MAX_MESSAGE - 1] + "…"
    return text or "the model server could not answer this request"


def csv_to_split(body: bytes) -> dict[str, Any]:
    """A CSV request body as MLflow's ``dataframe_split`` JSON object, read as ``pd.read_csv`` reads it.

    Booleans (``True``, ``false``, ``FALSE``, ...) and numbers are parsed, other text stays text
    (``no``, ``0`` in a boolean column), an empty field is missing (``null``), so the model's
    request checks see what the client sent.

    Parameters
    ----------
    body : bytes
        UTF-8 CSV text with a header line.

    Returns
    -------
    dict
        ``{"columns": [...], "data": [[...], ...]}``.

    Raises
    ------
    BadRequest
        The body is not UTF-8, is empty, names a column twice, has a line with another number
        of fields than the header, or pandas cannot parse it; the message says which.

    Examples
    --------
    >>> csv_to_split(b"customer_id,blacklisted,late_bills_365d\\n7,false,2.7\\n8,True,\\n")
    {'columns': ['customer_id', 'blacklisted', 'late_bills_365d'], 'data': [[7, False, 2.7], [8, True, None]]}
    >>> csv_to_split(b"blacklisted\\nno\\nfalse\\n0\\n")["data"]
    [['no'], [False], ['0']]
    >>> csv_to_split(b"a,b\\n1,2,3\\n")
    Traceback (most recent call last):
    ...
    gridcrm.tracking._asgi.BadRequest: the CSV body has 3 fields on line 2, the header has 2
    """
    import pandas as pd

    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as err:
        raise BadRequest(f"the CSV body is not UTF-8 text (byte {err.start} is {body[err.start]:#04x})") from None
    if not text.strip():
        raise BadRequest("the CSV body is empty: send a header line, then one line per row")
    _check_fields(text)
    try:
        frame = pd.read_csv(io.StringIO(text))
    except (ValueError, pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        reason = " ".join(str(err).split()) or type(err).__name__
        raise BadRequest(f"the CSV body could not be read: {reason}") from None
    columns = [_plain(frame[name]) for name in frame.columns]
    return {"columns": [str(name) for name in frame.columns], "data": [list(row) for row in zip(*columns, strict=True)]}


def _check_fields(text: str) -> None:
    """Refuse what ``pd.read_csv`` would silently repair: duplicate names, short lines."""
    rows = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(row for row in rows if row)
        seen: set[str] = set()
        for name in header:
            if name in seen:
                raise BadRequest(f"the CSV header names column {name!r} twice")
            seen.add(name)
        for row in rows:
            if row and len(row) != len(header):
                raise BadRequest(f"the CSV body has {len(row)} field{'s' if len(row) != 1 else ''} on line "
                                 f"{rows.line_num}, the header has {len(header)}")
    except csv.Error as err:
        raise BadRequest(f"the CSV body could not be read: {err} (line {rows.line_num})") from None


_BOOLEANS = {"True": True, "TRUE": True, "true": True, "False": False, "FALSE": False, "false": False}


def _plain(column: Any) -> list[Any]:
    """A column's values as JSON-ready Python scalars, missing values as None.

    pandas reads a column as booleans only when every value is one; in a column that mixes
    them with other text (``false`` and ``no``), the words pandas reads as booleans still are,
    so the model's check names only the values that are not.
    """
    from pandas.api.types import is_bool_dtype, is_numeric_dtype

    values = column.astype(object).where(column.notna(), None)
    if not (is_numeric_dtype(column) or is_bool_dtype(column)):  # text (object or str dtype)
        words = values.isin(list(_BOOLEANS))
        if words.any():
            values = values.copy()
            values[words] = values[words].map(_BOOLEANS)
    return values.tolist()


class ServingMiddleware:
    """ASGI middleware: two-key error bodies, CSV requests read by pandas, successes untouched.

    Parameters
    ----------
    app : ASGI application
        MLflow's scoring app (``mlflow.pyfunc.scoring_server.init(model)``).

    Examples
    --------
    >>> import asyncio
    >>> async def failing(scope, receive, send):  # an app that answers a stack trace
    ...     await send({"type": "http.response.start", "status": 400,
    ...                 "headers": [(b"content-type", b"application/json")]})
    ...     await send({"type": "http.response.body",
    ...                 "body": b'{"error_code": "BAD_REQUEST", "message": "no", "stack_trace": "..."}'})
    >>> sent = []
    >>> async def receive():
    ...     return {"type": "http.request", "body": b"{}", "more_body": False}
    >>> async def send(message):
    ...     sent.append(message)
    >>> scope = {"type": "http", "method": "POST", "path": "/invocations", "headers": []}
    >>> asyncio.run(ServingMiddleware(failing)(scope, receive, send))
    >>> sent[0]["status"], sent[1]["body"]
    (400, b'{"error_code": "BAD_REQUEST", "message": "no"}')
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        reply = _ErrorReply(send)
        try:
            if scope.get("method") == "POST" and _is_utf8_csv(scope):
                try:
                    payload = json.dumps({"dataframe_split": csv_to_split(await _read_body(receive))},
                                         allow_nan=True).encode()
                except BadRequest as err:
                    await reply.answer(400, {"error_code": "BAD_REQUEST", "message": str(err)})
                    return
                scope = _as_json(scope, len(payload))
                receive = _replay(payload, receive)
            await self.app(scope, receive, reply.send)
        except Exception:
            logger.exception("the scoring app failed on %s %s", scope.get("method"), scope.get("path"))
            if not reply.started:
                await reply.answer(500, {"error_code": "INTERNAL_ERROR",
                                         "message": "the model server failed on this request; its log has the details"})
            return
        await reply.finish()


class _ErrorReply:
    """Wraps ``send``: successes pass through; an error response is held and answered as two keys."""

    def __init__(self, send: Send) -> None:
        self._send = send
        self.started = False
        self._held: Message | None = None
        self._body = b""

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start" and message["status"] >= 400:
            self._held = message
            return
        if message["type"] == "http.response.body" and self._held is not None:
            self._body += message.get("body", b"")
            if not message.get("more_body", False):
                await self.finish()
            return
        if message["type"] == "http.response.start":
            self.started = True
        await self._send(message)

    async def finish(self) -> None:
        """Answer a held error response (an app that ended without its last body part)."""
        if self._held is None:
            return
        held, self._held = self._held, None
        headers = {k.lower(): v for k, v in held.get("headers", [])}
        content_type = headers.get(b"content-type", b"").decode("latin-1")
        await self.answer(held["status"], error_body(held["status"], self._body, content_type))

    async def answer(self, status: int, body: dict[str, str]) -> None:
        data = json.dumps(body).encode()
        self.started = True
        await self._send({"type": "http.response.start", "status": status,
                          "headers": [(b"content-type", b"application/json"),
                                      (b"content-length", str(len(data)).encode())]})
        await self._send({"type": "http.response.body", "body": data, "more_body": False})


def _is_utf8_csv(scope: Scope) -> bool:
    """A ``text/csv`` request in UTF-8 (another charset is left to MLflow: HTTP 415)."""
    value = dict(scope.get("headers", [])).get(b"content-type", b"").decode("latin-1")
    mime, *params = (part.strip() for part in value.split(";"))
    charset = dict(p.partition("=")[::2] for p in params).get("charset", "utf-8").strip('"').lower()
    return mime.lower() == "text/csv" and charset in ("utf-8", "utf8")


def _as_json(scope: Scope, length: int) -> Scope:
    headers = [(k, v) for k, v in scope.get("headers", []) if k.lower() not in (b"content-type", b"content-length")]
    headers += [(b"content-type", b"application/json"), (b"content-length", str(length).encode())]
    return {**scope, "headers": headers}


async def _read_body(receive: Receive) -> bytes:
    body = b""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise BadRequest("the client closed the connection before sending the whole body")
        body += message.get("body", b"")
        if not message.get("more_body", False):
            return body


def _replay(payload: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": payload, "more_body": False}

    return replay


def _build_app() -> ServingMiddleware:
    from mlflow.pyfunc import scoring_server

    path = os.environ.get(scoring_server._SERVER_MODEL_PATH)
    if not path:
        raise RuntimeError(f"${scoring_server._SERVER_MODEL_PATH} is not set: it names the local model folder to serve "
                           "(gridcrm.tracking.ModelServer sets it)")
    return ServingMiddleware(scoring_server.init(scoring_server.load_model_with_mlflow_config(path)))


def __getattr__(name: str) -> Any:
    if name == "app":  # built once, when uvicorn asks for it
        app = _build_app()
        globals()["app"] = app
        return app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
