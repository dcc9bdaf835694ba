"""The model registry: builtin models under ``<data_dir>/models/<revision>/``, one of them active.

Each entry holds the model files (model.onnx, tokenizer, bounceback_model.json), MODEL_CARD.md and
metrics.json. The packaged model (sentiment/model) is always the entry ``packaged``. The active choice
is ``models/ACTIVE`` (written atomically by `bounceback model use`); ``BOUNCEBACK_MODEL_REVISION``
overrides it. An entry with missing or altered files is reported and never selected: scoring then uses
the packaged model, with an ERROR log saying why.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bounceback.errors import InvalidInput
from bounceback.settings import Settings
from sentiment.builtin import MODEL_DIR, BuiltinClassifier
from sentiment.export import META_FILE, ONNX_FILE, file_revision
from sentiment.labels import LABELS

log = logging.getLogger(__name__)
PACKAGED = "packaged"
ACTIVE_FILE = "ACTIVE"
CARD_FILE = "MODEL_CARD.md"
METRICS_FILE = "metrics.json"
MODEL_FILES = (ONNX_FILE, META_FILE, "tokenizer.json")
OPTIONAL_FILES = ("tokenizer_config.json", "special_tokens_map.json", "vocab.txt")
ENTRY_FILES = (*MODEL_FILES, CARD_FILE, METRICS_FILE)
_REVISION = re.compile(r"^[0-9a-f]{12}$")


class UnknownModel(InvalidInput):
    """No registry entry has that name."""


@dataclass(frozen=True)
class Entry:
    """One registry entry; ``problem`` says why it cannot be used (None when it can)."""

    name: str
    revision: str
    path: Path
    problem: str | None = None
    metrics: dict[str, Any] | None = None
    training_rows: int | None = None

    @property
    def ok(self) -> bool:
        """Whether the entry can be selected."""
        return self.problem is None

    @property
    def label(self) -> str:
        """``packaged (rev)`` or the revision."""
        return f"{PACKAGED} ({self.revision})" if self.name == PACKAGED else self.name


def _read_json(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    return data


def check_model_dir(path: Path, expected_revision: str | None, files: tuple[str, ...]) -> str | None:
    """Why the model in ``path`` is unusable (missing files, labels, a model.onnx that is not its
    revision), or None."""
    missing = [name for name in files if not (path / name).is_file()]
    if missing:
        return "missing " + ", ".join(missing)
    try:
        meta = _read_json(path / META_FILE)
        if METRICS_FILE in files:
            _read_json(path / METRICS_FILE)
    except (OSError, ValueError) as exc:
        return f"unreadable JSON: {exc}"
    if list(meta.get("labels", [])) != list(LABELS):
        return f"labels {meta.get('labels')!r}, expected {list(LABELS)}"
    revision = str(meta.get("revision", ""))
    if expected_revision is not None and revision != expected_revision:
        return f"{META_FILE} names revision {revision!r}, not {expected_revision!r}"
    actual = file_revision(path / ONNX_FILE)
    if actual != revision:
        return f"{ONNX_FILE} has changed (sha256 {actual}…, revision says {revision})"
    return None


def _atomic_write(path: Path, text: str) -> None:
    handle, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes it private; scorers may run as another user
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class ModelStore:
    """The registry rooted at ``root`` (normally ``<data_dir>/models``); ``packaged_dir`` for tests."""

    def __init__(self, root: Path, packaged_dir: Path = MODEL_DIR) -> None:
        self.root = root
        self.packaged_dir = packaged_dir

    @classmethod
    def for_settings(cls, settings: Settings) -> ModelStore:
        """The registry under the configured data directory."""
        return cls(Path(settings.data_dir) / "models")

    def packaged(self) -> Entry:
        """The model shipped in the package (always an entry)."""
        path = self.packaged_dir
        problem = check_model_dir(path, None, MODEL_FILES)
        meta: dict[str, Any] = {}
        if problem is None:
            meta = _read_json(path / META_FILE)
        training = meta.get("training") or {}
        rows = training.get("training_rows")
        return Entry(PACKAGED, str(meta.get("revision", "?")), path, problem, None, rows)

    def _entry(self, name: str) -> Entry:
        path = self.root / name
        problem = check_model_dir(path, name, ENTRY_FILES)
        metrics: dict[str, Any] | None = None
        if problem is None:
            metrics = _read_json(path / METRICS_FILE)
        rows = metrics.get("training_rows") if metrics else None
        return Entry(name, name, path, problem, metrics, rows)

    def entries(self) -> list[Entry]:
        """The packaged entry, then every installed one (oldest first); broken ones included."""
        installed = []
        if self.root.is_dir():
            names = [p.name for p in self.root.iterdir() if p.is_dir() and not p.name.startswith(".")]
            installed = [self._entry(n) for n in names]
        installed.sort(key=lambda e: ((e.metrics or {}).get("created", ""), e.name))
        return [self.packaged(), *installed]

    def get(self, name: str) -> Entry:
        """The entry called ``name`` (``packaged`` or a revision); UnknownModel lists the known ones."""
        packaged = self.packaged()
        if name in (PACKAGED, packaged.revision):
            return packaged
        if _REVISION.match(name) and (self.root / name).is_dir():
            return self._entry(name)
        known = ", ".join(e.label for e in self.entries())
        raise UnknownModel(f"no model {name!r} in {self.root}; known: {known}")

    def active_name(self) -> str:
        """What ``models/ACTIVE`` names (``packaged`` when absent)."""
        try:
            return (self.root / ACTIVE_FILE).read_text(encoding="utf-8").strip() or PACKAGED
        except FileNotFoundError:
            return PACKAGED

    def resolve(self, override: str = "") -> Entry:
        """The entry to score with: ``override`` or the active one; the packaged one if that is unusable."""
        wanted = override or self.active_name()
        origin = "BOUNCEBACK_MODEL_REVISION" if override else str(self.root / ACTIVE_FILE)
        try:
            entry = self.get(wanted)
        except UnknownModel:
            log.error("%s names model %r, which is not installed; using the packaged model", origin, wanted)
            return self.packaged()
        if not entry.ok:
            log.error(
                "model %s (from %s) is broken: %s; using the packaged model", wanted, origin, entry.problem
            )
            return self.packaged()
        return entry

    def use(self, name: str) -> Entry:
        """Make ``name`` the active entry (atomically); refuses unknown or broken entries."""
        entry = self.get(name)
        if not entry.ok:
            raise InvalidInput(f"model {entry.label} is broken ({entry.problem}); not selected")
        self.root.mkdir(parents=True, exist_ok=True)
        _atomic_write(self.root / ACTIVE_FILE, entry.name + "\n")
        return entry

    def install(self, candidate: Path, card: str, metrics: dict[str, Any]) -> Entry:
        """Copy the model in ``candidate`` in as ``models/<revision>/`` with its card and metrics.

        Staged in a hidden directory beside the entries and renamed into place, so a reader sees the
        whole entry or none; an existing revision is never overwritten. Does not change the active one.
        """
        problem = check_model_dir(candidate, None, MODEL_FILES)
        if problem is not None:
            raise InvalidInput(f"the model in {candidate} is broken: {problem}")
        revision = str(_read_json(candidate / META_FILE)["revision"])
        if revision == self.packaged().revision or (self.root / revision).exists():
            raise InvalidInput(f"model {revision} is already installed; nothing was overwritten")
        self.root.mkdir(parents=True, exist_ok=True)
        staged = Path(tempfile.mkdtemp(prefix=".incoming-", dir=self.root))
        try:
            for name in (*MODEL_FILES, *OPTIONAL_FILES):
                if (candidate / name).is_file():
                    shutil.copyfile(candidate / name, staged / name)
            (staged / CARD_FILE).write_text(card, encoding="utf-8")
            (staged / METRICS_FILE).write_text(json.dumps(metrics, indent=2), encoding="utf-8")
            problem = check_model_dir(staged, revision, ENTRY_FILES)
            if problem is not None:
                raise InvalidInput(f"the copy of {revision} is broken: {problem}")
            staged.chmod(0o755)  # mkdtemp makes it private, like the files copied in are not
            os.rename(staged, self.root / revision)
        except BaseException:
            shutil.rmtree(staged, ignore_errors=True)
            raise
        return self._entry(revision)


def active_choice(settings: Settings) -> str:
    """The name the builtin model is chosen by (cheap: no file checks), for caches keyed on it."""
    return settings.model_revision or ModelStore.for_settings(settings).active_name()


def load_active(settings: Settings) -> BuiltinClassifier:
    """The builtin classifier of the entry `resolve` picks; named ``builtin`` whichever entry it is."""
    entry = ModelStore.for_settings(settings).resolve(settings.model_revision)
    classifier = BuiltinClassifier(entry.path)
    classifier.name = "builtin"
    return classifier
