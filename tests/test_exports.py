"""Chat exports: every WhatsApp and Telegram variant read exactly, bad files refused in one line."""

from __future__ import annotations

import codecs
import json
import random
import tracemalloc
from datetime import datetime
from pathlib import Path

import pytest

from moderation.exports import ExportedMessage, ExportError, open_export
from moderation.message import MediaKind

FIXTURES = Path(__file__).parent / "fixtures" / "exports"


def msg(when: str, author: str, text: str, media: MediaKind | None = None) -> ExportedMessage:
    return ExportedMessage(datetime.fromisoformat(when), author, text, media)


ANDROID_UK = [
    msg(
        "2023-09-14 19:05",
        "Gemma Holt",
        "Hi all, welcome to the Willow Class group! Reminder: PE kits in on Mondays",
    ),
    msg(
        "2023-09-14 19:07",
        "Rachel Okafor",
        "Thanks Gemma 😊\nDoes anyone know if the reading records go back on Friday?\n\n"
        "13/10/2023 is the Roman day, costumes needed",
    ),
    msg(
        "2023-09-14 19:08",
        "+44 7700 900123",
        "Yes Fridays, Mrs Patel said so at the welcome meeting",
    ),
    msg("2023-09-14 19:10", "Jamie Fletcher", "", MediaKind.OTHER),
    msg("2023-09-15 08:30", "Nadia Hussain", "Harvest festival donations are tins only this year"),
    msg("2023-09-15 08:31", "Rachel Okafor", "Costume ideas for Roman day", MediaKind.PHOTO),
    msg("2023-09-15 08:40", "Owen Pritchard", "Hello! Owen here, Isla's dad 👋"),
    msg("2023-09-15 08:55", "Rachel Okafor", "The trip letter is in the book bags (file attached)"),
]

WHATSAPP = {
    "android_uk.txt": ("whatsapp-android", ANDROID_UK),
    "android_us_12h.txt": (
        "whatsapp-android",
        [
            msg("2023-09-14 19:05", "Becky Thornton", "Is the cake sale tomorrow or next Friday?"),
            msg("2023-09-14 19:06", "Marcus Adeyemi", "Tomorrow! £1 a slice, bring change"),
            msg(
                "2023-09-15 00:10",
                "Marcus Adeyemi",
                "Sorry for the late message, just remembered the raffle tickets",
            ),
            msg("2023-09-15 12:30", "Becky Thornton", "", MediaKind.OTHER),
            msg("2023-10-02 08:45", "Becky Thornton", "Flu spray letters came home today"),
        ],
    ),
    "android_ampm.txt": (
        "whatsapp-android",
        [
            msg(
                "2021-12-30 22:01",
                "Fiona McLeod",
                "Does anyone know when the Christmas holiday club finishes?",
            ),
            msg("2021-12-31 09:15", "Dev Mistry", "Tuesday 4th I think"),
            msg("2022-01-02 16:45", "Fiona McLeod", "Thanks Dev, happy new year!"),
            msg("2022-01-02 16:46", "Dev Mistry", "And you 🎉"),
            msg("2022-01-03 11:02", "Fiona McLeod", "Has anyone seen a green water bottle?"),
        ],
    ),
    "android_dotted.txt": (
        "whatsapp-android",
        [
            msg("2021-12-30 22:01", "Sian Morgan", "Nativity photos are on the school app now"),
            msg("2021-12-30 22:03", "Callum Reid", "Brilliant, thank you"),
        ],
    ),
    "android_iso.txt": (
        "whatsapp-android",
        [
            msg(
                "2024-01-08 07:45:10",
                "Claire Brennan",
                "Is the gate open early for breakfast club today?",
            ),
            msg("2024-01-08 07:46:02", "Owen Pritchard", "Yes from 7:45"),
        ],
    ),
    "ambiguous.txt": (
        "whatsapp-android",
        [
            msg(
                "2024-04-03 08:15",
                "Fiona McLeod",
                "Swimming starts after Easter, Wednesday mornings",
            ),
            msg("2024-04-05 17:40", "Marcus Adeyemi", "Do they need goggles?"),
        ],
    ),
    "ios_uk.txt": (
        "whatsapp-ios",
        [
            msg(
                "2023-09-14 19:05:02",
                "Gemma Holt",
                "Welcome everyone! Harvest assembly is on 3rd October at 9:15",
            ),
            msg(
                "2023-09-14 19:06:30",
                "Claire Brennan",
                "Lovely, thanks.\nWill there be seats for grandparents?",
            ),
            msg("2023-09-14 19:07:12", "Claire Brennan", "", MediaKind.PHOTO),
            msg("2023-09-14 19:07:40", "Dev Mistry", "", MediaKind.VIDEO),
            msg("2023-09-14 19:08:03", "Dev Mistry", "", MediaKind.AUDIO),
            msg("2023-09-14 19:08:20", "Sian Morgan", "", MediaKind.STICKER),
            msg("2023-09-14 19:09:00", "Sian Morgan", "", MediaKind.DOCUMENT),
            msg("2023-09-14 19:09:30", "Claire Brennan", "", MediaKind.VIDEO),
            msg("2023-09-14 19:10:15", "Dev Mistry", "", MediaKind.OTHER),
            msg("2023-09-15 07:45:00", "Gemma Holt", "", MediaKind.PHOTO),
            msg("2023-09-15 07:45:10", "Gemma Holt", "", MediaKind.VIDEO),
            msg("2023-09-15 07:46:00", "Dev Mistry", "", MediaKind.AUDIO),
            msg("2023-09-15 07:46:30", "Sian Morgan", "", MediaKind.STICKER),
            msg("2023-09-15 07:47:00", "Gemma Holt", "", MediaKind.DOCUMENT),
            msg(
                "2023-09-15 08:20:00",
                "Sian Morgan",
                "Reminder: non-uniform day on Friday, £1 for Children in Need",
            ),
        ],
    ),
    "ios_us_12h.txt": (
        "whatsapp-ios",
        [
            msg(
                "2023-09-14 19:05:30",
                "Kerry Dawson",
                "SATs revision evening is next Tuesday in the hall",
            ),
            msg("2023-09-14 23:59:59", "Callum Reid", "Thanks, we'll be there"),
            msg("2023-09-15 00:00:01", "Callum Reid", "", MediaKind.PHOTO),
            msg(
                "2023-09-15 12:15:00",
                "Kerry Dawson",
                "Residential trip forms due back by 10/2 please",
            ),
        ],
    ),
}

