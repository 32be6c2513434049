"""Static checks of deploy/: nothing here needs Docker, Kubernetes or Prometheus.

Every YAML/JSON file parses, and every name the deploy files share with the code is real: compose
services in ``depends_on``, ``careerrank`` subcommands (the parser the ``careerrank`` command builds), ``CAREERRANK_*``
variables (fields of ``careerrank.settings.Settings``), metric names in alerts and the dashboard
(``careerrank.observability.metrics.PipelineMetrics``), and the Dockerfiles install torch before the package.
Every deployable worker (``workers.__main__.DEPLOYABLES``) is deployed and monitored alike: a compose service, a
Kubernetes Deployment, a Prometheus job, the alert rules and the dashboard. The ``careerrank`` commands the docs
show (``docker compose ... run``, ``kubectl exec``) parse too. The ``test_checker_*`` tests feed each checker a
broken input, so a checker that finds nothing fails too.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import re
import shlex
import tomllib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client import CollectorRegistry
from pydantic import BaseModel

from careerrank.cli import build_parser
from careerrank.observability import PipelineMetrics
from careerrank.observability.api_metrics import ApiMetrics
from careerrank.settings import Settings, WorkerSettings
from workers.__main__ import DEPLOYABLES

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
COMPOSE = DEPLOY / "docker-compose.yml"
PROMETHEUS = DEPLOY / "prometheus" / "prometheus.yml"
ALERTS = DEPLOY / "prometheus" / "alerts.yml"
DASHBOARD = DEPLOY / "grafana" / "dashboard.json"
K8S = DEPLOY / "k8s"

EXPECTED_FILES = [
    "Dockerfile",
    "Dockerfile.gpu",
    "docker-compose.yml",
    "prometheus/prometheus.yml",
    "prometheus/alerts.yml",
    "grafana/dashboard.json",
    "k8s/configmap.yaml",
    "k8s/secret.example.yaml",
    "k8s/migrate-job.yaml",
    "k8s/reindex-job.yaml",
    "k8s/embedder.yaml",
    "k8s/matcher.yaml",
    "k8s/scorer.yaml",
    "k8s/scorer-train-job.yaml",
]
YAML_FILES = sorted(p for p in DEPLOY.rglob("*") if p.suffix in (".yml", ".yaml"))
JSON_FILES = sorted(DEPLOY.rglob("*.json"))
TEXT_FILES = sorted(p for p in DEPLOY.rglob("*") if p.is_file())

# Metrics that come from elsewhere than PipelineMetrics, allowed by name (not by pattern).
PROMETHEUS_BUILTIN = {"up"}
RABBITMQ_METRICS = {  # rabbitmq_prometheus plugin, /metrics/detailed?family=queue_coarse_metrics
    "rabbitmq_detailed_queue_messages_ready",
    "rabbitmq_detailed_queue_messages_unacked",
    "rabbitmq_detailed_queue_messages",
}
DEPENDS_ON_CONDITIONS = {"service_started", "service_healthy", "service_completed_successfully"}
WORKER_METRICS_PORTS = {"embedder": 9101, "matcher": 9102, "scorer": 9103}
# Deployables that serve HTTP, their /metrics on the same port (CAREERRANK_API__PORT).
HTTP_PORTS = {"api": 8000}
HTTP_PORT_VAR = "CAREERRANK_API__PORT"
QUEUE_PREFIX = "careerrank"  # CAREERRANK_AMQP__PREFIX in k8s/configmap.yaml, the default elsewhere
GRID_COLUMNS = 24  # Grafana's dashboard grid
DRAIN_TIMEOUT_VAR = "CAREERRANK_WORKER__DRAIN_TIMEOUT_S"
METRICS_PORT_VAR = "CAREERRANK_WORKER__METRICS_PORT"


# ---------------------------------------------------------------------------------------------- loading


def _yaml_docs(path: Path) -> list[Any]:
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc is not None]


def _compose() -> dict[str, Any]:
    (doc,) = _yaml_docs(COMPOSE)
    assert isinstance(doc, dict)
    return doc


def _k8s_docs() -> list[tuple[Path, dict[str, Any]]]:
    return [(path, doc) for path in YAML_FILES if K8S in path.parents for doc in _yaml_docs(path)]


def _env_dict(env: Any) -> dict[str, str]:
    """A compose ``environment`` (mapping or list of ``K=V``) as a dict of strings."""
    if env is None:
        return {}
    if isinstance(env, list):
        return dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {str(k): "" if v is None else str(v) for k, v in env.items()}


def _seconds(duration: Any) -> float:
    """A compose duration (``45s``, ``1m30s``) or a bare number in seconds."""
    if isinstance(duration, int | float):
        return float(duration)
    units = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001, "us": 0.000001}
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|us|h|m|s)", str(duration))
    if not parts or "".join(n + u for n, u in parts) != str(duration):
        raise ValueError(f"not a duration: {duration!r}")
    return sum(float(n) * units[u] for n, u in parts)


def _drain_timeout(env: dict[str, str]) -> float:
    return float(env.get(DRAIN_TIMEOUT_VAR, WorkerSettings().drain_timeout_s))


# ---------------------------------------------------------------------------------------------- checkers


def _parser() -> argparse.ArgumentParser:
    return build_parser(DEPLOYABLES)


def _subcommands() -> set[str]:
    for action in _parser()._actions:
        if isinstance(action, argparse._SubParsersAction):
            return set(action.choices)
    raise AssertionError("careerrank's parser has no subcommands")


def _command_problems(commands: list[tuple[str, list[str]]]) -> list[str]:
    """Each ``(where, argv after 'careerrank')`` must name a real subcommand and parse as a whole."""
    known = _subcommands()
    problems = []
    for where, argv in commands:
        if not argv or argv[0] not in known:
            problems.append(f"{where}: `careerrank {' '.join(argv)}` is not one of {sorted(known)}")
            continue
        with contextlib.redirect_stderr(io.StringIO()) as err:
            try:
                _parser().parse_args(argv)
            except SystemExit:
                problems.append(f"{where}: `careerrank {' '.join(argv)}` does not parse: {err.getvalue().strip()}")
    return problems


def _settings_field_problem(name: str) -> str | None:
    """None if ``name`` (``CAREERRANK_SECTION__FIELD``) sets a real leaf field of Settings."""
    parts = name.removeprefix("CAREERRANK_").lower().split("__")
    model: type[BaseModel] = Settings
    for i, part in enumerate(parts):
        field = model.model_fields.get(part)
        if field is None:
            return f"{name}: {model.__name__} has no field {part!r} (Settings ignores unknown variables silently)"
        annotation = field.annotation
        nested = isinstance(annotation, type) and issubclass(annotation, BaseModel)
        last = i == len(parts) - 1
        if last and nested:
            return f"{name}: {part!r} is a section of Settings, not a setting"
        if not last and not nested:
            return f"{name}: {part!r} is a setting, not a section with fields"
        if nested:
            model = annotation  # type: ignore[assignment]
    return None


def _exposed_metric_names() -> set[str]:
    """Series names a worker's or the API's /metrics can expose, from their metrics on a fresh registry."""
    registry = CollectorRegistry()
    PipelineMetrics(registry)
    ApiMetrics(registry)
    names: set[str] = set()
    suffixes = {"counter": ("_total", "_created"), "histogram": ("_bucket", "_sum", "_count", "_created")}
    for family in registry.collect():
        names.update(family.name + s for s in suffixes.get(family.type, ("",)))
    return names


_PROMQL_KEYWORDS = {
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "and",
    "or",
    "unless",
    "bool",
    "offset",
    "inf",
    "nan",
}


def _promql_metric_names(expr: str) -> set[str]:
    """Metric names in a PromQL expression: identifiers that are not functions, keywords or labels."""
    s = re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`', '""', expr)  # string literals
    s = re.sub(r"\{[^}]*\}", " ", s)  # label matchers
    s = re.sub(r"\[[^\]]*\]", " ", s)  # ranges, subqueries, $__rate_interval
    s = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", s)  # label lists
    names = set()
    for m in re.finditer(r"(?<![\w.$])[A-Za-z_:][A-Za-z0-9_:]*", s):
        if s[m.end() :].lstrip().startswith("(") or m.group().lower() in _PROMQL_KEYWORDS:
            continue  # a function or aggregation, or a keyword
        names.add(m.group())
    return names


def _metric_problems(exprs: list[tuple[str, str]]) -> list[str]:
    known = _exposed_metric_names() | RABBITMQ_METRICS | PROMETHEUS_BUILTIN
    problems = []
    for where, expr in exprs:
        if expr.count("(") != expr.count(")") or expr.count("[") != expr.count("]"):
            problems.append(f"{where}: unbalanced brackets in {expr!r}")
        names = _promql_metric_names(expr)
        if not names:
            problems.append(f"{where}: no metric found in {expr!r}")
        problems.extend(f"{where}: unknown metric {n!r}" for n in sorted(names - known))
    return problems


def _depends_on(service: dict[str, Any]) -> dict[str, str]:
    deps = service.get("depends_on") or {}
    if isinstance(deps, list):
        return dict.fromkeys(deps, "service_started")
    return {name: (spec or {}).get("condition", "service_started") for name, spec in deps.items()}


_LABEL_MATCHER = re.compile(r'([A-Za-z_]\w*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"')
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')


def _accepts(op: str, pattern: str, value: str) -> bool:
    """Whether a PromQL label matcher ``op pattern`` (regexes anchored, as PromQL does) accepts ``value``."""
    if op in ("=", "!="):
        return (pattern == value) is (op == "=")
    return (re.fullmatch(pattern, value) is not None) is (op == "=~")


def _selects(
    expr: str, metric: str, label: str, value: str, *, before: str = "", after: str = "", unfiltered: bool = False
) -> bool:
    """Whether a use of ``metric`` in ``expr`` (preceded by the regex ``before``, followed by ``after``) selects the
    series whose ``label`` is ``value``: its matchers on ``label`` all accept it, and it has one unless
    ``unfiltered`` lets a use without a matcher on ``label`` (which selects every value) count."""
    masked = _STRING.sub(lambda m: '"' + "_" * (len(m[0]) - 2) + '"', expr)  # braces inside strings
    pattern = rf"{before}(?<![\w:.$]){re.escape(metric)}(?![\w:])\s*(\{{[^}}]*\}})?{after}"
    for m in re.finditer(pattern, masked):
        selector = expr[m.start(1) : m.end(1)] if m[1] else ""
        matchers = [
            (op, re.sub(r"\\(.)", r"\1", quoted))  # the string literal's escapes
            for name, op, quoted in _LABEL_MATCHER.findall(selector)
            if name == label
        ]
        if all(_accepts(op, p, value) for op, p in matchers) if matchers else unfiltered:
            return True
    return False


def _alert_coverage_problems(exprs: list[str], workers: Iterable[str]) -> list[str]:
    """What the alert rules leave unwatched of each worker: its queue's backlog, its scrape target down or
    missing, its failing batches, its dead letters."""
    problems = []
    for worker in workers:
        queue, job = f"{QUEUE_PREFIX}.{worker}", f"careerrank-{worker}"
        ready = "rabbitmq_detailed_queue_messages_ready"
        wanted: list[tuple[str, str, str, str, dict[str, Any]]] = [
            (f"the backlog of {queue}", ready, "queue", queue, {"before": r"deriv\(\s*"}),
            (f"{job} down (up == 0)", "up", "job", job, {"after": r"\s*==\s*0\b"}),
            (f"{job} missing (absent(up))", "up", "job", job, {"before": r"absent\(\s*", "after": r"\s*\)"}),
            (f"failing batches of {worker}", "careerrank_batch_errors_total", "worker", worker, {"unfiltered": True}),
            (f"dead letters of {worker}", "careerrank_dead_letters_total", "worker", worker, {"unfiltered": True}),
        ]
        for what, metric, label, value, options in wanted:
            if not any(_selects(e, metric, label, value, **options) for e in exprs):
                problems.append(f"no alert rule watches {what}")
    return problems


def _grid_problems(panels: list[dict[str, Any]]) -> list[str]:
    """Top-level panels must lie inside the grid and not overlap (Grafana would shove them around)."""
    problems: list[str] = []
    placed: list[tuple[str, tuple[int, int, int, int]]] = []
    for panel in panels:
        name = f"panel {panel.get('id')} {panel.get('title')!r}"
        pos = panel.get("gridPos") or {}
        if not all(type(pos.get(k)) is int for k in "xywh"):
            problems.append(f"{name}: gridPos needs integers x, y, w, h: {pos}")
            continue
        x, y, w, h = (pos[k] for k in "xywh")
        if x < 0 or y < 0 or w < 1 or h < 1 or x + w > GRID_COLUMNS:
            problems.append(f"{name}: gridPos {pos} is outside the {GRID_COLUMNS}-column grid")
        for other, (ox, oy, ow, oh) in placed:
            if x < ox + ow and ox < x + w and y < oy + oh and oy < y + h:
                problems.append(f"{name} overlaps {other}")
        placed.append((name, (x, y, w, h)))
    return problems


# Options of `docker compose`, `docker compose run` and `kubectl exec` that take a value.
_COMPOSE_OPTIONS = {"-f", "--file", "-p", "--project-name", "--profile", "--env-file", "--project-directory"}
_RUN_OPTIONS = {"-v", "--volume", "-e", "--env", "-w", "--workdir", "-u", "--user", "--name", "--entrypoint"}
_EXEC_OPTIONS = {"-c", "--container", "-n", "--namespace", "--context"}


def _first_operand(tokens: list[str], takes_value: set[str]) -> int:
    """Index of the first token that is neither an option nor an option's value (``len(tokens)`` if none)."""
    skip = False
    for n, token in enumerate(tokens):
        if skip:
            skip = False
        elif token.startswith("-"):
            skip = token in takes_value
        else:
            return n
    return len(tokens)


