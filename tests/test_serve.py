"""The guard in front of the model server (src/ftlab/serve.py), without a model.

Each bad request must be answered by the guard itself with a 4xx naming the
rule, and must never reach the wrapped server; a good one reaches it with
the served name replaced by the model's folder.  Page 08 runs the real
server end to end.
"""

import asyncio
import json
import subprocess
import sys

import pytest

from ftlab.serve import MAX_BODY_BYTES, RequestGuard, served_models


class RecordingApp:
    """Stands in for transformers' server: records what reaches it, answers 200."""

    def __init__(self):
        self.bodies = []

    async def __call__(self, scope, receive, send):
        message = await receive()
        self.bodies.append((scope["path"], message.get("body", b""), dict(scope["headers"])))
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})


def guard_and_app():
    app = RecordingApp()
    guard = RequestGuard(app, folders={"job-roles": "/models/job-roles"}, limits={"job-roles": 5},
                         count_tokens=lambda name, text: len(text.split()))
    return guard, app


def call(guard, body: bytes, method="POST", path="/v1/chat/completions", chunk=None):
    """Send one HTTP request through the guard; ``(status, decoded JSON body)``."""
    chunks = [body[i:i + chunk] for i in range(0, len(body), chunk)] if chunk else [body]
    incoming = [{"type": "http.request", "body": c, "more_body": i < len(chunks) - 1} for i, c in enumerate(chunks)]
    sent = []

    async def receive():
        return incoming.pop(0)

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": method, "path": path, "headers": [(b"content-length", b"1")]}
    asyncio.run(guard(scope, receive, send))
    return sent[0]["status"], json.loads(sent[1]["body"])


def chat(**fields):
    request = {"model": "job-roles", "messages": [{"role": "system", "content": ""},
                                                  {"role": "user", "content": "Build Spark pipelines."}]}
    return json.dumps({**request, **fields}).encode()


def test_a_good_request_reaches_the_server_with_the_models_folder():
    guard, app = guard_and_app()
    assert call(guard, chat(), chunk=7)[0] == 200  # a body in several chunks is read whole
    (path, body, headers), = app.bodies
    assert path == "/v1/chat/completions" and json.loads(body)["model"] == "/models/job-roles"
    assert headers[b"content-length"] == str(len(body)).encode()


@pytest.mark.parametrize("body, status, message", [
    (b'{"model": "job-roles", "messages": [', 400, "the body is not valid JSON"),
    (b'[1, 2]', 400, "the body must be a JSON object"),
    (chat(model="gpt-4o"), 404, "model 'gpt-4o' is not served here; it serves: job-roles"),
    (chat(messages=[]), 422, "'messages' must be a non-empty list"),
    (chat(messages=[{"role": "user"}]), 422, "messages[0] must be an object with string 'role' and 'content'"),
    (chat(messages=[{"role": "user", "content": "x"}, {"role": "assistant", "content": "y"}]), 422,
     "the last message must be the user's"),
    (chat(messages=[{"role": "user", "content": "  \n"}]), 422, "the posting (the last user message) is empty"),
    (chat(messages=[{"role": "user", "content": "one two three four five six"}]), 413,
     "the posting is 6 tokens; job-roles was trained on postings of at most 5 tokens"),
])
def test_each_bad_request_gets_a_4xx_that_names_the_rule_and_never_reaches_the_server(body, status, message):
    guard, app = guard_and_app()
    answer_status, answer = call(guard, body)
    assert answer_status == status and answer["error"]["message"].startswith(message), answer
    assert app.bodies == []


def test_a_body_over_the_limit_is_refused_before_it_is_parsed():
    guard, app = guard_and_app()
    status, answer = call(guard, b"x" * (MAX_BODY_BYTES + 1), chunk=4096)
    assert status == 413 and str(MAX_BODY_BYTES) in answer["error"]["message"] and app.bodies == []


@pytest.mark.parametrize("method, path, status", [
    ("GET", "/health", 200), ("GET", "/v1/models", 200), ("POST", "/reset", 404), ("POST", "/load_model", 404),
    ("GET", "/v1/chat/completions", 404),
])
def test_only_the_routes_a_client_needs_are_open(method, path, status):
    guard, _ = guard_and_app()
    assert call(guard, b"", method=method, path=path)[0] == status


def test_a_folder_that_is_no_merged_model_is_refused(tmp_path):
    with pytest.raises(FileNotFoundError, match="not a merged model folder"):
        served_models([f"mine={tmp_path}"])
    with pytest.raises(ValueError, match="not a run name"):
        served_models(["no-such-run"])


def test_the_command_names_a_bad_model_and_exits_2(tmp_path):
    result = subprocess.run([sys.executable, "-m", "ftlab", "serve", "--model", f"mine={tmp_path}"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "not a merged model folder" in result.stderr
