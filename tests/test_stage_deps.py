"""dvc.yaml: every stage depends on each module of the package its command imports.

A module a stage imports but does not list as a dep is code `dvc repro` would not rerun
the stage for when it changes: the lock file would then vouch for outputs the current
code did not make. Render only: the imports are read with `ast`, the stages by the real
DVC (the kit's test dependency), nothing is installed in the project.
"""

from __future__ import annotations

import ast
import re
import shlex
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from dvc.repo import Repo

from support import render

STAGE_MODULE = re.compile(r"^\s*python\s+-m\s+(\S+)")


@pytest.fixture(scope="module")
def regression_project(kit: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return render(kit, tmp_path_factory.mktemp("regression") / "project", {"ml_task": "regression"})


@pytest.fixture(params=["default_project", "regression_project"])
def project(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """A private copy: DVC writes its .dvc/tmp folder into a project it reads."""
    return shutil.copytree(request.getfixturevalue(request.param), tmp_path / "project")


@dataclass
class StageSpec:
    """A dvc.yaml stage as DVC resolves it: `${...}` interpolated, paths as written."""

    cmd: str
    deps: list[str]
    outs: list[str]


def stages(project: Path) -> dict[str, StageSpec]:
    """dvc.yaml's stages, read by DVC itself (the render is not a git repository yet)."""
    with Repo(str(project), config={"core": {"no_scm": True}}) as repo:
        return {
            stage.name: StageSpec(
                cmd=stage.cmd,
                deps=[dep.def_path for dep in stage.deps],
                outs=[out.def_path for out in stage.outs],
            )
            for stage in repo.index.stages
            if stage.cmd  # pipeline stages, not the .dvc files of added data
        }


class Package:
    """The project's package under src/, its modules found by their dotted names."""

    def __init__(self, project: Path, name: str) -> None:
        self.src = project / "src"
        self.name = name
        assert (self.src / name / "__init__.py").is_file(), f"src/{name} is not a package"

    def file(self, module: str) -> Path | None:
        """The file of a module of the package (a package's __init__.py), if it has one."""
        base = self.src.joinpath(*module.split("."))
        for candidate in (base.with_suffix(".py"), base / "__init__.py"):
            if candidate.is_file():
                return candidate
        return None

    def with_parents(self, module: str) -> list[str]:
        """A module and the packages Python imports before it: a.b.c -> a, a.b, a.b.c."""
        parts = module.split(".")
        return [".".join(parts[:i]) for i in range(1, len(parts) + 1)]

    def imported_by(self, module: str) -> set[str]:
        """The package's own modules that module imports, anywhere in its source."""
        path = self.file(module)
        assert path is not None, f"{module} has no file under {self.src}"
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    anchor = package.split(".")
                    anchor = anchor[: len(anchor) - (node.level - 1)]
                    base = ".".join([*anchor, *([node.module] if node.module else [])])
                else:
                    base = node.module or ""
                found.add(base)
                # `from . import x` and `from .data import schema` import submodules.
                found.update(f"{base}.{alias.name}" for alias in node.names)
        own = {name for name in found if name.split(".")[0] == self.name}
        return {
            parent
            for name in own
            for parent in self.with_parents(name)
            if self.file(parent) is not None
        }

    def closure(self, module: str) -> dict[str, Path]:
        """Every module of the package that running `python -m module` imports, by file."""
        pending = self.with_parents(module)
        seen: set[str] = set()
        while pending:
            current = pending.pop()
            if current in seen:
                continue
            seen.add(current)
            pending.extend(self.imported_by(current) - seen)
        return {name: path for name in seen if (path := self.file(name)) is not None}


def python_stages(project: Path) -> dict[str, tuple[str, StageSpec]]:
    """The stages whose command is `python -m <package>.pipeline.<name> ...`."""
    found = {}
    for name, stage in stages(project).items():
        assert stage.cmd is not None, f"stage {name!r}: its command does not resolve"
        command = " ".join(shlex.split(stage.cmd))
        matched = STAGE_MODULE.match(command)
        if matched and ".pipeline." in matched.group(1):
            found[name] = (matched.group(1), stage)
    return found


def test_the_pipeline_has_python_stages(project: Path) -> None:
    assert set(python_stages(project)) >= {"prepare", "featurize", "train", "evaluate"}


def test_every_imported_module_is_a_dep_of_its_stage(project: Path) -> None:
    missing = []
    for name, (module, stage) in python_stages(project).items():
        package = Package(project, module.split(".")[0])
        deps = [project / dep for dep in stage.deps]
        for imported, path in sorted(package.closure(module).items()):
            if not any(path == dep or dep in path.parents for dep in deps):
                relative = path.relative_to(project).as_posix()
                missing.append(f"stage {name!r} imports {imported} ({relative}), not in its deps")
    assert not missing, "dvc.yaml deps miss imported modules:\n" + "\n".join(missing)


def test_every_dep_exists_or_is_made_by_a_stage(project: Path) -> None:
    all_stages = stages(project)
    made = {path for stage in all_stages.values() for path in stage.outs}
    dangling = [
        f"stage {name!r} depends on {dep}, which neither exists nor is a stage's output"
        for name, stage in all_stages.items()
        for dep in stage.deps
        if dep not in made and not (project / dep).exists()
    ]
    assert not dangling, "\n".join(dangling)
