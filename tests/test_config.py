"""School config validation: good files load, bad ones give one clear line."""

from __future__ import annotations

from pathlib import Path

import pytest

from classifiers.categories import Category, Severity
from config.loader import ConfigError, load_roster, load_settings
from config.schema import Mode


def test_example_config_loads() -> None:
    settings = load_settings()
    assert settings.school.name == "Oakfield Primary School"
    clause = settings.clause_for(Category.THREAT)
    assert clause is not None and clause.severity is Severity.CRITICAL
    assert {c.category for c in settings.clauses} == set(Category)
    assert settings.groups[0].mode is Mode.WARN


def test_roster_file_alone(tmp_path: Path) -> None:
    path = tmp_path / "roster.yaml"
    path.write_text(
        "pupils: [Oliver, Amelia]\nstaff:\n  - {name: Mrs Patel, role: class teacher}\n"
    )
    roster = load_roster(path)
    assert roster.pupils == ["Oliver", "Amelia"]
    assert roster.staff[0].role == "class teacher"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("", "file is empty"),
        ("school: [unclosed", "line 1"),
        ("- just\n- a list\n", "expected a mapping"),
        ("school: {name: X, complaint_route: Y}\nclauses: []\n", "clauses: List should have"),
        (
            "school: {name: X, complaint_route: Y}\nclauses:\n"
            "  - {id: a, title: t, wording: w, category: rudeness}\n",
            "clauses[0].category",
        ),
        (
            "school: {name: X, complaint_route: Y}\nclauses:\n"
            "  - {id: a, title: t, wording: w, category: abuse}\n"
            "groups:\n  - {platform: telegram, chat_id: 1, name: G, mode: shout}\n",
            "groups[0].mode",
        ),
        (
            "school: {name: X, complaint_route: Y, colour: red}\nclauses:\n"
            "  - {id: a, title: t, wording: w, category: abuse}\n",
            "school.colour: Extra inputs",
        ),
        (
            "school: {name: X, complaint_route: Y}\nclauses:\n"
            "  - {id: a, title: t, wording: w, category: abuse}\n"
            "classifier: {precision: float64}\n",
            "classifier.precision",
        ),
    ],
)
def test_bad_config_names_file_and_field(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(content)
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    message = str(info.value)
    assert message.startswith(str(path))
    assert expected in message
    assert "\n" not in message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_settings(tmp_path / "nope.yaml")
