"""A Streamlit browser tab at the protocol level: no rendering, only the WebSocket messages.

The browser's part of a Streamlit page, reduced to what a load test needs:

1. `GET /` (the page's HTML), which also collects the reverse proxy's sticky-session cookie;
2. a WebSocket on `/_stcore/stream` (subprotocol « streamlit »), sending the same cookie;
3. one `BackMsg.rerun_script` per page run (the URL's path and query string, and the widget
   values the user changed), then reading `ForwardMsg`s until `script_finished` (a run the
   app ends with `st.rerun()` finishes « early for rerun » and the next run follows).

The elements of the run (`ForwardMsg.delta.new_element`) give the widget ids a rerun needs:
a form is submitted by sending its fields' new values with its submit button's trigger, as
the browser does. No message cache is declared (`cached_message_hashes` stays empty), so the
server always sends whole messages.
"""

from __future__ import annotations

import asyncio
import time
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlparse

import websockets
from streamlit.proto.Alert_pb2 import Alert
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
BACKEND_HEADER = "X-CTG-Backend"  # set by the reverse proxy template: which app answered
RERUN = ForwardMsg.ScriptFinishedStatus.Value("FINISHED_EARLY_FOR_RERUN")
SUCCESS = ForwardMsg.ScriptFinishedStatus.Value("FINISHED_SUCCESSFULLY")


class PageFailed(Exception):
    """A run that a user would see as broken: it raised, showed an error, never finished,
    or a save was not acknowledged."""


@dataclass
class PageRun:
    """What one page run sent: its elements in order, and how long the user waited."""

    seconds: float
    elements: list[tuple[str, Any]] = field(default_factory=list)  # (kind, element proto)

    def of_kind(self, kind: str) -> Iterator[Any]:
        return (element for k, element in self.elements if k == kind)

    def widget_id(self, kind: str, label: str, form_prefix: str = "") -> str:
        """The id of the (first) widget of this kind and label, in a form whose id starts
        with `form_prefix`; `PageFailed` when the page does not show it."""
        for element in self.of_kind(kind):
            if element.label == label and element.form_id.startswith(form_prefix):
                return str(element.id)
        raise PageFailed(f"widget introuvable : {kind} « {label} » ({form_prefix or 'page'})")

    def toasts(self) -> list[str]:
        return [toast.body for toast in self.of_kind("toast")]

    def headings(self) -> list[str]:
        return [heading.body for heading in self.of_kind("heading")]

    def problems(self) -> list[str]:
        """Errors the page shows: an exception, or an error message (the app's French
        error boundary and refusals are `st.error`)."""
        found = [f"exception : {e.message}" for e in self.of_kind("exception")]
        found += [
            f"erreur affichée : {alert.body[:160]}"
            for alert in self.of_kind("alert")
            if alert.format == Alert.Format.ERROR
        ]
        return found


def page_cookie(base_url: str, cookie: str = "", timeout: float = 30) -> str:
    """`GET /` as a browser opens the app; returns the cookie header to send from now on
    (the one given, updated by any `Set-Cookie` of the answer)."""
    request = urllib.request.Request(base_url + "/", headers={"Cookie": cookie} if cookie else {})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        response.read()
        jar = SimpleCookie(cookie)
        for header in response.headers.get_all("Set-Cookie") or []:
            jar.load(header)
    return "; ".join(f"{name}={morsel.value}" for name, morsel in jar.items())


