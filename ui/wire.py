"""Streamlit's websocket protocol, for clients without a browser (the load benchmark).

``bench/team_load.py`` drives light sessions the way ``scripts/start.sh``'s warm-up
does: a ``BackMsg`` asking for a script run (with widget values), then the
``ForwardMsg`` stream until ``script_finished``. Only the protocol buffers are used
here (no page code), so the benchmark stays outside ``ui/`` otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

__all__ = ["Event", "read", "rerun"]


def rerun(widget: tuple[str, str] | None = None) -> bytes:
    """Return a serialised run request, optionally with one selectbox's value.

    Parameters
    ----------
    widget
        ``(widget id, option text)`` of a selectbox (its ``string_value``), or
        ``None`` for the page as first opened.
    """
    msg = BackMsg()
    msg.rerun_script.query_string = ""
    msg.rerun_script.page_script_hash = ""
    if widget is not None:
        ws = msg.rerun_script.widget_states.widgets.add()
        ws.id, ws.string_value = widget
    return msg.SerializeToString()


@dataclass(frozen=True)
class Event:
    """What one ``ForwardMsg`` means to a load client.

    ``finished`` (the script run ended), ``problem`` (an exception element or an
    error box with a reference, else ``""``), and ``selectbox`` (``(id, options)``
    of a selectbox drawn, else ``None``).
    """

    finished: bool = False
    problem: str = ""
    selectbox: tuple[str, tuple[str, ...]] | None = None


def read(raw: bytes) -> Event:
    """Parse one serialised ``ForwardMsg`` into an :class:`Event`."""
    fwd = ForwardMsg()
    fwd.ParseFromString(raw)
    kind = fwd.WhichOneof("type")
    if kind == "script_finished":
        return Event(finished=True)
    if kind != "delta" or fwd.delta.WhichOneof("type") != "new_element":
        return Event()
    el = fwd.delta.new_element
    et = el.WhichOneof("type")
    if et == "exception":
        return Event(problem=f"exception: {el.exception.type}")
    if et == "alert" and "reference" in el.alert.body and "E-" in el.alert.body:
        return Event(problem="error with a reference: " + el.alert.body[:120])
    if et == "selectbox":
        return Event(selectbox=(el.selectbox.id, tuple(el.selectbox.options)))
    return Event()
