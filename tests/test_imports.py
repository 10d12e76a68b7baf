"""The running bot stays lean: libraries needed only to train, evaluate or read pictures are
imported when first used, not when ClassGuard starts or judges a text message."""

from __future__ import annotations

import json
import subprocess
import sys

#: Each costs tens of megabytes or more once imported (transformers about 150 MB).
HEAVY = ("transformers", "peft", "sklearn", "cv2")

PROGRAM = f"""
import json, sys
import bot.cli
from classifiers.classifier import ClassGuardClassifier
ClassGuardClassifier().judge("See you all at the disco on Friday!")
print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))
"""


def test_starting_and_judging_a_message_imports_no_heavy_library() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM], capture_output=True, text=True, timeout=300, check=True
    )
    assert json.loads(done.stdout.splitlines()[-1]) == []
