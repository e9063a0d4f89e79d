"""Page: Ship it: merge, serve and call the fine-tuned model (docs/08-serving.md).

Page 03's adapter merged into its base and saved as a standalone model
folder, served over an OpenAI-compatible HTTP API on loopback, called with
the openai client and curl, loaded at several concurrencies, sent bad
requests, and stopped.
"""

# --8<-- [start:merge]
from transformers import AutoModelForCausalLM, AutoTokenizer

from ftlab import jobs
from ftlab.export import merged_model
from ftlab.predict import score
from ftlab.evaluate import evaluate

folder = merged_model("job-roles")  # merge_and_save above, cached after the first call
for path in sorted(folder.iterdir()):
    print(f"{path.name:26} {path.stat().st_size / 1e6:8.2f} MB")

merged = AutoModelForCausalLM.from_pretrained(folder, dtype="float32").eval()  # no peft, no adapter folder
tokenizer = AutoTokenizer.from_pretrained(folder)
postings = jobs.load_split("test")[:32]
standalone = score(merged, tokenizer, postings)
with_adapter = evaluate("job-roles")  # base + adapter, page 03's answers
same = sum(a == b for a, b in zip(standalone.answers, with_adapter.answers))
print(f"merged folder vs base + adapter: {same}/{len(postings)} identical answers")
# --8<-- [end:merge]

# --8<-- [start:start]
import tempfile
from pathlib import Path

from ftlab.call import start_server, wait_until_ready

PORT = 8008
log = Path(tempfile.gettempdir()) / "ftlab-serve.log"  # the server's own output
# The same as typing, in a terminal of its own:
#   python -m ftlab serve --model job-roles --model seniority --port 8008
server = start_server(["job-roles", "seniority"], PORT, log)
# Polls GET /health: seconds once the merged folders exist (each model loads on its first request).
seconds = wait_until_ready(PORT, server, log)
print("server ready:", server.poll() is None)
# --8<-- [end:start]

# --8<-- [start:openai]
from openai import OpenAI

from ftlab.task import prompt_for

client = OpenAI(base_url=f"http://127.0.0.1:{PORT}/v1", api_key="not-needed-locally", max_retries=0)
posting = jobs.load_split("test")[0]["text"]
print(posting[:100], "...")
for model in ("job-roles", "seniority"):  # one server, two fine-tuned models, chosen per request
    reply = client.chat.completions.create(
        model=model,
        messages=prompt_for(posting),  # the system and user turns the adapter was trained on
        max_tokens=8,
        temperature=0,  # greedy: the same answer every time
    )
    print(f"{model:10} -> {reply.choices[0].message.content!r}")
# --8<-- [end:openai]

# --8<-- [start:format]
from ftlab.call import ask
from ftlab.task import complies, parse_label

answers = [ask(client, "job-roles", record["text"]) for record in postings]
print(f"exactly one role, nothing else: {sum(complies(a) for a in answers)}/{len(answers)}")
print(f"a role the parser can read    : {sum(parse_label(a) is not None for a in answers)}/{len(answers)}")
print(f"same answers as in-process    : {sum(a == b for a, b in zip(answers, standalone.answers))}/{len(answers)}")
# --8<-- [end:format]

# --8<-- [start:bad-requests]
import json

from ftlab.call import bad_requests, post
from ftlab.provenance import load_results

stock = load_results("08-serving")["results"]["stock_server"]  # transformers serve alone, measured
good = postings[0]["text"]
print(f"{'request':24} {'stock':>5} {'here':>4}  what the client is told here")
for case, body in bad_requests("job-roles", good).items():
    status, message = post(PORT, body)
    before = stock[case][0] if case in stock else "-"
    print(f"{case:24} {before:>5} {status:>4}  {message}")
good_request = {"model": "job-roles", "messages": prompt_for(good), "max_tokens": 8, "temperature": 0}
status, answer = post(PORT, json.dumps(good_request).encode())
print(f"{'then a good request':24} {'':>5} {status:>4}  {answer}")
# --8<-- [end:bad-requests]

# --8<-- [start:load-now]
from ftlab.call import load

row = load(PORT, "job-roles", [r["text"] for r in postings[:24]], concurrency=4)
print(f"{row['requests']} requests, 4 at a time: {row['answered']} answered, {row['failed']} failed")
print("answers as asked one by one:", row["answers"] == answers[:24])
# --8<-- [end:load-now]

# --8<-- [start:stop]
import signal

from ftlab.call import stop_server

code = stop_server(server)  # SIGTERM: uvicorn finishes what it has, shuts down, then exits on the signal
print("ended by SIGTERM:", code == -signal.SIGTERM)
print("clean shutdown:", "Application shutdown complete" in log.read_text())
# --8<-- [end:stop]

# --8<-- [start:load-table]
from ftlab.predict import score_from_answers
from ftlab.provenance import load_results, machine_line

record = load_results("08-serving")
results = record["results"]
print(f"{'how':26} {'requests':>8} {'failed':>6} {'per second':>10} {'p50 s':>6} {'p95 s':>6}")
base = results["in_process"]
print(f"{'in-process, one by one':26} {base['requests']:>8} {0:>6} {base['requests_per_second']:>10.2f} "
      f"{base['p50_seconds']:>6.2f} {base['p95_seconds']:>6.2f}")
for row in results["load"]:
    print(f"{'server, ' + str(row['concurrency']) + ' at a time':26} {row['requests']:>8} {row['failed']:>6} "
          f"{row['requests_per_second']:>10.2f} {row['p50_seconds']:>6.2f} {row['p95_seconds']:>6.2f}")
same = all(row["answers"] == base["answers"] for row in results["load"])
print(f"answers identical at every concurrency and in-process: {same}")
test_split = results["test_split"]
served = score_from_answers(test_split["answers"], jobs.load_split("test"))
print(f"test split through the server: {served.summary()} (page 03: {with_adapter.summary()})")
print(f"server's peak memory, one model loaded: {results['server_peak_memory_mb']:.0f} MB")
committed = test_split["answers"][: len(answers)]
print(f"this run's {len(answers)} answers equal the committed ones: {answers == committed}")
print(f"measured on {machine_line(record)}, {record['provenance']['date']}")
# --8<-- [end:load-table]
