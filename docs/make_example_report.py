"""Write docs/example-report.html (the sample data, its probability map at 0.5) and render it
with headless Chromium to docs/images/report.png.

python docs/make_example_report.py            # needs Debian's chromium for the PNG
"""

import shutil
import subprocess
import tempfile
from pathlib import Path

import napari_seg_eval as nse
from napari_seg_eval.evaluation import ThresholdOptions, evaluate
from napari_seg_eval.report import write_report
from napari_seg_eval.runs import Run

DOCS = Path(__file__).parent
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--window-size=1200,2600",
]


def main() -> None:
    data = nse.make_sample_data()
    record = evaluate(
        data["ground_truth"],
        data["probability"],
        confidence=data["probability"],
        threshold=0.5,
        threshold_options=ThresholdOptions(connectivity=1),
        truth_name="nuclei ground truth",
        prediction_name="nuclei probability",
        confidence_name="nuclei probability",
    )
    html = DOCS / "example-report.html"
    write_report(Run.from_evaluation(record, name="sample, p > 0.5"), html)
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print(f"wrote {html}; no chromium to render it")
        return
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                chromium,
                *CHROMIUM_FLAGS,
                f"--user-data-dir={profile}",
                f"--screenshot={DOCS / 'images' / 'report.png'}",
                html.resolve().as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
    print(f"wrote {html} and docs/images/report.png")


if __name__ == "__main__":
    main()
