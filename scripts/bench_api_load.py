"""The load of ``bench_api.py``: wrk runs driven by generated Lua scripts, and the API's own counters around them.

Each Lua script picks its requests at random (a per-thread seed) and prints wrk's summary as one JSON line from
its ``done`` hook, so nothing is parsed out of wrk's human-readable report. The status classes and the events
accepted come from the API's ``/metrics`` (summed over its server processes), read before and after a run.
"""

from __future__ import annotations

import json
import subprocess
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

_COMMON = r"""
local seq = 0
function setup(thread)
  seq = seq + 1
  thread:set("tid", seq)
end
function init(args)
  math.randomseed(tid * 7919 + os.time())
end
function done(summary, latency, requests)
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"connect_errors":%d,"read_errors":%d,"write_errors":%d,' ..
    '"status_errors":%d,"timeouts":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f}\n',
    summary.requests, summary.duration, summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.status, summary.errors.timeout, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, latency.mean))
end
"""


def lua_string(text: str) -> str:
    """``text`` as a Lua long-bracket literal (no escapes to get wrong)."""
    level = 0
    while f"]{'=' * level}]" in text:
        level += 1
    return f"[{'=' * level}[{text}]{'=' * level}]"


def lua_list(items: Sequence[str]) -> str:
    return "{" + ",\n".join(lua_string(i) for i in items) + "}"


def reads_script(key: str, paths: Sequence[str], etags: Sequence[str] | None = None) -> str:
    """GETs of a random path of ``paths`` with the key (and the path's ``ETag`` as If-None-Match, if given)."""
    if etags is None:
        pick = "return wrk.format('GET', paths[i], {['Authorization'] = auth})"
    else:
        pick = "return wrk.format('GET', paths[i], {['Authorization'] = auth, ['If-None-Match'] = etags[i]})"
    return f"""
local paths = {lua_list(paths)}
local etags = {lua_list(etags or [])}
local auth = {lua_string("Bearer " + key)}
request = function()
  local i = math.random(#paths)
  {pick}
end
{_COMMON}"""


def ingest_script(key: str, run: str, templates: Sequence[str], per_request: int) -> str:
    """POSTs of events with unique ids (``run``, thread, counter): one per request to ``/v1/events``, or
    ``per_request`` to ``/v1/events/batch``. ``templates`` are event JSON objects without their ``event_id``
    and without the opening brace."""
    if per_request == 1:
        body = "local body = event()\n  local path = '/v1/events'"
    else:
        body = (
            f"local parts = {{}}\n  for j = 1, {per_request} do parts[j] = event() end\n"
            "  local body = '{\"events\":[' .. table.concat(parts, ',') .. ']}'\n  local path = '/v1/events/batch'"
        )
    return f"""
local templates = {lua_list(templates)}
local headers = {{['Authorization'] = {lua_string("Bearer " + key)}, ['Content-Type'] = 'application/json'}}
local n = 0
local function event()
  n = n + 1
  return '{{"event_id":"{run}-' .. tid .. '-' .. n .. '",' .. templates[(n % #templates) + 1]
end
request = function()
  {body}
  return wrk.format('POST', path, headers, body)
end
{_COMMON}"""


def wrk(base: str, script: str, folder: Path, name: str, connections: int, threads: int, seconds: float) -> dict:
    """Run wrk with ``script``; its summary, latencies in milliseconds."""
    path = folder / f"{name}.lua"
    path.write_text(script, encoding="utf-8")
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{round(seconds)}s", "--latency", "-s", str(path), base]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 120, check=True)
    line = next(x for x in done.stdout.splitlines() if x.startswith("WRKJSON "))
    raw = json.loads(line[len("WRKJSON ") :])
    duration = raw["duration_us"] / 1e6
    return {
        "connections": connections,
        "threads": threads,
        "duration_s": round(duration, 2),
        "requests": raw["requests"],
        "requests_per_s": round(raw["requests"] / duration, 1),
        "latency_ms": {k: round(raw[f"{k}_us"] / 1000, 2) for k in ("p50", "p90", "p99", "max", "mean")},
        "socket_errors": {k: raw[f"{k}_errors"] for k in ("connect", "read", "write")} | {"timeout": raw["timeouts"]},
        "wrk_status_errors": raw["status_errors"],  # answers of 400 or above, as wrk counts them
    }


def counters(base: str) -> dict[tuple[str, ...], float]:
    """The API's request counts by (route, status class) and events accepted by type, summed over processes."""
    with urllib.request.urlopen(f"{base}/metrics", timeout=10) as response:
        text = response.read().decode()
    out: dict[tuple[str, ...], float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "careerrank_api_requests_total":
                key: tuple[str, ...] = ("requests", sample.labels["route"], sample.labels["status"])
            elif sample.name == "careerrank_api_events_accepted_total":
                key = ("events", sample.labels["type"])
            else:
                continue
            out[key] = out.get(key, 0.0) + sample.value
    return out


def delta(before: dict[tuple[str, ...], float], after: dict[tuple[str, ...], float], route: str) -> dict[str, Any]:
    """What a run added: answers of ``route`` by status class, and events accepted."""
    statuses: dict[str, int] = {}
    for key, value in after.items():
        if key[0] == "requests" and key[1] == route and (n := int(value - before.get(key, 0.0))):
            statuses[key[2]] = statuses.get(key[2], 0) + n
    events = sum(int(v - before.get(k, 0.0)) for k, v in after.items() if k[0] == "events")
    non_2xx = sum(n for status, n in statuses.items() if status != "2xx")
    return {"statuses": dict(sorted(statuses.items())), "non_2xx": non_2xx, "events_accepted": events}
