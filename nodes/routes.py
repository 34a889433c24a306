"""The pack's one server route: POST /meander/walk_plan, a walk node's plan for the editor's preview.

The editor sends a walk node's type and widget values; the answer is the walk object's plan
(latent_ops.walks.plan: length, emitted window, frame progress), so the preview never derives a
walk itself. The route reads and writes no file. Its input is checked like a node's: a body over
MAX_BODY bytes, a type that is not a walk, or inputs that are not plain widget values get a 400
with the reason; parameters that make no walk get a 200 with the node's own error message.
"""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

from ..latent_ops import walks

ROUTE = "/meander/walk_plan"
MAX_BODY = 64 * 1024
"""Bytes: a walk node's widget values are far smaller (a 10,000-line schedule is ~300 KB: refused)."""


def _widget_value(value: Any) -> bool:
    """A plain widget value, or a link [node id, output slot]."""
    if isinstance(value, (str, int, float, bool)) or value is None:
        return True
    return isinstance(value, list) and len(value) == 2 and isinstance(value[1], int)


def answer(body: Any) -> tuple[int, dict]:
    """(HTTP status, JSON answer) for a request body already parsed from JSON."""
    if not isinstance(body, dict) or not isinstance(body.get("node_type"), str) or \
            not isinstance(body.get("inputs"), dict):
        return 400, {"error": 'send {"node_type": "<walk node id>", "inputs": {name: value, ...}}'}
    if body["node_type"] in walks.BATCH_LENGTH:
        return 200, {"error": walks.BATCH_LENGTH[body["node_type"]]}
    if body["node_type"] not in walks.WALKS:
        return 400, {"error": f"node_type {body['node_type'][:80]!r} is not a walk node: one of "
                              f"{', '.join(sorted(walks.WALKS))}"}
    bad = [name for name, value in body["inputs"].items() if not _widget_value(value)]
    if bad:
        return 400, {"error": f"inputs {', '.join(map(str, bad[:5]))} are not widget values or links"}
    try:
        return 200, walks.plan(body["node_type"], body["inputs"])
    except walks.UnknownLength as linked:
        return 200, {"error": f"{linked.args[0]} is fed by a link: the length shows when the graph runs"}
    except (ValueError, TypeError, OverflowError) as error:
        return 200, {"error": str(error)}


def register() -> None:
    """Add the route to the running ComfyUI server, once; nothing where there is none (an in-process ComfyUI)."""
    server = sys.modules.get("server")
    instance = getattr(getattr(server, "PromptServer", None), "instance", None)
    if instance is None or any(getattr(route, "path", None) == ROUTE for route in instance.routes):
        return
    from aiohttp import web

    @instance.routes.post(ROUTE)
    async def walk_plan(request: web.Request) -> web.Response:
        if (request.content_length or 0) > MAX_BODY:
            return web.json_response({"error": f"the request is over {MAX_BODY} bytes"}, status=400)
        raw = await request.content.read(MAX_BODY + 1)
        if len(raw) > MAX_BODY:
            return web.json_response({"error": f"the request is over {MAX_BODY} bytes"}, status=400)
        try:
            body = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError):
            return web.json_response({"error": "the request body is not JSON"}, status=400)
        status, data = answer(body)
        return web.json_response(data, status=status)

    logging.debug("Meander: %s registered", ROUTE)
