"""The menu by role: each role sees only the pages it can use and lands where its work is.

The rules are the core's (`common.auth.PAGE_ROLES`, `LANDING`); this module turns them into
`st.Page`s. A page the role may not open is still registered, hidden from the menu, so that
opening its address shows a French refusal (and none of its content) instead of
Streamlit's English « page not found ».

The address `/` is the overview for Caf management. For the other roles it is a hidden
« accueil » that forwards to their landing page (a shared overview link such as
`/?phase=pilotage` still opens the overview for a conseiller).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import streamlit as st

from ctg_core.common import auth, db
from ctg_core.common.auth import CurrentUser
from ctg_core.people import access

REFUSALS_KEY = "recorded_refusals"
OVERVIEW = "vue_ensemble"
OVERVIEW_PARAMS = ("phase", "axe", "territoire", "echeance")


@dataclass(frozen=True)
class PageSpec:
    file: str
    title: str
    icon: str
    url_path: str


SPECS: dict[str, PageSpec] = {
    OVERVIEW: PageSpec("pages/vue_ensemble.py", "Vue d'ensemble", ":material/map:", "vue-ensemble"),
    "convention": PageSpec(
        "pages/convention.py", "Convention", ":material/description:", "convention"
    ),
    "comite": PageSpec("pages/comite.py", "Comité", ":material/groups:", "comite"),
    "mes_actions": PageSpec(
        "pages/mes_actions.py", "Mes actions", ":material/edit_note:", "mes-actions"
    ),
    "indicateurs": PageSpec(
        "pages/indicateurs.py", "Indicateurs", ":material/monitoring:", "indicateurs"
    ),
    "financement": PageSpec(
        "pages/financement.py", "Financement des postes", ":material/euro:", "financement"
    ),
    "historique": PageSpec("pages/historique.py", "Historique", ":material/history:", "historique"),
    "administration": PageSpec(
        "pages/administration.py", "Administration", ":material/settings:", "administration"
    ),
}


@dataclass
class Menu:
    """The pages given to `st.navigation`, and which page id each of them is."""

    pages: list[st.Page] = field(default_factory=list)
    ids: dict[int, str] = field(default_factory=dict)  # id(st.Page) -> page id

    def add(self, page: st.Page, page_id: str | None = None) -> st.Page:
        self.pages.append(page)
        if page_id is not None:
            self.ids[id(page)] = page_id
        return page


def menu_for(user: CurrentUser) -> Menu:
    """Every page of the app: the role's own in its menu, the others hidden (refused)."""
    allowed = set(auth.pages_for(user.role))
    landing = auth.landing_page(user.role)
    menu = Menu()
    by_id: dict[str, st.Page] = {}
    for page_id, spec in SPECS.items():
        home = page_id == OVERVIEW and landing == OVERVIEW
        by_id[page_id] = menu.add(
            st.Page(
                spec.file,
                title=spec.title,
                icon=spec.icon,
                url_path="" if home else spec.url_path,
                default=home,
                visibility="visible" if page_id in allowed else "hidden",
            ),
            page_id,
        )
        if home:  # the overview's own address works for Caf management too
            menu.add(
                st.Page(spec.file, title=spec.title, url_path=spec.url_path, visibility="hidden"),
                page_id,
            )
    if landing != OVERVIEW:
        overview = by_id[OVERVIEW] if OVERVIEW in allowed else None
        menu.add(
            st.Page(
                lambda: _forward(by_id[landing], overview),
                title="Accueil",
                icon=":material/home:",
                url_path="accueil",
                default=True,
                visibility="hidden",
            )
        )
    return menu


def no_menu() -> None:
    """Before anyone is let in: no menu — not even Streamlit's list of the pages/ folder,
    which it shows until some run calls `st.navigation` — while every address of the app
    still resolves (no English « page not found »). Nothing is run."""
    pages = [
        st.Page(
            spec.file,
            title=spec.title,
            url_path="" if page_id == OVERVIEW else spec.url_path,
            default=page_id == OVERVIEW,
        )
        for page_id, spec in SPECS.items()
    ]
    overview = SPECS[OVERVIEW]
    pages.append(st.Page(overview.file, title=overview.title, url_path=overview.url_path))
    st.navigation(pages, position="hidden")


def _forward(landing: st.Page, overview: st.Page | None) -> None:
    """`/` for a role whose work is not the overview: on to its landing page, keeping the
    address's parameters (a shared overview link opens the overview)."""
    params = st.query_params.to_dict()
    if overview is not None and any(name in params for name in OVERVIEW_PARAMS):
        st.switch_page(overview, query_params=params)
    st.switch_page(landing, query_params=params)


def run(page: st.Page, menu: Menu, user: CurrentUser) -> None:
    """Run the page `st.navigation` chose, or refuse it if the role may not open it."""
    page_id = menu.ids.get(id(page))
    if page_id is not None and not auth.can_open(user.role, page_id):
        refuse_page(user, page_id)
    page.run()


def refuse_page(user: CurrentUser, page_id: str) -> None:
    """A French refusal instead of the page (nothing of its content), recorded once per
    browser session for the administrator's history viewer; stops the script."""
    spec = SPECS.get(page_id)
    title = spec.title if spec else page_id
    st.title(title)
    st.warning(auth.page_refusal(page_id, user.role), icon=":material/lock:")
    record_once(
        ("page", user.id, page_id),
        lambda session: access.record_refusal(
            session, user=user, refused=f"Ouverture de la page « {title} »"
        ),
    )
    st.stop()


def record_once(key: tuple[object, ...], write) -> None:  # type: ignore[no-untyped-def]
    """Write an access record once per browser session (reruns do not repeat it)."""
    done: set[tuple[object, ...]] = st.session_state.setdefault(REFUSALS_KEY, set())
    if key in done:
        return
    with db.session(write=True) as session:
        write(session)
    done.add(key)
