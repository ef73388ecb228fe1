"""Every collection is paginated: one COUNT and one LIMIT/OFFSET query."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

MAX_PAGE_SIZE = 500


@dataclass(frozen=True)
class Page:
    items: list[Any]
    page: int
    page_size: int
    total: int

    def as_dict(self, items: list[Any] | None = None) -> dict[str, Any]:
        return {"items": self.items if items is None else items, "page": self.page,
                "page_size": self.page_size, "total": self.total}


def paginate(session: Session, statement: Select[*tuple[Any, ...]], page: int,
             page_size: int, *, scalars: bool = True) -> Page:
    total = session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    window = statement.limit(page_size).offset((page - 1) * page_size)
    rows = list(session.scalars(window) if scalars else session.execute(window))
    return Page(items=rows, page=page, page_size=page_size, total=total or 0)


def page_of(items: list[Any], page: int, page_size: int) -> Page:
    """Paginate a short list held in memory (catalogues from the definitions)."""
    start = (page - 1) * page_size
    return Page(items=items[start:start + page_size], page=page, page_size=page_size,
                total=len(items))
