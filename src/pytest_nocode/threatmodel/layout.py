"""Where each trust boundary box and each element sits on a diagram (Threat Dragon, OTM).

Threat Dragon decides which boundary an element is in, and which boundaries a flow crosses, by
geometry alone: an element is inside a boundary box when its box lies wholly within it. So the
layout nests each boundary's box inside its parent's and puts each element, on a grid, inside
its own boundary's box and outside every box nested deeper. Positions are absolute and whole
numbers; the same model gives the same layout.

A box holds, under its label, a grid of its own elements on the left and its child boxes to the
right, one above the other: nested boundaries then read left to right from the least trusted
(the internet's callers and services) to the app itself.

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from pytest_nocode.threatmodel.model import BOUNDARY_KINDS, ELEMENT_KINDS, Element, ThreatModel

# Shape sizes, as Threat Dragon draws them (actor and store are boxes, a process a circle).
SHAPE_SIZES = {"external_entity": (160, 80), "process": (120, 120), "data_store": (160, 80)}
SLOT_WIDTH, SLOT_HEIGHT = 220, 160  # one grid cell: the shape, centred, plus room for arrows
MAX_COLUMNS = 8
PADDING = 30  # inside a box, around its content
LABEL_HEIGHT = 40  # the box's name at its top
GAP = 40  # between child boxes, and between the grid and them
EMPTY_BOX = (260, 120)  # a boundary with nothing in it still shows


@dataclass(frozen=True, slots=True)
class Box:
    """An axis-aligned rectangle: top-left corner and size, in diagram units."""

    x: int
    y: int
    width: int
    height: int

    def contains(self, other: Box) -> bool:
        """True when ``other`` lies wholly inside this box (Threat Dragon's membership test)."""
        return (other.x >= self.x and other.y >= self.y
                and other.x + other.width <= self.x + self.width
                and other.y + other.height <= self.y + self.height)


@dataclass(frozen=True, slots=True)
class Layout:
    """The boxes of one diagram, by boundary id and by element id, and the canvas size."""

    boundaries: dict[str, Box]
    elements: dict[str, Box]
    width: int
    height: int


def _element_order(element: Element) -> tuple[int, str, int, str, str]:
    """External entities, then processes (each workflow followed by its own steps), then stores."""
    group = element.parent or element.id
    return (ELEMENT_KINDS.index(element.kind) if element.kind in ELEMENT_KINDS else 99,
            group, 1 if element.parent else 0, element.name.lower(), element.id)


def _boundary_order(model: ThreatModel, boundary_id: str) -> tuple[int, str]:
    kind = next(b.kind for b in model.boundaries if b.id == boundary_id)
    return (BOUNDARY_KINDS.index(kind) if kind in BOUNDARY_KINDS else 99, boundary_id)


def layout(model: ThreatModel) -> Layout:
    """Lay out the model's boundaries and elements; every element must name a known boundary."""
    known = {b.id for b in model.boundaries}
    children: dict[str, list[str]] = {b: [] for b in known}
    roots = []
    for boundary in model.boundaries:
        if boundary.parent in known and boundary.parent != boundary.id:
            children[boundary.parent].append(boundary.id)
        else:
            roots.append(boundary.id)
    members: dict[str, list[Element]] = {b: [] for b in known}
    for element in model.elements:
        if element.boundary not in known:
            raise ValueError(f"threat model of {model.app_id!r}: element {element.id!r} is in "
                             f"trust boundary {element.boundary!r}, which the model lacks")
        members[element.boundary].append(element)
    for boundary_id in known:
        children[boundary_id].sort(key=lambda b: _boundary_order(model, b))
        members[boundary_id].sort(key=_element_order)
    roots.sort(key=lambda b: _boundary_order(model, b))

    sizes: dict[str, tuple[int, int]] = {}

    def grid_shape(count: int) -> tuple[int, int]:
        """(columns, rows) of a near-square grid, taller than wide (few elements: a column)."""
        if not count:
            return 0, 0
        rows = max(math.ceil(math.sqrt(count)), math.ceil(count / MAX_COLUMNS))
        return math.ceil(count / rows), rows

    def measure(boundary_id: str) -> tuple[int, int]:
        columns, rows = grid_shape(len(members[boundary_id]))
        inner = [measure(child) for child in children[boundary_id]]
        width = columns * SLOT_WIDTH
        height = rows * SLOT_HEIGHT
        if inner:
            width += (GAP if columns else 0) + max(w for w, _ in inner)
            height = max(height, sum(h for _, h in inner) + GAP * (len(inner) - 1))
        size = ((max(EMPTY_BOX[0], width + 2 * PADDING),
                 max(EMPTY_BOX[1], LABEL_HEIGHT + height + PADDING)))
        sizes[boundary_id] = size
        return size

    boxes: dict[str, Box] = {}
    cells: dict[str, Box] = {}

    def place(boundary_id: str, x: int, y: int) -> None:
        width, height = sizes[boundary_id]
        boxes[boundary_id] = Box(x, y, width, height)
        columns, rows = grid_shape(len(members[boundary_id]))
        top = y + LABEL_HEIGHT
        for index, element in enumerate(members[boundary_id]):
            shape_w, shape_h = SHAPE_SIZES.get(element.kind, SHAPE_SIZES["process"])
            column, row = divmod(index, rows)  # down each column first
            cells[element.id] = Box(x + PADDING + column * SLOT_WIDTH + (SLOT_WIDTH - shape_w) // 2,
                                    top + row * SLOT_HEIGHT + (SLOT_HEIGHT - shape_h) // 2,
                                    shape_w, shape_h)
        child_x = x + PADDING + columns * SLOT_WIDTH + (GAP if columns else 0)
        child_y = top
        for child in children[boundary_id]:
            place(child, child_x, child_y)
            child_y += sizes[child][1] + GAP

    x = PADDING
    canvas_height = 0
    for root in roots:
        width, height = measure(root)
        place(root, x, PADDING)
        x += width + GAP
        canvas_height = max(canvas_height, height)
    if len(boxes) != len(known):
        raise ValueError(f"threat model of {model.app_id!r}: trust boundaries "
                         f"{sorted(known - boxes.keys())} have a parent loop")
    return Layout(boxes, cells, max(x - GAP + PADDING, 2 * PADDING),
                  canvas_height + 2 * PADDING)


def boundaries_around(found: Layout, element_id: str) -> set[str]:
    """The boundaries whose box contains the element's box: its boundary and all above it."""
    box = found.elements[element_id]
    return {b for b, outer in found.boundaries.items() if outer.contains(box)}


def crossed_by_geometry(found: Layout, source: str, target: str) -> list[str]:
    """The boundaries a flow crosses as Threat Dragon sees it: those holding one end only."""
    return sorted(boundaries_around(found, source) ^ boundaries_around(found, target))
