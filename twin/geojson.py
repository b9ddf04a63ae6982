"""Reading grid boundaries from a GeoJSON file (RFC 7946), checked as a whole.

The file is a ``FeatureCollection`` whose features are the grids: each has a
``Polygon`` or ``MultiPolygon`` geometry and a name in its properties (and,
optionally, its residents). A polygon is an outer ring followed by any holes;
a ring is a list of positions ``[x, y]`` (a third number, a height, is ignored)
and need not repeat its first position at the end. Every mistake in the file is
collected, located by JSON path (``features[3].properties.name``), and reported
together in one :class:`BoundaryError`.
"""

from __future__ import annotations

import json
import math
import stat
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from twin.scenario.limits import MAX_RESIDENTS
from twin.scenario.yamlsafe import control_character

MAX_FILE_BYTES = 200_000_000
"""Largest GeoJSON file read [bytes]."""
MAX_VERTICES = 2_000_000
"""Most polygon corners in one file."""
MAX_LISTED = 20
"""Problems spelled out in one message; the rest are counted."""


class BoundaryError(ValueError):
    """Mistakes in grid boundaries, tied to a scenario key (``grids.file``)."""

    def __init__(self, key: str, message: str) -> None:
        self.key = key
        super().__init__(message)


@dataclass(frozen=True)
class Boundary:
    """One grid's area as read from the file."""

    index: int
    """Position of the feature in the file's ``features`` list."""
    name: str
    """Grid name (the feature's name property)."""
    residents: int | None
    """Residents (the feature's residents property), if given."""
    polygons: list[list[np.ndarray]]
    """Polygons, each a list of rings (outer ring first, then holes), each ring an
    array of positions, shape (m, 2), in the file's coordinates."""
    properties: tuple[str, ...] = ()
    """The names of the feature's properties (to say which exist)."""


def problems_message(name: str, problems: list[str]) -> str:
    """One message for all ``problems`` of the file ``name``."""
    if len(problems) == 1:
        return f"grid boundaries {name}: {problems[0]}"
    shown = problems[:MAX_LISTED]
    more = len(problems) - len(shown)
    tail = f"\n  and {more:,} more" if more else ""
    return (f"grid boundaries {name}: {len(problems):,} problems:\n  "
            + "\n  ".join(shown) + tail)


def read_boundaries(path: Path, name_property: str = "name",
                    residents_property: str = "residents") -> list[Boundary]:
    """The grids of a GeoJSON FeatureCollection, in file order.

    Raises
    ------
    BoundaryError
        Listing every mistake: the file unreadable or not GeoJSON, a feature
        without a Polygon/MultiPolygon geometry, a malformed ring, a missing or
        repeated name, residents that are not a whole number in range.
    """
    data = _load(path)
    name = path.name
    features = data["features"]
    problems: list[str] = []
    found: list[Boundary] = []
    first_of: dict[str, int] = {}
    vertices = 0
    for i, feature in enumerate(features):
        where = f"features[{i}]"
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            problems.append(f'{where}: must be an object with "type": "Feature" '
                            f"(got {_show(feature)})")
            continue
        props = feature.get("properties")
        if props is not None and not isinstance(props, dict):
            problems.append(f"{where}.properties: must be an object (got {_show(props)})")
            props = None
        grid = _grid_name(props or {}, name_property, f"{where}.properties", problems)
        residents = _residents(props or {}, residents_property, f"{where}.properties",
                               problems)
        polygons = _geometry(feature.get("geometry"), f"{where}.geometry", problems)
        if grid is not None and grid in first_of:
            problems.append(f"{where}.properties.{name_property}: {grid!r} is also the "
                            f"name of features[{first_of[grid]}]; grid names must be unique")
        elif grid is not None:
            first_of[grid] = i
        if polygons is not None:
            vertices += sum(len(ring) for poly in polygons for ring in poly)
        if grid is not None and polygons is not None:
            found.append(Boundary(i, grid, residents, polygons, tuple(map(str, props or {}))))
    if vertices > MAX_VERTICES:
        problems.append(f"the polygons have {vertices:,} corners; at most {MAX_VERTICES:,} "
                        "are allowed (simplify the boundaries)")
    if not features:
        problems.append('"features" is empty; list one Polygon or MultiPolygon feature '
                        "per grid")
    if problems:
        raise BoundaryError("grids.file", problems_message(name, problems))
    return found