def _documented_commands(text: str, where: str) -> list[tuple[str, str, str, list[str]]]:
    """``(where, "compose" or "k8s", service or Deployment, argv after careerrank)`` of each
    ``docker compose ... run [options] SERVICE ARGS`` and ``kubectl exec deploy/NAME -- careerrank ARGS`` line of
    ``text``, in ``#`` comments too, with backslash continuations joined."""
    lines = "\n".join(re.sub(r"^\s*#+", "", line) for line in text.splitlines())
    found = []
    for line in re.sub(r"\\\n", " ", lines).splitlines():
        m = re.match(r"\s*(docker compose|kubectl exec)\s(.*)", line)
        if not m:
            continue
        tokens = shlex.split(m[2], comments=True)
        here = f"{where}: {' '.join(line.split())}"
        if m[1] == "docker compose":
            at = _first_operand(tokens, _COMPOSE_OPTIONS)
            if at == len(tokens) or tokens[at] != "run":
                continue  # up, stop, ...
            run = tokens[at + 1 :]
            service = _first_operand(run, _RUN_OPTIONS)
            if service < len(run) and "--entrypoint" not in run[:service]:
                found.append((here, "compose", run[service], run[service + 1 :]))
        elif "--" in tokens:
            split = tokens.index("--")
            target, command = tokens[:split], tokens[split + 1 :]
            at = _first_operand(target, _EXEC_OPTIONS)
            if at < len(target) and command and Path(command[0]).name == "careerrank":
                found.append((here, "k8s", target[at], command[1:]))
    return found


