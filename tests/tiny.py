"""A tiny map and ratings whose aggregates are computed by hand in the tests.

Map ``tiny``: group g1 (standard) holds c1 (teacher, critical, weight 2) and c2 (teacher), and
subgroup g1a holds c3 (coach) on a two-level scale without scores.

Default scale, desired first: 1 ideal (3), 2 acceptable (2), 3 unacceptable (1),
4 unacceptable (0); special NA (excluded), X (non-use: lowest), M (missing).

Ratings (subject, rater, occasion: c1 c2 c3)::

    s1 r1 fall:    1   2   a
    s1 r2 fall:    2   X   b
    s2 r1 fall:    NA  M   (blank)
    s2 r2 fall:    3   4   a
    s1 r1 spring:  1   1   a
    s2 r1 spring:  2   3   b
"""

from __future__ import annotations

import icmaps
from icmaps.maps.model import Map
from icmaps.ratings.ratingset import RatingSet

TINY = """\
id: tiny
version: "1"
title: Tiny
roles: [{id: teacher, label: Teacher}, {id: coach, label: Coach}]
scale:
  levels:
    - {code: "1", label: Ideal, zone: ideal, score: 3}
    - {code: "2", label: Developing, zone: acceptable, score: 2}
    - {code: "3", label: Beginning, zone: unacceptable, score: 1}
    - {code: "4", label: Not yet, zone: unacceptable, score: 0}
  special:
    - {code: NA, label: Not applicable, counts: excluded}
    - {code: X, label: Non-use, counts: lowest}
    - {code: M, label: Not observed, counts: missing}
scales:
  two:
    levels:
      - {code: a, label: Yes, zone: ideal}
      - {code: b, label: No, zone: unacceptable}
groups:
  - id: g1
    kind: standard
    title: Group one
    components:
      - {id: c1, title: One, roles: [teacher], critical: true, weight: 2, variations: [p, q, r, s]}
      - {id: c2, title: Two, roles: [teacher], variations: [p, q, r, s]}
    groups:
      - id: g1a
        kind: construct
        title: Sub
        components:
          - {id: c3, title: Three, roles: [coach], scale: two, variations: [p, q]}
"""

ROWS = [
    ("s1", "r1", "fall", ("1", "2", "a")),
    ("s1", "r2", "fall", ("2", "X", "b")),
    ("s2", "r1", "fall", ("NA", "M", None)),
    ("s2", "r2", "fall", ("3", "4", "a")),
    ("s1", "r1", "spring", ("1", "1", "a")),
    ("s2", "r1", "spring", ("2", "3", "b")),
]
SCHOOL = {"s1": "north", "s2": "south"}


def tiny_map() -> Map:
    return icmaps.loads_map(TINY)


def tiny_records() -> list[dict[str, str | None]]:
    out: list[dict[str, str | None]] = []
    for subject, rater, occasion, codes in ROWS:
        for comp, code in zip(("c1", "c2", "c3"), codes, strict=True):
            out.append(
                {
                    "subject": subject,
                    "rater": rater,
                    "occasion": occasion,
                    "component": comp,
                    "code": code,
                    "role": "coach" if comp == "c3" else "teacher",
                    "school": SCHOOL[subject],
                }
            )
    return out


def tiny_ratings(m: Map | None = None) -> RatingSet:
    return RatingSet.from_records(m or tiny_map(), tiny_records())
