"""The architecture as rules read off the sources: dependencies point one way (workers → careerrank → schemas),
pure computation touches no service, one exception tree, short modules, a public API that resolves, and a
repository that reaches for nothing outside itself."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

import careerrank
from careerrank.errors import CareerRankError
from tests.paths import REPO_ROOT as ROOT

PRODUCT = ("careerrank", "workers", "schemas")
# Modules that are data (tables of professions), not logic: the length rule does not apply.
DATA_TABLES = {"careerrank/synthetic/professions.py"}
MAX_MODULE_LINES = 300
# What the data-access layer may build on besides itself and the contracts.
STORAGE_MAY_IMPORT = {
    "careerrank.errors",
    "careerrank.backoff",
    "careerrank.settings",
    "careerrank.vectors",
    "careerrank.list_rows",
}


def sources(*folders: str) -> list[Path]:
    return sorted(p for folder in folders for p in (ROOT / folder).rglob("*.py"))


def imports(path: Path) -> Iterator[tuple[int, str]]:
    """``(line, module)`` of every import in ``path``, including the ones inside functions."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module:
            assert node.level == 0, f"{path}:{node.lineno}: relative import"
            yield node.lineno, node.module
            # ``from careerrank import storage`` imports a module too
            for alias in node.names:
                yield node.lineno, f"{node.module}.{alias.name}"


def offenders(folders: tuple[str, ...], forbidden: re.Pattern[str], exempt: tuple[str, ...] = ()) -> list[str]:
    found = []
    for path in sources(*folders):
        relative = path.relative_to(ROOT).as_posix()
        if relative.startswith(exempt):
            continue
        found += [f"{relative}:{line} {module}" for line, module in imports(path) if forbidden.match(module)]
    return found


def top(module: str) -> str:
    return module.split(".")[0]


def test_nothing_in_careerrank_or_schemas_imports_workers() -> None:
    assert offenders(("careerrank", "schemas"), re.compile(r"^workers(\.|$)")) == []


def test_schemas_import_nothing_of_the_product() -> None:
    assert offenders(("schemas",), re.compile(r"^(careerrank|workers)(\.|$)")) == []


def test_storage_imports_only_schemas_and_the_foundations() -> None:
    bad = []
    for path in sources("careerrank/storage"):
        for line, module in imports(path):
            allowed = {"careerrank.storage", *STORAGE_MAY_IMPORT}
            inside = any(module == a or module.startswith(f"{a}.") for a in allowed)
            if top(module) == "careerrank" and not inside and module != "careerrank":
                bad.append(f"{path.relative_to(ROOT)}:{line} {module}")
            if top(module) in {"aio_pika", "aiormq", "workers"}:
                bad.append(f"{path.relative_to(ROOT)}:{line} {module}")
    assert bad == []


@pytest.mark.parametrize("package", ["careerrank/encoding", "careerrank/retrieval", "careerrank/synthetic"])
def test_computation_touches_no_storage_and_no_messaging(package: str) -> None:
    forbidden = re.compile(r"^(careerrank\.(storage|messaging|jobs|cli|devtools)|asyncpg|aio_pika|aiormq)(\.|$)")
    assert offenders((package,), forbidden) == []


def test_only_the_demo_command_reaches_for_local_development_services() -> None:
    forbidden = re.compile(r"^careerrank\.devtools(\.|$)")
    assert offenders(("careerrank", "workers"), forbidden, exempt=("careerrank/devtools/", "careerrank/cli/")) == []


def test_migrations_start_no_server() -> None:
    migrations = ROOT / "careerrank/storage/migrations.py"
    assert not [m for _, m in imports(migrations) if "devtools" in m or m == "subprocess"]


def test_product_modules_are_short() -> None:
    long = []
    for path in sources(*PRODUCT):
        relative = path.relative_to(ROOT).as_posix()
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_MODULE_LINES and relative not in DATA_TABLES:
            long.append(f"{relative}: {lines} lines")
    assert long == []


def product_modules() -> Iterator[str]:
    for package in ("careerrank", "workers"):
        root = importlib.import_module(package)
        yield package
        for info in pkgutil.walk_packages(root.__path__, f"{package}."):
            yield info.name


def test_every_exception_the_product_defines_is_in_the_one_tree() -> None:
    outside = []
    for name in product_modules():
        module = importlib.import_module(name)
        for value in vars(module).values():
            if (
                inspect.isclass(value)
                and issubclass(value, BaseException)
                and value.__module__ == name
                and not issubclass(value, CareerRankError)
            ):
                outside.append(f"{name}.{value.__name__}")
    assert outside == []


def test_the_public_api_resolves() -> None:
    assert careerrank.__all__ == sorted(careerrank.__all__)
    for name in careerrank.__all__:
        assert getattr(careerrank, name) is not None, name
    with pytest.raises(AttributeError):
        _ = careerrank.no_such_name  # type: ignore[attr-defined]


def test_scripts_use_the_public_api() -> None:
    deep = []
    for path in sources("scripts"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and top(node.module) in {"careerrank", "workers"}:
                if node.module != "careerrank":
                    deep.append(f"{path.relative_to(ROOT)}:{node.lineno} from {node.module}")
            elif isinstance(node, ast.Import):
                deep += [
                    f"{path.relative_to(ROOT)}:{node.lineno} import {a.name}"
                    for a in node.names
                    if top(a.name) in {"careerrank", "workers"}
                ]
    assert deep == []


def test_nothing_reaches_outside_the_repository() -> None:
    outside = re.compile(r"parents?(\[\d\])?\s*/\s*\"shared\"|\.\./shared|\"shared\"\s*/\s*\"data\"")
    found = []
    for path in sources(*PRODUCT, "scripts", "tests"):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if outside.search(line) and path != Path(__file__):
                found.append(f"{path.relative_to(ROOT)}:{number}")
    assert found == []


def test_the_bundled_sample_is_in_the_repository_with_its_license() -> None:
    sample = ROOT / "datasets" / "superjob"
    assert (sample / "vacancies.csv").stat().st_size > 1_000_000
    assert (sample / "resumes.csv").stat().st_size > 1_000_000
    assert "MIT License" in (sample / "LICENSE").read_text(encoding="utf-8")
    assert "irtery" in (sample / "LICENSE").read_text(encoding="utf-8")