def _compose_problems(compose: dict[str, Any]) -> list[str]:
    services: dict[str, Any] = compose.get("services") or {}
    problems = []
    for name, service in services.items():
        for dep, condition in _depends_on(service).items():
            if dep not in services:
                problems.append(f"{name} depends on {dep!r}, which is not a service")
                continue
            if condition not in DEPENDS_ON_CONDITIONS:
                problems.append(f"{name} → {dep}: unknown condition {condition!r}")
            if condition == "service_healthy" and "healthcheck" not in services[dep]:
                problems.append(f"{name} waits for {dep} to be healthy, but {dep} has no healthcheck")
            restarts = services[dep].get("restart", "no") not in ("no", False)
            if condition == "service_completed_successfully" and restarts:
                problems.append(f"{name} waits for {dep} to complete, but {dep} restarts ({services[dep]['restart']})")
            dep_profiles = set(services[dep].get("profiles") or [])
            if dep_profiles and not dep_profiles & set(service.get("profiles") or []):
                problems.append(f"{name} depends on {dep}, which only runs with profiles {sorted(dep_profiles)}")

    def visit(name: str, path: tuple[str, ...]) -> None:
        if name in path:
            problems.append(f"depends_on cycle: {' → '.join((*path, name))}")
            return
        for dep in _depends_on(services.get(name) or {}):
            visit(dep, (*path, name))

    for name in services:
        visit(name, ())
    return sorted(set(problems))


