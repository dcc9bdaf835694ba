"""Dashboard users: create, authenticate, list."""

from __future__ import annotations

import re
from functools import lru_cache

from sqlalchemy import Engine, select
from sqlmodel import col

from bounceback.db import session
from bounceback.errors import InvalidInput
from bounceback.passwords import hash_password, verify_password
from bounceback.tables import User
from bounceback.types import Role

_USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{2,150}$")


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """A real hash to check against when the user is unknown, so timing does not reveal who exists."""
    return hash_password("not-a-real-password")


def add_user(
    username: str,
    password: str,
    role: Role | str = Role.agent,
    *,
    display_name: str | None = None,
    email: str | None = None,
    engine: Engine | None = None,
) -> User:
    """Create a user with an argon2 password hash."""
    if not _USERNAME.match(username):
        raise InvalidInput("username must be 2-150 letters, digits or _ . @ -")
    try:
        role = Role(role)
    except ValueError:
        raise InvalidInput(
            f"unknown role {role!r}; choose one of {', '.join(r.value for r in Role)}"
        ) from None
    with session(engine) as sess:
        if sess.execute(select(col(User.id)).where(col(User.username) == username)).first():
            raise InvalidInput(f"user {username!r} already exists")
        user = User(
            username=username,
            password_hash=hash_password(password),
            role=role.value,
            display_name=display_name,
            email=email,
        )
        sess.add(user)
        sess.flush()
        return user


def authenticate(username: str, password: str, *, engine: Engine | None = None) -> User | None:
    """The active user with these credentials, or None."""
    with session(engine, readonly=True) as sess:
        user = sess.execute(select(User).where(col(User.username) == username)).scalars().first()
    if user is None or not user.active:
        verify_password(_dummy_hash(), password)
        return None
    return user if verify_password(user.password_hash, password) else None


def list_users(*, engine: Engine | None = None) -> list[User]:
    """Every user, by name."""
    with session(engine, readonly=True) as sess:
        return list(sess.execute(select(User).order_by(col(User.username))).scalars())
