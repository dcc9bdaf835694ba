"""50 claimers, one mention, 100 rounds: exactly one winner every time, nobody sees a lock error."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import update

from bounceback import lifecycle
from bounceback.db import get_engine
from bounceback.errors import AlreadyClaimed
from bounceback.settings import get_settings
from bounceback.tables import Mention
from tests.factories import make_mention

CLAIMERS = 50
ROUNDS = 100


@pytest.mark.slow
def test_fifty_claimers_get_exactly_one_winner_each_round(bb_env, monkeypatch):
    monkeypatch.setenv("BOUNCEBACK_DB_POOL_SIZE", str(CLAIMERS))
    get_settings.cache_clear()
    engine = get_engine()
    mention = make_mention(engine)
    barrier = threading.Barrier(CLAIMERS)

    def attempt(user: str) -> tuple[str, str]:
        barrier.wait()
        try:
            lifecycle.claim(mention.id, user, engine=engine)
            return ("won", user)
        except AlreadyClaimed as exc:
            return ("lost", exc.holder)
        except Exception as exc:  # any other error is a failure of the claim design
            return ("error", f"{type(exc).__name__}: {exc}")

    with ThreadPoolExecutor(CLAIMERS) as pool:
        for round_no in range(ROUNDS):
            results = list(pool.map(attempt, [f"agent{i}" for i in range(CLAIMERS)]))
            errors = [r for r in results if r[0] == "error"]
            winners = [who for kind, who in results if kind == "won"]
            assert errors == [], f"round {round_no}: {errors[:3]}"
            assert len(winners) == 1, f"round {round_no}: {len(winners)} winners"
            assert all(who == winners[0] for kind, who in results if kind == "lost")
            with engine.begin() as conn:
                conn.execute(
                    update(Mention.__table__)
                    .where(Mention.__table__.c.id == mention.id)
                    .values(claimed_by=None, claimed_at=None, status="open")
                )
