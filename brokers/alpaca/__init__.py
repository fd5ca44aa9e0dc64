"""Alpaca adapters. Market data: `brokers.alpaca.data.AlpacaMarketData` (alpaca-py SDK types
stay inside this package; `convert` turns them into models.domain values)."""
