"""``python -m ftlab serve --model NAME ...``: merged models behind an OpenAI-compatible server.

The server is ``transformers serve`` (it ships with transformers): FastAPI,
``/v1/chat/completions``, one model folder per request's ``"model"``.  What
it does not do is added in front of it, as an ASGI wrapper:

* **names**: a request says ``"model": "job-roles"``; the wrapper hands the
  server the merged folder's path, answers 404 for a name it does not serve
  (the stock server would look for it on the Hub and fail with a 500), lists
  the served names at ``/v1/models``, and puts the name back in every answer;
* **checks**: a body over ``MAX_BODY_BYTES``, a posting longer than the run's
  training examples, an empty posting, messages that are not a list of
  ``{"role", "content"}``, or a ``max_tokens`` over ``MAX_ANSWER_TOKENS`` get
  a 4xx naming the rule, before any model work.  The stock server has no
  size limit and answers an empty posting with a made-up role (page 08);
* **the prompt the model was trained on**: a request without a system turn
  gets the empty one the adapters were trained with (without it, the chat
  template would insert SmolLM2's default system prompt).

Only ``GET /health``, ``GET /v1/models`` and ``POST /v1/chat/completions``
are open; the stock server's model-management routes (``/reset``,
``/load_model``) are not.  Stop it with Ctrl-C (SIGINT) or SIGTERM.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ftlab.export import merged_model, merged_record
from ftlab.train import NAMED_RUNS

# --8<-- [start:check]
import json

# Far above any posting the runs were trained on (about 1 KB of JSON), far
# below what would tie the server up.
MAX_BODY_BYTES = 64 * 1024
MAX_ANSWER_TOKENS = 64  # a label takes at most 8


def check_request(body: bytes, folders: dict[str, str], limits: dict[str, int], count_tokens):
    """``(0, "", the request for the server)``, or ``(status, what is wrong, {})``."""
    try:
        request = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        return 400, f"the body is not valid JSON: {error}", {}
    if not isinstance(request, dict):
        return 400, "the body must be a JSON object", {}
    name = request.get("model")
    if not isinstance(name, str) or name not in folders:
        return 404, f"model {name!r} is not served here; it serves: {', '.join(folders)}", {}
    problem = messages_problem(request.get("messages"))
    if problem:
        return 422, problem, {}
    answer_tokens = request.get("max_tokens") or request.get("max_completion_tokens") or 0
    if not isinstance(answer_tokens, int) or answer_tokens > MAX_ANSWER_TOKENS:
        return 422, f"max_tokens must be a whole number of at most {MAX_ANSWER_TOKENS}", {}
    messages = request["messages"]
    tokens = count_tokens(name, messages[-1]["content"])
    if tokens > limits[name]:
        return 413, (f"the posting is {tokens} tokens; {name} was trained on examples of at most "
                     f"{limits[name]} tokens: send its first part"), {}
    if messages[0]["role"] != "system":  # the adapters were trained with an empty system turn
        messages = [{"role": "system", "content": ""}] + messages
    return 0, "", {**request, "model": folders[name], "messages": messages}


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


class ClientGone(Exception):
    """The client disconnected before its request's body had arrived."""


class RequestGuard:
    """ASGI wrapper: checks a chat request and names its model's folder, or answers 4xx itself."""

    def __init__(self, app, folders: dict[str, str], limits: dict[str, int], count_tokens):
        self.app = app
        self.folders = folders  # served name -> what the wrapped server loads
        self.limits = limits  # served name -> longest training example, in tokens
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
        if scope["type"] != "http":  # lifespan: the server's own start-up and shut-down
            return await self.app(scope, receive, send)
        route = (scope["method"], scope["path"])
        if route == ("GET", "/health"):
            return await self.app(scope, receive, send)
        if route == ("GET", "/v1/models"):
            models = [{"id": name, "object": "model", "owned_by": "local"} for name in self.folders]
            return await _json(send, 200, {"object": "list", "data": models})
        if route != ("POST", "/v1/chat/completions"):
            return await _error(send, 404, f"{route[0]} {route[1]}: not served here")
        try:
            body = await _read_body(receive, MAX_BODY_BYTES)
        except ClientGone:
            return None
        if body is None:
            return await _error(send, 413, f"request body over the limit of {MAX_BODY_BYTES} bytes")
        status, message, request = check_request(body, self.folders, self.limits, self.count_tokens)
        if status:
            return await _error(send, status, message)
        scope, replayed = _replay(scope, json.dumps(request).encode(), receive)
        name = next(name for name, folder in self.folders.items() if folder == request["model"])
        return await self.app(scope, replayed, _renaming(send, request["model"], name))


async def _read_body(receive, limit: int) -> bytes | None:
    """The request body, or None as soon as it passes ``limit`` bytes."""
    chunks, size, more = [], 0, True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        more = message.get("more_body", False)
    return b"".join(chunks)


def _replay(scope, body: bytes, receive):
    """``(scope, receive)`` that hand the wrapped app ``body`` as JSON, then the client's own events."""
    kept = [(k, v) for k, v in scope["headers"] if k not in (b"content-length", b"content-type", b"transfer-encoding")]
    headers = kept + [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    sent = False

    async def replayed():
        nonlocal sent
        if sent:  # after the body: a disconnect, when it comes (a stream stops on it)
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return {**scope, "headers": headers}, replayed


def _renaming(send, folder: str, name: str):
    """``send`` that puts the served name where the server echoes the model's folder.

    A response of known length is collected whole, renamed, and sent with its
    new length; a stream (no length: server-sent events) is renamed chunk by chunk.
    """
    quoted_folder, quoted_name = json.dumps(folder).encode(), json.dumps(name).encode()
    start, chunks = None, []

    async def renamed(message):
        nonlocal start
        if message["type"] == "http.response.start":
            start = message
            if not any(key == b"content-length" for key, _ in message["headers"]):
                await send(message)  # a stream: its length is not declared
                start = None
            return None
        if message["type"] != "http.response.body":
            return await send(message)
        body = message.get("body", b"").replace(quoted_folder, quoted_name)
        if start is None:
            return await send({**message, "body": body})
        chunks.append(body)
        if message.get("more_body", False):
            return None
        whole = b"".join(chunks)
        headers = [(k, v) for k, v in start["headers"] if k != b"content-length"]
        await send({**start, "headers": headers + [(b"content-length", str(len(whole)).encode())]})
        return await send({"type": "http.response.body", "body": whole})

    return renamed


async def _json(send, status: int, payload: dict) -> None:
    body = json.dumps(payload).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _error(send, status: int, message: str) -> None:
    """An error in the shape OpenAI clients read (``error.message``)."""
    await _json(send, status, {"error": {"message": message, "type": "invalid_request_error", "code": status}})


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
    try:
        server.run()
    except KeyboardInterrupt:  # uvicorn re-raises Ctrl-C after its clean shutdown
        pass
    return 0