TELEGRAM_CHAT = [
    msg(
        "2023-09-04 18:32:40",
        "Fiona McLeod",
        "Welcome to the Hazel Class group! Please keep it to school matters 😊",
    ),
    msg(
        "2023-09-05 07:58:03",
        "Dev Mistry",
        "Has anyone got the spelling list for this week? It's on "
        "https://hazelprimary.example.sch.uk/spellings, thanks Fiona",
    ),
    msg(
        "2023-09-05 08:15:00",
        "Becky Thornton",
        "Lost property: blue lunchbox with a dinosaur on",
        MediaKind.PHOTO,
    ),
    msg("2023-09-05 08:16:10", "Becky Thornton", "", MediaKind.PHOTO),
    msg("2023-09-05 12:01:00", "Dev Mistry", "", MediaKind.VIDEO),
    msg("2023-09-05 12:02:00", "Fiona McLeod", "", MediaKind.VIDEO),
    msg("2023-09-05 12:03:30", "Becky Thornton", "", MediaKind.AUDIO),
    msg("2023-09-05 12:04:00", "Dev Mistry", "Words for the harvest song", MediaKind.AUDIO),
    msg("2023-09-05 12:05:00", "Fiona McLeod", "", MediaKind.STICKER),
    msg(
        "2023-09-06 19:20:00",
        "Becky Thornton",
        "Here's the trip form again for anyone who lost it",
        MediaKind.DOCUMENT,
    ),
    msg("2023-09-06 19:21:00", "Dev Mistry", "", MediaKind.VIDEO),
    msg("2023-09-06 19:30:00", "Fiona McLeod", "", MediaKind.OTHER),
    msg("2023-09-07 08:05:00", "Deleted Account", "Is after-school club running this week?"),
    msg("2023-09-07 08:12:45", "Becky Thornton", "Yes, until 5.30 as usual"),
]

TELEGRAM_FULL = [
    msg(
        "2023-10-02 20:14:00",
        "Becky Thornton",
        "Harvest festival is Thursday, tins and packets only please",
    ),
    msg("2023-10-02 20:16:30", "Fiona McLeod", "", MediaKind.PHOTO),
    msg("2023-10-03 09:00:00", "Dev Mistry", "Quiz night tickets: £5 each"),
]


def read(path: Path) -> tuple[str, list[ExportedMessage], int]:
    export = open_export(path)
    messages = list(export.messages())
    return export.format, messages, export.skipped


