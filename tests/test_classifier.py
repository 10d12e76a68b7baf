"""The shipped classifier's behaviour: every category caught, hard negatives left alone.

These assert behaviour on clear cases; the figures (precision, recall, speed)
come from ``classguard evaluate`` and ``classguard bench``.
"""

from __future__ import annotations

import pytest

from classifiers.categories import Category
from classifiers.classifier import (
    MAX_WINDOWS,
    WINDOW_WORDS,
    ClassGuardClassifier,
    windows,
)
from classifiers.judgement import Roster

ROSTER = Roster(
    pupils=("Oliver", "Amelia", "Zara", "Harry", "Noah"),
    staff=(("Mr Jones", "class teacher"), ("Mrs Patel", "teaching assistant")),
)

BREACHES = [
    ("You're a pathetic excuse for a mother, shut your mouth", None, Category.ABUSE),
    ("Mark you absolute clown, read the letter", None, Category.ABUSE),
    ("Say that again and I'll smash your car windows in", None, Category.THREAT),
    (
        "Muslims shouldn't be allowed to send their kids to our school",
        None,
        Category.DISCRIMINATION,
    ),
    (
        "Harry is a horrible little boy and he bites everyone, his mum needs to sort him out",
        None,
        Category.CHILD_CONCERN,
    ),
    (
        "Mr Jones never replies to anything, he's hopeless at his job",
        None,
        Category.STAFF_GRIEVANCE,
    ),
    (
        "Everyone knows the PTA treasurer has been stealing from the summer fair takings",
        None,
        Category.DEFAMATION,
    ),
    (
        "Anyone who votes for that party next week is an idiot, they've ruined the country",
        None,
        Category.POLITICAL,
    ),
    (
        "Claire, did you ever sort out things with your ex? Ring me tonight, I've got gossip",
        None,
        Category.PRIVATE_CHAT,
    ),
    ("If you're late the code for the side gate keypad is 5812", None, Category.SECURITY),
    (
        "Don't repeat this but the TA was suspended after the complaint investigation",
        None,
        Category.CONFIDENTIAL,
    ),
    ("Here's the whole class in their costumes at the nativity!", "photo", Category.PUPIL_IMAGE),
]

ACCEPTABLE = [
    ("I'm dying to know who won the raffle!", None),
    ("So grateful to Mr Jones for running football club", None),
    ("Happy birthday Zara! Have a lovely day", None),
    ("Bin collections change over Christmas, check the council website", None),
    ("this flipping printer has jammed again", None),
    ("Eid Mubarak to all the families celebrating this week", None),
    ("My wife and I can bring cakes for the sale on Friday", None),
    ("I've emailed the office about the lunch menu, will let you know what they say", None),
    ("Found this blue jumper in the playground, name label says Noah", "photo"),
    ("Does anyone know what time the disco finishes on Friday?", None),
    ("PE is on Tuesday and Thursday this half term", None),
    ("Thanks so much, that's really helpful", None),
    # Addressing a parent by name is not abuse; a polite redirect is what the code asks for.
    ("Dave, maybe take that to DMs?", None),
    ("Sarah, honestly, ring the office, they'll sort it", None),
]


#: A parent calling out a breach, beside the breach itself. Threats and discrimination are
#: left out: counter-speech never lowers their scores (classifiers.counter_speech).
CALLED_OUT = [
    (
        "Language! That's no way to talk to Becky, please take it down",
        "Becky you are a thick useless cow and everyone knows it",
        None,
        Category.ABUSE,
    ),
    (
        "Whoever posted the door code, please delete it. We don't know who sees this chat",
        "Side gate code is 2580 if you're running late",
        None,
        Category.SECURITY,
    ),
    (
        "Can we not talk about Reform on the class chat please",
        "Anyone voting Labour at the next election needs their head testing, Reform all the way",
        None,
        Category.POLITICAL,
    ),
    (
        "Let's not discuss what happened with Mrs Green, the school will handle it",
        "Mrs Green is hopeless, she has no control of that class and never answers emails",
        None,
        Category.STAFF_GRIEVANCE,
    ),
    (
        "Please don't name children on here, he's only six",
        "Leo is a nightmare, he punched three kids this week and his mum does nothing",
        None,
        Category.CHILD_CONCERN,
    ),
    (
        "Admin: I've removed a message with a photo of other people's children. Please check"
        " before posting",
        "Here's all of Year 2 at the farm trip! 😍",
        "photo",
        Category.PUPIL_IMAGE,
    ),
]


