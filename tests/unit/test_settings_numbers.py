"""Numbers in the settings are finite and sane (every float setting refuses inf, nan and
1e400), a log level loguru knows sets up the log, and the redactor people's output goes
through knows the configured secrets, the database password included."""

from __future__ import annotations

import logging
from enum import StrEnum
from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict

from bot.logs import configure_redaction, redact, redact_data, setup_logging
from bot.settings import MAX_CASH, Settings, SettingsError, load_settings

FLOATS = sorted(n for n, f in Settings.model_fields.items() if f.annotation is float)


def test_there_are_float_settings_to_check() -> None:
    assert {"sim_cash", "drift_tolerance_pct", "llm_timeout_s", "kelly_fraction"} <= set(FLOATS)


@pytest.mark.parametrize("name", FLOATS)
@pytest.mark.parametrize("value", ["inf", "-inf", "nan", "1e400"])
def test_every_float_setting_refuses_non_finite(
    name: str, value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(f"COTRADER_{name.upper()}", value)
    with pytest.raises(SettingsError) as e:
        load_settings()
    assert e.value.lines == [f"COTRADER_{name.upper()}: Input should be a finite number"]
    assert e.value.fields == (name,)


@pytest.mark.parametrize("value", [MAX_CASH * 10, 1e300])
def test_absurd_cash_is_refused(value: float) -> None:
    with pytest.raises(SettingsError, match="COTRADER_SIM_CASH: Input should be less than"):
        load_settings(sim_cash=value)
    assert load_settings(sim_cash=MAX_CASH).sim_cash == MAX_CASH


@pytest.mark.parametrize("spec", ["gpt-x=inf/1", "gpt-x=1/nan", "gpt-x=1e400/1", "gpt-x=1e9/1"])
def test_llm_prices_must_be_finite_and_sane(spec: str) -> None:
    with pytest.raises(SettingsError, match="COTRADER_LLM_PRICES: price of 'gpt-x' must be"):
        load_settings(llm_prices=spec)


def test_unbounded_integers_now_have_a_ceiling() -> None:
    with pytest.raises(SettingsError, match="COTRADER_MAX_ORDER_QUANTITY"):
        load_settings(max_order_quantity=10**30)
    with pytest.raises(SettingsError, match="COTRADER_LLM_DAILY_TOKENS"):
        load_settings(llm_daily_tokens=10**30)


def test_database_url_is_parsed_and_its_password_is_a_secret() -> None:
    with pytest.raises(SettingsError, match="COTRADER_DATABASE_URL: not a database URL"):
        load_settings(database_url="garbage")
    s = load_settings(database_url="postgresql+psycopg://me:hunter2-long@db:5432/cotrader")
    assert "hunter2-long" in s.secrets()


def test_trace_level_sets_up_the_log(tmp_path: Path) -> None:
    setup_logging(tmp_path, "TRACE", ["trace-secret-value"])
    try:
        assert logging.getLogger("httpx").level == logging.INFO
        logging.getLogger("cotrader.test").warning("token trace-secret-value here")
        text = (tmp_path / "logs" / "cotrader.log").read_text()
        assert "token *** here" in text and "trace-secret-value" not in text
        assert redact("x trace-secret-value y") == "x *** y"
    finally:
        configure_redaction([])


class _Kind(StrEnum):
    A = "a"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)
    text: str
    kind: _Kind = _Kind.A
    items: tuple[str, ...] = ()
    nested: dict[str, list[str]] = {}


def test_redact_data_reaches_into_frozen_models_and_containers() -> None:
    configure_redaction(["s3cr3t-value"])
    try:
        leak = "body: s3cr3t-value"
        obj = _Frozen(text=leak, items=(leak, "fine"), nested={"k": [leak]})
        out = redact_data({"a": [obj], "b": (leak,), "n": 3})
        model = out["a"][0]
        assert isinstance(model, _Frozen) and model.text == "body: ***"
        assert model.items == ("body: ***", "fine") and model.nested == {"k": ["body: ***"]}
        assert out["b"] == ("body: ***",) and out["n"] == 3
        assert model.kind is _Kind.A  # enum members stay members (renderers use .value)
        assert obj.text == leak  # the original is untouched
    finally:
        configure_redaction([])
