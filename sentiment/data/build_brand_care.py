"""Rebuild brand_care.jsonl from brand_care_source.txt (stdlib only, deterministic).

Each hand-written line is instantiated with two fictional brand names (picked by a fixed-seed RNG), so
the model sees the sentence shapes of customer-to-brand messages without learning one brand's name.
Run: `python sentiment/data/build_brand_care.py`.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent
BRANDS = (
    "Zentaro",
    "BlueKettle",
    "Norvik Air",
    "Quillmart",
    "Parcelio",
    "Tandem Bank",
    "Orbitel",
    "FreshCrate",
    "Lumora",
    "Vantix Mobile",
    "Hollow Pine Hotels",
    "Kestrel Rail",
    "Mapleform",
    "Brightwave",
    "Sorrel & Co",
)
COPIES = 2


def build(seed: int = 5) -> list[dict[str, str]]:
    """Return the rows: every source line with COPIES distinct fictional brands."""
    rng = random.Random(seed)  # noqa: S311 - reproducible sampling, not security
    rows: list[dict[str, str]] = []
    lines = (HERE / "brand_care_source.txt").read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.startswith("#"):
            continue
        label, template = line.split("\t", 1)
        for copy, brand in enumerate(rng.sample(BRANDS, COPIES)):
            handle = brand.replace(" ", "").replace("&", "")
            text = template.replace("@{brand}", "@" + handle).replace("{brand}", brand)
            rows.append(
                {"text": text, "label": label, "source": "brand_care", "id": f"brand_care:{number}.{copy}"}
            )
    return rows


if __name__ == "__main__":
    out = HERE / "brand_care.jsonl"
    with out.open("w", encoding="utf-8") as handle:
        for row in build():
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(out)
