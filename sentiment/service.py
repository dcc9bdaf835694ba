"""Building a `Scorer` from the settings, once per process, and the job functions the scheduler runs."""

from __future__ import annotations

import logging
import threading
from typing import Any

from bounceback.settings import Settings, get_settings
from sentiment.embeddings import OnnxEmbedder, environment_cache
from sentiment.model_store import active_choice
from sentiment.registry import load_classifier, load_multilingual
from sentiment.scoring import Scorer, score_pending

log = logging.getLogger(__name__)
MAX_BATCHES_PER_RUN = 50
_lock = threading.Lock()
_cache: dict[tuple[Any, ...], Scorer] = {}


def build_scorer(settings: Settings, *, incidents: bool = True, classifier: str | None = None) -> Scorer:
    """The configured classifier (VADER if it cannot load, loudly), multilingual model and ONNX embedder."""
    name = classifier or settings.classifier
    key = (
        name,
        settings.model_path,
        active_choice(settings) if name == "builtin" else "",  # `model use` applies from the next pass
        settings.multilingual_model,
        tuple(sorted(settings.hf_label_map.items())),
        settings.negative_threshold,
        settings.flag_recall_target,
        incidents,
    )
    with _lock:
        if key not in _cache:
            chosen = settings.model_copy(update={"classifier": classifier}) if classifier else settings
            embedder = None
            if incidents:
                embedder = OnnxEmbedder([environment_cache(), settings.data_dir / "cache"])
                if not embedder.available():
                    log.warning(
                        "no ONNX embedding model and no torch to export one (`python -m "
                        "sentiment.export_embedder`): complaints are scored but not grouped into incidents"
                    )
                    embedder = None
            _cache[key] = Scorer(
                load_classifier(chosen),
                threshold=settings.negative_threshold,
                recall_target=settings.flag_recall_target,
                multilingual=load_multilingual(settings),
                embedder=embedder,
            )
            model = _cache[key].classifier
            threshold, target = _cache[key].flag_threshold(model.name, model.revision)
            basis = f"its flag policy, for {target:.0%} recall" if target else "BOUNCEBACK_NEGATIVE_THRESHOLD"
            log.info(
                "scoring with %s@%s: flags at P(negative) >= %.2f (%s)",
                model.name,
                model.revision,
                threshold,
                basis,
            )
        return _cache[key]


def run_score_job() -> dict[str, int]:
    """The scheduler's `score` job: a bounded number of batches of pending mentions."""
    settings = get_settings()
    scorer = build_scorer(settings)
    return score_pending(scorer, batch_size=settings.score_batch_size, max_batches=MAX_BATCHES_PER_RUN)
