"""docker-compose.yml: PostgreSQL has a healthcheck, the bot waits for it to be healthy and
points at it, and both keep their data on named volumes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

COMPOSE = Path(__file__).resolve().parents[2] / "docker-compose.yml"


def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def db_service(c: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    found = [(n, s) for n, s in c["services"].items() if "postgres" in str(s.get("image", ""))]
    assert len(found) == 1, "one PostgreSQL service"
    return found[0]


def test_postgresql_has_a_healthcheck_that_asks_the_server() -> None:
    _, db = db_service(compose())
    check = db["healthcheck"]
    test = check["test"]
    command = " ".join(test) if isinstance(test, list) else str(test)
    assert "pg_isready" in command
    if isinstance(test, list):
        assert test[0] in ("CMD", "CMD-SHELL")
    assert check.get("retries", 0) >= 3 and "interval" in check


def test_the_bot_waits_for_a_healthy_database_and_uses_it() -> None:
    c = compose()
    name, db = db_service(c)
    bot = c["services"]["bot"]
    assert bot["depends_on"][name]["condition"] == "service_healthy"
    url = bot["environment"]["COTRADER_DATABASE_URL"]
    assert url.startswith("postgresql+psycopg://") and f"@{name}:5432/" in url
    user, dbname = db["environment"]["POSTGRES_USER"], db["environment"]["POSTGRES_DB"]
    assert url.split("://", 1)[1].startswith(f"{user}:") and url.endswith(f"/{dbname}")


def test_data_lives_on_named_volumes() -> None:
    c = compose()
    _, db = db_service(c)
    named = set(c.get("volumes") or {})

    def volume_of(service: dict[str, Any], target: str) -> str:
        for v in service.get("volumes") or []:
            source, _, rest = v.partition(":") if isinstance(v, str) else (v["source"], "", "")
            dest = rest.split(":", 1)[0] if isinstance(v, str) else v["target"]
            if dest == target:
                return str(source)
        raise AssertionError(f"nothing mounted at {target}")

    assert volume_of(db, "/var/lib/postgresql/data") in named
    bot = c["services"]["bot"]
    home = bot["environment"]["COTRADER_HOME"]
    assert volume_of(bot, home) in named
