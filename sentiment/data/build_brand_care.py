"""Rebuild brand_care.jsonl and brand_care_more.jsonl from their *_source.txt (stdlib only, deterministic).

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
MORE_BRANDS = (  # brand_care_more: other names, so neither set ties a label to a brand
    "Corvane",
    "Tillbrook",
    "Aurelio Air",
    "Pebblegate",
    "Quantiva Bank",
    "Rookwell Energy",
    "Sablefin",
    "Juniper Rail",
    "Kettlebay",
    "Marrowline Mobile",
    "Brisklane",
    "Halden & Finch",
    "Nimbly Foods",
    "Ferro Fibre",
    "Wrenfield Hotels",
    "Cindervale Games",
)
COPIES = 2


def build(
    seed: int = 5, source: str = "brand_care", brands: tuple[str, ...] = BRANDS
) -> list[dict[str, str]]:
    """Return the rows of `{source}_source.txt`: every line with COPIES distinct brands from `brands`."""
    rng = random.Random(seed)  # noqa: S311 - reproducible sampling, not security
    rows: list[dict[str, str]] = []
    lines = (HERE / f"{source}_source.txt").read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.startswith("#"):
            continue
        label, template = line.split("\t", 1)
        for copy, brand in enumerate(rng.sample(brands, COPIES)):
            handle = brand.replace(" ", "").replace("&", "")
            text = template.replace("@{brand}", "@" + handle).replace("#{brand}", "#" + handle)
            text = text.replace("{brand}", brand)
            rows.append({"text": text, "label": label, "source": source, "id": f"{source}:{number}.{copy}"})
    return rows


if __name__ == "__main__":
    for name, names in (("brand_care", BRANDS), ("brand_care_more", MORE_BRANDS)):
        out = HERE / f"{name}.jsonl"
        with out.open("w", encoding="utf-8") as handle:
            for row in build(source=name, brands=names):
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
        print(out)
