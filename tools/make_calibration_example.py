"""Write maps/examples/learning-school-calibration.csv: a made-up calibration session.

Two rounds of master-coded lessons (six lessons each, every component of the learning-school
map): the anchor rater ``expert`` and five trainees with different habits (accurate; lenient;
severe; improving; drifting away). Deterministic (seeded), so the file only changes when this
script does. Run: ``python tools/make_calibration_example.py``.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

import icmaps

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "maps" / "examples" / "learning-school-calibration.csv"
ROUNDS = ("2025-08-20", "2025-09-17")
# per trainee and round: (share exact, push toward the severe end, share of misses that are
# two levels off or more)
HABITS = {
    "trainee-a": ((0.85, 0.0, 0.05), (0.9, 0.0, 0.05)),
    "trainee-b": ((0.7, -0.8, 0.1), (0.75, -0.8, 0.1)),
    "trainee-c": ((0.55, 0.9, 0.25), (0.6, 0.9, 0.2)),
    "trainee-d": ((0.35, 0.0, 0.6), (0.75, 0.0, 0.1)),
    "trainee-e": ((0.7, 0.0, 0.2), (0.4, 0.6, 0.65)),
}


def main() -> None:
    m = icmaps.load_map("learning-school")
    rng = random.Random(17)
    roles = {c.id: (c.roles[0] if c.roles else "") for c in m.all_components()}
    rows = []
    for r, occasion in enumerate(ROUNDS):
        for lesson in range(1, 7):
            subject = f"lesson-{r * 6 + lesson:02d}"
            for c in m.all_components():
                # only the cells the map describes (an empty cell is a level nobody reaches)
                codes = [v.code for v in m.variations_of(c.id) if v.text.strip()]
                top = len(codes) - 1
                # the expert's level: schools in calibration videos spread over the map
                truth = min(top, max(0, round(rng.triangular(0, top, top / 2))))
                rows.append((subject, "expert", occasion, c.id, codes[truth], roles[c.id]))
                for trainee, habits in HABITS.items():
                    exact, push, far = habits[r]
                    level = truth
                    if rng.random() > exact:
                        step = 1 if rng.random() < 0.5 + push / 2 else -1
                        if rng.random() < far:
                            step *= 2
                        level = truth + step
                        if not 0 <= level <= top:  # off the map's end: miss the other way
                            level = truth - step
                        level = min(top, max(0, level))
                    rows.append((subject, trainee, occasion, c.id, codes[level], roles[c.id]))
    with OUT.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["subject", "rater", "occasion", "component", "code", "role"])
        w.writerows(rows)
    print(f"wrote {OUT.relative_to(ROOT)} ({len(rows)} ratings)")


if __name__ == "__main__":
    main()
