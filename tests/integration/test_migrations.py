"""Alembic migrations on SQLite and PostgreSQL: up from empty builds what the models declare,
and every step down undoes its step (down then up again gives the same schema)."""

from __future__ import annotations

from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

import models.bar_tables
import models.broker_tables
import models.frontend_tables
import models.iv_tables
import models.learning_tables
import models.llm_tables
import models.monitor_tables
import models.news_tables
import models.sim_tables
import models.tables  # noqa: F401  (registers every table)
from models.db import MIGRATIONS_DIR, make_engine, schema_is_current, upgrade_schema

Schema = dict[str, dict[str, Any]]


def alembic_cfg(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def schema(engine: Engine) -> Schema:
    """Tables with their columns, keys and indexes, as the database reports them."""
    insp = inspect(engine)
    out: Schema = {}
    for t in sorted(insp.get_table_names()):
        if t == "alembic_version":
            continue
        out[t] = {
            "columns": sorted(
                (c["name"], str(c["type"]), c["nullable"]) for c in insp.get_columns(t)
            ),
            "pk": sorted(insp.get_pk_constraint(t)["constrained_columns"]),
            "fks": sorted(
                (tuple(f["constrained_columns"]), f["referred_table"])
                for f in insp.get_foreign_keys(t)
            ),
            "indexes": sorted(
                (i["name"], tuple(i["column_names"]), bool(i["unique"]))
                for i in insp.get_indexes(t)
            ),
            "uniques": sorted(tuple(u["column_names"]) for u in insp.get_unique_constraints(t)),
        }
    return out


def test_upgrade_from_empty_builds_what_the_models_declare(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        assert revision(engine) is None and schema(engine) == {}
        upgrade_schema(db_url)
        heads = ScriptDirectory(str(MIGRATIONS_DIR)).get_heads()
        assert [revision(engine)] == heads and schema_is_current(engine)
        assert set(SQLModel.metadata.tables) <= set(schema(engine))
        with engine.connect() as conn:
            mc = MigrationContext.configure(conn, opts={"compare_type": True})
            diffs = compare_metadata(mc, SQLModel.metadata)
        assert _real(diffs) == [], "the models and the migrations disagree"
        upgrade_schema(db_url)  # idempotent
        assert [revision(engine)] == heads
    finally:
        engine.dispose()


def test_each_step_down_undoes_its_step_up(db_url: str) -> None:
    """Up one revision at a time from empty, noting the schema after each; then one step
    down at a time to empty: each step down lands on the schema noted for its revision."""
    engine = make_engine(db_url)
    cfg = alembic_cfg(db_url)
    script = ScriptDirectory(str(MIGRATIONS_DIR))
    ordered = [r.revision for r in reversed(list(script.walk_revisions()))]
    try:
        seen: dict[str | None, Schema] = {None: schema(engine)}
        for rev in ordered:
            command.upgrade(cfg, "+1")
            assert revision(engine) == rev
            seen[rev] = schema(engine)
        assert len({repr(s) for s in seen.values()}) == len(seen)  # every step changes it
        command.downgrade(cfg, "-1")  # the newest step, down and up again
        assert revision(engine) == (ordered[-2] if len(ordered) > 1 else None)
        assert schema(engine) == seen[revision(engine)]
        upgrade_schema(db_url)
        assert schema(engine) == seen[ordered[-1]]
        for below in reversed([None, *ordered[:-1]]):
            command.downgrade(cfg, "-1")
            assert revision(engine) == below
            assert schema(engine) == seen[below], f"down to {below} left another schema"
    finally:
        engine.dispose()


def _real(diffs: list[Any]) -> list[Any]:
    """Autogenerate's differences, less a unique index reported as a unique constraint
    (the same thing, spelled two ways)."""

    def key(d: Any) -> tuple[str, str, tuple[str, ...]] | None:
        if not isinstance(d, tuple) or d[0] not in ("remove_index", "add_constraint"):
            return None
        obj = d[1]
        if d[0] == "remove_index" and not obj.unique:
            return None
        if d[0] == "add_constraint" and obj.__visit_name__ != "unique_constraint":
            return None
        return d[0], obj.table.name, tuple(c.name for c in obj.columns)

    keys = {key(d) for d in diffs} - {None}
    same = {k[1:] for k in keys if k and k[0] == "remove_index"} & {
        k[1:] for k in keys if k and k[0] == "add_constraint"
    }
    return [d for d in diffs if (k := key(d)) is None or k[1:] not in same]
