"""Calling a served model: start and stop the server, ask, load it, send it bad requests.

``python -m ftlab.call measure`` runs page 08's heavy measurement (every test
posting through the server, and the load at several concurrencies) and
writes ``docs/results/08-serving.json``; the test run repeats a small part.
"""

from __future__ import annotations

import atexit
import json
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ftlab import jobs
from ftlab.predict import answer_tokens
from ftlab.task import FINE_TUNED_SYSTEM, prompt_for

HOST = "127.0.0.1"


def start_server(models: list[str], port: int, log: Path) -> subprocess.Popen:
    """``python -m ftlab serve`` in the background, its output in ``log``; stopped at exit at the latest."""
    command = [sys.executable, "-m", "ftlab", "serve", "--port", str(port)]
    for model in models:
        command += ["--model", model]
    return _background(command, log, port)


def start_stock_server(port: int, log: Path) -> subprocess.Popen:
    """``transformers serve`` as it ships, without the guard: for comparison only."""
    code = "from transformers.cli.transformers import app; app()"
    command = [sys.executable, "-c", code, "serve", "--host", HOST, "--port", str(port), "--device", "cpu"]
    return _background(command, log, port)


def _background(command: list[str], log: Path, port: int) -> subprocess.Popen:
    _check_port_is_free(port)  # else /health could answer from another server than ours
    with open(log, "wb") as output:
        server = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
    atexit.register(stop_server, server)  # a page or notebook that stops half-way leaves nothing running
    return server


def _check_port_is_free(port: int) -> None:
    import socket

    with socket.socket() as probe:
        if probe.connect_ex((HOST, port)) == 0:
            raise RuntimeError(f"port {port} on {HOST} is taken (a server started earlier?): stop it or pick another")


def wait_until_ready(port: int, server: subprocess.Popen, log: Path, timeout: float = 300) -> float:
    """Seconds until ``GET /health`` answers; an error with the log's end if the server dies or stalls."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited with code {server.returncode}:\n{_tail(log)}")
        try:
            with urllib.request.urlopen(f"http://{HOST}:{port}/health", timeout=2) as reply:
                if reply.status == 200:
                    return time.monotonic() - started
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"the server did not answer /health within {timeout:.0f} s:\n{_tail(log)}")


def stop_server(server: subprocess.Popen, timeout: float = 30) -> int:
    """SIGTERM (uvicorn shuts down cleanly on it), then SIGKILL if it hangs; the exit code."""
    if server.poll() is None:
        server.terminate()
        try:
            server.wait(timeout)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    return server.returncode


def _tail(log: Path, lines: int = 20) -> str:
    return "\n".join(Path(log).read_text(errors="replace").splitlines()[-lines:])


def client(port: int):
    """An OpenAI client for the local server.  No retries: a failed request must show as one."""
    from openai import OpenAI

    return OpenAI(base_url=f"http://{HOST}:{port}/v1", api_key="not-needed-locally", max_retries=0, timeout=120)


def ask(openai_client, model: str, posting: str) -> str:
    """The model's answer to one posting, greedy, as page 03's adapter was asked."""
    reply = openai_client.chat.completions.create(
        model=model,
        messages=prompt_for(posting, system=FINE_TUNED_SYSTEM),
        max_tokens=answer_tokens(FINE_TUNED_SYSTEM),
        temperature=0,
    )
    return reply.choices[0].message.content.strip()


def load(port: int, model: str, postings: list[str], concurrency: int) -> dict:
    """Send every posting once, ``concurrency`` at a time: throughput, latencies, failures."""
    openai_client = client(port)

    def one(posting):
        started = time.perf_counter()
        try:
            answer = ask(openai_client, model, posting)
        except Exception as error:  # noqa: BLE001 - every failure is counted, none may stop the run
            return None, None, f"{type(error).__name__}: {error}"
        return time.perf_counter() - started, answer, None

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        results = list(pool.map(one, postings))
    wall = time.perf_counter() - started
    # Latencies of the answered requests; the failed ones are counted, and listed with their error.
    latencies = sorted(seconds for seconds, _, _ in results if seconds is not None)
    return {
        "concurrency": concurrency,
        "requests": len(postings),
        "answered": len(latencies),
        "failed": len(postings) - len(latencies),
        "errors": [error for _, _, error in results if error],
        "requests_per_second": len(latencies) / wall,
        "p50_seconds": statistics.median(latencies) if latencies else None,
        "p95_seconds": statistics.quantiles(latencies, n=20)[18] if len(latencies) > 1 else None,
        "answers": [answer for _, answer, _ in results],  # None where a request failed
    }


def post(port: int, body: bytes) -> tuple[int, str]:
    """A raw POST to ``/v1/chat/completions``: ``(status, error message or the answer)``."""
    request = urllib.request.Request(
        f"http://{HOST}:{port}/v1/chat/completions", data=body, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as reply:
            return reply.status, json.loads(reply.read())["choices"][0]["message"]["content"].strip()
    except urllib.error.HTTPError as error:
        return error.code, _error_message(error.read())


def _error_message(body: bytes) -> str:
    """The message of an error answer, in OpenAI's shape or FastAPI's (``detail``)."""
    try:
        detail = json.loads(body)
    except json.JSONDecodeError:
        return body.decode(errors="replace")
    error = detail.get("error") if isinstance(detail, dict) else None
    if isinstance(error, dict):
        return str(error.get("message"))
    return json.dumps(detail)


def bad_requests(model: str, good_posting: str) -> dict[str, bytes]:
    """Requests a client can get wrong, each as the bytes it sends."""

    def chat(**fields):
        return json.dumps({"model": model, "max_tokens": 8, "temperature": 0, **fields}).encode()

    def posting(text):
        return prompt_for(text, system=FINE_TUNED_SYSTEM)

    return {
        "empty posting": chat(messages=posting("   ")),
        "posting of 1 MB": chat(messages=posting("Kubernetes " * 95_000)),
        "posting of 12 KB": chat(messages=posting("Build and run our Spark pipelines. " * 350)),
        "malformed JSON": chat(messages=posting(good_posting))[:-2],
        "unknown model": json.dumps({"model": "gpt-4o", "messages": posting(good_posting)}).encode(),
        "no messages": chat(prompt=good_posting),
        "message without content": chat(messages=[{"role": "user"}]),
    }


def in_process(model_folder: Path, postings: list[str]) -> dict:
    """The merged model asked in this process, one posting at a time: the server's baseline."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from ftlab.predict import generate_answers

    model = AutoModelForCausalLM.from_pretrained(model_folder, dtype="float32").eval()
    tokenizer = AutoTokenizer.from_pretrained(model_folder)
    latencies, answers = [], []
    started = time.perf_counter()
    for text in postings:
        one = time.perf_counter()
        answers += generate_answers(model, tokenizer, [prompt_for(text, system=FINE_TUNED_SYSTEM)],
                                    max_new_tokens=answer_tokens(FINE_TUNED_SYSTEM))
        latencies.append(time.perf_counter() - one)
    wall = time.perf_counter() - started
    return {"requests": len(postings), "requests_per_second": len(postings) / wall,
            "p50_seconds": statistics.median(latencies),
            "p95_seconds": statistics.quantiles(latencies, n=20)[18], "answers": answers}


