"""``classguard evaluate``'s arithmetic on hand-made judgements, and the command itself."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import bot.cli  # noqa: F401  (registers the commands)
from bot.cli_base import app
from classifiers.categories import Category
from classifiers.datasets import Example, in_heldout
from classifiers.evaluate import (
    best_offensive_macro_f1,
    offensive_average_precision,
    offensive_macro_f1,
    report,
)
from classifiers.judgement import Judgement

A, T, S = Category.ABUSE, Category.THREAT, Category.STAFF_GRIEVANCE


def example(text: str, *labels: Category) -> Example:
    return Example(text, frozenset(labels))


def judged(scores: dict[Category, float], threshold: float = 0.5) -> Judgement:
    flagged = tuple(c for c, s in scores.items() if s >= threshold)
    return Judgement(scores=scores, categories=flagged)


def test_counts_precision_recall_and_the_false_positive_rate() -> None:
    examples = [
        example("rude one", A),
        example("rude two", A),
        example("fine one"),
        example("fine two"),
        example("moan", S),
    ]
    judgements = [
        judged({A: 0.9}),
        judged({A: 0.2}),
        judged({A: 0.7}),
        judged({A: 0.1}),
        judged({S: 0.8, A: 0.6}),
    ]
    result = report(examples, judgements)
    abuse = result.figures[A]
    assert (abuse.true_positives, abuse.false_positives, abuse.false_negatives) == (1, 2, 1)
    assert abuse.precision == pytest.approx(1 / 3)
    assert abuse.recall == pytest.approx(0.5)
    assert result.figures[S].f1 == 1.0
    assert (result.acceptable, result.acceptable_flagged) == (2, 1)
    assert result.false_positive_rate == 0.5
    # Categories absent from the data are left out of the macro average.
    assert result.macro_f1 == pytest.approx((abuse.f1 + 1.0) / 2)
    assert result.false_positives[0].confidence == 0.7  # the surest mistake first
    assert result.false_negatives[0].text == "rude two"


def test_a_harmful_message_counts_as_caught_when_any_harmful_category_is_flagged() -> None:
    examples = [example("menace", T), example("slur", Category.DISCRIMINATION), example("moan", S)]
    judgements = [judged({A: 0.8}), judged({S: 0.9}), judged({A: 0.9})]
    result = report(examples, judgements)
    # A threat flagged only as abuse counts; a slur flagged only as a staff grievance does
    # not; a staff grievance flagged as abuse is not a harmful message.
    assert (result.harmful, result.harmful_caught) == (2, 1)


def test_average_precision_ranks_without_a_threshold() -> None:
    # Ranked by score: breach, acceptable, breach. Precision at each breach: 1 and 2/3.
    examples = [example("a", A), example("b"), example("c", A), example("d")]
    judgements = [judged({A: s}, threshold=1.1) for s in (0.9, 0.8, 0.7, 0.1)]
    result = report(examples, judgements)
    assert result.figures[A].recall == 0.0  # nothing reached the threshold...
    assert result.figures[A].average_precision == pytest.approx((1 + 2 / 3) / 2)  # ...yet
    assert result.figures[T].average_precision is None
    assert result.mean_average_precision == pytest.approx((1 + 2 / 3) / 2)


def test_offensive_macro_f1_treats_any_harmful_category_as_offensive() -> None:
    examples = [example("x", A), example("y", T), example("z"), example("w")]
    judgements = [judged({A: 0.9}), judged({Category.DISCRIMINATION: 0.9}), judged({}), judged({})]
    assert offensive_macro_f1(examples, judgements) == 1.0
    judgements[2] = judged({S: 0.9})  # a staff grievance is not offensive
    assert offensive_macro_f1(examples, judgements) == 1.0
    judgements[3] = judged({T: 0.9})
    # OFF: precision 2/3, recall 1 -> 0.8; NOT: precision 1, recall 1/2 -> 2/3.
    assert offensive_macro_f1(examples, judgements) == pytest.approx((0.8 + 2 / 3) / 2)


def test_offensive_average_precision_ranks_by_the_highest_harmful_score() -> None:
    examples = [example("x", A), example("y"), example("z", T)]
    judgements = [
        judged({A: 0.2, Category.DISCRIMINATION: 0.9}),  # its highest harmful score counts
        judged({S: 0.99, A: 0.5}),  # a staff grievance score does not
        judged({T: 0.3}),
    ]
    # Ranked: x (OFF), y (NOT), z (OFF): precision 1 at x, 2/3 at z.
    assert offensive_average_precision(examples, judgements) == pytest.approx((1 + 2 / 3) / 2)


def test_the_best_offensive_threshold_is_chosen_on_the_examples_themselves() -> None:
    examples = [example("a", A), example("b"), example("c", T), example("d"), example("e")]
    judgements = [
        judged({A: 0.9}),
        judged({A: 0.8}),
        judged({T: 0.3, S: 0.99}),  # a staff grievance score does not count
        judged({Category.DISCRIMINATION: 0.2}),
        judged({}),
    ]
    # At 0.3: OFF precision 2/3, recall 1 -> 0.8; NOT precision 1, recall 2/3 -> 0.8.
    # At 0.9: OFF 2/3 (p 1, r 1/2); NOT 6/7 (p 3/4, r 1). At 0.2, 0.8 or 0: less.
    score, threshold = best_offensive_macro_f1(examples, judgements)
    assert score == pytest.approx(0.8)
    assert threshold == 0.3


@pytest.mark.usefixtures("wide_console")
def test_evaluate_command_prints_the_figures(tmp_path: Path) -> None:
    labelled = tmp_path / "labelled.jsonl"
    rows = [
        {
            "text": "Mr Jones never replies to anything, he's hopeless at his job",
            "labels": ["staff_grievance"],
        },
        {"text": "So grateful to Mr Jones for running football club", "labels": []},
        {"text": "Happy birthday Zara! Hope you have a lovely day", "labels": []},
    ]
    labelled.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    result = CliRunner().invoke(app, ["evaluate", str(labelled)])
    assert result.exit_code == 0, result.output
    assert "average precision" in result.stdout
    assert "messages: 3, acceptable: 2" in result.stdout
    assert "false positives on acceptable messages: 0.00% (0 of 2)" in result.stdout
    assert "abusive, threatening or discriminatory messages caught: 0 of 0" in result.stdout
    staff = next(line for line in result.stdout.splitlines() if "staff_grievance" in line)
    cells = [cell.strip() for cell in staff.split("│")[1:7]]
    assert cells == ["staff_grievance", "1.000", "1.000", "1.000", "1.000", "1"]
    # Zara is the only first name; whether another name changes her judgement is the figure.
    assert "of 1 named messages judged differently" in result.stdout


@pytest.mark.usefixtures("wide_console")
def test_evaluate_judges_several_files_as_one_set(tmp_path: Path) -> None:
    chat, posts = tmp_path / "chat.jsonl", tmp_path / "posts.jsonl"
    chat.write_text(
        '{"text": "Touch my lad again and I will smash your face in", "labels": ["threat"]}\n'
        '{"text": "Lovely assembly this morning, well done Year 2", "labels": []}\n',
        encoding="utf-8",
    )
    posts.write_text('{"text": "Bin collections change over Christmas", "labels": []}\n')
    result = CliRunner().invoke(app, ["evaluate", str(chat), str(posts)])
    assert result.exit_code == 0, result.output
    assert "messages: 3, acceptable: 2" in result.stdout
    assert "false positives on acceptable messages: 0.00% (0 of 2)" in result.stdout
    assert "abusive, threatening or discriminatory messages caught: 1 of 1" in result.stdout
    # Only threats are present, so only they are priced; one threat reaches every recall.
    assert "What more recall would cost" in result.stdout
    header = next(line for line in result.stdout.splitlines() if line.startswith("┃ recall"))
    assert [cell.strip() for cell in header.split("┃")[1:-1]] == ["recall", "threat", "any of them"]
    rows = [line for line in result.stdout.splitlines() if line.startswith("│ 0.")]
    assert [row.split("│")[1].strip() for row in rows] == ["0.80", "0.90", "0.95"]
    assert len({row.split("│")[2] for row in rows}) == 1


@pytest.mark.usefixtures("wide_console")
def test_evaluate_of_a_broken_file_is_one_line(tmp_path: Path) -> None:
    labelled = tmp_path / "labelled.jsonl"
    labelled.write_text('{"text": "fine", "labels": []}\n{"text": "odd", "labels": ["rude"]}\n')
    result = CliRunner().invoke(app, ["evaluate", str(labelled)])
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        f"error: {labelled}:2: 'rude' is not a valid Category"
    ]


@pytest.mark.usefixtures("wide_console")
def test_evaluate_of_files_without_messages_is_one_line(tmp_path: Path) -> None:
    empty, blank = tmp_path / "empty.jsonl", tmp_path / "blank.jsonl"
    empty.write_text("", encoding="utf-8")
    blank.write_text("\n\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["evaluate", str(empty), str(blank)])
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        f"error: {empty}, {blank}: no labelled messages to judge"
    ]


@pytest.mark.usefixtures("wide_console")
def test_evaluate_checks_olid_before_judging_anything(tmp_path: Path) -> None:
    labelled = tmp_path / "labelled.jsonl"
    labelled.write_text('{"text": "See you at the disco", "labels": []}\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["evaluate", str(labelled), "--olid", str(tmp_path)])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {tmp_path / 'olid'}")
    assert "messages:" not in result.stdout
    (tmp_path / "olid").mkdir()
    (tmp_path / "olid" / "olid-training-v1.0.tsv").write_text(
        "id\ttweet\tsubtask_a\tsubtask_b\tsubtask_c\n", encoding="utf-8"
    )
    result = CliRunner().invoke(app, ["evaluate", str(labelled), "--olid", str(tmp_path)])
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        f"error: {tmp_path}: OLID's training file holds none of its held-out tweets"
    ]


@pytest.mark.usefixtures("wide_console")
def test_evaluate_scores_olids_held_out_tweets(tmp_path: Path) -> None:
    tweets = [
        ("OFF", "@USER you are a fucking idiot and everyone knows it"),
        ("OFF", "@USER shut your stupid mouth you pathetic loser"),
        ("NOT", "@USER lovely to see the sun out today"),
        ("NOT", "@USER thanks for sharing, the recipe looks great"),
    ]
    held_ids = (str(n) for n in range(10000, 20000) if in_heldout(str(n)))
    rows = [f"{next(held_ids)}\t{tweet}\t{label}\tNULL\tNULL\n" for label, tweet in tweets]
    (tmp_path / "olid").mkdir()
    (tmp_path / "olid" / "olid-training-v1.0.tsv").write_text(
        "id\ttweet\tsubtask_a\tsubtask_b\tsubtask_c\n" + "".join(rows), encoding="utf-8"
    )
    labelled = tmp_path / "labelled.jsonl"
    labelled.write_text('{"text": "See you at the disco", "labels": []}\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["evaluate", str(labelled), "--olid", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert (
        "OLID held-out (4 tweets) OFF vs NOT macro-F1: 1.000, average precision of OFF: 1.000"
        in (result.stdout)
    )
    assert "OLID macro-F1 at the best one threshold" in result.stdout
