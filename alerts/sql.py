"""Core-table handles of the kernel's models, for typed SQLAlchemy Core queries."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table

from bounceback.tables import Alert, AppSetting, Author, Channel, Incident, Mention, Rule, Source, Watch


def table(model: Any) -> Table:
    """The Core `Table` of a SQLModel table class."""
    result: Table = model.__table__
    return result


AL = table(Alert)
APP = table(AppSetting)
AU = table(Author)
CH = table(Channel)
INC = table(Incident)
M = table(Mention)
RU = table(Rule)
SRC = table(Source)
WA = table(Watch)
