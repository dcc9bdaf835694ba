"""Sentiment throughput and memory: builtin int8 ONNX vs the transformers fp32 pipeline vs VADER, and a
whole scoring run.

    .venv/bin/python -m benchmarks.sentiment [--n 2000] [--hf-model DIR] [--threads 2]

All classify the same N real tweet-length texts (the tweets of ../shared/data/sentiment/dev.jsonl, at
most 280 characters), each in its own fresh process so that peak RSS is that process's alone (model load
included). Texts go in batches of 64, as the scoring job sends them. The fp32 pipeline runs the same
MiniLM architecture (a fresh 3-label head unless --hf-model names the fp32 fine-tuned checkpoint), so
its speed is that of the fine-tuned fp32 model. "scoring" is the scoring job itself (`score_pending`
with the configured builtin model and incident grouping on a fresh SQLite database holding the N texts
as pending mentions): language detection, triage, incident embeddings and the database writes
included; its line says whether torch was imported in that process.
Targets on 2 cores: the installed model (builtin) >= 150 texts/s and <= 500 MB peak RSS (printed beside
VADER's rate in the same run); the whole scoring process <= 500 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DEV = Path(__file__).resolve().parents[2] / "shared" / "data" / "sentiment" / "dev.jsonl"
TWEET_SOURCES = ("crowdflower", "vader_tweets")
BATCH = 64


def tweets(n: int) -> list[str]:
    """The first ``n`` tweets of dev.jsonl that fit in 280 characters."""
    out = []
    with DEV.open(encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            if row["source"] in TWEET_SOURCES and len(row["text"]) <= 280:
                out.append(row["text"])
            if len(out) == n:
                break
    return out


def _fp32_dir(tmp: Path) -> str:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from sentiment.labels import LABEL_TO_ID, LABELS
    from sentiment.train import base_model_dir

    base = base_model_dir()
    model = AutoModelForSequenceClassification.from_pretrained(
        base, num_labels=3, id2label=dict(enumerate(LABELS)), label2id=dict(LABEL_TO_ID)
    )
    model.save_pretrained(tmp)
    AutoTokenizer.from_pretrained(base).save_pretrained(tmp)
    return str(tmp)


def peak_rss_mb() -> float:
    """This process's peak RSS (VmHWM). Not ru_maxrss: Linux carries that over exec from the parent."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(backend: str, n: int, hf_model: str, threads: int) -> dict[str, object]:
    """Load one backend, classify the texts, report texts/s and peak RSS of this process."""
    texts = tweets(n)
    started = time.perf_counter()
    if backend == "builtin":
        from sentiment.builtin import BuiltinClassifier

        classifier: object = BuiltinClassifier(threads=threads)
    elif backend == "huggingface":
        import torch

        torch.set_num_threads(threads)
        from sentiment.huggingface import HuggingFaceClassifier

        classifier = HuggingFaceClassifier(hf_model, batch_size=BATCH, max_length=96)
    else:
        from sentiment.vader import VaderClassifier

        classifier = VaderClassifier()
    load_s = time.perf_counter() - started
    classify = classifier.classify  # type: ignore[attr-defined]
    classify(texts[:BATCH])  # warm-up
    started, cpu_started = time.perf_counter(), time.process_time()
    for i in range(0, len(texts), BATCH):
        classify(texts[i : i + BATCH])
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started
    rss_mb = peak_rss_mb()
    return {
        "backend": backend,
        "texts": len(texts),
        "seconds": round(seconds, 2),
        "texts_per_s": round(len(texts) / seconds, 1),
        "texts_per_cpu_s": round(len(texts) / max(cpu_seconds, 1e-9), 1),
        "load_s": round(load_s, 2),
        "peak_rss_mb": round(rss_mb, 1),
    }


