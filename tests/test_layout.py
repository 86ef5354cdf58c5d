"""The layout shows the architecture: dependencies point one way, orders → numbering → portal
(the URL root, portal/urls.py, wires them all), no module imports another's private names,
migrations import no live code, and timestamps come from the one clock."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ("portal", "numbering", "orders")
LAYER = {"portal": 0, "numbering": 1, "orders": 2}  # an app may import only apps of a lower layer
URL_ROOT = ROOT / "portal" / "urls.py"


def modules(*, migrations: bool = False) -> list[Path]:
    files = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if ("migrations" in path.parts) == migrations:
                files.append(path)
    return files


def imports(path: Path) -> list[tuple[int, str, list[str]]]:
    """(line, module, imported names) for every import, also those inside functions."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module, [alias.name for alias in node.names]))
    return found


def app_of(path: Path) -> str:
    return path.relative_to(ROOT).parts[0]


def test_dependencies_point_one_way():
    wrong = []
    for path in modules():
        if path == URL_ROOT:
            continue
        here = app_of(path)
        for line, module, _names in imports(path):
            target = module.split(".")[0]
            if target in LAYER and LAYER[target] > LAYER[here]:
                wrong.append(f"{path.relative_to(ROOT)}:{line} imports {module} ({here} → {target})")
    assert not wrong, "imports against orders → numbering → portal:\n" + "\n".join(wrong)


def test_no_module_imports_another_modules_private_names():
    wrong = []
    for path in modules():
        for line, module, names in imports(path):
            if module.split(".")[0] in LAYER:
                wrong += [f"{path.relative_to(ROOT)}:{line} imports {module}.{name}"
                          for name in names if name.startswith("_")]
    assert not wrong, "\n".join(wrong)


def test_migrations_import_no_live_code_of_the_project():
    wrong = []
    for path in modules(migrations=True):
        for line, module, names in imports(path):
            # portal.clock.now is referenced as a field default, as Django writes it; nothing else.
            if module.split(".")[0] in LAYER and module != "portal.clock":
                wrong.append(f"{path.relative_to(ROOT)}:{line} imports {module} {names}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_timestamps_come_from_the_one_clock(path):
    """auto_now_add reads the real time, not portal.clock (the demo clock moves time)."""
    assert "auto_now_add" not in path.read_text(encoding="utf-8")