def _load(path: Path) -> dict:
    name = path.name
    try:
        info = path.stat()
    except (FileNotFoundError, NotADirectoryError):
        raise BoundaryError("grids.file", f"grid boundaries file not found: {path}") from None
    except OSError as exc:
        raise BoundaryError("grids.file", f"cannot open grid boundaries file {path}: "
                            f"{exc.strerror or exc}") from None
    if not stat.S_ISREG(info.st_mode):
        raise BoundaryError("grids.file", f"grid boundaries file {path} is not a regular file")
    if info.st_size == 0:
        raise BoundaryError("grids.file", f"grid boundaries file {name} is empty")
    if info.st_size > MAX_FILE_BYTES:
        raise BoundaryError("grids.file", f"grid boundaries file {name} has "
                            f"{info.st_size:,} bytes; at most {MAX_FILE_BYTES:,} are read")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise BoundaryError("grids.file", f"cannot read grid boundaries file {name}: "
                            f"{exc.strerror or exc}") from None
    try:
        data = json.loads(raw.decode("utf-8").removeprefix("\ufeff"))
    except UnicodeDecodeError as exc:
        raise BoundaryError("grids.file", f"grid boundaries file {name} is not UTF-8 text "
                            f"(byte 0x{raw[exc.start]:02x} at offset {exc.start:,})") from None
    except json.JSONDecodeError as exc:
        raise BoundaryError("grids.file", f"grid boundaries file {name} is not valid JSON "
                            f"({exc.msg} at line {exc.lineno}, column {exc.colno})") from None
    except (ValueError, RecursionError) as exc:
        raise BoundaryError("grids.file", f"grid boundaries file {name} is not valid JSON "
                            f"({exc})") from None
    if not (isinstance(data, dict) and data.get("type") == "FeatureCollection"
            and isinstance(data.get("features"), list)):
        got = (f'"type" is {_show(data.get("type"))}, "features" is '
               f'{_show(data.get("features"), 20)}' if isinstance(data, dict)
               else f"got {_show(data)}")
        raise BoundaryError("grids.file", f"grid boundaries file {name} is not a GeoJSON "
                            'FeatureCollection: expected an object with "type": '
                            f'"FeatureCollection" and a "features" list ({got})')
    return data


def _grid_name(props: dict, key: str, where: str, problems: list[str]) -> str | None:
    value = props.get(key)
    if value is None or value == "":
        known = ", ".join(map(repr, list(props)[:8])) or "none"
        problems.append(f"{where}.{key}: missing; every feature needs its grid's name "
                        f"(its properties: {known}; set grids.name_property to use another)")
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        problems.append(f"{where}.{key}: a grid name must be text or a whole number "
                        f"(got {_show(value)})")
        return None
    text = str(value).strip()
    bad = control_character(text) or ("a line break" if "\n" in text else None)
    if bad:
        problems.append(f"{where}.{key}: a grid name must not contain {bad}")
        return None
    return text


def _residents(props: dict, key: str, where: str, problems: list[str]) -> int | None:
    value = props.get(key)
    if value is None:
        return None
    number = value if isinstance(value, int | float) and not isinstance(value, bool) else None
    if number is None or not math.isfinite(number) or number != int(number) \
            or not 0 <= number <= MAX_RESIDENTS:
        problems.append(f"{where}.{key}: residents must be a whole number from 0 to "
                        f"{MAX_RESIDENTS:,} (got {_show(value)})")
        return None
    return int(number)


def _geometry(geometry: object, where: str, problems: list[str]
              ) -> list[list[np.ndarray]] | None:
    kind = geometry.get("type") if isinstance(geometry, dict) else None
    if kind not in ("Polygon", "MultiPolygon"):
        got = f"type {kind!r}" if isinstance(geometry, dict) else _show(geometry)
        problems.append(f"{where}: must be a Polygon or MultiPolygon (got {got})")
        return None
    assert isinstance(geometry, dict)
    coords = geometry.get("coordinates")
    parts = [coords] if kind == "Polygon" else coords
    if not isinstance(parts, list) or not parts:
        problems.append(f"{where}.coordinates: must be a non-empty list of "
                        f"{'rings' if kind == 'Polygon' else 'polygons'} (got {_show(coords)})")
        return None
    out: list[list[np.ndarray]] = []
    for p, part in enumerate(parts):
        at = f"{where}.coordinates" + ("" if kind == "Polygon" else f"[{p}]")
        if not isinstance(part, list) or not part:
            problems.append(f"{at}: a polygon must be a non-empty list of rings "
                            f"(got {_show(part)})")
            return None
        rings: list[np.ndarray] = []
        for r, ring in enumerate(part):
            points = _ring(ring, f"{at}[{r}]", problems)
            if points is None:
                return None
            rings.append(points)
        out.append(rings)
    return out


def _ring(ring: object, where: str, problems: list[str]) -> np.ndarray | None:
    if not isinstance(ring, list):
        problems.append(f"{where}: a ring must be a list of positions [x, y] "
                        f"(got {_show(ring)})")
        return None
    for k, pos in enumerate(ring):
        if not (isinstance(pos, list) and 2 <= len(pos) <= 3 and all(
                isinstance(c, int | float) and not isinstance(c, bool) and math.isfinite(c)
                for c in pos)):
            problems.append(f"{where}[{k}]: a position must be [x, y] of finite numbers "
                            f"(got {_show(pos)})")
            return None
    points = np.array([pos[:2] for pos in ring], dtype=float).reshape(-1, 2)
    if len(points) > 1 and (points[0] == points[-1]).all():
        points = points[:-1]
    if len(np.unique(points, axis=0)) < 3:
        problems.append(f"{where}: a ring needs at least 3 different positions "
                        f"(got {len(np.unique(points, axis=0))})")
        return None
    return points


def _show(value: object, limit: int = 40) -> str:
    text = json.dumps(value, ensure_ascii=False) if _plain(value) else repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _plain(value: object) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError, RecursionError):
        return False
    return True
