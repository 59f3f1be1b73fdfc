"""Write the metric catalogue's tables into docs/metrics.md, between the catalogue markers.

Run ``python docs/make_metric_tables.py`` after changing ``core/catalogue.py``; a test fails while
the page is out of date.
"""

from __future__ import annotations

import re
from pathlib import Path

from napari_seg_eval.core import catalogue

PAGE = Path(__file__).with_name("metrics.md")
BLOCK = re.compile(r"(<!-- catalogue: (?P<table>[\w.]+) -->\n).*?(<!-- /catalogue -->)", re.S)


def render(text: str) -> str:
    """``text`` with every catalogue block replaced by the catalogue's current table."""
    return BLOCK.sub(lambda m: m[1] + catalogue.markdown(m["table"]) + "\n" + m[3], text)


if __name__ == "__main__":
    PAGE.write_text(render(PAGE.read_text()))