def _dockerfile_instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuations joined and comments dropped."""
    out: list[tuple[str, str]] = []
    buf = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue  # blank and comment lines (also inside a continuation, as Docker does)
        if line.endswith("\\"):
            buf += line[:-1] + " "
            continue
        instruction, _, args = (buf + line).partition(" ")
        out.append((instruction.upper(), args.strip()))
        buf = ""
    return out


def _pip_installs(instructions: list[tuple[str, str]]) -> list[str]:
    """Every `pip install` command of the RUN instructions, in order, with ARG defaults substituted."""
    args: dict[str, str] = {}
    installs = []
    for instruction, rest in instructions:
        if instruction == "ARG" and "=" in rest:
            key, value = rest.split("=", 1)
            args[key.strip()] = value.strip().strip('"')
        if instruction == "RUN":
            for command in re.split(r"&&|;|\|\|", rest):
                command = re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: args.get(m[1] or m[2], m[0]), command).strip()
                if re.search(r"\bpip3?\s+install\b", command):
                    installs.append(command)
    return installs


def _torch_pin(command: str) -> str | None:
    m = re.search(r"\btorch==([\w.+]+)", command)
    return m[1] if m else None


def _installs_project(command: str) -> bool:
    return bool(re.search(r"(?:\s-e|\s--editable)?\s\.(?:\s|$)", command + " ")) or "requirements" in command


def _dockerfile_problems(text: str, *, gpu: bool) -> list[str]:
    instructions = _dockerfile_instructions(text)
    kinds = [i for i, _ in instructions]
    body = "\n".join(f"{i} {a}" for i, a in instructions)  # comments dropped
    froms = [a.split()[0] for i, a in instructions if i == "FROM"]
    problems = []
    if len(froms) < 2:
        problems.append("not a multi-stage build")
    if gpu:
        if not froms or not froms[-1].startswith("nvidia/cuda:") or "runtime" not in froms[-1]:
            problems.append(f"the GPU image is not based on an nvidia/cuda runtime image: {froms}")
    elif any(not f.startswith("python:3.11-slim") for f in froms):
        problems.append(f"the CPU image must be built on python:3.11-slim: {froms}")

    installs = [c for c in _pip_installs(instructions) if not re.search(r"install\s+(?:-\S+\s+)*pip\s*$", c)]
    torch_at = next((n for n, c in enumerate(installs) if _torch_pin(c)), None)
    project_at = next((n for n, c in enumerate(installs) if _installs_project(c)), None)
    if torch_at is None:
        problems.append("no pinned `pip install torch==...`")
    elif project_at is None:
        problems.append("the package is never installed (`pip install .`, `-e .` or the requirements)")
    elif not torch_at < project_at or torch_at != 0:
        problems.append(f"torch must be the first thing pip installs, before the package: {installs}")
    if torch_at is not None:
        torch_install = installs[torch_at]
        pin = _torch_pin(torch_install) or ""
        index = re.search(r"--index-url[=\s]+\"?(\S+?)\"?(?:\s|$)", torch_install)
        if gpu:
            if not index or not re.search(r"download\.pytorch\.org/whl/cu\d+", index[1]):
                problems.append(f"GPU torch must come from a PyTorch CUDA index: {torch_install}")
        else:
            if not index or index[1] != "https://download.pytorch.org/whl/cpu":
                problems.append(f"CPU torch must come from https://download.pytorch.org/whl/cpu: {torch_install}")
            if "+cu" in pin:
                problems.append(f"CUDA torch pinned on the CPU image: torch=={pin}")
        bootstrap = re.search(r"TORCH_VERSION=\$\{\w+:-([\w.+]+)\}", (ROOT / "scripts/bootstrap").read_text())
        if bootstrap and pin.split("+")[0] != bootstrap[1]:
            problems.append(f"torch=={pin} differs from scripts/bootstrap's {bootstrap[1]}")
    if not gpu:
        for marker in ("download.pytorch.org/whl/cu", "nvidia/cuda", "faiss-gpu", "nvidia-", "+cu1"):
            if marker in body:
                problems.append(f"CUDA build on the CPU image: {marker!r} in an instruction")
    elif "faiss-gpu" not in body:
        problems.append("the GPU image does not install faiss-gpu")

    copied = " ".join(a for i, a in instructions if i == "COPY" and "--from" not in a)
    include = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]["include"]
    for package in sorted({p.rstrip("*").split(".")[0] for p in include} | {"migrations", "pyproject.toml"}):
        if not re.search(rf"(?:^|\s){re.escape(package)}/?(?:\s|$)", copied):
            problems.append(f"{package} is not copied into the image")
    if project_at is not None and not any(re.search(r"\s(?:-e|--editable)\s+\.", c) for c in installs):
        problems.append("the package must be installed editable so migrations/ resolves next to it")

    users = [a for i, a in instructions if i == "USER"]
    if not users or users[-1].split(":")[0] in ("root", "0"):
        problems.append(f"the image must run as a non-root user: USER {users}")
    if "HEALTHCHECK" in kinds:
        problems.append("HEALTHCHECK present (workers serve no health endpoint)")
    for instruction, expected in (("ENTRYPOINT", ["careerrank"]), ("CMD", ["embedder"])):
        found = [a for i, a in instructions if i == instruction]
        if not found or _exec_form(found[-1]) != expected:
            problems.append(f"{instruction} must be the exec form {json.dumps(expected)}: {found}")
    return problems


def _exec_form(args: str) -> list[str] | None:
    try:
        value = json.loads(args)
    except ValueError:
        return None  # shell form
    return value if isinstance(value, list) else None


def _default_cmd() -> list[str]:
    cmds = [a for i, a in _dockerfile_instructions((DEPLOY / "Dockerfile").read_text()) if i == "CMD"]
    return (_exec_form(cmds[-1]) if cmds else None) or []


def _is_careerrank_image(image: str) -> bool:
    return re.match(r"(?:.*/)?careerrank(?:-gpu)?(?::|$)", image) is not None


def _pod_specs(doc: dict[str, Any]) -> Iterator[dict[str, Any]]:
    template = ((doc.get("spec") or {}).get("template") or {}).get("spec")
    if isinstance(template, dict):
        yield template


def _careerrank_commands() -> list[tuple[str, list[str]]]:
    """Every careerrank command line that compose and k8s run, as argv after `careerrank`."""
    commands: list[tuple[str, list[str]]] = []
    for name, service in _compose().get("services", {}).items():
        if not (_is_careerrank_image(service.get("image", "")) or "build" in service):
            continue
        command = service.get("command", _default_cmd())
        argv = command.split() if isinstance(command, str) else [str(a) for a in command]
        entrypoint = service.get("entrypoint")
        if entrypoint is not None:
            argv = (entrypoint.split() if isinstance(entrypoint, str) else list(entrypoint)) + argv
            argv = argv[1:] if argv and Path(argv[0]).name == "careerrank" else ["<not careerrank>", *argv]
        commands.append((f"compose service {name}", argv))
    for path, doc in _k8s_docs():
        for spec in _pod_specs(doc):
            for container in (spec.get("initContainers") or []) + (spec.get("containers") or []):
                if not _is_careerrank_image(container.get("image", "")):
                    continue
                if "command" not in container and "args" not in container:
                    continue  # a patch that leaves the command alone
                argv = [str(a) for a in container.get("args") or []]
                if "command" in container:
                    command = [str(a) for a in container["command"]]
                    argv = command[1:] + argv if Path(command[0]).name == "careerrank" else ["<not careerrank>"]
                commands.append((f"{path.relative_to(DEPLOY)} {doc['kind']}/{container['name']}", argv))
    return commands


# ---------------------------------------------------------------------------------------------- files


def test_every_deployable_is_a_deployed_worker() -> None:
    names = {d.name for d in DEPLOYABLES}
    assert names == set(WORKER_METRICS_PORTS) | set(HTTP_PORTS), "add the worker to WORKER_METRICS_PORTS"
    assert len(set(WORKER_METRICS_PORTS.values())) == len(WORKER_METRICS_PORTS), "metrics ports must differ"


def test_expected_deploy_files_exist() -> None:
    missing = [f for f in EXPECTED_FILES if not (DEPLOY / f).is_file()]
    assert not missing, f"missing under deploy/: {missing}"


@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: str(p.relative_to(DEPLOY)))
def test_yaml_parses(path: Path) -> None:
    docs = _yaml_docs(path)
    assert docs, f"{path} holds no YAML document"
    assert all(isinstance(doc, dict) for doc in docs), f"{path}: every document must be a mapping"


@pytest.mark.parametrize("path", JSON_FILES, ids=lambda p: str(p.relative_to(DEPLOY)))
def test_json_parses(path: Path) -> None:
    assert isinstance(json.loads(path.read_text(encoding="utf-8")), dict)


# ---------------------------------------------------------------------------------------------- compose


def test_compose_depends_on_only_existing_services() -> None:
    assert _compose_problems(_compose()) == []


def test_compose_services_and_lifecycle() -> None:
    services = _compose()["services"]
    assert {"postgres", "rabbitmq", "migrate", "prometheus", *WORKER_METRICS_PORTS} <= set(services)
    assert services["postgres"]["image"].startswith("postgres:15")
    assert services["rabbitmq"]["image"].startswith("rabbitmq:3.13-management")
    assert "healthcheck" in services["postgres"] and "healthcheck" in services["rabbitmq"]
    assert services["migrate"].get("restart", "no") in ("no", False), "migrate is one-shot"
    for worker, port in WORKER_METRICS_PORTS.items():
        service = services[worker]
        assert service.get("command") == [worker], f"{worker} must run `careerrank {worker}`"
        assert _is_careerrank_image(service.get("image", "")) and "build" in service, worker
        deps = _depends_on(service)
        assert deps.get("migrate") == "service_completed_successfully", worker
        assert deps.get("postgres") == deps.get("rabbitmq") == "service_healthy", worker
        assert any(str(p).endswith(f":{port}") for p in service.get("ports") or []), f"{worker}: publish {port}"
        assert worker in _depends_on(services["prometheus"]), f"prometheus does not start after {worker}"
        env = _env_dict(service.get("environment"))
        assert env.get(METRICS_PORT_VAR) == str(port), f"{worker} must serve /metrics on {port}"
        grace, drain = _seconds(service.get("stop_grace_period", "10s")), _drain_timeout(env)
        assert grace > drain, f"{worker}: stop_grace_period {grace}s must exceed the drain timeout {drain}s"


def test_compose_paths_exist() -> None:
    compose = _compose()
    declared_volumes = set(compose.get("volumes") or {})
    problems = []
    for name, service in compose["services"].items():
        build = service.get("build")
        if build is not None:
            context = DEPLOY / (build if isinstance(build, str) else build.get("context", "."))
            dockerfile = "Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile")
            if not (context / dockerfile).is_file():
                problems.append(f"{name}: no Dockerfile at {context / dockerfile}")
        for volume in service.get("volumes") or []:
            source = volume.split(":")[0] if isinstance(volume, str) else volume.get("source", "")
            if source.startswith((".", "/")):
                if not (DEPLOY / source).exists():
                    problems.append(f"{name}: bind mount source {source} does not exist")
            elif source and source not in declared_volumes:
                problems.append(f"{name}: volume {source!r} is not declared")
    assert problems == []


def test_prometheus_scrapes_every_worker_and_loads_the_rules() -> None:
    (config,) = _yaml_docs(PROMETHEUS)
    jobs = {
        job["job_name"]: {t for sc in job.get("static_configs", []) for t in sc["targets"]}
        for job in config["scrape_configs"]
    }
    targets = set().union(*jobs.values())
    for worker, port in WORKER_METRICS_PORTS.items():
        # The alert rules name the workers' jobs careerrank-<worker>.
        assert jobs.get(f"careerrank-{worker}") == {f"{worker}:{port}"}, f"{worker}: {jobs}"
    assert "rabbitmq:15692" in targets, "queue metrics come from the rabbitmq_prometheus plugin on 15692"
    mounts = {v.split(":")[1]: v.split(":")[0] for v in _compose()["services"]["prometheus"]["volumes"]}
    for rule_file in config["rule_files"]:
        assert rule_file in mounts, f"{rule_file} is not mounted into the prometheus container"
        assert (DEPLOY / mounts[rule_file]).resolve() == ALERTS.resolve()
    plugins = (DEPLOY / "rabbitmq" / "enabled_plugins").read_text()
    assert "rabbitmq_prometheus" in plugins


def test_grafana_provisioning_matches_the_dashboard() -> None:
    (datasources,) = _yaml_docs(DEPLOY / "grafana/provisioning/datasources/prometheus.yml")
    uids = {d["uid"] for d in datasources["datasources"]}
    panels = [p for p in _dashboard_panels() if p.get("type") != "row"]
    used = {p["datasource"]["uid"] for p in panels}
    used |= {t["datasource"]["uid"] for p in panels for t in p.get("targets") or [] if "datasource" in t}
    assert used <= uids, f"panels use datasources {used - uids} that are not provisioned"
    (providers,) = _yaml_docs(DEPLOY / "grafana/provisioning/dashboards/careerrank.yml")
    paths = {p["options"]["path"] for p in providers["providers"]}
    mounts = {v.split(":")[1] for v in _compose()["services"]["grafana"]["volumes"]}
    assert any(str(Path(m).parent) in paths for m in mounts if m.endswith(".json")), (paths, mounts)


# ---------------------------------------------------------------------------------------------- names


def test_every_careerrank_command_is_a_real_subcommand() -> None:
    commands = _careerrank_commands()
    assert {argv[0] for _, argv in commands if argv} >= {"migrate", *WORKER_METRICS_PORTS}, commands
    assert _command_problems(commands) == []


def test_documented_commands_run_real_services_and_subcommands() -> None:
    services = _compose()["services"]
    deployments = _k8s_by_kind("Deployment")
    documented = [
        found
        for path in TEXT_FILES
        if path.suffix in (".md", ".yml", ".yaml")
        for found in _documented_commands(path.read_text(encoding="utf-8"), str(path.relative_to(DEPLOY)))
    ]
    problems = []
    for where, kind, target, _ in documented:
        if kind == "compose" and not (target in services and "build" in services[target]):
            problems.append(f"{where}: {target} is not a careerrank service of docker-compose.yml")
        resource = target.split("/", 1)
        if kind == "k8s" and not (resource[0] in ("deploy", "deployment") and resource[-1] in deployments):
            problems.append(f"{where}: {target} is not deploy/<a Deployment under deploy/k8s>")
    commands = [(where, argv) for where, _, _, argv in documented]
    assert {argv[0] for _, argv in commands if argv} >= {"publish", "matches", "scorer"}, commands
    assert {tuple(argv[:2]) for _, argv in commands} >= {("scorer", "train"), ("scorer", "activate")}, commands
    assert problems + _command_problems(commands) == []


def test_every_careerrank_env_var_is_a_settings_field() -> None:
    used: dict[str, set[str]] = {}
    for path in TEXT_FILES:
        for name in re.findall(r"\bCAREERRANK_[A-Z0-9_]*[A-Z0-9]\b", path.read_text(encoding="utf-8")):
            used.setdefault(name, set()).add(str(path.relative_to(DEPLOY)))
    assert {"CAREERRANK_AMQP__URL", "CAREERRANK_POSTGRES__DSN", METRICS_PORT_VAR} <= set(used)
    problems = [f"{p} (in {sorted(used[n])})" for n in sorted(used) if (p := _settings_field_problem(n))]
    assert problems == []


def _env_blocks() -> Iterator[tuple[str, dict[str, str]]]:
    for name, service in _compose()["services"].items():
        yield f"compose {name}", _env_dict(service.get("environment"))
    for path, doc in _k8s_docs():
        if doc.get("kind") == "ConfigMap":
            yield str(path.relative_to(DEPLOY)), {k: str(v) for k, v in (doc.get("data") or {}).items()}
        if doc.get("kind") == "Secret":
            yield str(path.relative_to(DEPLOY)), {k: str(v) for k, v in (doc.get("stringData") or {}).items()}
        for spec in _pod_specs(doc):
            for container in spec.get("containers") or []:
                env = {e["name"]: str(e.get("value", "")) for e in container.get("env") or [] if "value" in e}
                yield f"{path.relative_to(DEPLOY)} {container['name']}", env


def test_deploy_env_values_are_accepted_by_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("CAREERRANK_"):
            monkeypatch.delenv(name)
    for where, env in _env_blocks():
        with monkeypatch.context() as m:
            for key, value in env.items():
                if key.startswith("CAREERRANK_"):
                    m.setenv(key, value)
            try:
                Settings()
            except ValueError as exc:  # pydantic's ValidationError
                pytest.fail(f"{where}: {exc}")


def _alert_rules() -> list[dict[str, Any]]:
    (doc,) = _yaml_docs(ALERTS)
    return [rule for group in doc["groups"] for rule in group["rules"]]


def _dashboard_panels() -> list[dict[str, Any]]:
    """Every panel, those inside (collapsed) rows too."""
    panels = json.loads(DASHBOARD.read_text())["panels"]
    return [*panels, *(inner for p in panels if p.get("type") == "row" for inner in p.get("panels") or [])]


def _dashboard_exprs() -> list[tuple[str, str]]:
    def walk(node: Any, where: str) -> Iterator[tuple[str, str]]:
        if isinstance(node, dict):
            title = node.get("title", where)
            for key, value in node.items():
                if key == "expr" and isinstance(value, str):
                    yield f"dashboard panel {title!r}", value
                else:
                    yield from walk(value, title)
        elif isinstance(node, list):
            for item in node:
                yield from walk(item, where)

    return list(walk(json.loads(DASHBOARD.read_text()), "dashboard"))


def test_alert_rules_are_well_formed_and_cover_the_pipeline() -> None:
    rules = _alert_rules()
    names = [r.get("alert") for r in rules]
    assert len(names) == len(set(names)), f"duplicate alert names: {names}"
    for rule in rules:
        assert rule.get("alert") and rule.get("expr"), rule
        assert rule.get("labels", {}).get("severity") in ("warning", "critical"), rule["alert"]
        assert rule.get("annotations", {}).get("summary"), rule["alert"]
        if "for" in rule:
            _seconds(rule["for"])
    used = set().union(*(_promql_metric_names(r["expr"]) for r in rules))
    assert {
        "careerrank_dead_letters_total",
        "careerrank_event_to_match_seconds_bucket",
        "careerrank_batch_errors_total",
        "careerrank_applications_scored_total",
        "rabbitmq_detailed_queue_messages_ready",
        "up",
    } <= used, used
    exprs = [r["expr"] for r in rules]
    assert _alert_coverage_problems(exprs, WORKER_METRICS_PORTS) == []
    # The scorer's work: nothing scored while its queue holds messages.
    scorer_queue = f"{QUEUE_PREFIX}.scorer"
    assert any(
        "careerrank_applications_scored_total" in e
        and _selects(e, "rabbitmq_detailed_queue_messages_ready", "queue", scorer_queue)
        for e in exprs
    ), "no alert on the scorer not scoring while its queue has messages"


def test_dashboard_covers_the_pipeline() -> None:
    used = set().union(*(_promql_metric_names(e) for _, e in _dashboard_exprs()))
    assert {
        "careerrank_events_total",
        "careerrank_dead_letters_total",
        "careerrank_stage_duration_seconds_bucket",
        "careerrank_event_to_match_seconds_bucket",
        "careerrank_index_items",
        "careerrank_match_rows_written_total",
        # the scorer
        "careerrank_applications_scored_total",
        "careerrank_lists_ranked_total",
        "careerrank_feedback_total",
        "careerrank_scoring_model_info",
        "careerrank_batch_errors_total",
    } <= used, used
    ids = [p["id"] for p in _dashboard_panels()]
    assert len(ids) == len(set(ids)), "panel ids must be unique"
    assert _grid_problems(json.loads(DASHBOARD.read_text())["panels"]) == []


def test_every_metric_in_alerts_and_dashboard_exists() -> None:
    exprs = [(f"alert {r['alert']}", r["expr"]) for r in _alert_rules()] + _dashboard_exprs()
    assert len(exprs) >= 10
    assert _metric_problems(exprs) == []


# ---------------------------------------------------------------------------------------------- images


def test_cpu_dockerfile() -> None:
    assert _dockerfile_problems((DEPLOY / "Dockerfile").read_text(), gpu=False) == []


def test_gpu_dockerfile() -> None:
    assert _dockerfile_problems((DEPLOY / "Dockerfile.gpu").read_text(), gpu=True) == []


# ---------------------------------------------------------------------------------------------- k8s


def _k8s_patch_files() -> set[Path]:
    return {
        (path.parent / patch["path"]).resolve()
        for path, doc in _k8s_docs()
        if doc.get("kind") == "Kustomization"
        for patch in doc.get("patches") or []
    }


def _k8s_by_kind(kind: str) -> dict[str, dict[str, Any]]:
    """Full resources of one kind by name (kustomize patches left out)."""
    patches = _k8s_patch_files()
    return {
        doc["metadata"]["name"]: doc
        for path, doc in _k8s_docs()
        if doc.get("kind") == kind and path.resolve() not in patches
    }


def _k8s_worker_problems(docs: list[tuple[Path, dict[str, Any]]], deployments: dict[str, Any]) -> list[str]:
    """Each worker's Deployment runs ``careerrank <worker>`` with its metrics port, and kustomize applies it."""
    (base,) = _yaml_docs(K8S / "kustomization.yaml")
    applied = {(K8S / ref).resolve() for ref in base.get("resources") or []}
    patches = _k8s_patch_files()
    files = {
        doc["metadata"]["name"]: path.resolve()
        for path, doc in docs
        if doc.get("kind") == "Deployment" and path.resolve() not in patches
    }
    problems = []
    for worker, port in WORKER_METRICS_PORTS.items():
        name = f"careerrank-{worker}"
        if name not in deployments:
            continue  # reported by the caller
        template = deployments[name]["spec"]["template"]
        if template["metadata"]["labels"].get("app.kubernetes.io/component") != worker:
            problems.append(f"{name}: pod label app.kubernetes.io/component is not {worker}")
        if template["metadata"].get("annotations", {}).get("prometheus.io/scrape") != "true":
            problems.append(f'{name}: prometheus.io/scrape is not "true"')
        (container,) = template["spec"]["containers"]
        if "command" in container or container.get("args") != [worker]:
            problems.append(f"{name}: runs {container.get('command')} {container.get('args')}, not [{worker!r}]")
        env = {e["name"]: e.get("value") for e in container.get("env") or []}
        if env.get(METRICS_PORT_VAR) != str(port):
            problems.append(f"{name}: {METRICS_PORT_VAR} is {env.get(METRICS_PORT_VAR)}, not {port}")
        if files[name] not in applied:
            problems.append(f"{name}: {files[name].name} is not a resource of k8s/kustomization.yaml")
    return problems