def score_run(n: int) -> dict[str, object]:
    """A whole scoring run in this process: N pending mentions on a fresh SQLite file, incidents on."""
    from sqlalchemy import insert, select

    from bounceback.db import make_engine
    from bounceback.mentions import mention_rows
    from bounceback.migrate import upgrade
    from bounceback.settings import Settings
    from bounceback.tables import Incident, Mention, Source
    from bounceback.types import utcnow
    from sentiment.scoring import score_pending
    from sentiment.service import build_scorer

    texts = tweets(n)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        engine = make_engine(url)
        upgrade(engine)
        now = utcnow()
        with engine.begin() as conn:
            source_id = conn.execute(
                insert(Source.__table__)  # type: ignore[attr-defined]
                .values(kind="feed", name="bench", params={"url": "http://x"}, state={}, created_at=now)
                .returning(Source.__table__.c.id)  # type: ignore[attr-defined]
            ).scalar_one()
            rows = [
                dict(source_id=source_id, external_id=f"b-{i}", text=t, fetched_at=now, published_at=now)
                for i, t in enumerate(texts)
            ]
            conn.execute(insert(Mention.__table__), mention_rows(rows))  # type: ignore[attr-defined]
        started = time.perf_counter()
        scorer = build_scorer(Settings(data_dir=Path(tmp), database_url=url))
        load_s = time.perf_counter() - started
        started, cpu_started = time.perf_counter(), time.process_time()
        counts = score_pending(scorer, batch_size=BATCH, engine=engine)
        seconds = time.perf_counter() - started
        cpu_seconds = time.process_time() - cpu_started
        with engine.connect() as conn:
            incidents = len(conn.execute(select(Incident.__table__.c.id)).all())  # type: ignore[attr-defined]
        engine.dispose()
    return {
        "backend": "scoring",
        "texts": counts["taken"],
        "seconds": round(seconds, 2),
        "texts_per_s": round(n / seconds, 1),
        "texts_per_cpu_s": round(n / max(cpu_seconds, 1e-9), 1),
        "load_s": round(load_s, 2),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "note": f"{scorer.classifier.name}, {counts['flagged']} flagged, {counts['incident_members']} in "
        f"{incidents} incidents, torch imported: {'yes' if 'torch' in sys.modules else 'no'}",
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument(
        "--hf-model", default="", help="fp32 model dir for the pipeline (default: fresh head)"
    )
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--only", default="", help="comma-separated: builtin,huggingface,vader,scoring")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "scoring":
        print(json.dumps(score_run(args.n)))
        return
    if args.child:
        print(json.dumps(child(args.child, args.n, args.hf_model, args.threads)))
        return
    backends = args.only.split(",") if args.only else ["builtin", "huggingface", "vader", "scoring"]
    with tempfile.TemporaryDirectory() as tmp:
        hf_model = args.hf_model or (_fp32_dir(Path(tmp)) if "huggingface" in backends else "")
        print(
            f"load average before: {os.getloadavg()[0]:.1f} (figures are only comparable on an idle machine)"
        )
        print(
            f"{'backend':<12} {'texts':>6} {'texts/s':>9} {'texts/CPU-s':>12} {'load s':>7} "
            f"{'peak RSS MB':>12}"
        )
        results: dict[str, dict[str, object]] = {}
        for backend in backends:
            cmd = [
                sys.executable,
                "-m",
                "benchmarks.sentiment",
                "--child",
                backend,
                "--n",
                str(args.n),
                "--hf-model",
                hf_model,
                "--threads",
                str(args.threads),
            ]
            done = subprocess.run(
                cmd, capture_output=True, text=True, env={**os.environ, "HF_HUB_OFFLINE": "1"}
            )
            if done.returncode != 0:
                raise SystemExit(f"{backend} failed:\n{done.stderr[-3000:]}")
            r = json.loads(done.stdout.strip().splitlines()[-1])
            results[backend] = r
            print(
                f"{r['backend']:<12} {r['texts']:>6} {r['texts_per_s']:>9} {r['texts_per_cpu_s']:>12} "
                f"{r['load_s']:>7} "
                f"{r['peak_rss_mb']:>12}  {r.get('note', '')}"
            )
        _verdict(results)


def _verdict(results: dict[str, dict[str, object]]) -> None:
    """The targets, met or not, with the installed model's rate as a share of VADER's in the same run."""
    ours = results.get("builtin")
    if ours is None:
        return
    rate, rss = float(str(ours["texts_per_s"])), float(str(ours["peak_rss_mb"]))
    vader = results.get("vader")
    ratio = f" ({rate / float(str(vader['texts_per_s'])):.4f}x VADER's rate)" if vader else ""
    met = "met" if rate >= 150 and rss <= 500 else "NOT met"
    print(
        f"installed model: {rate:.1f} texts/s{ratio}, peak {rss:.0f} MB; "
        f"target >= 150 texts/s, <= 500 MB: {met}"
    )
    if "scoring" in results:
        peak = float(str(results["scoring"]["peak_rss_mb"]))
        print(f"scoring process: peak {peak:.0f} MB; target <= 500 MB: {'met' if peak <= 500 else 'NOT met'}")


if __name__ == "__main__":
    main()
