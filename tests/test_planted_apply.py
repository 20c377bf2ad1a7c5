"""The plants of ``benchmarks/planted.py`` (issue 23) still apply to the current source: each ``old`` text occurs
exactly once in its file and ``new`` differs from it - so the harness cannot rot silently when code moves.
(Running the plants themselves takes minutes: ``make planted``.)"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
import planted  # noqa: E402


@pytest.mark.parametrize("plant", planted.PLANTS, ids=lambda p: p.name)
def test_plant_applies_exactly_once(plant):
    text = (ROOT / plant.file).read_text(encoding="utf-8")
    assert text.count(plant.old) == 1, f"plant {plant.name} no longer applies: {plant.file}"
    assert plant.new != plant.old
    assert plant.tests and all(not t.startswith("-m") for t in plant.tests)  # "-m not slow" is the script's


def test_every_weak_spot_file_is_planted():
    """The files of the issue's weak spots each carry at least one plant; names are unique."""
    files = {p.file for p in planted.PLANTS}
    assert {"src/helpers/report/__init__.py", "src/helpers/io/pii.py", "src/helpers/io/ingest.py",
            "src/helpers/studies/mystery_guest/trends.py", "src/helpers/stats/funnel.py",
            "src/helpers/stats/rater_agreement.py", "src/helpers/stats/agreement.py",
            "src/helpers/studies/nok/uncertainty.py", "src/helpers/studies/mystery_guest/scoring.py",
            "src/helpers/stats/mixed.py", "src/helpers/stats/comparisons.py", "src/helpers/io/safe_csv.py"} <= files
    names = [p.name for p in planted.PLANTS]
    assert len(names) == len(set(names))


def test_check_stops_on_a_plant_that_no_longer_applies(tmp_path):
    (tmp_path / "m.py").write_text("x = 1\nx = 1\n", encoding="utf-8")
    twice = planted.Plant("twice", "", "m.py", "x = 1", "x = 2", ("t",))
    gone = planted.Plant("gone", "", "m.py", "y = 1", "y = 2", ("t",))
    for p in (twice, gone):
        with pytest.raises(SystemExit, match=f"plant {p.name} no longer applies: m.py"):
            planted.check(p, tmp_path)
