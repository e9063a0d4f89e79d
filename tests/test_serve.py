"""The guard in front of the model server (src/ftlab/serve.py), without a model.

Each bad request must be answered by the guard itself with a 4xx naming the
rule, and must never reach the wrapped server; a good one reaches it as the
server needs it (the model's folder, JSON, the trained system turn), and
the answer comes back with the served name.  Page 08 runs the real server.
"""

import asyncio
import json
import subprocess
import sys

import pytest

from ftlab.call import bad_requests
from ftlab.serve import MAX_BODY_BYTES, RequestGuard, served_models

FOLDER = "/models/job-roles"


class RecordingApp:
    """Stands in for transformers' server: records what reaches it, echoes the model it was asked for."""

    def __init__(self):
        self.requests = []

    async def __call__(self, scope, receive, send):
        message = await receive()
        after_body = await receive()  # what a streaming response listens for
        self.requests.append((scope, json.loads(message["body"] or b"{}"), after_body))
        body = json.dumps({"model": self.requests[-1][1].get("model")}).encode()
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


def guard_and_app():
    app = RecordingApp()
    guard = RequestGuard(app, folders={"job-roles": FOLDER}, limits={"job-roles": 5},
                         count_tokens=lambda name, text: len(text.split()))
    return guard, app


def call(guard, body: bytes, method="POST", path="/v1/chat/completions", chunk=None, disconnect=False):
    """Send one HTTP request through the guard; ``(status, headers, decoded JSON body)`` or None."""
    chunks = [body[i:i + chunk] for i in range(0, len(body), chunk)] if chunk else [body]
    incoming = [{"type": "http.request", "body": c, "more_body": i < len(chunks) - 1} for i, c in enumerate(chunks)]
    if disconnect:  # the client leaves after its first chunk
        incoming = incoming[:1]
    incoming.append({"type": "http.disconnect"})
    sent = []

    async def receive():
        return incoming.pop(0)

    async def send(message):
        sent.append(message)

    headers = [(b"content-type", b"text/plain"), (b"content-length", b"1")]
    asyncio.run(guard({"type": "http", "method": method, "path": path, "headers": headers}, receive, send))
    if not sent:
        return None
    return sent[0]["status"], dict(sent[0]["headers"]), json.loads(sent[1]["body"])


def chat(**fields):
    request = {"model": "job-roles", "messages": [{"role": "system", "content": ""},
                                                  {"role": "user", "content": "Build Spark pipelines."}]}
    return json.dumps({**request, **fields}).encode()


def test_a_good_request_reaches_the_server_as_json_with_the_folder_and_comes_back_named():
    guard, app = guard_and_app()
    status, headers, answer = call(guard, chat(), chunk=7)  # a body in several chunks is read whole
    (scope, request, after_body), = app.requests
    assert request["model"] == FOLDER and status == 200 and answer == {"model": "job-roles"}
    sent_headers = dict(scope["headers"])
    assert sent_headers[b"content-type"] == b"application/json"
    assert headers[b"content-length"] == str(len(json.dumps(answer))).encode()
    assert after_body == {"type": "http.disconnect"}  # the client's own events follow the body


def test_a_request_without_a_system_turn_gets_the_empty_one_the_adapter_was_trained_with():
    guard, app = guard_and_app()
    call(guard, chat(messages=[{"role": "user", "content": "Build Spark pipelines."}]))
    assert app.requests[0][1]["messages"] == [{"role": "system", "content": ""},
                                              {"role": "user", "content": "Build Spark pipelines."}]


