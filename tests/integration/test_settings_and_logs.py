"""Settings validation (one line per problem) and logs that never carry a secret."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from loguru import logger

from bot.logs import Redactor, setup_logging
from bot.settings import SettingsError, load_settings
from models.domain import Mode

KEY = "test-openai-secret-value-0001"  # a configured secret: redacted by value


def test_defaults_are_safe(tmp_path: Path) -> None:
    s = load_settings()
    assert s.mode is Mode.SIM and s.broker == "sim" and s.data_source == "sim" and not s.armed
    assert s.db_url.endswith("cotrader-sim.db")


def test_each_problem_gets_its_own_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COTRADER_MODE", "yolo")
    monkeypatch.setenv("COTRADER_MAX_POSITION_PCT", "250")
    monkeypatch.setenv("COTRADER_SIM_SEED", "abc")
    with pytest.raises(SettingsError) as e:
        load_settings()
    lines = e.value.lines
    assert len(lines) == 3
    assert any(line.startswith("COTRADER_MODE:") for line in lines)
    assert any(line.startswith("COTRADER_MAX_POSITION_PCT:") for line in lines)
    assert any(line.startswith("COTRADER_SIM_SEED:") for line in lines)


def test_live_needs_the_gate(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COTRADER_MODE", "live")
    monkeypatch.setenv("COTRADER_BROKER", "alpaca")
    with pytest.raises(SettingsError) as e:
        load_settings()
    assert any("COTRADER_ARMED=1" in line for line in e.value.lines)


def test_sim_mode_with_a_real_broker_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COTRADER_BROKER", "tastytrade")
    with pytest.raises(SettingsError) as e:
        load_settings()
    assert any("COTRADER_MODE=paper" in line for line in e.value.lines)


def test_paper_and_live_never_share_a_database(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COTRADER_BROKER", "alpaca")
    paper = load_settings(mode="paper").db_url
    live = load_settings(mode="live", armed=True).db_url
    assert paper != live and "paper" in paper and "live" in live


def test_vendor_variable_names_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.setenv("APCA_API_KEY_ID", "PKTESTKEYID123")
    s = load_settings()
    assert s.openai_api_key is not None and s.openai_api_key.get_secret_value() == KEY
    assert KEY not in repr(s) and "PKTESTKEYID123" not in str(s)
    assert set(s.secrets()) == {KEY, "PKTESTKEYID123"}


def test_a_secret_never_reaches_a_log_line(tmp_path: Path) -> None:
    tid = "PKSECRETKEYID99"
    setup_logging(tmp_path, "DEBUG", [KEY, tid])
    logger.info("calling the provider with key {}", KEY)
    logger.info(f"header Authorization: Bearer {KEY} id={tid}")
    logging.getLogger("discord.http").warning("token %s rejected", tid)
    try:
        raise RuntimeError(f"auth failed for {KEY}")
    except RuntimeError:
        logger.exception("provider error")
    logger.complete()
    text = (tmp_path / "logs" / "cotrader.log").read_text()
    assert KEY not in text and tid not in text
    assert text.count("***") >= 4
    assert "RuntimeError" in text  # the traceback is kept, redacted


def test_redactor_masks_credential_shapes_it_was_not_told_about() -> None:
    r = Redactor()
    shaped = "sk" + "-ant-api03-" + "x" * 26  # built here: no key-shaped literal in the source
    out = r(f"key {shaped} and Authorization: Bot abc.def.ghi")
    assert "sk-ant" not in out and "abc.def.ghi" not in out


def test_discord_settings_parse_id_lists_and_refuse_garbage(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COTRADER_APPROVER_ROLE_IDS", "11, 22;33")
    monkeypatch.setenv("COTRADER_CHAT_CHANNEL_IDS", "44")
    s = load_settings()
    assert s.approver_role_ids == (11, 22, 33) and s.chat_channel_ids == (44,)
    assert s.approver_user_ids == ()
    with pytest.raises(SettingsError) as e:
        load_settings(approver_user_ids="12,abc", discord_api_base="ftp://x")
    text = "\n".join(e.value.lines)
    assert "COTRADER_APPROVER_USER_IDS" in text and "COTRADER_DISCORD_API_BASE" in text
