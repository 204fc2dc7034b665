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

__all__ = ["Event", "file_urls_request", "read", "rerun"]


def rerun(widget: tuple[str, str] | None = None, *, strings: dict[str, str] | None = None,
          files: dict[str, list[tuple[str, str, int]]] | None = None) -> bytes:
    """Return a serialised run request, optionally with widget values.

    Parameters
    ----------
    widget
        ``(widget id, option text)`` of a selectbox (its ``string_value``), or
        ``None`` for the page as first opened.
    strings
        More ``{widget id: option text}`` (selectboxes and radios).
    files
        ``{file uploader id: [(file id, name, size), ...]}``: files already sent
        to the upload URL that :func:`file_urls_request` returned.
    """
    msg = BackMsg()
    msg.rerun_script.query_string = ""
    msg.rerun_script.page_script_hash = ""
    values = dict(strings or {})
    if widget is not None:
        values[widget[0]] = widget[1]
    for wid, text in values.items():
        ws = msg.rerun_script.widget_states.widgets.add()
        ws.id, ws.string_value = wid, text
    for wid, infos in (files or {}).items():
        ws = msg.rerun_script.widget_states.widgets.add()
        ws.id = wid
        for file_id, name, size in infos:
            info = ws.file_uploader_state_value.uploaded_file_info.add()
            info.file_id, info.name, info.size = file_id, name, size
    return msg.SerializeToString()


def file_urls_request(request_id: str, session_id: str, names: list[str]) -> bytes:
    """Return a serialised request for upload URLs (answered by ``file_urls``)."""
    msg = BackMsg()
    msg.file_urls_request.request_id = request_id
    msg.file_urls_request.session_id = session_id
    msg.file_urls_request.file_names.extend(names)
    return msg.SerializeToString()


@dataclass(frozen=True)
class Event:
    """What one ``ForwardMsg`` means to a load client.

    ``finished`` (the script run ended), ``problem`` (an exception element or an
    error box with a reference, else ``""``), and ``selectbox`` (``(id, options)``
    of a selectbox drawn, else ``None``); ``radio`` and ``uploader`` likewise (a
    file uploader's options are empty); ``session_id`` (the new session's id) and
    ``file_urls`` (``(file id, upload URL, delete URL)`` answered to
    :func:`file_urls_request`); ``text`` (the body of a markdown or alert element).
    """

    finished: bool = False
    problem: str = ""
    selectbox: tuple[str, tuple[str, ...]] | None = None
    radio: tuple[str, tuple[str, ...]] | None = None
    uploader: tuple[str, tuple[str, ...]] | None = None
    session_id: str = ""
    file_urls: tuple[tuple[str, str, str], ...] = ()
    text: str = ""


def read(raw: bytes) -> Event:
    """Parse one serialised ``ForwardMsg`` into an :class:`Event`."""
    fwd = ForwardMsg()
    fwd.ParseFromString(raw)
    kind = fwd.WhichOneof("type")
    if kind == "script_finished":
        return Event(finished=True)
    if kind == "new_session":
        return Event(session_id=fwd.new_session.initialize.session_id)
    if kind == "file_urls_response":
        return Event(file_urls=tuple((u.file_id, u.upload_url, u.delete_url)
                                     for u in fwd.file_urls_response.file_urls))
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
    if et == "radio":
        return Event(radio=(el.radio.id, tuple(el.radio.options)))
    if et == "file_uploader":
        return Event(uploader=(el.file_uploader.id, ()))
    if et in ("markdown", "alert"):
        return Event(text=getattr(el, et).body)
    return Event()