def test_k8s_manifests() -> None:
    docs = _k8s_docs()
    problems = []
    for path, doc in docs:
        if doc.get("kind") == "Kustomization":
            for ref in (doc.get("resources") or []) + [p["path"] for p in doc.get("patches") or []]:
                if not (path.parent / ref).exists():
                    problems.append(f"{path.relative_to(DEPLOY)}: {ref} does not exist")
            continue
        if not (doc.get("apiVersion") and doc.get("kind") and doc.get("metadata", {}).get("name")):
            problems.append(f"{path.relative_to(DEPLOY)}: a document without apiVersion, kind or metadata.name")
    configmaps = _k8s_by_kind("ConfigMap")
    secrets = _k8s_by_kind("Secret")
    drain = max((_drain_timeout(c.get("data") or {}) for c in configmaps.values()), default=_drain_timeout({}))
    deployments = _k8s_by_kind("Deployment")
    assert {f"careerrank-{w}" for w in WORKER_METRICS_PORTS} <= set(deployments), sorted(deployments)
    assert "careerrank-migrate" in _k8s_by_kind("Job")
    problems += _k8s_worker_problems(docs, deployments)
    matcher = deployments["careerrank-matcher"]["spec"]
    assert matcher["replicas"] == 1, "one matcher owns the index (single active consumer)"
    assert matcher.get("strategy", {}).get("type") == "Recreate"

    workloads = [*deployments.values(), *_k8s_by_kind("Job").values()]
    for doc in workloads:
        name, spec = doc["metadata"]["name"], doc["spec"]
        pod = spec["template"]["spec"]
        if doc["kind"] == "Deployment":
            labels = spec["template"]["metadata"]["labels"]
            if not spec["selector"]["matchLabels"].items() <= labels.items():
                problems.append(f"{name}: selector does not match the pod labels")
            grace = pod.get("terminationGracePeriodSeconds", 30)
            if not grace > drain:
                problems.append(f"{name}: terminationGracePeriodSeconds {grace} must exceed the drain timeout {drain}")
        elif pod.get("restartPolicy") not in ("Never", "OnFailure"):
            problems.append(f"{name}: a Job needs restartPolicy Never or OnFailure")
        if not (pod.get("securityContext") or {}).get("runAsNonRoot"):
            problems.append(f"{name}: runAsNonRoot is not set")
        for container in pod["containers"]:
            resources = container.get("resources") or {}
            if not resources.get("requests") or not (resources.get("limits") or {}).get("memory"):
                problems.append(f"{name}/{container['name']}: needs resource requests and a memory limit")
            security = container.get("securityContext") or {}
            if not (
                security.get("allowPrivilegeEscalation") is False
                and security.get("readOnlyRootFilesystem") is True
                and "ALL" in ((security.get("capabilities") or {}).get("drop") or [])
            ):
                problems.append(f"{name}/{container['name']}: no privilege escalation, read-only root, drop ALL")
            for source in container.get("envFrom") or []:
                for key, known in (("configMapRef", configmaps), ("secretRef", secrets)):
                    if key in source and source[key]["name"] not in known:
                        problems.append(f"{name}: {key} {source[key]['name']} is not defined under deploy/k8s")
            env = {e["name"]: e.get("value") for e in container.get("env") or []}
            port = env.get(METRICS_PORT_VAR) or env.get(HTTP_PORT_VAR)
            if doc["kind"] == "Deployment":
                ports = {str(p["containerPort"]) for p in container.get("ports") or []}
                annotation = spec["template"]["metadata"].get("annotations", {}).get("prometheus.io/port")
                if port is None or port not in ports or annotation != port:
                    problems.append(f"{name}: metrics port env {port}, containerPort {ports}, annotation {annotation}")
    assert problems == []


