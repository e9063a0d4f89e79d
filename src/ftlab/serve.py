"""``python -m ftlab serve --model NAME ...``: merged models behind an OpenAI-compatible server.

The server is ``transformers serve`` (it ships with transformers): FastAPI,
``/v1/chat/completions``, one model folder per request's ``"model"``.  Two
things it does not do are added in front of it, as an ASGI wrapper:

* **names**: a request says ``"model": "job-roles"``; the wrapper turns that
  into the merged folder's path, and answers 404 for a name it does not serve
  (the stock server would try the Hub for it and fail with a 500);
* **limits**: a body over ``MAX_BODY_BYTES``, a posting longer than the run
  was trained on, an empty posting, or messages that are not a list of
  ``{"role", "content"}`` get a 4xx naming the rule, before any model work.
  The stock server has no size limit: a 1 MB posting would tie its single
  generation thread up for hours.

Only ``GET /health``, ``GET /v1/models`` and ``POST /v1/chat/completions``
are open; the stock server's model-management routes (``/reset``,
``/load_model``) are not.  Exit with Ctrl-C (SIGINT) or SIGTERM.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ftlab.export import merged_model, merged_record
from ftlab.train import NAMED_RUNS

# Far above any posting the runs were trained on (about 1 KB of JSON), far
# below what would tie the server up.
MAX_BODY_BYTES = 64 * 1024
OPEN_ROUTES = {("GET", "/health"), ("GET", "/v1/models"), ("POST", "/v1/chat/completions")}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--model", action="append", required=True, metavar="NAME[=FOLDER]",
        help=f"a named run ({', '.join(NAMED_RUNS)}; merged and cached on first use), "
        "or NAME=FOLDER for a folder written by ftlab.export; repeat to serve several",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: loopback only)")
    parser.add_argument("--port", type=int, default=8008)


def served_models(specs: list[str]) -> dict[str, Path]:
    """``{"job-roles": folder, ...}`` from ``--model`` values."""
    models = {}
    for spec in specs:
        name, _, folder = spec.partition("=")
        if name in models:
            raise ValueError(f"--model {spec}: the name {name!r} is given twice")
        if folder:
            merged_record(Path(folder))  # a clear error for a folder that is no merged model
            models[name] = Path(folder).resolve()
        elif name in NAMED_RUNS:
            models[name] = merged_model(name)
        else:
            raise ValueError(f"--model {spec}: not a run name ({', '.join(NAMED_RUNS)}) and no =FOLDER given")
    return models


# --8<-- [start:check]
def check_request(body: bytes, folders: dict[str, str], limits: dict[str, int], count_tokens):
    """``(0, "", request naming the model's folder)``, or ``(status, what is wrong, {})``."""
    try:
        request = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        return 400, f"the body is not valid JSON: {error}", {}
    if not isinstance(request, dict):
        return 400, "the body must be a JSON object", {}
    name = request.get("model")
    if name not in folders:
        return 404, f"model {name!r} is not served here; it serves: {', '.join(folders)}", {}
    problem = messages_problem(request.get("messages"))
    if problem:
        return 422, problem, {}
    tokens = count_tokens(name, request["messages"][-1]["content"])
    if tokens > limits[name]:
        return 413, (f"the posting is {tokens} tokens; {name} was trained on postings of at most "
                     f"{limits[name]} tokens: send its first part"), {}
    return 0, "", {**request, "model": folders[name]}


def messages_problem(messages) -> str | None:
    """What is wrong with a request's ``messages``, or None."""
    if not isinstance(messages, list) or not messages:
        return "'messages' must be a non-empty list"
    for index, message in enumerate(messages):
        if not (isinstance(message, dict) and isinstance(message.get("role"), str)
                and isinstance(message.get("content"), str)):
            return f"messages[{index}] must be an object with string 'role' and 'content'"
    if messages[-1]["role"] != "user":
        return "the last message must be the user's (the posting)"
    if not messages[-1]["content"].strip():
        return "the posting (the last user message) is empty"
    return None
# --8<-- [end:check]


class RequestGuard:
    """ASGI wrapper: checks a chat request and names its model's folder, or answers 4xx itself."""

    def __init__(self, app, folders: dict[str, str], limits: dict[str, int], count_tokens):
        self.app = app
        self.folders = folders  # served name -> what the wrapped server loads
        self.limits = limits  # served name -> longest posting, in tokens
        self.count_tokens = count_tokens  # (name, text) -> tokens of text in that model's tokenizer

    @classmethod
    def for_models(cls, app, models: dict[str, Path]) -> "RequestGuard":
        """A guard for merged folders: their paths, the length each run was trained on, their tokenizers."""
        from transformers import AutoTokenizer

        tokenizers = {name: AutoTokenizer.from_pretrained(folder) for name, folder in models.items()}
        return cls(
            app,
            folders={name: str(folder) for name, folder in models.items()},
            limits={name: merged_record(folder)["max_length"] for name, folder in models.items()},
            count_tokens=lambda name, text: len(tokenizers[name](text, add_special_tokens=False)["input_ids"]),
        )

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        route = (scope["method"], scope["path"])
        if route not in OPEN_ROUTES:
            return await _error(send, 404, f"{route[0]} {route[1]}: not served here")
        if route != ("POST", "/v1/chat/completions"):
            return await self.app(scope, receive, send)
        body = await _read_body(receive, MAX_BODY_BYTES)
        if body is None:
            return await _error(send, 413, f"request body over the limit of {MAX_BODY_BYTES} bytes")
        status, message, request = check_request(body, self.folders, self.limits, self.count_tokens)
        if status:
            return await _error(send, status, message)
        return await self.app(*_replay(scope, json.dumps(request).encode()), send)


async def _read_body(receive, limit: int) -> bytes | None:
    """The request body, or None as soon as it passes ``limit`` bytes."""
    chunks, size, more = [], 0, True
    while more:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        more = message.get("more_body", False)
    return b"".join(chunks)


def _replay(scope, body: bytes):
    """``(scope, receive)`` that hand the wrapped app ``body`` as if the client had sent it."""
    headers = [(k, v) for k, v in scope["headers"] if k != b"content-length"]
    scope = {**scope, "headers": headers + [(b"content-length", str(len(body)).encode())]}
    sent = False

    async def receive():
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return scope, receive


async def _error(send, status: int, message: str) -> None:
    """An error in the shape OpenAI clients read (``error.message``)."""
    body = json.dumps({"error": {"message": message, "type": "invalid_request_error", "code": status}}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def build_server(models: dict[str, Path], host: str, port: int):
    """transformers' own server, built but not started, with the guard in front of its app."""
    from transformers.cli.serve import Serve

    class BuiltOnly(Serve):
        def start_server(self):  # Serve starts a thread here; ours runs in the foreground
            pass

    # fp32 on the CPU: the answers then equal the in-process ones (page 03).
    # model_timeout=-1: never unload a model between requests.
    serve = BuiltOnly(host=host, port=port, device="cpu", dtype="float32", model_timeout=-1, non_blocking=True)
    serve.server.config.app = RequestGuard.for_models(serve.server.config.app, models)
    return serve.server


def run(args: argparse.Namespace) -> int:
    try:
        models = served_models(args.model)
    except (ValueError, FileNotFoundError) as error:
        print(f"ftlab serve: {error}", file=sys.stderr)
        return 2
    server = build_server(models, args.host, args.port)
    for name, folder in models.items():
        print(f"serving {name} ({folder}) on http://{args.host}:{args.port}/v1", flush=True)
    server.run()
    return 0