@pytest.mark.parametrize("name", sorted(WHATSAPP))
def test_whatsapp_fixture(name: str) -> None:
    fmt, expected = WHATSAPP[name]
    assert read(FIXTURES / name) == (fmt, expected, 0)


def test_telegram_single_chat_skips_service_entries_and_counts_broken_ones() -> None:
    # Entry 17 has no date and entry 18 a number for text: both are counted, not fatal.
    assert read(FIXTURES / "telegram_chat.json") == ("telegram-json", TELEGRAM_CHAT, 2)


def test_telegram_full_export_reads_every_chat() -> None:
    assert read(FIXTURES / "telegram_full.json") == ("telegram-json", TELEGRAM_FULL, 0)


def test_invalid_dates_mid_file_are_skipped_with_their_lines() -> None:
    # 31/02 (a line and its continuation) and 25:10: three lines; the rest survive.
    assert read(FIXTURES / "invalid_date.txt") == (
        "whatsapp-android",
        [
            msg("2024-02-27 18:00", "Kerry Dawson", "World Book Day costumes on Thursday"),
            msg("2024-02-27 18:05", "Callum Reid", "Is it Thursday or Friday?"),
            msg("2024-02-28 07:50", "Callum Reid", "Brilliant, thanks"),
            msg("2024-02-29 08:00", "Callum Reid", "Leap day! Happy birthday to anyone born today"),
        ],
        3,
    )


def test_skipped_is_recounted_on_each_pass() -> None:
    export = open_export(FIXTURES / "invalid_date.txt")
    assert len(list(export.messages())) == len(list(export.messages())) == 4
    assert export.skipped == 3


def test_date_order_follows_the_majority_of_lines(tmp_path: Path) -> None:
    path = tmp_path / "chat.txt"
    path.write_text(
        "13/05/2024, 08:00 - Nadia Hussain: Sports day is on the 24th\n"
        "14/05/2024, 08:00 - Owen Pritchard: Thanks\n"
        "05/13/2024, 08:00 - Nadia Hussain: Bring sun cream\n",
        encoding="utf-8",
    )
    assert read(path) == (
        "whatsapp-android",
        [
            msg("2024-05-13 08:00", "Nadia Hussain", "Sports day is on the 24th"),
            msg("2024-05-14 08:00", "Owen Pritchard", "Thanks"),
        ],
        1,
    )


@pytest.mark.parametrize(
    ("codec", "bom", "newline"),
    [
        ("utf-8", codecs.BOM_UTF8, "\n"),
        ("utf-16-le", codecs.BOM_UTF16_LE, "\r\n"),
        ("utf-16-be", codecs.BOM_UTF16_BE, "\n"),
        ("utf-16-le", b"", "\n"),
        ("utf-16-be", b"", "\r\n"),
    ],
)
def test_byte_order_marks_and_utf16(tmp_path: Path, codec: str, bom: bytes, newline: str) -> None:
    text = (FIXTURES / "android_uk.txt").read_text(encoding="utf-8").replace("\n", newline)
    path = tmp_path / "chat.txt"
    path.write_bytes(bom + text.encode(codec))
    assert read(path) == ("whatsapp-android", ANDROID_UK, 0)


@pytest.mark.parametrize("codec", ["utf-8-sig", "utf-16"])
def test_telegram_json_in_other_encodings(tmp_path: Path, codec: str) -> None:
    path = tmp_path / "result.json"
    path.write_bytes((FIXTURES / "telegram_full.json").read_text(encoding="utf-8").encode(codec))
    assert read(path) == ("telegram-json", TELEGRAM_FULL, 0)


def test_half_an_emoji_in_a_telegram_export_costs_only_itself(tmp_path: Path) -> None:
    entry = {"type": "message", "date": "2026-11-12T09:15:00", "from_id": "user1"}
    chat = {
        "name": "Year 4",
        "type": "private_group",
        "messages": [
            {**entry, "id": 1, "from": "Dan \ud83d", "text": ["cut ", "\ud83d", " emoji"]},
            {**entry, "id": 2, "from": "Amy", "text": "thanks \ud83d\ude00"},
        ],
    }
    path = tmp_path / "result.json"
    path.write_text(json.dumps(chat), encoding="utf-8")  # escapes the lone surrogates
    assert [(m.author, m.text) for m in open_export(path).messages()] == [
        ("Dan \ufffd", "cut \ufffd emoji"),
        ("Amy", "thanks \U0001f600"),
    ]


