"""Documented upper bounds on the size of a scenario.

They keep a mistyped number (``per_grid: 1000000``) from hanging validation
or exhausting memory. Each is far above what a street, or a whole district,
needs; a run that fits inside them may still be too large for one machine's
memory, which :func:`twin.sizing.estimate` warns about before running.
"""

from __future__ import annotations

MAX_WINDOW_YEARS = 20
"""Longest observation window `twin calibrate` fits at once [years]."""
MAX_HORIZON_DAYS = 3660.0
"""Longest run: ten years [days]."""
MAX_REPLICATIONS = 10_000
"""Most replications in one run."""
MAX_WORKERS_PER_GRID = 1_000
"""Most grid workers in one grid (also the most in one team's grid)."""
MAX_POOL_STAFF = 100_000
"""Most staff in one pool (a handling unit, the centre's desk, volunteers, a unit's workers)."""
MAX_MAP_NODES = 250_000
"""Most nodes in a map (a lattice's rows x columns, or a map file's nodes)."""
MAX_GRIDS = 20_000
"""Most grids in a community."""
MAX_PARTITION_CELLS = 100_000_000
"""Most grids x map nodes for an automatic partition, whose distance table holds
one 8-byte number per cell (800 MB at the bound)."""
MAX_NESTING = 32
"""Deepest nesting of mappings and lists in a scenario file."""
MAX_PATH_LENGTH = 1024
"""Longest file path in a scenario (``map.path``, ``extends``) [characters]."""
MAX_FILE_BYTES = 10_000_000
"""Largest scenario file [bytes]."""
MAX_MINUTES = MAX_HORIZON_DAYS * 1440.0
"""Longest duration of any kind (deadline, handling time, delay) [min]."""
MAX_RESIDENTS = 10_000_000
"""Most residents in one grid or in a whole community."""
MAX_RATE_PER_HOUR = 1_000_000.0
"""Largest arrival or complaint rate [1/h]."""
MAX_DISTANCE = 1_000_000.0
"""Longest street segment [m] and fastest speed [m/min]."""
