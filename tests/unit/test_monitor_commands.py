"""The monitor's terminal commands (bot/chat/monitor_commands.py): what each line asks the
orchestrator for, the Reply kinds and JSON fields, and bad lines refused with the usage and
nothing asked. The orchestrator is a recording stand-in at the edge of the unit."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from agents.errors import BadInput
from agents.monitor_views import AlertsView, AlertView, Finding, MonitorView
from bot.chat import monitor_commands as mc
from bot.chat.help import usage
from bot.chat.render import reply_json
from models.domain import Actor

ME = Actor(id="terminal:t", name="t", can_approve=True)
AT = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def alert_view(aid: str = "A1", cond: str = "above", level: float = 200.0, **kw: Any) -> AlertView:
    return AlertView(
        id=aid,
        symbol=kw.pop("symbol", "AAPL"),
        condition=cond,
        level=level,
        status=kw.pop("status", "armed"),
        created_by=ME.id,
        created_at=AT,
        **kw,
    )


class FakeOrch:
    """Records each call; answers with plain views."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []

    async def monitor(self, actor: Actor) -> MonitorView:
        self.calls.append(("monitor", (actor.id,), {}))
        f = Finding(
            rule="stop_hit",
            action="exit",
            symbol="NVDA",
            price=101.2,
            reason="stop 102 hit",
            proposal_id="p-abcdefgh",
        )
        return MonitorView(
            mode_label="SIMULATED", at=AT, positions=2, alerts=1, priced=2, findings=(f,), ms=1.0
        )

    async def add_alert(
        self, symbol: str, condition: str, level: object, actor: Actor
    ) -> AlertView:
        self.calls.append(("add_alert", (symbol, condition, level), {}))
        return alert_view(cond=condition, level=float(str(level)), symbol=symbol.upper())

    def alerts(self) -> AlertsView:
        self.calls.append(("alerts", (), {}))
        return AlertsView(alerts=(alert_view(), alert_view("A2", "move", 5.0)), limit=500)

    def remove_alert(self, alert_id: str, actor: Actor) -> AlertView:
        self.calls.append(("remove_alert", (alert_id,), {}))
        return alert_view(alert_id, status="removed")

    def rearm_alert(self, alert_id: str, actor: Actor) -> AlertView:
        self.calls.append(("rearm_alert", (alert_id,), {}))
        return alert_view(alert_id)

    async def move_stop(self, symbol: str, actor: Actor, **kw: Any) -> Any:
        self.calls.append(("move_stop", (symbol,), kw))
        return _Card(symbol.upper())


class _Card:
    def __init__(self, symbol: str) -> None:
        self.id, self.symbol = "p-stopcard", symbol


async def run(line: str) -> tuple[Any, FakeOrch]:
    o = FakeOrch()
    cmd, *args = line.split()
    match cmd:
        case "/monitor":
            reply = await mc.monitor(o, ME, args)  # type: ignore[arg-type]
        case "/alerts":
            reply = mc.alerts(o, args)  # type: ignore[arg-type]
        case "/alert":
            reply = await mc.alert(o, ME, args)  # type: ignore[arg-type]
        case _:
            reply = await mc.movestop(o, ME, args)  # type: ignore[arg-type]
    return reply, o


@pytest.mark.parametrize(
    ("line", "call"),
    [
        ("/alert AAPL above 200", ("add_alert", ("AAPL", "above", 200.0), {})),
        ("/alert aapl below $180.50", ("add_alert", ("aapl", "below", 180.5), {})),
        ("/alert AAPL above 1,200", ("add_alert", ("AAPL", "above", 1200.0), {})),
        ("/alert TSLA move 5%", ("add_alert", ("TSLA", "move", 5.0), {})),
        ("/alert TSLA move +5", ("add_alert", ("TSLA", "move", 5.0), {})),
        ("/alert TSLA MOVE -5%", ("add_alert", ("TSLA", "move", 5.0), {})),
        ("/alert position NVDA loss 5", ("add_alert", ("NVDA", "loss", 5.0), {})),
        ("/alert position NVDA loss -5%", ("add_alert", ("NVDA", "loss", 5.0), {})),
        ("/alert position NVDA gain +10%", ("add_alert", ("NVDA", "gain", 10.0), {})),
        ("/alert NVDA gain 10", ("add_alert", ("NVDA", "gain", 10.0), {})),
        ("/alert remove A3", ("remove_alert", ("A3",), {})),
        ("/alert rm a3", ("remove_alert", ("A3",), {})),
        ("/alert remove 3", ("remove_alert", ("A3",), {})),
        ("/alert rearm #12", ("rearm_alert", ("A12",), {})),
        ("/alert list", ("alerts", (), {})),
        ("/alerts", ("alerts", (), {})),
        ("/monitor", ("monitor", (ME.id,), {})),
    ],
)
async def test_each_line_asks_the_orchestrator_once(line: str, call: tuple[Any, ...]) -> None:
    _, o = await run(line)
    assert o.calls == [call]


STOP = {"price": None, "trail_pct": None, "trail_atr": None, "breakeven": False}


@pytest.mark.parametrize(
    ("line", "kw"),
    [
        ("/movestop NVDA 110", {"price": 110.0}),
        ("/movestop NVDA $110.50", {"price": 110.5}),
        ("/movestop NVDA to 110", {"price": 110.0}),
        ("/movestop NVDA trail 5%", {"trail_pct": 5.0}),
        ("/movestop NVDA trail 5 %", {"trail_pct": 5.0}),
        ("/movestop NVDA trail 2.5 pct", {"trail_pct": 2.5}),
        ("/movestop NVDA trail 2 atr", {"trail_atr": 2.0}),
        ("/movestop NVDA trail 1.5ATR", {"trail_atr": 1.5}),
        ("/movestop NVDA trail 2x atr", {"trail_atr": 2.0}),
        ("/movestop NVDA breakeven", {"breakeven": True}),
        ("/movestop NVDA BE", {"breakeven": True}),
    ],
)
async def test_movestop_asks_for_exactly_one_way(line: str, kw: dict[str, Any]) -> None:
    reply, o = await run(line)
    assert o.calls == [("move_stop", ("NVDA",), {**STOP, **kw, "source": "command"})]
    assert reply.kind == "proposal" and reply.payload.id == "p-stopcard"
    assert "Stop proposal p-stopcard" in reply.text and "awaits approval" in reply.text


