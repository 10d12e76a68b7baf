"""``classguard train``, ``evaluate`` and ``bench``: building and measuring the classifier."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from bot.cli_base import ConfigOption, RosterOption, app, console, fail
from bot.services import SetupError, classifier_for, roster_from, settings_from
from classifiers.categories import Category
from classifiers.datasets import (
    DataError,
    calibration_examples,
    read_labelled,
    read_olid,
    read_public,
    school_examples,
)
from classifiers.embedder import bundled_adapter_path
from classifiers.evaluate import (
    Report,
    best_offensive_macro_f1,
    judge_all,
    offensive_average_precision,
    offensive_macro_f1,
    report,
)
from classifiers.finetune import FineTuneSettings, TrainingDevice
from classifiers.name_swaps import SHOWN, NameSwaps, name_swaps, pairs
from classifiers.precision import Precision
from classifiers.recall_cost import RecallCost, recall_costs


@app.command()
def train(
    public: Annotated[
        Path | None,
        typer.Option(help="Folder of public data sets (OLID, Davidson, ToxiGen) to add."),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(help="Folder for the adapter and heads (default: the bundled model)."),
    ] = None,
    epochs: Annotated[int, typer.Option(help="Fine-tuning epochs.")] = FineTuneSettings().epochs,
    device: Annotated[
        TrainingDevice,
        typer.Option(help="Where to fine-tune: a CUDA GPU takes minutes, the CPU hours."),
    ] = TrainingDevice.CPU,
    length_buckets: Annotated[
        bool,
        typer.Option(
            help="Batch messages of alike length, as the shipped adapter was trained:"
            " under half the fine-tuning time of random batches on a CPU."
        ),
    ] = FineTuneSettings().length_buckets,
    heads_only: Annotated[
        bool,
        typer.Option(
            help="Keep the fine-tuned adapter in --out; refit its heads, example bank and"
            " thresholds (minutes, not hours). The shipped heads were fitted with --public."
        ),
    ] = False,
) -> None:
    """Rebuild the per-category heads from the labelled examples (reproducibly)."""
    from classifiers.finetune import DeviceUnavailable
    from classifiers.heads import HeadsMissing
    from classifiers.linear_heads import HeadsUnfit
    from classifiers.train import refit
    from classifiers.train import train as fit

    try:
        school = school_examples("train")
        calibration = calibration_examples()
        extra = read_public(public) if public else []
    except DataError as exc:
        raise fail(str(exc)) from None
    out = out or bundled_adapter_path()
    with console.status("training") as status:

        def progress(message: str) -> None:
            status.update(message)
            if not console.is_terminal:  # a log or a container: one line per step instead
                console.print(message)

        try:
            if heads_only:
                heads = refit(out, school, extra, calibration, progress)
            else:
                heads = fit(
                    school,
                    extra,
                    calibration,
                    out,
                    FineTuneSettings(epochs=epochs, length_buckets=length_buckets),
                    progress,
                    device,
                )
        except (HeadsMissing, HeadsUnfit, DeviceUnavailable) as exc:
            raise fail(str(exc)) from None
    table = Table("category", "threshold", title=f"Heads written to {out}")
    for category, threshold in zip(heads.categories, heads.thresholds, strict=True):
        table.add_row(category.value, f"{threshold:.3f}")
    console.print(table)
    console.print(f"{len(school)} school-chat examples, {len(extra)} public examples")


def print_report(result: Report) -> None:
    """Per-category figures, the overall ones and the worst mistakes."""
    table = Table(
        "category",
        "precision",
        "recall",
        "F1",
        "average precision",
        "support",
        title="Per category",
    )
    for category in Category:
        f = result.figures[category]
        ap = "-" if f.average_precision is None else f"{f.average_precision:.3f}"
        table.add_row(
            category.value,
            f"{f.precision:.3f}",
            f"{f.recall:.3f}",
            f"{f.f1:.3f}",
            ap,
            str(f.support),
        )
    console.print(table)
    console.print(f"messages: {result.examples}, acceptable: {result.acceptable}")
    console.print(f"macro-F1: {result.macro_f1:.3f}")
    console.print(
        f"mean average precision (whatever the thresholds): {result.mean_average_precision:.3f}"
    )
    console.print(
        f"false positives on acceptable messages: {result.false_positive_rate:.2%} "
        f"({result.acceptable_flagged} of {result.acceptable})"
    )
    console.print(
        "abusive, threatening or discriminatory messages caught: "
        f"{result.harmful_caught} of {result.harmful}"
    )
    for title, mistakes in (
        ("Worst false positives", result.false_positives),
        ("Worst misses", result.false_negatives),
    ):
        table = Table("text", "expected", "predicted", "score", title=title)
        for m in mistakes:
            table.add_row(
                m.text,
                ",".join(m.expected) or "-",
                ",".join(m.predicted) or "-",
                f"{m.confidence:.2f}",
            )
        console.print(table)


def print_recall_costs(costs: list[RecallCost]) -> None:
    """What lower thresholds for the harmful categories would catch, and flag wrongly."""
    if not costs:
        return
    categories = list(costs[0].thresholds)
    table = Table(
        "recall",
        *(c.value for c in categories),
        "any of them",
        title="What more recall would cost: the threshold that reaches it"
        " (acceptable messages it flags)",
    )
    for cost in costs:
        table.add_row(
            f"{cost.recall:.2f}",
            *(f"{cost.thresholds[c]:.3f} ({cost.acceptable_flagged[c]:.2%})" for c in categories),
            f"{cost.any_flagged:.2%}",
        )
    console.print(table)


def print_name_swaps(swaps: NameSwaps) -> None:
    """How many named messages another name changed, and the first few of them."""
    console.print(
        f"first names swapped: {len(swaps.changed)} of {swaps.named} named messages"
        f" judged differently ({swaps.rate:.1%})"
    )
    if not swaps.changed:
        return
    table = Table("text", "names swapped", "before", "after", title="Judged differently")
    for text, _, before, after in swaps.changed[:SHOWN]:
        table.add_row(
            text,
            ", ".join(f"{a} → {b}" for a, b in pairs(text)),
            ",".join(before.categories) or "-",
            ",".join(after.categories) or "-",
        )
    console.print(table)


@app.command()
def evaluate(
    labelled: Annotated[
        list[Path] | None,
        typer.Argument(
            help="JSON Lines of {text, labels, media?}, one file or several judged together "
            "(default: the held-out set)."
        ),
    ] = None,
    roster: RosterOption = None,
    config: ConfigOption = None,
    olid: Annotated[
        Path | None,
        typer.Option(help="Public data folder: also score OFF vs NOT on OLID's held-out part."),
    ] = None,
) -> None:
    """Print precision, recall and F1 per category, macro-F1, false positives and harmful
    messages caught; several files are judged as one set."""
    try:
        settings = settings_from(config)
        examples = (
            [e for path in labelled for e in read_labelled(path)]
            if labelled
            else school_examples("heldout")
        )
        if not examples:
            raise fail(f"{', '.join(map(str, labelled or []))}: no labelled messages to judge")
        tweets = list(read_olid(olid, heldout=True)) if olid is not None else []
        if olid is not None and not tweets:
            raise fail(f"{olid}: OLID's training file holds none of its held-out tweets")
        classifier = classifier_for(settings)
        class_roster = roster_from(roster)
    except (SetupError, DataError) as exc:
        raise fail(str(exc)) from None
    with console.status(f"judging {len(examples)} messages"):
        judgements = judge_all(classifier, examples, class_roster)
    console.print(f"encoder arithmetic: {classifier.embedder.precision}")
    print_report(report(examples, judgements))
    print_recall_costs(recall_costs(examples, judgements))
    with console.status("judging the named messages again with other names"):
        swaps = name_swaps(classifier, examples, judgements, class_roster)
    print_name_swaps(swaps)
    if tweets:
        with console.status(f"judging {len(tweets)} OLID tweets"):
            olid_judgements = judge_all(classifier, tweets)
        score = offensive_macro_f1(tweets, olid_judgements)
        ranking = offensive_average_precision(tweets, olid_judgements)
        console.print(
            f"OLID held-out ({len(tweets)} tweets) OFF vs NOT macro-F1: {score:.3f}, "
            f"average precision of OFF: {ranking:.3f}"
        )
        ceiling, cut = best_offensive_macro_f1(tweets, olid_judgements)
        console.print(
            f"OLID macro-F1 at the best one threshold on the highest harmful score, chosen on"
            f" these tweets: {ceiling:.3f} (at {cut:.3f})"
        )


@app.command()
def bench(
    messages: Annotated[int, typer.Option(min=1, help="Messages in the batched run.")] = 1000,
    singles: Annotated[
        int, typer.Option(min=2, help="One-message calls for the latency figures.")
    ] = 200,
    detoxify: Annotated[bool, typer.Option(help="Also measure a Detoxify model.")] = True,
    precision: Annotated[
        Precision, typer.Option(help="The encoder's arithmetic (auto: as the bot would run).")
    ] = Precision.AUTO,
) -> None:
    """Throughput, latency and peak memory, beside a Detoxify-architecture model."""
    from classifiers.bench import BenchError, run_side

    try:
        with console.status("measuring ClassGuard"):
            ours = run_side("classguard", messages, singles, precision)
        sides = [ours]
        if detoxify:
            with console.status("measuring a Detoxify model (BERT-base, random weights)"):
                sides.append(run_side("detoxify", max(messages // 4, 64), max(singles // 4, 20)))
    except BenchError as exc:
        raise fail(str(exc)) from None
    table = Table("", *(s.name for s in sides), title="classguard bench")
    table.add_row("batched messages/s", *(f"{s.batched_per_second:.0f}" for s in sides))
    table.add_row("p50 one message (ms)", *(f"{s.p50_ms:.1f}" for s in sides))
    table.add_row("p95 one message (ms)", *(f"{s.p95_ms:.1f}" for s in sides))
    table.add_row("peak RSS (MB)", *(f"{s.peak_rss_mb:.0f}" for s in sides))
    console.print(table)
    if len(sides) == 2:
        ratio = ours.batched_per_second / sides[1].batched_per_second
        console.print(f"ClassGuard throughput is {ratio:.1f}x the Detoxify model's")
