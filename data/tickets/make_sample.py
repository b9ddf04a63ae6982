"""Generate ``sample_tickets.csv``: four weeks of tickets from known rates.

The truth, so that ``twin calibrate`` can be checked against it:

- grids grid-01 .. grid-10 of ``scenarios/baseline.yaml``, all with the same rates;
- average rates per grid over the week [1/h]: repair 0.36, sanitation 0.30,
  neighbour_dispute 0.15, shaped by the hour-of-day and day-of-week multipliers
  below (each scaled to mean 1);
- colours drawn from COLOURS (written only for the disputes, which alone are
  graded; the others' tickets say ``none``, the draw kept so that every other
  column stays the same), on-site times [min] from the SERVICE families.

Run from anywhere: ``python data/tickets/make_sample.py`` (needs only numpy;
the seed is fixed, so the file is the same every time).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

SEED = 20240304
START = np.datetime64("2024-03-04T00:00")  # a Monday
WEEKS = 4
GRIDS = [f"grid-{i:02d}" for i in range(1, 11)]
RATES = {"repair": 0.36, "sanitation": 0.30, "neighbour_dispute": 0.15}
HOURS = {
    "repair": [0.2, 0.1, 0.1, 0.1, 0.1, 0.2, 0.5, 1.0, 1.6, 2.0, 1.8, 1.4,
               1.1, 1.0, 1.1, 1.2, 1.3, 1.5, 1.8, 2.0, 1.6, 1.0, 0.6, 0.3],
    "sanitation": [0.1, 0.1, 0.1, 0.1, 0.3, 1.0, 2.5, 2.5, 2.0, 1.5, 1.2, 1.0,
                   1.0, 1.0, 1.0, 1.0, 1.2, 1.5, 1.5, 1.2, 1.0, 0.6, 0.3, 0.2],
    "neighbour_dispute": [0.5, 0.3, 0.2, 0.1, 0.1, 0.1, 0.2, 0.4, 0.6, 0.8, 0.9, 1.0,
                          1.0, 1.0, 1.0, 1.0, 1.1, 1.3, 1.8, 2.4, 2.8, 2.6, 1.8, 1.0],
}
DAYS = {
    "repair": [1.0, 1.0, 1.0, 1.0, 1.0, 1.15, 1.15],
    "sanitation": [1.4, 1.0, 0.9, 0.9, 0.9, 1.0, 1.3],
    "neighbour_dispute": [0.8, 0.8, 0.8, 0.9, 1.1, 1.4, 1.4],
}
COLOURS = {
    "repair": {"green": 0.85, "yellow": 0.13, "red": 0.02},
    "sanitation": {"green": 0.95, "yellow": 0.05},
    "neighbour_dispute": {"green": 0.55, "yellow": 0.35, "red": 0.10},
}
GRADED = {"neighbour_dispute"}
"""Categories whose tickets carry a grade (三色预警 grades disputes only)."""
SERVICE = {  # family, mean, sd [min]
    "repair": ("lognormal", 20.0, 12.0),
    "sanitation": ("gamma", 12.0, 6.0),
    "neighbour_dispute": ("lognormal", 35.0, 25.0),
}


def on_site(rng: np.random.Generator, family: str, mean: float, sd: float, n: int
            ) -> np.ndarray:
    """On-site times [min] of a family given by its mean and standard deviation."""
    if family == "lognormal":
        sigma2 = np.log1p((sd / mean) ** 2)
        return rng.lognormal(np.log(mean) - sigma2 / 2, np.sqrt(sigma2), n)
    shape = (mean / sd) ** 2
    return rng.gamma(shape, sd**2 / mean, n)


def generate(rng: np.random.Generator) -> list[tuple[float, str, str, str, float]]:
    """Tickets as (minutes since START, category, grid, colour, on-site minutes)."""
    hours = np.arange(WEEKS * 168)
    rows = []
    for category, rate in RATES.items():
        h = np.asarray(HOURS[category]) / np.mean(HOURS[category])
        d = np.asarray(DAYS[category]) / np.mean(DAYS[category])
        per_hour = rate * d[(hours // 24) % 7] * h[hours % 24]
        colours = list(COLOURS[category])
        shares = np.asarray([COLOURS[category][c] for c in colours])
        for grid in GRIDS:
            counts = rng.poisson(per_hour)
            t = (np.repeat(hours, counts) + rng.random(counts.sum())) * 60.0
            colour = rng.choice(len(colours), size=len(t), p=shares)
            service = on_site(rng, *SERVICE[category], len(t))
            graded = category in GRADED
            rows += [(float(ti), category, grid, colours[ci] if graded else "none", float(si))
                     for ti, ci, si in zip(t, colour, service, strict=True)]
    rows.sort()
    return rows


def main() -> None:
    rows = generate(np.random.default_rng(SEED))
    lines = ["ticket_id,timestamp,category,grid,colour,handling_minutes"]
    for i, (minutes, category, grid, colour, service) in enumerate(rows, 1):
        stamp = START + np.timedelta64(int(minutes * 60), "s")
        lines.append(f"T{i:05d},{stamp},{category},{grid},{colour},{service:.1f}")
    out = Path(__file__).with_name("sample_tickets.csv")
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(rows)} tickets written to {out}")  # noqa: T201 (a script)


if __name__ == "__main__":
    main()