BAD = [
    ("/alert", "alert"),
    ("/alert AAPL", "alert"),
    ("/alert AAPL above", "alert"),
    ("/alert AAPL above 200 now", "alert"),
    ("/alert AAPL sideways 200", "alert"),
    ("/alert AAPL above 5%", "alert"),
    ("/alert AAPL above -3", "alert"),
    ("/alert AAPL above 0", "alert"),
    ("/alert AAPL above abc", "alert"),
    ("/alert AAPL above nan", "alert"),
    ("/alert AAPL above inf", "alert"),
    ("/alert AAPL above 1e400", "alert"),
    ("/alert TSLA move $5", "alert"),
    ("/alert TSLA move 0", "alert"),
    ("/alert position NVDA", "alert"),
    ("/alert position NVDA above 5", "alert"),
    ("/alert position NVDA loss +5", "alert"),
    ("/alert position NVDA gain -5", "alert"),
    ("/alert remove", "alert"),
    ("/alert remove A1 A2", "alert"),
    ("/alerts all", "alerts"),
    ("/monitor now", "monitor"),
    ("/movestop", "movestop"),
    ("/movestop NVDA", "movestop"),
    ("/movestop NVDA 110 120", "movestop"),
    ("/movestop NVDA -110", "movestop"),
    ("/movestop NVDA 0", "movestop"),
    ("/movestop NVDA 5%", "movestop"),
    ("/movestop NVDA trail", "movestop"),
    ("/movestop NVDA trail 5", "movestop"),
    ("/movestop NVDA trail 0%", "movestop"),
    ("/movestop NVDA trail 100%", "movestop"),
    ("/movestop NVDA trail 0 atr", "movestop"),
    ("/movestop NVDA trail five %", "movestop"),
    ("/movestop NVDA breakeven 110", "movestop"),
    ("/movestop NVDA up", "movestop"),
]


@pytest.mark.parametrize(("line", "cmd"), BAD)
async def test_a_bad_line_is_refused_with_the_usage_and_asks_nothing(line: str, cmd: str) -> None:
    o = FakeOrch()
    with pytest.raises(BadInput) as e:
        name, *args = line.split()
        if name == "/monitor":
            await mc.monitor(o, ME, args)  # type: ignore[arg-type]
        elif name == "/alerts":
            mc.alerts(o, args)  # type: ignore[arg-type]
        elif name == "/alert":
            await mc.alert(o, ME, args)  # type: ignore[arg-type]
        else:
            await mc.movestop(o, ME, args)  # type: ignore[arg-type]
    assert usage(cmd) in str(e.value), str(e.value)
    assert o.calls == []


@pytest.mark.parametrize("raw", ["xyz", "A", "A-3", "A3.5", "AA3", "A1234567890", ""])
def test_a_malformed_alert_id_is_refused(raw: str) -> None:
    with pytest.raises(BadInput, match="A3"):
        mc.alert_id(raw)


@pytest.mark.parametrize(
    ("raw", "pct", "value"),
    [
        ("200", False, 200.0),
        ("$200", False, 200.0),
        ("+5", True, 5.0),
        ("-5%", True, -5.0),
        ("1,234.5", False, 1234.5),
        (".5%", True, 0.5),
        ("5.", False, 5.0),
    ],
)
def test_numbers_as_people_write_them(raw: str, pct: bool, value: float) -> None:
    assert mc.number(raw, "X", "alert", pct=pct) == value


async def test_the_json_lines_carry_the_interface_fields() -> None:
    added, _ = await run("/alert AAPL above 200")
    line = json.loads(reply_json(added))
    assert line["kind"] == "alert" and line["ok"]
    assert (line["id"], line["symbol"], line["condition"], line["level"]) == (
        "A1",
        "AAPL",
        "above",
        200.0,
    )
    assert line["text"].startswith("Alert A1 set: AAPL above 200.00")
    listed, _ = await run("/alerts")
    line = json.loads(reply_json(listed))
    assert line["kind"] == "alerts"
    assert [(a["id"], a["symbol"], a["condition"], a["level"]) for a in line["alerts"]] == [
        ("A1", "AAPL", "above", 200.0),
        ("A2", "AAPL", "move", 5.0),
    ]
    removed, _ = await run("/alert remove A1")
    assert json.loads(reply_json(removed))["status"] == "removed"
    assert removed.kind == "alert" and removed.text.startswith("Alert A1 removed")
    rearmed, _ = await run("/alert rearm A1")
    assert rearmed.kind == "alert" and "re-armed" in rearmed.text


async def test_monitor_reply_is_the_summary_then_a_line_per_finding() -> None:
    reply, _ = await run("/monitor")
    assert reply.kind == "monitor"
    head, finding = reply.text.splitlines()
    assert head == "[SIMULATED] Checked 2 positions and 1 alert: 1 finding."
    assert finding.startswith("• NVDA stop hit at 101.20: stop 102 hit")
    assert finding.endswith("exit card p-abcdefgh")
    line = json.loads(reply_json(reply))
    assert line["positions"] == 2 and line["findings"][0]["proposal_id"] == "p-abcdefgh"