class AppSession:
    """One browser tab of the app: `await AppSession.open(url)`, then `run(...)` pages."""

    def __init__(self, connection: websockets.ClientConnection, backend: str) -> None:
        self._connection = connection
        self.backend = backend  # the proxy's name for the app process, "" without a proxy

    @classmethod
    async def open(cls, base_url: str, cookie: str = "", timeout: float = 30) -> AppSession:
        host = urlparse(base_url).hostname
        if host not in LOCAL_HOSTS:
            raise ValueError(f"le test de charge ne vise que cette machine, pas {host}")
        connection = await websockets.connect(
            base_url.replace("http://", "ws://", 1) + "/_stcore/stream",
            subprotocols=[websockets.Subprotocol("streamlit")],
            additional_headers={"Cookie": cookie} if cookie else None,
            max_size=None,  # a map page is several hundred kB in one message
            open_timeout=timeout,
            compression=None,  # as cheap for the server as a browser on the same machine
        )
        response = connection.response
        backend = response.headers.get(BACKEND_HEADER, "") if response else ""
        return cls(connection, backend)

    async def close(self) -> None:
        await self._connection.close()

    async def run(
        self,
        page: str,
        query: str = "",
        widgets: Sequence[WidgetState] = (),
        timeout: float = 60,
    ) -> PageRun:
        """Run `page` (its URL path: "" for the home page, "convention"…) with `query` and
        the `widgets` the user changed; wait for the run the user sees to finish."""
        message = BackMsg()
        message.rerun_script.page_name = page
        message.rerun_script.query_string = query
        message.rerun_script.widget_states.widgets.extend(widgets)
        started = time.perf_counter()
        await self._connection.send(message.SerializeToString())
        elements: list[tuple[str, Any]] = []
        try:
            async with asyncio.timeout(timeout):
                status = await self._read_until_finished(elements)
        except TimeoutError as expired:
            where = page or "/"
            raise PageFailed(f"pas de fin de page après {timeout:.0f} s ({where})") from expired
        except websockets.ConnectionClosed as closed:
            raise PageFailed(f"connexion fermée par le serveur : {closed}") from closed
        run = PageRun(time.perf_counter() - started, elements)
        if status != SUCCESS:
            name = ForwardMsg.ScriptFinishedStatus.Name(status)
            raise PageFailed(f"page {page or '/'} terminée en {name}")
        if run.problems():
            raise PageFailed(f"page {page or '/'} : " + " ; ".join(run.problems()))
        return run

    async def _read_until_finished(self, elements: list[tuple[str, Any]]) -> int:
        while True:
            message = ForwardMsg()
            message.ParseFromString(await self._connection.recv())
            kind = message.WhichOneof("type")
            if kind == "delta" and message.delta.WhichOneof("type") == "new_element":
                element = message.delta.new_element
                element_kind = element.WhichOneof("type")
                elements.append((element_kind, getattr(element, element_kind)))
            elif kind == "script_finished":
                if message.script_finished != RERUN:
                    return message.script_finished
                elements.clear()  # the user sees only the run that follows
            elif kind == "page_not_found":
                raise PageFailed(f"page introuvable : {message.page_not_found.page_name}")


def fiche_query(convention_id: int, action_id: int) -> str:
    return f"convention={convention_id}&action={action_id}"


async def save_fiche_comment(
    session: AppSession,
    fiche: PageRun,
    convention_id: int,
    action_id: int,
    code: str,
    comment: str,
    timeout: float = 60,
) -> PageRun:
    """The quick update of a convention page's fiche: type `comment` in « Dernier
    commentaire » of « Modifier la fiche » and press « Enregistrer la fiche ». Returns the run
    that follows; `PageFailed` unless the app acknowledged the save (its toast)."""
    form = f"action-{action_id}-"
    widgets = [
        WidgetState(
            id=fiche.widget_id("text_area", "Dernier commentaire", form), string_value=comment
        ),
        WidgetState(id=fiche.widget_id("button", "Enregistrer la fiche", form), trigger_value=True),
    ]
    query = fiche_query(convention_id, action_id)
    after = await session.run("convention", query, widgets, timeout)
    acknowledged = f"Fiche {code} enregistrée."
    if acknowledged not in after.toasts():
        raise PageFailed(f"enregistrement non confirmé ({code}) : {after.toasts() or 'aucun'}")
    return after