def test_k8s_gpu_variant_requests_one_gpu_for_the_embedder() -> None:
    gpu = [
        container
        for path, doc in _k8s_docs()
        if doc.get("kind") == "Deployment" and doc["metadata"]["name"] == "careerrank-embedder"
        for spec in _pod_specs(doc)
        for container in spec.get("containers") or []
        if str(((container.get("resources") or {}).get("limits") or {}).get("nvidia.com/gpu")) == "1"
    ]
    assert gpu, "no embedder variant with limits nvidia.com/gpu: 1 under deploy/k8s"


# ---------------------------------------------------------------------------------------------- the checkers fail


def test_checker_rejects_unknown_subcommands() -> None:
    assert _command_problems([("ok", ["embedder"]), ("ok", ["dead-letters", "list"])]) == []
    assert _command_problems([("typo", ["embeder"])])
    assert _command_problems([("missing args", ["publish"])])
    assert _command_problems([("empty", [])])


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("CAREERRANK_AMQP__URL", True),
        ("CAREERRANK_LOG_LEVEL", True),
        ("CAREERRANK_MATCHER__SNAPSHOT_DIR", True),
        ("CAREERRANK_WORKER__DRAIN_TIMEOUT", False),  # missing _S
        ("CAREERRANK_WORKER_METRICS_PORT", False),  # single underscore
        ("CAREERRANK_AMQP", False),  # a section
        ("CAREERRANK_LOG_LEVEL__X", False),
        ("CAREERRANK_REDIS__URL", False),
    ],
)
def test_checker_maps_env_names_to_settings(name: str, ok: bool) -> None:
    assert (_settings_field_problem(name) is None) is ok