def test_windows_1252_is_read(tmp_path: Path) -> None:
    path = tmp_path / "chat.txt"
    lines = [
        "14/09/2023, 19:05 - Gemma Holt: Cake sale on Friday, £1 a slice",
        "14/09/2023, 19:06 - Rachel Okafor: The café will be open for parents too",
        "14/09/2023, 19:07 - Gemma Holt: Lovely, see you all there",
    ]
    path.write_bytes("\r\n".join(lines).encode("cp1252"))
    assert [(m.author, m.text) for m in open_export(path).messages()] == [
        ("Gemma Holt", "Cake sale on Friday, £1 a slice"),
        ("Rachel Okafor", "The café will be open for parents too"),
        ("Gemma Holt", "Lovely, see you all there"),
    ]


@pytest.mark.parametrize(
    ("codec", "bom"), [("utf-8", b""), ("utf-16-le", codecs.BOM_UTF16_LE)], ids=["utf-8", "utf-16"]
)
def test_a_corrupt_character_costs_only_itself(tmp_path: Path, codec: str, bom: bytes) -> None:
    """One bad byte (or lone surrogate) reads as U+FFFD; the file is not taken for Windows-1252."""
    before = (
        "14/09/2023, 19:05 - Gemma Holt: Well done Year 3 🎉 great assembly\n"
        "14/09/2023, 19:05 - Gemma Holt: "
    )
    after = "\n14/09/2023, 19:06 - Rachel Okafor: Agreed, £5 well spent on costumes\n"
    broken = b"\xff" if codec == "utf-8" else b"\x00\xdc"
    path = tmp_path / "chat.txt"
    path.write_bytes(bom + before.encode(codec) + broken + after.encode(codec))
    assert [(m.author, m.text) for m in open_export(path).messages()] == [
        ("Gemma Holt", "Well done Year 3 🎉 great assembly"),
        ("Gemma Holt", "\ufffd"),
        ("Rachel Okafor", "Agreed, £5 well spent on costumes"),
    ]


def error_for(path: Path) -> str:
    with pytest.raises(ExportError) as caught:
        open_export(path)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: ")
    return message


@pytest.mark.parametrize("content", [b"", codecs.BOM_UTF8, codecs.BOM_UTF16_LE, b"\n  \r\n"])
def test_empty_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "chat.txt"
    path.write_bytes(content)
    assert error_for(path) == f"{path}: file is empty"


@pytest.mark.parametrize(
    "content",
    [
        b"\x89PNG\r\n\x1a\n" + random.Random(7).randbytes(5000),
        b"\x00" * 2048,
        b"PK\x03\x04" + bytes(range(256)) * 8,
    ],
    ids=["png", "nul", "zip"],
)
def test_binary_junk(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "chat.txt"
    path.write_bytes(content)
    assert "not a text file" in error_for(path)


def test_text_that_is_not_an_export(tmp_path: Path) -> None:
    path = tmp_path / "letter.txt"
    path.write_text("Dear parents,\n30/12/2021, 22:01 - the trip is on Friday.\n", encoding="utf-8")
    assert "not a recognised chat export" in error_for(path)


def test_missing_file(tmp_path: Path) -> None:
    assert "cannot be read" in error_for(tmp_path / "nowhere.txt")


def test_malformed_json_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "result.json"
    path.write_text('{\n "messages": [\n  {"id": 1,, "type": "message"}\n ]\n}\n', encoding="utf-8")
    assert error_for(path) == (
        f"{path}: invalid JSON at line 3, column 12: Expecting property name enclosed in "
        "double quotes"
    )


def test_json_that_is_not_a_telegram_export(tmp_path: Path) -> None:
    path = tmp_path / "result.json"
    path.write_text('{"name": "Hazel Class", "members": 30}', encoding="utf-8")
    assert 'without Telegram "messages"' in error_for(path)


def test_large_export_streams_in_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    day = "14/09/2023, 19:05 - Gemma Holt: "
    block = (
        f"{day}Reminder that the library van comes on Thursday, books back please\n"
        f"{day}<Media omitted>\n"
        f"{day}Two lines this time\nsecond line of the message\n"
    )
    count = 5 * 1024 * 1024 // len(block) + 1
    with path.open("w", encoding="utf-8") as handle:
        for _ in range(count):
            handle.write(block)
    export = open_export(path)
    tracemalloc.start()
    try:
        seen = sum(1 for _ in export.messages())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert seen == 3 * count
    assert export.skipped == 0
    assert peak < 1024 * 1024  # a fifth of the file: it was never held whole