@pytest.mark.parametrize("body, status, message", [
    (b'{"model": "job-roles", "messages": [', 400, "the body is not valid JSON"),
    (b'[1, 2]', 400, "the body must be a JSON object"),
    (chat(model="gpt-4o"), 404, "model 'gpt-4o' is not served here; it serves: job-roles"),
    (chat(model=["job-roles"]), 404, "model ['job-roles'] is not served here"),
    (json.dumps({"model": "job-roles", "prompt": "Build Spark pipelines."}).encode(), 422,
     "'messages' must be a non-empty list"),
    (chat(messages=[]), 422, "'messages' must be a non-empty list"),
    (chat(messages=[{"role": "user"}]), 422, "messages[0] must be an object with string 'role' and 'content'"),
    (chat(messages=[{"role": "user", "content": "x"}, {"role": "assistant", "content": "y"}]), 422,
     "the last message must be the user's"),
    (chat(messages=[{"role": "user", "content": "  \n"}]), 422, "the posting (the last user message) is empty"),
    (chat(max_tokens=4096), 422, "max_tokens must be a whole number of at most 64"),
    (chat(messages=[{"role": "user", "content": "one two three four five six"}]), 413,
     "the posting is 6 tokens; job-roles was trained on examples of at most 5 tokens"),
])
def test_each_bad_request_gets_a_4xx_that_names_the_rule_and_never_reaches_the_server(body, status, message):
    guard, app = guard_and_app()
    answer_status, _, answer = call(guard, body)
    assert answer_status == status and answer["error"]["message"].startswith(message), answer
    assert app.requests == []


def test_every_bad_request_page_08_sends_is_refused_by_the_guard():
    guard, app = guard_and_app()
    statuses = {case: call(guard, body)[0] for case, body in bad_requests("job-roles", "Build pipelines.").items()}
    assert all(400 <= status < 500 for status in statuses.values()), statuses
    assert app.requests == []


def test_a_body_over_the_limit_is_refused_before_it_is_parsed():
    guard, app = guard_and_app()
    status, _, answer = call(guard, b"x" * (MAX_BODY_BYTES + 1), chunk=4096)
    assert status == 413 and str(MAX_BODY_BYTES) in answer["error"]["message"] and app.requests == []


def test_a_client_gone_before_its_body_gets_no_answer():
    guard, app = guard_and_app()
    assert call(guard, chat(), chunk=7, disconnect=True) is None and app.requests == []


def test_models_are_listed_by_their_served_names():
    guard, _ = guard_and_app()
    status, _, listing = call(guard, b"", method="GET", path="/v1/models")
    assert status == 200 and [model["id"] for model in listing["data"]] == ["job-roles"]


@pytest.mark.parametrize("method, path, status", [
    ("GET", "/health", 200), ("POST", "/reset", 404), ("POST", "/load_model", 404),
    ("GET", "/v1/chat/completions", 404), ("POST", "/v1/completions", 404),
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


def chunked_app(headers, chunks):
    """A server whose answer comes in several body messages (as FastAPI's middleware sends it)."""
    async def app(scope, receive, send):
        await receive()
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        for index, chunk in enumerate(chunks):
            await send({"type": "http.response.body", "body": chunk, "more_body": index < len(chunks) - 1})
    return app


@pytest.mark.parametrize("streamed", [False, True])
def test_the_served_name_replaces_the_folder_in_answers_sent_in_pieces(streamed):
    chunks = [b'{"model": "' + FOLDER.encode() + b'", ', b'"text": "Data Engineer"}', b""]
    length = [] if streamed else [(b"content-length", str(sum(map(len, chunks))).encode())]
    guard = RequestGuard(chunked_app(length, chunks), folders={"job-roles": FOLDER}, limits={"job-roles": 5},
                         count_tokens=lambda name, text: 1)
    sent = []

    async def receive():
        return {"type": "http.request", "body": chat(), "more_body": False}

    async def send(message):
        sent.append(message)

    asyncio.run(guard({"type": "http", "method": "POST", "path": "/v1/chat/completions", "headers": []},
                      receive, send))
    body = b"".join(message.get("body", b"") for message in sent[1:])
    assert json.loads(body) == {"model": "job-roles", "text": "Data Engineer"}
    declared = dict(sent[0]["headers"]).get(b"content-length")
    assert declared == (None if streamed else str(len(body)).encode())
