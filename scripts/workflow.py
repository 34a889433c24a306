"""ComfyUI workflows in both formats: build UI-format graphs, convert UI format to API format.

The UI ("workflow") format is what drag-and-drop and the template browser load; the API format
is what POST /prompt and the executor take. ComfyUI's backend has no converter (the frontend's
graphToPrompt does it), so this module does it from the node definitions that /object_info
serves: each node's widget inputs, in definition order, take the node's `widgets_values` in
order (an INT with control_after_generate stores one more value, the control mode, after its
own); linked inputs take [source node id, output slot], followed through Reroute nodes, and a
PrimitiveNode's link gives its value. Note, MarkdownNote, Reroute and PrimitiveNode exist only
in the frontend; groups are layout and do not reach the API format.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

NodeInfo = Callable[[str], dict]
"""node type -> its /object_info entry (raises KeyError for an unknown type)."""

FRONTEND_ONLY = {"Note", "MarkdownNote", "Reroute", "PrimitiveNode"}
WIDGET_TYPES = {"INT", "FLOAT", "STRING", "BOOLEAN", "COMBO"}
DYNAMIC_COMBO = "COMFY_DYNAMICCOMBO_V3"
"""A combo whose chosen option brings widgets of its own (newer ComfyUI: SaveVideo's format and codec)."""
WALK_PREVIEW_HEIGHT = 100
"""Height the editor extension (web/meander.js) adds under a walk node for its preview."""
NO_VALUE = object()
"""read_widgets' value of a widget missing from widgets_values that has no default either."""
MODE_MUTED = 2
MODE_BYPASS = 4


def node_info_of(node_classes: Mapping[str, type]) -> NodeInfo:
    """/object_info entries from ComfyUI's NODE_CLASS_MAPPINGS, as the server builds them."""

    def info(node_type: str) -> dict:
        cls = node_classes[node_type]
        if hasattr(cls, "GET_NODE_INFO_V1"):
            return cls.GET_NODE_INFO_V1()
        types = cls.INPUT_TYPES()
        return {
            "input": types,
            "input_order": {key: list(value) for key, value in types.items()},
            "output": list(cls.RETURN_TYPES),
            "output_name": list(getattr(cls, "RETURN_NAMES", cls.RETURN_TYPES)),
        }

    return info


def input_specs(info: dict) -> list[tuple[str, Any, dict]]:
    """(name, type, options) of every required then optional input, in definition order."""
    return [(name, kind, options) for name, kind, options, _ in _specs(info["input"], info.get("input_order"))]


def _specs(inputs: dict, order: dict | None) -> Iterator[tuple[str, Any, dict, bool]]:
    """(name, type, options, optional) of the required then optional inputs of one input dict."""
    for section in ("required", "optional"):
        specs = inputs.get(section, {})
        for name in (order or {}).get(section, list(specs)):
            spec = specs[name]
            yield name, spec[0], spec[1] if len(spec) > 1 else {}, section == "optional"


def is_widget(kind: Any, options: dict) -> bool:
    """A widget input: a combo (list of options), a dynamic combo, or a primitive type not forced to a socket."""
    if options.get("forceInput"):
        return False
    return isinstance(kind, list) or kind in WIDGET_TYPES or kind == DYNAMIC_COMBO


@dataclass(frozen=True)
class Widget:
    """One widget as the frontend lays it out: `name` is its API key, dotted under a dynamic combo
    (SaveVideo's `format.codec`), `optional` is true when it or a dynamic combo above it is optional."""

    name: str
    kind: Any
    options: dict
    optional: bool

    @property
    def control(self) -> bool:
        """Whether widgets_values holds a control_after_generate mode after this widget's value."""
        return bool(self.options.get("control_after_generate"))

    @property
    def choices(self) -> list | None:
        """The values a combo allows (a dynamic combo's option keys), or None."""
        if self.kind == DYNAMIC_COMBO:
            return [option["key"] for option in self.options["options"]]
        return self.kind if isinstance(self.kind, list) else self.options.get("options")

    @property
    def has_default(self) -> bool:
        return "default" in self.options or bool(self.choices)

    @property
    def default(self) -> Any:
        """The value a fresh node shows: the declared default, else the first choice."""
        return self.options["default"] if "default" in self.options else self.choices[0]


def read_widgets(info: dict, values: Iterable[Any] | Mapping[str, Any] = ()) -> list[tuple[Widget, Any]]:
    """(widget, value) of a node's widgets in widgets_values order, as the frontend reads them.

    Values are taken in order (a widget with control_after_generate takes one more, its mode); a
    widget beyond the end of `values` takes its default, as a fresh widget does, or NO_VALUE where it
    has none (a checkpoint list with no checkpoint). A dynamic combo is
    followed by the widgets of its chosen option, named `combo.input`, so which widgets a node has
    depends on its values. A dict of values (name -> value) is read by name instead.
    """
    by_name = values if isinstance(values, Mapping) else None
    stream = iter(() if by_name is not None else values)
    missing = object()
    out: list[tuple[Widget, Any]] = []

    def walk(inputs: dict, order: dict | None, prefix: str, optional: bool) -> None:
        for name, kind, options, is_optional in _specs(inputs, order):
            if not is_widget(kind, options):
                continue
            widget = Widget(prefix + name, kind, options, optional or is_optional)
            value = by_name.get(widget.name, missing) if by_name is not None else next(stream, missing)
            if widget.control and by_name is None:
                next(stream, None)
            if value is missing:
                value = widget.default if widget.has_default else NO_VALUE
            out.append((widget, value))
            if kind == DYNAMIC_COMBO:
                chosen = next((o for o in options["options"] if o["key"] == value), None)
                if chosen is None:
                    raise ValueError(f"{widget.name} is {value!r}, not one of {widget.choices}")
                walk(chosen["inputs"], None, widget.name + ".", widget.optional)

    walk(info["input"], info.get("input_order"), "", False)
    return out


def _links(ui: dict) -> dict[int, tuple[int, int, int, int, str]]:
    """link id -> (origin node, origin slot, target node, target slot, type)."""
    out = {}
    for link in ui.get("links", []):
        if isinstance(link, dict):
            out[link["id"]] = (link["origin_id"], link["origin_slot"], link["target_id"], link["target_slot"],
                               link["type"])
        else:
            out[link[0]] = tuple(link[1:6])
    return out


def ui_to_api(ui: dict, node_info: NodeInfo) -> dict[str, dict]:
    """The API-format prompt of a UI-format workflow (what the frontend's graphToPrompt sends)."""
    nodes = {node["id"]: node for node in ui["nodes"]}
    links = _links(ui)

    def source(link_id: int) -> Any:
        """[node id, slot], or a PrimitiveNode's value: what feeds a link, through reroutes."""
        origin, slot = links[link_id][0], links[link_id][1]
        node = nodes[origin]
        if node["type"] == "Reroute":
            upstream = node["inputs"][0].get("link")
            if upstream is None:
                raise ValueError(f"Reroute node {origin} has no input")
            return source(upstream)
        if node["type"] == "PrimitiveNode":
            return node["widgets_values"][0]
        if node.get("mode") == MODE_BYPASS:
            raise ValueError(f"node {origin} ({node['type']}) is bypassed: un-bypass or remove it")
        return [str(origin), slot]

    prompt: dict[str, dict] = {}
    for node_id, node in nodes.items():
        if node["type"] in FRONTEND_ONLY or node.get("mode") == MODE_MUTED:
            continue
        if node.get("mode") == MODE_BYPASS:
            raise ValueError(f"node {node_id} ({node['type']}) is bypassed: un-bypass or remove it")
        info = node_info(node["type"])
        inputs = {widget.name: value for widget, value in read_widgets(info, node.get("widgets_values") or [])
                  if value is not NO_VALUE}
        for socket in node.get("inputs", []):
            if socket.get("link") is not None:
                inputs[socket["name"]] = source(socket["link"])
        entry = {"class_type": node["type"], "inputs": inputs}
        if node.get("title"):
            entry["_meta"] = {"title": node["title"]}
        prompt[str(node_id)] = entry
    return prompt


def _new_widgets(node_type: str, info: dict, given: dict[str, Any]) -> list[tuple[Widget, Any]]:
    """(widget, value) of a new node: `given` by name, defaults for the rest.

    A widget under a dynamic combo may be given by its last name part (`codec` for SaveVideo's
    `format.codec`), so one builder call reads the same on a host where it is a plain combo; hidden
    widgets (kept by the host for old API prompts) always take their default.
    """
    resolved: dict[str, Any] = {}
    used: set[str] = set()
    grew = True
    while grew:  # a chosen dynamic-combo option brings widgets that may be given too
        grew = False
        for widget, _ in read_widgets(info, resolved):
            if widget.name in resolved or widget.options.get("hidden"):
                continue
            key = next((k for k in (widget.name, widget.name.rsplit(".", 1)[-1]) if k in given and k not in used), None)
            if key is not None:
                resolved[widget.name] = given[key]
                used.add(key)
                grew = True
    if set(given) - used:
        raise ValueError(f"{node_type} has no widgets {sorted(set(given) - used)}")
    chosen = read_widgets(info, resolved)
    for widget, value in chosen:
        if value is NO_VALUE:
            raise ValueError(f"{node_type}.{widget.name} has no default: give its value")
    return chosen


@dataclass
class _Node:
    id: int
    type: str
    info: dict


@dataclass
class UIGraph:
    """Builds a UI-format workflow from node definitions, so widget order and types are right."""

    node_info: NodeInfo
    nodes: list[dict] = field(default_factory=list)
    links: list[list] = field(default_factory=list)
    groups: list[dict] = field(default_factory=list)

    def add(
        self,
        node_type: str,
        pos: tuple[float, float],
        widgets: Mapping[str, Any] | None = None,
        links: Mapping[str, tuple[_Node, int]] | None = None,
        title: str | None = None,
        width: float = 320,
    ) -> _Node:
        """Add a node; widgets not given take their defaults, `links` maps an input to (node, slot)."""
        info = self.node_info(node_type)
        links = dict(links or {})
        node_id = len(self.nodes) + 1
        chosen = _new_widgets(node_type, info, dict(widgets or {}))
        values: list[Any] = []
        sockets: list[dict] = []
        for name, kind, options in input_specs(info):
            if not is_widget(kind, options):
                sockets.append({"name": name, "type": kind, "link": None})
                continue
            for widget, value in chosen:
                if widget.name == name or widget.name.startswith(name + "."):
                    values += [value, "fixed"] if widget.control else [value]
                    combo = isinstance(widget.kind, list) or widget.kind == DYNAMIC_COMBO
                    sockets.append({"name": widget.name, "type": "COMBO" if combo else widget.kind,
                                    "widget": {"name": widget.name}, "link": None})
        for name, (src, slot) in links.items():
            socket = next((s for s in sockets if s["name"] == name), None)
            if socket is None:
                raise ValueError(f"{node_type} has no input {name!r}")
            link_id = len(self.links) + 1
            kind = src.info["output"][slot]
            self.links.append([link_id, src.id, slot, node_id, sockets.index(socket), kind])
            socket["link"] = link_id
            out = self.nodes[src.id - 1]["outputs"][slot]
            out["links"].append(link_id)
        outputs = [
            {"name": name, "type": kind, "links": [], "slot_index": slot}
            for slot, (name, kind) in enumerate(
                zip(info.get("output_name", info["output"]), info["output"], strict=True))
        ]
        n_widgets = sum(1 for s in sockets if "widget" in s)
        widgets_seen = {s["name"] for s in sockets if "widget" in s}
        n_slots = max(len(outputs), len(sockets) - n_widgets)
        multiline = sum(1 for widget, _ in chosen if widget.options.get("multiline"))
        preview = WALK_PREVIEW_HEIGHT if "frame_count" in widgets_seen else 0
        height = 46 + 22 * n_slots + 26 * n_widgets + 90 * multiline + preview
        node = {
            "id": node_id,
            "type": node_type,
            "pos": list(pos),
            "size": [width, height],
            "flags": {},
            "order": node_id - 1,
            "mode": 0,
            "inputs": sockets,
            "outputs": outputs,
            "properties": {"Node name for S&R": node_type},
            "widgets_values": values,
        }
        if title:
            node["title"] = title
        self.nodes.append(node)
        return _Node(node_id, node_type, info)

    def note(self, text: str, pos: tuple[float, float], size: tuple[float, float] = (420, 240),
             title: str = "Read me") -> None:
        """A Markdown note shown in the graph (frontend only), moved down below any node it would cover."""
        x, y = pos
        moved = True
        while moved:
            moved = False
            for other in self.nodes:
                (ox, oy), (ow, oh) = other["pos"], other["size"]
                if x < ox + ow and ox < x + size[0] and y < oy + oh and oy < y + size[1]:
                    y, moved = oy + oh + 30, True
        pos = (x, y)
        node_id = len(self.nodes) + 1
        self.nodes.append({
            "id": node_id, "type": "MarkdownNote", "pos": list(pos), "size": list(size), "flags": {},
            "order": node_id - 1, "mode": 0, "inputs": [], "outputs": [], "title": title,
            "properties": {}, "widgets_values": [text], "color": "#432", "bgcolor": "#653",
        })

    def group(self, title: str, members: list[_Node], color: str = "#3f789e", pad: float = 20) -> None:
        """A titled group framing `members`."""
        boxes = [self.nodes[m.id - 1] for m in members]
        x0 = min(n["pos"][0] for n in boxes) - pad
        y0 = min(n["pos"][1] for n in boxes) - pad - 50
        x1 = max(n["pos"][0] + n["size"][0] for n in boxes) + pad
        y1 = max(n["pos"][1] + n["size"][1] for n in boxes) + pad
        self.groups.append({"id": len(self.groups) + 1, "title": title, "bounding": [x0, y0, x1 - x0, y1 - y0],
                            "color": color, "font_size": 24, "flags": {}})

    def to_json(self) -> dict:
        return {
            "last_node_id": len(self.nodes),
            "last_link_id": len(self.links),
            "nodes": self.nodes,
            "links": self.links,
            "groups": self.groups,
            "config": {},
            "extra": {"ds": {"scale": 0.8, "offset": [40, 60]}},
            "version": 0.4,
        }


def load(path: Path) -> dict:
    return json.loads(Path(path).read_text())


def dump(workflow: dict) -> str:
    """Stable JSON text of a workflow (two-space indent, trailing newline)."""
    return json.dumps(workflow, indent=2, ensure_ascii=False) + "\n"
