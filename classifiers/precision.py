"""The number format the encoder multiplies in, chosen for the processor it runs on."""

from __future__ import annotations

import time
from enum import StrEnum
from functools import cache
from typing import Any

#: ``auto`` picks bfloat16 only where its products run at least this much faster than
#: float32's; near a tie, float32's extra digits are worth more.
BFLOAT16_MARGIN = 1.1


class Precision(StrEnum):
    """The number format the encoder multiplies in.

    ``bfloat16`` keeps float32's range with fewer digits. On processors that
    multiply it natively (AVX-512 BF16 or AMX) the classifier runs about twice as
    fast, and each embedding stays within 0.0001 of its float32 cosine, which
    changed the decision on 1 of 3,994 held-out and validation messages.
    Elsewhere it is emulated and slower; and even native support is no promise, since an
    Intel Xeon with AVX-512 BF16 whose virtual machine hid AMX ran the encoder's
    products 1.5 to 1.7 times slower in bfloat16. So ``auto`` picks bfloat16 only where it is
    native and a quick measurement finds it faster. Training and calibration run in
    float32.
    """

    AUTO = "auto"
    FLOAT32 = "float32"
    BFLOAT16 = "bfloat16"


def native_bfloat16() -> bool:
    """Whether this processor multiplies bfloat16 in hardware."""
    import torch

    cpu = torch.cpu
    checks = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    return any(getattr(cpu, name, lambda: False)() for name in checks)


def product_seconds(dtype: Any, repeats: int = 5) -> float:
    """The fastest of ``repeats`` timings of one product the shape of the encoder's
    widest layer (256 rows through 384 x 1536), in ``dtype``."""
    import torch

    rows = torch.randn(256, 384).to(dtype)
    weight = torch.randn(1536, 384).to(dtype)
    torch.nn.functional.linear(rows, weight)  # the first call builds the kernel
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        torch.nn.functional.linear(rows, weight)
        best = min(best, time.perf_counter() - start)
    return best


@cache
def bfloat16_faster() -> bool:
    """Whether this processor multiplies bfloat16 clearly faster than float32 (measured
    once per process, in well under a second)."""
    import torch

    return product_seconds(torch.float32) > BFLOAT16_MARGIN * product_seconds(torch.bfloat16)


def resolve(precision: Precision) -> Precision:
    """``precision`` itself, or for ``auto`` the one this processor runs best."""
    if precision is not Precision.AUTO:
        return precision
    faster = native_bfloat16() and bfloat16_faster()
    return Precision.BFLOAT16 if faster else Precision.FLOAT32


def compute_dtype(precision: Precision) -> Any:
    """The torch dtype ``precision`` stands for on this processor."""
    import torch

    return torch.bfloat16 if resolve(precision) is Precision.BFLOAT16 else torch.float32
