"""Performance reports (day, week, month): the figures, the markdown and the exports.

Pure: `build_report` turns the gathered `ReportInputs` into a rounded `Report`; the
renderers (markdown, CSV/JSON, and `services.report_charts` for PNGs) only format it.
"""

from services.reports.export import equity_csv, report_json, trades_csv
from services.reports.markdown import money, render_markdown
from services.reports.metrics import build_report

__all__ = [
    "build_report",
    "equity_csv",
    "money",
    "render_markdown",
    "report_json",
    "trades_csv",
]
