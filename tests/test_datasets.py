"""Reading labelled data: ClassGuard's own examples and the public sets, good and broken."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

import bot.cli  # noqa: F401  (registers the commands)
from bot.cli_base import app, err
from classifiers.categories import Category
from classifiers.datasets import (
    DataError,
    Example,
    calibration_examples,
    in_heldout,
    label_mask,
    labelled_folder,
    read_labelled,
    read_olid,
    read_public,
    school_examples,
)

OLID_HEADER = "id\ttweet\tsubtask_a\tsubtask_b\tsubtask_c\n"


def public_folder(root: Path, olid_rows: int = 40) -> Path:
    """A small public-data folder laid out like ../shared/data."""
    (root / "olid").mkdir(parents=True)
    rows = "".join(
        f"{10000 + i}\t@USER tweet number {i}\t{'OFF' if i % 2 else 'NOT'}\tNULL\tNULL\n"
        for i in range(olid_rows)
    )
    (root / "olid" / "olid-training-v1.0.tsv").write_text(OLID_HEADER + rows, encoding="utf-8")
    (root / "davidson").mkdir()
    (root / "davidson" / "labeled_data.csv").write_text(
        ",count,hate_speech,offensive_language,neither,class,tweet\n"
        '0,3,0,0,3,2,"a perfectly ordinary tweet"\n'
        '1,3,0,3,0,1,"an offensive tweet"\n'
        '2,3,3,0,0,0,"a hateful tweet"\n',
        encoding="utf-8",
    )
    (root / "toxigen").mkdir()
    (root / "toxigen" / "hate_group_1k.txt").write_text(
        "- a hateful statement about a group\\n- another hateful statement\n", encoding="utf-8"
    )
    (root / "toxigen" / "neutral_group_1k.txt").write_text(
        "- a neutral statement about a group\n", encoding="utf-8"
    )
    return root


def test_public_sets_are_read_with_their_labels(tmp_path: Path) -> None:
    examples = read_public(public_folder(tmp_path))
    by_text = {e.text: e for e in examples}
    assert by_text["a hateful tweet"].labels == {Category.ABUSE, Category.DISCRIMINATION}
    assert by_text["an offensive tweet"].labels == {Category.ABUSE}
    assert by_text["a perfectly ordinary tweet"].labels == frozenset()
    assert by_text["another hateful statement"].labels == {Category.DISCRIMINATION}
    assert by_text["a neutral statement about a group"].labels == frozenset()
    olid = [e for e in examples if e.source == "olid"]
    assert olid and all(e.labels <= {Category.ABUSE} for e in olid)


def test_olid_held_out_tweets_never_reach_training(tmp_path: Path) -> None:
    folder = public_folder(tmp_path, olid_rows=200)
    training = {e.text for e in read_olid(folder, heldout=False)}
    held = {e.text for e in read_olid(folder, heldout=True)}
    assert held and training and not held & training
    assert len(held) + len(training) == 200
    assert all(in_heldout(str(10000 + int(t.rsplit(" ", 1)[1]))) for t in held)


def test_the_school_held_out_split_is_disjoint_and_about_a_fifth() -> None:
    train, held = school_examples("train"), school_examples("heldout")
    assert not {e.text for e in train} & {e.text for e in held}
    assert 0.15 < len(held) / (len(train) + len(held)) < 0.25


DATA = labelled_folder().parent
CALIBRATION_SETS = sorted((DATA / "calibration").glob("*.jsonl"))
#: Sets that neither train nor calibrate the model: only ``classguard evaluate`` reads them.
EVALUATION_SETS = sorted((DATA / "evaluation").glob("*.jsonl"))
KEPT_SETS = CALIBRATION_SETS + EVALUATION_SETS


def test_calibration_reads_every_calibration_set_and_no_evaluation_set() -> None:
    assert CALIBRATION_SETS and EVALUATION_SETS
    calibration = calibration_examples()
    assert len(calibration) == sum(len(read_labelled(p)) for p in CALIBRATION_SETS)
    evaluation = {e.text for p in EVALUATION_SETS for e in read_labelled(p)}
    assert not evaluation & {e.text for e in calibration}


@pytest.mark.parametrize("path", KEPT_SETS, ids=lambda p: p.stem)
def test_every_kept_set_has_its_figures_and_size_in_the_readme(path: Path) -> None:
    readme = (Path(__file__).parents[1] / "README.md").read_text().splitlines()
    command = f"classguard evaluate {path.relative_to(DATA.parents[1]).as_posix()}"
    rows = [row for row in readme if command in row]
    assert any(f"({len(read_labelled(path)):,})" in row for row in rows), path.name


@pytest.mark.parametrize("path", KEPT_SETS, ids=lambda p: p.stem)
def test_the_kept_sets_are_neither_trained_on_nor_held_out(path: Path) -> None:
    kept = read_labelled(path)
    assert len(kept) >= 400
    assert sum(not e.labels for e in kept) >= len(kept) / 2  # as many look-alikes as breaches
    shipped = school_examples("train") + school_examples("heldout")
    assert not {e.text for e in kept} & {e.text for e in shipped}


@pytest.mark.parametrize(
    ("broken", "expected"),
    [
        ("missing", "olid-training-v1.0.tsv: cannot read"),
        ("not_utf8", "olid-training-v1.0.tsv: cannot read"),
        ("no_column", "olid-training-v1.0.tsv: expected column(s) subtask_a"),
        ("short_row", "olid-training-v1.0.tsv: some rows have fewer fields"),
        ("no_toxigen", "toxigen: no ToxiGen files"),
        ("toxigen_not_utf8", "hate_group_1k.txt: cannot read"),
    ],
)
def test_a_broken_public_folder_is_an_error_naming_the_file(
    tmp_path: Path, broken: str, expected: str
) -> None:
    folder = public_folder(tmp_path)
    olid = folder / "olid" / "olid-training-v1.0.tsv"
    if broken == "missing":
        olid.unlink()
    elif broken == "not_utf8":
        olid.write_bytes(OLID_HEADER.encode() + b"1\t\xff\xfe tweet\tOFF\tNULL\tNULL\n")
    elif broken == "no_column":
        olid.write_text("id\ttweet\n1\thello\n", encoding="utf-8")
    elif broken == "short_row":
        olid.write_text(OLID_HEADER + "1\thello\n", encoding="utf-8")
    elif broken == "toxigen_not_utf8":
        (folder / "toxigen" / "hate_group_1k.txt").write_bytes(b"- \xff\xfe hateful\n")
    else:
        for path in (folder / "toxigen").iterdir():
            path.unlink()
    with pytest.raises(DataError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        read_public(folder)


def test_a_bad_labelled_line_is_an_error_naming_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "examples.jsonl"
    path.write_text(
        '{"text": "lovely assembly", "labels": []}\n{"text": "x", "labels": ["rudeness"]}\n',
        encoding="utf-8",
    )
    with pytest.raises(DataError, match=r"examples\.jsonl:2: 'rudeness'"):
        read_labelled(path)
    path.write_bytes(b'{"text": "\xff"}\n')
    with pytest.raises(DataError, match=r"examples\.jsonl: cannot read"):
        read_labelled(path)


def test_train_with_a_broken_public_folder_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(err, "width", 300)
    folder = public_folder(tmp_path)
    (folder / "olid" / "olid-training-v1.0.tsv").write_bytes(b"\xff\xfe\x00garbage")
    result = CliRunner().invoke(app, ["train", "--public", str(folder), "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "olid-training-v1.0.tsv: cannot read" in result.stderr
    assert not (tmp_path / "heads.npz").exists()


def test_public_examples_teach_only_abuse_and_discrimination() -> None:
    examples = [
        Example("gate code is 4512", frozenset({Category.SECURITY})),
        Example("you absolute muppet", frozenset({Category.ABUSE}), source="olid", weight=0.5),
    ]
    mask = label_mask(examples)
    assert mask[0].all()
    assert {c for c, m in zip(Category, mask[1], strict=True) if m} == {
        Category.ABUSE,
        Category.DISCRIMINATION,
    }
