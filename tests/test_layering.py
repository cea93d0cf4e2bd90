"""The one-way dependencies of docs/architecture.md, and a code location that does no work when
it is imported."""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("coaching", "data_contracts", "orchestration", "activation", "api", "demo")
# What each package may import of the project's own packages (third-party is not checked).
ALLOWED = {
    "coaching": set(),
    "data_contracts": {"coaching"},
    "activation": {"coaching"},
    "api": {"coaching", "data_contracts"},
    "orchestration": {"coaching", "data_contracts", "activation"},
    "demo": set(PACKAGES),
}


def imported_packages(path: Path) -> set[str]:
    """The project packages a module imports anywhere in it (function-level imports included)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found |= {name.split(".")[0] for name in names} & set(PACKAGES)
    return found


@pytest.mark.parametrize("package", PACKAGES)
def test_dependencies_point_one_way(package: str) -> None:
    wrong = {
        f"{path.relative_to(REPO)} imports {other}"
        for path in (REPO / package).rglob("*.py")
        for other in imported_packages(path) - ALLOWED[package] - {package}
    }
    assert not wrong, sorted(wrong)


def test_the_layering_check_sees_imports_inside_functions(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from api.server import free_port\n    import demo.loop\n")
    assert imported_packages(module) == {"api", "demo"}


# Any process started while the definitions load (dbt parse, dbt --version, ...) fails the run.
LOAD_WITHOUT_SUBPROCESS = textwrap.dedent(
    """
    import sys

    def refuse(event, args):
        if event in ("subprocess.Popen", "os.system", "os.posix_spawn", "os.exec", "os.fork"):
            raise RuntimeError(f"importing the definitions started a process: {event} {args!r}")

    sys.addaudithook(refuse)
    from orchestration.definitions import defs

    repository = defs().get_repository_def()
    print(len(repository.asset_graph.get_all_asset_keys()))
    """
)


def test_loading_the_definitions_starts_no_process() -> None:
    done = subprocess.run(
        [sys.executable, "-c", LOAD_WITHOUT_SUBPROCESS],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert int(done.stdout.split()[-1]) > 30


def test_the_process_guard_refuses_a_process() -> None:
    script = LOAD_WITHOUT_SUBPROCESS.replace(
        "from orchestration.definitions import defs", "import subprocess; subprocess.run(['true'])"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode != 0 and "started a process" in done.stderr
