"""Counter-speech: a parent or admin calling out, reporting or removing a breach.

"That comment about Polish families is xenophobic, please delete it" names the breach it
objects to, and the sentence model places it beside the breach: on a chat written blind
after the heads were fitted, 44 of the 50 acceptable messages they flagged were
counter-speech. More acceptable examples of it did not move them, because a linear head
adds up evidence and cannot say "discrimination, unless the message is objecting to it".

So counter-speech is learnt as a column of its own, from acceptable messages marked
``"counter_speech": true`` against every other school-chat message (breaches phrased as
rebukes among them, such as "Stop defending Kian, he bit my daughter"), and it discounts
the categories' scores: a message read as counter-speech with probability ``c`` keeps
``sqrt(1 - c)`` of each score. Thresholds are calibrated after the discount.

Threats and discrimination are spared. Their thresholds sit at the 0.5 floor
(:data:`classifiers.train.LOWEST_THRESHOLD`), so any discount loses breaches phrased as
pushback ("Keep it up and I'll be waiting at the gate", "It's not homophobic to want to
know who's looking after your child overnight"), and no other miss costs as much. Sparing
only threats lost four abusive and discriminatory messages on a chat written blind, too
many for the rule it was judged by; keeping ``1 - c`` instead of its square root cut a few
more false alarms but lost more breaches. docs/classifier.md has the figures.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from classifiers.categories import Category

FloatArray = npt.NDArray[np.float32]

#: The column's name where the heads and the lexical model name their columns.
COUNTER_SPEECH = "counter_speech"
#: Categories whose scores counter-speech never lowers.
SPARED = frozenset({Category.THREAT, Category.DISCRIMINATION})


def discounted(
    scores: FloatArray, counter_speech: FloatArray, categories: tuple[Category, ...]
) -> FloatArray:
    """Category ``scores`` (messages × ``categories``) lowered by each message's
    probability of being counter-speech."""
    kept = np.sqrt(1.0 - counter_speech)[:, None]
    spared = np.array([c in SPARED for c in categories])
    lowered: FloatArray = np.where(spared, scores, scores * kept).astype(np.float32)
    return lowered
