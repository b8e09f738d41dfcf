"""copier.yml itself: questions complete, settings safe for updates, reserved names current."""

from __future__ import annotations

import keyword
import sys

import jinja2
import pytest
import yaml
from packaging.version import Version

from support import KIT_ROOT, SEED_ONCE_ENTRY, choice_values, kit_config, questions

# copier 9.17.2 carries security fixes every generated project should get.
OLDEST_ACCEPTABLE_COPIER = Version("9.17.2")


@pytest.mark.parametrize("name", list(questions()))
def test_every_question_has_type_help_and_default(name: str) -> None:
    spec = questions()[name]
    assert spec.get("type"), f"{name}: give an explicit type"
    assert str(spec.get("help", "")).strip(), f"{name}: give a help text"
    assert "default" in spec, f"{name}: non-interactive updates need a default"


@pytest.mark.parametrize("name", [name for name, spec in questions().items() if "choices" in spec])
def test_choice_default_is_one_of_its_values(name: str) -> None:
    spec = questions()[name]
    assert spec["default"] in choice_values(spec)


def test_min_copier_version_has_the_security_fixes() -> None:
    assert Version(kit_config()["_min_copier_version"]) >= OLDEST_ACCEPTABLE_COPIER


def test_template_lives_in_its_subdirectory_with_the_answers_file_at_its_root() -> None:
    config = kit_config()
    template = KIT_ROOT / config["_subdirectory"]
    assert (template / "{{ _copier_conf.answers_file }}.jinja").is_file()


def test_messages_tell_the_user_the_next_step() -> None:
    config = kit_config()
    assert "nox -s setup" in config["_message_after_copy"]
    assert "UU" in config["_message_after_update"]
    assert ".rej" in config["_message_after_update"]


def test_tasks_run_on_copy_only() -> None:
    for task in kit_config().get("_tasks", []):
        assert "_copier_operation == 'copy'" in str(task.get("when", "")), task


def test_migrations_are_versioned() -> None:
    for migration in kit_config().get("_migrations", []):
        assert "version" in migration, migration


def _reserved_names() -> jinja2.runtime.TemplateModule:
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(KIT_ROOT), autoescape=True)
    return environment.get_template("includes/reserved_names.jinja").module


def test_reserved_names_cover_this_pythons_keywords_and_stdlib() -> None:
    names = _reserved_names()
    keywords = {word for word in keyword.kwlist + keyword.softkwlist if word.isidentifier()}
    missing_keywords = sorted(keywords - set(names.python_keywords) - {"_"})
    stdlib = {module for module in sys.stdlib_module_names if not module.startswith("_")}
    missing_modules = sorted(stdlib - set(names.stdlib_modules))
    assert not missing_keywords, f"add to includes/reserved_names.jinja: {missing_keywords}"
    assert not missing_modules, f"add to includes/reserved_names.jinja: {missing_modules}"


def test_seed_once_entries_are_exact_update_only_paths() -> None:
    for entry in kit_config().get("_exclude", []):
        match = SEED_ONCE_ENTRY.match(entry)
        assert match, f"_exclude entry is not update-only: {entry!r}"
        assert not set("*?[") & set(match.group(1)), f"seed-once path is a pattern: {entry!r}"


def test_the_kits_ci_sets_up_every_python_version_offered() -> None:
    """The answer matrix runs each python_version; CI must have each interpreter."""
    workflow = yaml.safe_load((KIT_ROOT / ".github/workflows/ci.yml").read_text("utf-8"))
    set_up = [
        str(step["with"]["python-version"]).split()
        for job in workflow["jobs"].values()
        for step in job["steps"]
        if str(step.get("uses", "")).startswith("actions/setup-python@")
    ]
    assert set_up == [choice_values(questions()["python_version"])]
