"""The simulator's default universe: well-known US stocks and ETFs with plausible parameters."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SimSpec:
    """How one simulated symbol behaves.

    `price` is the level the synthetic daily history ends near (the last daily close is
    anchored to it); `drift` and `vol` are annualised (0.10 = 10 %); `market_corr` is the
    loading on the common market factor (SPY ~1, gold ~0, long bonds slightly negative).
    """

    symbol: str
    name: str
    sector: str
    price: float
    drift: float
    vol: float
    avg_volume: float
    spread_bps: float
    market_corr: float = 0.55
    is_etf: bool = False
    dividend: float = 0.0  # continuous annual dividend yield (0.03 = 3%)


TECH, COMM, DISC = "Technology", "Communication Services", "Consumer Discretionary"
FIN, HEALTH, STAPLES, ENERGY, ETF = (
    "Financials",
    "Health Care",
    "Consumer Staples",
    "Energy",
    "ETF",
)

_STOCKS: tuple[tuple[str, str, str, float, float, float, float, float, float], ...] = (
    # symbol, name, sector, price, drift, vol, avg daily volume, spread bps, market corr
    ("AAPL", "Apple Inc.", TECH, 190.0, 0.12, 0.27, 55e6, 1.0, 0.70),
    ("MSFT", "Microsoft Corp.", TECH, 415.0, 0.14, 0.25, 20e6, 1.0, 0.72),
    ("NVDA", "NVIDIA Corp.", TECH, 120.0, 0.30, 0.50, 300e6, 1.0, 0.62),
    ("AMZN", "Amazon.com Inc.", DISC, 185.0, 0.14, 0.32, 40e6, 1.0, 0.65),
    ("GOOGL", "Alphabet Inc. Class A", COMM, 170.0, 0.12, 0.30, 25e6, 1.0, 0.64),
    ("META", "Meta Platforms Inc.", COMM, 500.0, 0.18, 0.40, 15e6, 1.5, 0.58),
    ("TSLA", "Tesla Inc.", DISC, 240.0, 0.10, 0.55, 95e6, 1.5, 0.45),
    ("AMD", "Advanced Micro Devices Inc.", TECH, 155.0, 0.15, 0.50, 50e6, 1.5, 0.55),
    ("NFLX", "Netflix Inc.", COMM, 650.0, 0.15, 0.40, 3.5e6, 2.5, 0.45),
    ("JPM", "JPMorgan Chase & Co.", FIN, 205.0, 0.10, 0.24, 9e6, 1.5, 0.62),
    ("BAC", "Bank of America Corp.", FIN, 39.0, 0.06, 0.28, 35e6, 2.6, 0.60),
    ("XOM", "Exxon Mobil Corp.", ENERGY, 115.0, 0.06, 0.26, 16e6, 1.5, 0.35),
    ("CVX", "Chevron Corp.", ENERGY, 155.0, 0.05, 0.25, 8e6, 1.5, 0.35),
    ("JNJ", "Johnson & Johnson", HEALTH, 155.0, 0.04, 0.16, 7e6, 1.5, 0.35),
    ("PFE", "Pfizer Inc.", HEALTH, 28.0, -0.06, 0.24, 35e6, 3.6, 0.35),
    ("UNH", "UnitedHealth Group Inc.", HEALTH, 520.0, 0.08, 0.24, 3.5e6, 2.0, 0.40),
    ("KO", "Coca-Cola Co.", STAPLES, 63.0, 0.05, 0.15, 13e6, 1.6, 0.45),
    ("PEP", "PepsiCo Inc.", STAPLES, 168.0, 0.03, 0.16, 5e6, 1.5, 0.45),
    ("WMT", "Walmart Inc.", STAPLES, 68.0, 0.12, 0.18, 18e6, 1.5, 0.45),
    ("COST", "Costco Wholesale Corp.", STAPLES, 860.0, 0.15, 0.20, 2e6, 2.0, 0.50),
    ("DIS", "Walt Disney Co.", COMM, 95.0, 0.02, 0.30, 9e6, 1.5, 0.55),
    ("INTC", "Intel Corp.", TECH, 22.0, -0.12, 0.42, 45e6, 4.5, 0.50),
    ("CSCO", "Cisco Systems Inc.", TECH, 50.0, 0.05, 0.22, 18e6, 2.0, 0.55),
    ("ORCL", "Oracle Corp.", TECH, 140.0, 0.14, 0.30, 9e6, 1.5, 0.55),
    ("CRM", "Salesforce Inc.", TECH, 270.0, 0.10, 0.33, 6e6, 2.0, 0.55),
    ("V", "Visa Inc. Class A", FIN, 280.0, 0.10, 0.20, 6e6, 1.5, 0.65),
    ("MA", "Mastercard Inc. Class A", FIN, 470.0, 0.11, 0.22, 3e6, 2.0, 0.65),
)

_ETFS: tuple[tuple[str, str, str, float, float, float, float, float, float], ...] = (
    ("SPY", "SPDR S&P 500 ETF Trust", ETF, 545.0, 0.09, 0.17, 60e6, 0.3, 0.98),
    ("QQQ", "Invesco QQQ Trust", ETF, 470.0, 0.12, 0.22, 40e6, 0.4, 0.92),
    ("IWM", "iShares Russell 2000 ETF", ETF, 210.0, 0.06, 0.23, 28e6, 0.5, 0.85),
    ("DIA", "SPDR Dow Jones Industrial Average ETF", ETF, 400.0, 0.07, 0.15, 3.5e6, 0.8, 0.93),
    ("GLD", "SPDR Gold Shares", ETF, 220.0, 0.05, 0.14, 8e6, 0.8, 0.05),
    ("TLT", "iShares 20+ Year Treasury Bond ETF", ETF, 93.0, -0.01, 0.16, 35e6, 1.1, -0.20),
)

# Approximate dividend yields (the rest pay none or little).
_DIVIDENDS = {
    "AAPL": 0.005, "MSFT": 0.007, "JPM": 0.022, "BAC": 0.025, "XOM": 0.034, "CVX": 0.042,
    "JNJ": 0.031, "PFE": 0.06, "UNH": 0.015, "KO": 0.03, "PEP": 0.031, "WMT": 0.013,
    "COST": 0.006, "CSCO": 0.032, "ORCL": 0.012, "V": 0.007, "MA": 0.005, "SPY": 0.013,
    "QQQ": 0.006, "IWM": 0.012, "DIA": 0.017, "TLT": 0.04,
}  # fmt: skip

DEFAULT_UNIVERSE: tuple[SimSpec, ...] = tuple(
    SimSpec(*row, dividend=_DIVIDENDS.get(row[0], 0.0)) for row in _STOCKS
) + tuple(SimSpec(*row, is_etf=True, dividend=_DIVIDENDS.get(row[0], 0.0)) for row in _ETFS)

_SECTORS = (TECH, COMM, DISC, FIN, HEALTH, STAPLES, ENERGY)


def synthetic_specs(n: int, seed: int) -> tuple[SimSpec, ...]:
    """`n` extra made-up tickers (SYN001, SYN002, ...) with seeded, plausible parameters:
    a bigger simulated universe for large watchlists and load tests."""
    rng = random.Random(f"synthetic:{seed}")
    return tuple(
        SimSpec(
            symbol=f"SYN{i:03d}",
            name=f"Synthetic Co. {i}",
            sector=rng.choice(_SECTORS),
            price=round(rng.uniform(8.0, 400.0), 2),
            drift=round(rng.uniform(-0.05, 0.20), 3),
            vol=round(rng.uniform(0.15, 0.60), 3),
            avg_volume=round(rng.uniform(8e5, 3e7), -3),
            spread_bps=round(rng.uniform(1.0, 12.0), 1),
            market_corr=round(rng.uniform(0.2, 0.9), 2),
        )
        for i in range(1, n + 1)
    )