def test_checker_rejects_unknown_metrics() -> None:
    assert _promql_metric_names(
        'histogram_quantile(0.99, sum by (le, worker) (rate(careerrank_stage_duration_seconds_bucket{worker="x"}[5m])))'
    ) == {"careerrank_stage_duration_seconds_bucket"}
    assert _promql_metric_names('up{job=~"a|b"} == 0 and on (job) absent(foo) or 1e3 > bar offset 5m') == {
        "up",
        "foo",
        "bar",
    }
    assert _metric_problems([("ok", "rate(careerrank_events_total[5m])")]) == []
    for bad in (
        "rate(careerrank_event_total[5m])",  # typo
        "careerrank_events",  # counters are exposed as _total
        "careerrank_index_items_total",  # a gauge has no _total
        "careerrank_event_to_match_seconds",  # a histogram is read through _bucket/_sum/_count
        "rabbitmq_queue_depth",  # not whitelisted
        "sum(rate(careerrank_events_total[5m])",  # unbalanced
    ):
        assert _metric_problems([("bad", bad)]), bad


def test_checker_rejects_broken_compose() -> None:
    ok = {
        "services": {
            "db": {"healthcheck": {"test": ["CMD", "true"]}},
            "app": {"depends_on": {"db": {"condition": "service_healthy"}}},
        }
    }
    assert _compose_problems(ok) == []
    assert _compose_problems({"services": {"app": {"depends_on": ["db"]}}})
    assert _compose_problems({"services": {"db": {}, "app": {"depends_on": {"db": {"condition": "service_healthy"}}}}})
    assert _compose_problems({"services": {"db": {}, "app": {"depends_on": {"db": {"condition": "healthy"}}}}})
    assert _compose_problems(
        {
            "services": {
                "m": {"restart": "always"},
                "app": {"depends_on": {"m": {"condition": "service_completed_successfully"}}},
            }
        }
    )
    assert _compose_problems({"services": {"a": {"depends_on": ["b"]}, "b": {"depends_on": ["a"]}}})
    assert _compose_problems({"services": {"g": {"profiles": ["x"]}, "app": {"depends_on": ["g"]}}})


