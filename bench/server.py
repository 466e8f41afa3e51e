"""The server under test: Murphy's application plus one bare endpoint, the ceiling.

    MURPHY_DATABASE_URL=... uvicorn bench.server:create --factory

`create()` is exactly `murphy.app.create_app(Settings())` (what `murphy serve` runs)
with bare routes added that take a small JSON body and insert it as one row into a
table of the bench's own, with no authentication and no domain logic:

- `POST /bench/ceiling` through the request transaction `murphy.web.deps.SessionDep`
  (on SQLite the process's write lock and BEGIN IMMEDIATE; the commit before the
  response);
- `POST /bench/ceiling-writer`, if the application has a writer (`app.state.writer`,
  `murphy.core.writer`: the thread that runs the API's writes in group-committed
  transactions), through `writer.run`, the very path `POST /api/v1/incidents` takes.

What a report costs beyond the ceiling of its own write path is what Murphy adds on
top of the stack. The bare routes are matched first (a request tries the routes in
order), so the ceiling pays nothing for Murphy's other routes. Nothing here is part of
the product: the routes and the table exist only in the benchmark.
"""

from __future__ import annotations

from fastapi import FastAPI
from pydantic import BaseModel, Field
from sqlalchemy import text
from sqlalchemy.orm import Session

from murphy.app import create_app
from murphy.core.db import Database
from murphy.settings import Settings
from murphy.web.deps import SessionDep

CEILING_PATH = "/bench/ceiling"
CEILING_WRITER_PATH = "/bench/ceiling-writer"
ID_COLUMN = {"sqlite": "id INTEGER PRIMARY KEY", "postgresql": "id SERIAL PRIMARY KEY"}
TABLE_DDL = "CREATE TABLE IF NOT EXISTS bench_ceiling ({id}, body TEXT NOT NULL)"
INSERT = text("INSERT INTO bench_ceiling (body) VALUES (:body) RETURNING id")


class CeilingIn(BaseModel):
    """The ceiling's request body."""

    body: str = Field(max_length=20_000)


class CeilingOut(BaseModel):
    """The ceiling's answer: the id of the row it stored."""

    id: int


def create_table(db: Database) -> None:
    """Create the ceiling's table if it is not there."""
    with db.engine.execution_options(murphy_write=True).begin() as conn:
        conn.execute(text(TABLE_DDL.format(id=ID_COLUMN[db.dialect])))


def create() -> FastAPI:
    """Factory for uvicorn: Murphy as `murphy serve` runs it, plus the ceiling endpoint."""
    app = create_app(Settings())
    create_table(app.state.db)

    @app.post(CEILING_PATH, status_code=201, include_in_schema=False)
    def ceiling(data: CeilingIn, session: SessionDep) -> CeilingOut:
        """Insert one row in the request's transaction; committed before the answer."""
        return CeilingOut(id=session.execute(INSERT, {"body": data.body}).scalar_one())

    writer = getattr(app.state, "writer", None)
    if writer is not None:

        @app.post(CEILING_WRITER_PATH, status_code=201, include_in_schema=False)
        async def ceiling_writer(data: CeilingIn) -> CeilingOut:
            """Insert one row through the writer; answered once its batch committed."""

            def work(session: Session) -> CeilingOut:
                return CeilingOut(id=session.execute(INSERT, {"body": data.body}).scalar_one())

            result: CeilingOut = await writer.run(work)
            return result

    # The ceiling routes first: a request is matched against the routes in order, and the
    # ceiling is what the stack can do at best, so it should not pay for the matching.
    routes = app.router.routes
    ours = [r for r in routes if getattr(r, "path", "").startswith("/bench/")]
    routes[:] = ours + [r for r in routes if r not in ours]
    return app