def stock_answers(port: int, good_posting: str) -> dict[str, list]:
    """``{case: [status, message]}``: what transformers serve alone answers to the bad requests.

    The 1 MB posting is not sent: with no size limit, the stock server would
    start generating from it while the requests behind it wait.
    """
    from ftlab.export import merged_model

    folder = str(merged_model("job-roles"))  # the stock server knows models by folder only
    log = Path(f"/tmp/ftlab-stock-serve-{port}.log")
    server = start_stock_server(port, log)
    try:
        wait_until_ready(port, server, log)
        cases = bad_requests(folder, good_posting)
        del cases["posting of 1 MB"]
        return {case: list(post(port, body)) for case, body in cases.items()}
    finally:
        stop_server(server)


def peak_memory_mb(pid: int) -> float | None:
    """A process's peak resident memory (Linux's VmHWM), or None where /proc does not say."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    kilobytes = next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:")), None)
    return kilobytes / 1024 if kilobytes else None


def measure(port: int = 8018, requests: int = 200, concurrencies: tuple[int, ...] = (1, 4, 8)) -> Path:
    """Page 08's committed measurement (about 10 minutes on 2 cores)."""
    from ftlab.export import merged_model
    from ftlab.provenance import save_results
    from ftlab.train import NAMED_RUNS

    test = [r["text"] for r in jobs.load_split("test")]
    postings = [test[i % len(test)] for i in range(requests)]
    baseline = in_process(merged_model("job-roles"), postings)
    log = Path(f"/tmp/ftlab-serve-{port}.log")
    server = start_server(["job-roles"], port, log)
    try:
        ready = wait_until_ready(port, server, log)
        load(port, "job-roles", test[:4], 1)  # the first request loads the model: not part of the timing
        every_test_posting = load(port, "job-roles", test, 1)
        rows = [load(port, "job-roles", postings, n) for n in concurrencies]
        peak_mb = peak_memory_mb(server.pid)
    finally:
        stop_server(server)
    failed = [row for row in [every_test_posting, *rows] if row["failed"]]
    if failed:  # a broken server or client is a bug to fix, not a result to commit
        raise RuntimeError(f"requests failed, nothing written: {failed[0]['errors'][:3]}")
    results = {"ready_seconds": ready, "server_peak_memory_mb": peak_mb, "test_split": every_test_posting,
               "load": rows, "in_process": baseline, "stock_server": stock_answers(port + 1, test[0])}
    return save_results("08-serving", results, seed=NAMED_RUNS["job-roles"].seed,
                        command="python -m ftlab.call measure")


if __name__ == "__main__":
    if sys.argv[1:] != ["measure"]:
        sys.exit("usage: python -m ftlab.call measure")
    print(measure())
