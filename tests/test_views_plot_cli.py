"""`prism-cp plot` zooms a chart of many ops by itself only when no window
option is given; any window option, e.g. --from-ms 0, shows what it asks for."""

from __future__ import annotations

from pathlib import Path

from schedule_files import schedule_files
from test_cli import run


def test_plot_zooms_by_itself_only_without_window_options(tmp_path: Path) -> None:
    doc = schedule_files(tmp_path, batches=16)[3]
    for args, zoomed in (((), True), (("--from-ms", "0"), False), (("--batches", "0-15"), False)):
        out = tmp_path / "g.svg"
        result = run("plot", str(doc), "-o", str(out), *args)
        assert result.exit_code == 0, result.output
        text = out.read_text()
        assert ("showing the first" in text) == zoomed and text.count('id="ops-') == 6