def test_checker_rejects_broken_dockerfiles() -> None:
    good = (DEPLOY / "Dockerfile").read_text()
    assert _dockerfile_problems(good, gpu=False) == []
    torch_line = 'pip install --index-url https://download.pytorch.org/whl/cpu "torch==${TORCH_VERSION}"'
    assert torch_line in good
    broken = {
        "package before torch": good.replace(torch_line, "true").replace(
            "pip install --no-deps -e .", f"pip install --no-deps -e . && {torch_line}"
        ),
        "CUDA torch index": good.replace("whl/cpu", "whl/cu128"),
        "CUDA torch pin": good.replace("ARG TORCH_VERSION=2.13.0", "ARG TORCH_VERSION=2.13.0+cu128"),
        "not editable": good.replace("pip install --no-deps -e .", "pip install --no-deps ."),
        "no migrations": good.replace("COPY migrations/ migrations/", ""),
        "root": good.replace("USER 10001:10001", "USER root"),
        "healthcheck": good + "\nHEALTHCHECK CMD true\n",
        "entrypoint": good.replace('ENTRYPOINT ["careerrank"]', 'ENTRYPOINT ["python"]'),
        "base": good.replace("FROM python:3.11-slim AS runtime", "FROM nvidia/cuda:12.8.1-runtime-ubuntu24.04"),
    }
    for what, text in broken.items():
        assert text != good, what
        assert _dockerfile_problems(text, gpu=False), what


def test_checker_rejects_alert_rules_that_miss_a_worker() -> None:
    covering = [
        'deriv(rabbitmq_detailed_queue_messages_ready{queue=~"careerrank\\\\.(a|b)"}[15m]) > 0',
        'up{job=~"careerrank-(a|b)"} == 0',
        'absent(up{job="careerrank-a"}) or absent(up{job="careerrank-b"})',
        "sum by (worker) (increase(careerrank_batch_errors_total[10m])) > 0",
        "sum by (worker, reason) (rate(careerrank_dead_letters_total[5m])) > 0",
    ]
    assert _alert_coverage_problems(covering, ["a", "b"]) == []
    assert _selects(covering[0], "rabbitmq_detailed_queue_messages_ready", "queue", "careerrank.a")
    assert not _selects(covering[0], "rabbitmq_detailed_queue_messages_ready", "queue", "careerrankXa")  # \\. is a dot
    assert len(_alert_coverage_problems(covering, ["a", "b", "c"])) == 3  # backlog, down, missing: not dead letters
    for n, narrowed in enumerate(
        [
            covering[0].replace("(a|b)", "a"),
            covering[1].replace("(a|b)", "a"),
            covering[2].replace(' or absent(up{job="careerrank-b"})', ""),
            'increase(careerrank_batch_errors_total{worker="a"}[10m]) > 0',
            'rate(careerrank_dead_letters_total{worker!="b"}[5m]) > 0',
        ]
    ):
        exprs = [*covering[:n], narrowed, *covering[n + 1 :]]
        assert len(_alert_coverage_problems(exprs, ["a", "b"])) == 1, narrowed
    # `up == 0` and `absent(up)` are told apart, and so is a backlog from a mere depth.
    assert _alert_coverage_problems(['up{job="careerrank-a"} == 0'], ["a"]) != _alert_coverage_problems(
        ['absent(up{job="careerrank-a"})'], ["a"]
    )
    assert not _selects(
        'rabbitmq_detailed_queue_messages_ready{queue="careerrank.a"} > 0',
        "rabbitmq_detailed_queue_messages_ready",
        "queue",
        "careerrank.a",
        before=r"deriv\(\s*",
    )


def test_checker_rejects_overlapping_panels() -> None:
    def panel(pid: int, x: int, y: int, w: int, h: int) -> dict[str, Any]:
        return {"id": pid, "title": str(pid), "gridPos": {"x": x, "y": y, "w": w, "h": h}}

    assert _grid_problems([panel(1, 0, 0, 12, 8), panel(2, 12, 0, 12, 8), panel(3, 0, 8, 24, 1)]) == []
    assert _grid_problems([panel(1, 0, 0, 12, 8), panel(2, 11, 0, 12, 8)])  # side by side, one column shared
    assert _grid_problems([panel(1, 0, 0, 12, 8), panel(2, 0, 7, 12, 8)])  # one row shared
    assert _grid_problems([panel(1, 16, 0, 12, 8)])  # past column 24
    assert _grid_problems([{"id": 1, "gridPos": {"x": 0, "y": 0, "w": 12}}])


def test_checker_reads_documented_commands() -> None:
    text = """
# CareerRank:
#   docker compose -f deploy/docker-compose.yml up -d --build    # not a run
#   docker compose -f x.yml run --rm --no-deps \\
#       -v "$PWD/data:/data:ro" embedder publish /data/a.csv --skip-invalid
docker compose run --rm --entrypoint sh scorer -c true
kubectl exec -n prod deploy/careerrank-scorer -- careerrank scorer activate V1   # a comment
kubectl exec deploy/careerrank-scorer -- sh
"""
    found = _documented_commands(text, "t")
    assert [(kind, target, argv) for _, kind, target, argv in found] == [
        ("compose", "embedder", ["publish", "/data/a.csv", "--skip-invalid"]),
        ("k8s", "deploy/careerrank-scorer", ["scorer", "activate", "V1"]),
    ]
    assert _command_problems([("typo", ["scorer", "activat", "V1"])])
    assert _command_problems([("missing version", ["scorer", "activate"])])
    assert _command_problems([(w, argv) for w, _, _, argv in found]) == []


def test_the_http_deployables_are_deployed_probed_and_scraped() -> None:
    services = _compose()["services"]
    deployments = _k8s_by_kind("Deployment")
    (config,) = _yaml_docs(PROMETHEUS)
    jobs = {
        j["job_name"]: {t for sc in j.get("static_configs", []) for t in sc["targets"]}
        for j in config["scrape_configs"]
    }
    for name, port in HTTP_PORTS.items():
        assert services[name]["command"] == [name] and f"127.0.0.1:{port}:{port}" in services[name]["ports"]
        assert services[name]["environment"][HTTP_PORT_VAR] == str(port)
        assert jobs.get(f"careerrank-{name}") == {f"{name}:{port}"}
        (container,) = deployments[f"careerrank-{name}"]["spec"]["template"]["spec"]["containers"]
        assert container["args"] == [name]
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        env = {e["name"]: e.get("value") for e in container["env"]}
        assert env[HTTP_PORT_VAR] == str(port) and env["CAREERRANK_API__HOST"] == "0.0.0.0"
    services_k8s = _k8s_by_kind("Service")
    assert services_k8s["careerrank-api"]["spec"]["selector"]["app.kubernetes.io/component"] == "api"
