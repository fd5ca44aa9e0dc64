"""`cotrader doctor`: what is configured, and every problem that would stop a start, at once.

It reads and never writes: settings, the home directory, the database (kind, server version
and reachability, schema revision, SQLite's quick_check), the LLM chain and the venue keys.
Secrets appear only as set/unset, and the database URL without its password.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.logs import configure_redaction, redact

if TYPE_CHECKING:
    from bot.settings import Settings
    from models.db_check import DbReport


def _settings() -> tuple[Settings | None, list[str]]:
    """The settings, with any invalid one replaced by its default so the rest can still be
    checked; and one line per invalid setting."""
    from bot.settings import Settings, SettingsError, load_settings

    try:
        return load_settings(), []
    except SettingsError as e:
        lines = [f"invalid setting: {line}" for line in e.lines]
        by_lower = {n.lower(): n for n in Settings.model_fields}
        names = {by_lower[f.lower()] for f in e.fields if f.lower() in by_lower}
        if not names or len(names) < len(e.fields) or len(e.fields) < len(e.lines):
            return None, lines  # a problem between settings: nothing sound to go on
        defaults = {
            n: Settings.model_fields[n].get_default(call_default_factory=True) for n in names
        }
        try:
            return load_settings(**defaults), lines
        except SettingsError:
            return None, lines


def _database_rows(db: DbReport) -> list[tuple[str, str]]:
    from models.db_check import head_revisions, known_revisions

    server = db.server_version or "unknown version"
    if db.reachable is not None:
        server += ", reachable" if db.reachable else ", UNREACHABLE"
    elif not db.exists:
        server += " (no file yet: the first start creates it)"
    revs = set((db.revision or "").split(", ")) - {""}
    if not revs:
        schema = "none yet (created at the first start)" if not db.problems else "unknown"
    elif revs == head_revisions():
        schema = f"{db.revision} (the newest)"
    elif revs <= known_revisions():
        schema = f"{db.revision} (upgraded to the newest at the next start)"
    else:
        schema = f"{db.revision} (unknown to this version)"
    if db.integrity:
        integrity = db.integrity
    elif db.kind != "sqlite":
        integrity = "n/a (kept by the server)"
    else:
        integrity = "not checked" if db.exists else "n/a (no file yet)"
    return [
        ("database kind", db.kind),
        ("database server", server),
        ("database schema", schema),
        ("database integrity", integrity),
    ]


def _venue_problems(s: Settings) -> list[str]:
    from bot.app import ALPACA_KEYS, required
    from bot.settings import SettingsError

    needs: list[tuple[tuple[str, ...], str]] = []
    if s.broker == "alpaca" or s.data_source == "alpaca":
        why = "COTRADER_BROKER=alpaca" if s.broker == "alpaca" else "COTRADER_DATA=alpaca"
        needs.append((ALPACA_KEYS, why))
    if s.broker == "tastytrade":
        needs.append((("TT_SECRET", "TT_REFRESH"), "COTRADER_BROKER=tastytrade"))
    out: list[str] = []
    for names, why in needs:
        try:
            required(s, names, why)
        except SettingsError as e:
            out += e.lines
    return out


def report() -> tuple[list[str], int]:
    """The lines `cotrader doctor` prints, and its exit code (2 when anything is wrong)."""
    from bot.preflight import database_report, home_problems, safe_url

    s, problems = _settings()
    if s is None:
        return [f"problem: {redact(p)}" for p in problems], 2
    configure_redaction(s.secrets())
    from bot.app import llm_description
    from bot.settings import SECRET_FIELDS, SettingsError

    try:
        llm = llm_description(s)
    except SettingsError as e:
        llm, problems = "(misconfigured)", problems + e.lines
    db = database_report(s, full=True)
    home = home_problems(s.home_dir)
    if home and not s.database_url:  # the default database lives in the home
        db.problems = []
    problems += home + db.problems + _venue_problems(s)
    approvers = [f"role {r}" for r in s.approver_role_ids] + [
        f"user {u}" for u in s.approver_user_ids
    ]
    rows = [
        ("mode", s.mode.label + (" (armed)" if s.armed else "")),
        ("broker", s.broker),
        ("data", s.data_source),
        ("LLM", llm),
        ("database", safe_url(s.db_url)),
        *_database_rows(db),
        ("discord guild", str(s.discord_guild_id or "unset (global commands)")),
        ("alert channel", str(s.alert_channel_id or "unset (no channel alerts)")),
        ("approvers", ", ".join(approvers) or "the server owner"),
        ("home", str(s.home_dir)),
    ]
    for name in SECRET_FIELDS:
        rows.append((name.upper(), "set" if getattr(s, name) is not None else "unset"))
    width = max(len(k) for k, _ in rows)
    lines = [f"{k:<{width}}  {v}" for k, v in rows]
    lines += [f"problem: {p}" for p in problems]
    lines.append(f"{len(problems)} problem(s) found" if problems else "no problems found")
    return [redact(line) for line in lines], 2 if problems else 0