@pytest.fixture(scope="module")
def classifier() -> ClassGuardClassifier:
    return ClassGuardClassifier()


@pytest.mark.parametrize(("text", "media", "category"), BREACHES)
def test_each_category_is_caught(
    classifier: ClassGuardClassifier, text: str, media: str | None, category: Category
) -> None:
    judgement = classifier.judge(text, media, ROSTER)
    assert category in judgement.categories, judgement.scores
    assert any(e.category is category for e in judgement.evidence)


@pytest.mark.parametrize(("text", "media"), ACCEPTABLE)
def test_hard_negatives_are_left_alone(
    classifier: ClassGuardClassifier, text: str, media: str | None
) -> None:
    judgement = classifier.judge(text, media, ROSTER)
    assert judgement.categories == (), judgement.scores


@pytest.mark.parametrize(("rebuke", "breach", "media", "category"), CALLED_OUT)
def test_calling_out_a_breach_is_not_the_breach(
    classifier: ClassGuardClassifier,
    rebuke: str,
    breach: str,
    media: str | None,
    category: Category,
) -> None:
    assert classifier.judge(rebuke, None, ROSTER).categories == ()
    assert category in classifier.judge(breach, media, ROSTER).categories


@pytest.mark.parametrize(
    ("disguised", "plain"),
    [
        ("you are a f u c k i n g idiot", "you are a fucking idiot"),
        ("you are a f*cking idiot", "you are a fucking idiot"),
        ("what a m0r0n, total sh1t", "what a moron, total shit"),
        ("ｙｏｕ ａｒｅ ａ ｆｕｃｋｉｎｇ ｉｄｉｏｔ", "you are a fucking idiot"),
        ("you are a fu\u200bcking idi\u200bot", "you are a fucking idiot"),
    ],
)
def test_evasions_classify_like_their_plain_form(
    classifier: ClassGuardClassifier, disguised: str, plain: str
) -> None:
    hidden, clear = classifier.judge_many([disguised, plain])
    assert hidden.categories == clear.categories
    assert Category.ABUSE in hidden.categories
    assert any("disguised" in e.detail for e in hidden.evidence)


def test_roster_names_are_evidence(classifier: ClassGuardClassifier) -> None:
    judgement = classifier.judge(
        "Olivr keeps hitting the other kids, someone needs to tell that boy off", None, ROSTER
    )
    assert Category.CHILD_CONCERN in judgement.categories
    details = [e.detail for e in judgement.evidence if e.source == "name"]
    assert details == ["pupil named: Olivr"]


def test_empty_and_oversized_messages(classifier: ClassGuardClassifier) -> None:
    filler = "Lovely to see everyone at the school fair, the cakes were great. " * 30
    threat = "Say that again and I'll smash your car windows in. "
    empty, huge, tail, middle = classifier.judge_many(
        ["", "lovely day " * 20000, filler + threat, filler + threat + filler]
    )
    assert empty.categories == () and not empty.flagged
    assert huge.categories == ()
    assert Category.THREAT in tail.categories
    assert Category.THREAT in middle.categories


def test_long_messages_are_read_in_sentence_windows() -> None:
    friendly = "Thanks for organising the cake sale, it raised loads for the library. " * 4
    hostile = "Say that again and I'll smash your car windows in."
    text = friendly + hostile + " " + friendly
    chunks = windows(text)
    assert any(c.startswith(hostile) for c in chunks)  # a window starts at every sentence
    assert all(len(c.split()) <= WINDOW_WORDS for c in chunks)
    assert windows("short and sweet") == ["short and sweet"]
    essay = " ".join(f"Point {i} is made here." for i in range(500)) + " The end."
    chunks = windows(essay)
    assert len(chunks) == MAX_WINDOWS and chunks[-1] == "The end."


def test_a_photo_of_lost_property_is_not_a_pupil_image(classifier: ClassGuardClassifier) -> None:
    judgement = classifier.judge("Lost: red water bottle, picture attached", "photo", ROSTER)
    assert Category.PUPIL_IMAGE not in judgement.categories
