"""A class of 100,000 on one machine: grading time, peak memory, the batch files, the class page.

    python benchmarks/large_class.py [--count 100000] [--jobs N] [--keep DIR]

Builds COUNT distinct submissions from the samples, grades them with every default on, and prints
the time, the rate, the peak resident memory of the grader's whole process tree and the size of
each batch file; then opens the class overview in headless Chromium (as the suite's browser tests
do) and prints how long it takes until the first page of the table is shown, and how long
sorting the whole class by score takes. ``--keep DIR`` builds and grades in DIR and keeps it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import gdgrade, make_submissions, run_measured  # noqa: E402

BATCH_FILES = ("index.html", "students.js", "grades.csv", "summary.json", "summary.md", "junit.xml")


def page_timings(index: Path, loads: int = 3) -> tuple[float, float, str]:
    """Median seconds until the overview shows its first rows, seconds to sort by score, and what
    the page says it shows."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--allow-file-access-from-files"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver") or "chromedriver"), options=options)
    try:
        times = []
        for _ in range(loads):
            driver.get("about:blank")
            started = time.perf_counter()
            driver.get(index.as_uri())
            while not driver.find_elements(By.CSS_SELECTOR, "#students tbody tr"):
                time.sleep(0.005)
            times.append(time.perf_counter() - started)
        sort = driver.execute_script(  # the table sorts and renders in the click's own handler
            "var started = performance.now();"
            "document.querySelector(\"#students th[data-column='3'] button\").click();"
            "return (performance.now() - started) / 1000;")
        shown = driver.find_element(By.ID, "shown").text
    finally:
        driver.quit()
    return statistics.median(times), sort, shown


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--keep", type=Path, default=None)
    options = parser.parse_args()
    scratch = options.keep or Path(tempfile.mkdtemp(prefix="gdgrade-large-"))
    try:
        folder, out = scratch / "submissions", scratch / "out"
        if not folder.exists():
            make_submissions(folder, options.count)
        elapsed, peak, result = run_measured(gdgrade("grade", str(folder), "--out", str(out),
                                                     "--jobs", str(options.jobs)))
        if result.returncode != 0:
            sys.exit(f"gdgrade failed: {result.stderr}")
        print(f"{options.count} submissions, --jobs {options.jobs}: {elapsed / 60:.1f} min, "
              f"{options.count / elapsed:.1f} submissions/s, peak resident memory {peak / 2**20:.0f} MiB")
        print(result.stdout.strip().splitlines()[-1])
        for name in BATCH_FILES:
            print(f"  {name:13} {(out / name).stat().st_size / 2**20:8.2f} MiB")
        load, sort, shown = page_timings(out / "index.html")
        print(f"class page: first rows shown {load:.2f} s after opening (median of 3), sorted by score in "
              f"{sort:.2f} s; it shows {shown!r}; index.html and students.js together "
              f"{sum((out / name).stat().st_size for name in ('index.html', 'students.js')) / 2**20:.1f} MiB")
    finally:
        if options.keep is None:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
