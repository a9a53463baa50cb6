"""Legends that cover no data: the placement engine of :mod:`lehmberg.figures`.

:func:`legend` makes a legend (upper right first); :func:`place_legends` moves each legend of
a figure to the first position where it covers nothing drawn in its axes — lines, markers,
error bars, filled bands, inset axes — trying the named corners and edges, then a grid that
hugs the edges; when none is free the legend goes beside its axes and the figure widens.
Everything is judged in display pixels on the drawn layout (no rendering).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from matplotlib.collections import Collection, LineCollection, PathCollection
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.path import Path
from matplotlib.transforms import Bbox

__all__ = ["legend", "place_legends"]

#: Legend locations tried in turn; the first that covers no data is kept.
_LOCS = ("upper right", "upper left", "lower left", "lower right", "center right", "center left",
         "upper center", "lower center", "center")
_MARGIN_PX = 2.0  # clearance kept between a legend and the data, in display pixels at the figure dpi


def _display_paths(ax) -> tuple[list[Path], list[Path], list[tuple[np.ndarray, float]], list[Bbox]]:
    """What is drawn in ``ax``, in display coordinates: (polylines, filled paths, markers, boxes)."""
    lines, filled, markers, boxes = [], [], [], []
    dpi = ax.figure.dpi

    def split(xy):
        ok = np.all(np.isfinite(xy), axis=1)
        out, start = [], None
        for i, good in enumerate(np.append(ok, False)):
            if good and start is None:
                start = i
            elif not good and start is not None:
                if i - start >= 1:
                    out.append(xy[start:i])
                start = None
        return out

    for line in ax.get_lines():
        if not line.get_visible():
            continue
        xy = line.get_transform().transform(np.asarray(line.get_xydata(), dtype=float))
        if line.get_linestyle() not in ("None", "none", "", " "):
            lines.extend(Path(seg) for seg in split(xy) if len(seg) >= 2)
        if line.get_marker() not in (None, "None", "none", "", " "):
            r = 0.5 * line.get_markersize() * dpi / 72.0
            pts = xy[np.all(np.isfinite(xy), axis=1)]
            if len(pts):
                markers.append((pts, r))
    for coll in ax.collections:
        if not coll.get_visible():
            continue
        if isinstance(coll, PathCollection) and len(coll.get_offsets()):
            pts = coll.get_offset_transform().transform(np.asarray(coll.get_offsets(), dtype=float))
            sizes = coll.get_sizes()
            r = 0.5 * math.sqrt(float(np.max(sizes)) if len(sizes) else 36.0) * dpi / 72.0
            markers.append((pts[np.all(np.isfinite(pts), axis=1)], r))
            continue
        tr = coll.get_transform()
        for p in coll.get_paths():
            v = tr.transform(np.asarray(p.vertices, dtype=float))
            if isinstance(coll, LineCollection):
                lines.extend(Path(seg) for seg in split(v) if len(seg) >= 2)
            elif isinstance(coll, Collection) and len(v) >= 3 and np.all(np.isfinite(v)):
                filled.append(Path(v, closed=True))
    for child in ax.child_axes:
        boxes.append(child.get_window_extent())
    return lines, filled, markers, boxes


def _covers_data(box: Bbox, drawn) -> bool:
    lines, filled, markers, boxes = drawn
    b = box.expanded(1.0, 1.0).padded(_MARGIN_PX)
    if any(p.intersects_bbox(b, filled=False) for p in lines):
        return True
    if any(p.intersects_bbox(b, filled=True) for p in filled):
        return True
    for pts, r in markers:
        bb = b.padded(r)
        if np.any((pts[:, 0] >= bb.x0) & (pts[:, 0] <= bb.x1) & (pts[:, 1] >= bb.y0) & (pts[:, 1] <= bb.y1)):
            return True
    return any(b.overlaps(o) for o in boxes)


def _anchored(loc: str, w: float, h: float, ax_box: Bbox, pad: float) -> Bbox:
    vert, _, horiz = loc.partition(" ")
    if loc == "center":
        vert = horiz = "center"
    x0 = {"left": ax_box.x0 + pad, "right": ax_box.x1 - pad - w,
          "center": 0.5 * (ax_box.x0 + ax_box.x1 - w)}[horiz]
    y0 = {"lower": ax_box.y0 + pad, "upper": ax_box.y1 - pad - h,
          "center": 0.5 * (ax_box.y0 + ax_box.y1 - h)}[vert]
    return Bbox.from_bounds(x0, y0, w, h)


def _candidates(w: float, h: float, ax_box: Bbox, pad: float):
    """Legend positions inside ``ax_box``: the named locations, then a grid hugging the edges first.

    Yields (loc, box): ``loc`` as :class:`~matplotlib.legend.Legend` takes it (a name, or the
    lower-left corner in axes coordinates) and ``box`` the legend's display box there.
    """
    for loc in _LOCS:
        yield loc, _anchored(loc, w, h, ax_box, pad)
    xs = np.linspace(ax_box.x0 + pad, ax_box.x1 - pad - w, 13)
    ys = np.linspace(ax_box.y0 + pad, ax_box.y1 - pad - h, 13)
    if xs[-1] < xs[0] or ys[-1] < ys[0]:
        return
    grid = [(x0, y0) for x0 in xs for y0 in ys]
    grid.sort(key=lambda p: min(p[0] - xs[0], xs[-1] - p[0]) + min(p[1] - ys[0], ys[-1] - p[1]))
    for x0, y0 in grid:
        yield ((x0 - ax_box.x0) / ax_box.width, (y0 - ax_box.y0) / ax_box.height), \
            Bbox.from_bounds(x0, y0, w, h)


def place_legends(fig: Figure, legends: Sequence[tuple[object, Legend]]) -> None:
    """Move each legend to the first position where it covers no data, else beside its axes.

    ``legends`` holds (axes, legend) pairs.  Positions are tried in the order of
    :func:`_candidates`.  When none inside the axes is free, the legend goes beside the axes,
    on the right, and the figure grows by the legend's width, so that the axes keep their size.
    The layout is drawn (without rendering) before each round of checks, so they are made on
    the final positions; a legend moved inside its axes does not change the constrained
    layout, a legend moved outside does, and triggers another round.
    """
    outside: set[int] = set()
    for _ in range(len(legends) + 2):
        fig.draw_without_rendering()
        renderer = fig.canvas.get_renderer()
        moved_out = False
        for i, (ax, leg) in enumerate(legends):
            if i in outside:
                continue
            drawn = _display_paths(ax)
            box = leg.get_window_extent(renderer)
            if not _covers_data(box, drawn):
                continue
            pad = leg.borderaxespad * renderer.points_to_pixels(leg.prop.get_size_in_points())
            ax_box = ax.get_window_extent(renderer)
            free = next((loc for loc, cand in _candidates(box.width, box.height, ax_box, pad)
                         if not _covers_data(cand, drawn)), None)
            if free is not None:
                leg.set_loc(free)
                continue
            w, h = fig.get_size_inches()
            leg.set_bbox_to_anchor((1.02, 1.0), transform=ax.transAxes)
            leg.set_loc("upper left")
            fig.set_size_inches(w + (box.width + 2 * pad) / fig.dpi, h)
            outside.add(i)
            moved_out = True
        if not moved_out:
            return


def legend(ax, handles=None, labels=None, **kw) -> tuple[object, Legend]:
    kw.setdefault("fontsize", 7)
    kw.setdefault("framealpha", 0.9)
    if handles is None:
        leg = ax.legend(loc="upper right", **kw)
    else:
        leg = ax.legend(handles, labels, loc="upper right", **kw)
    return ax, leg
