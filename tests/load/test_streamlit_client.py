"""The load test's protocol-level client (scripts/load/streamlit_client.py) against one real
app server: it opens pages and saves a fiche through the app's own form, as `make load` does
— so that `make load` keeps working when the app or Streamlit changes."""

from __future__ import annotations

import asyncio
import importlib.util
import sys
from pathlib import Path

import pytest
from sqlmodel import Session, select

from ctg_core.common import db
from ctg_core.common.models import Action, ChangeLog
from tests.streamlit_server import streamlit_server  # noqa: F401  (fixture)

ROOT = Path(__file__).resolve().parents[2]


def load_client():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(
        "streamlit_client", ROOT / "scripts" / "load" / "streamlit_client.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


client = load_client()


@pytest.fixture(scope="module")
def fiches(streamlit_server) -> list[Action]:  # noqa: F811
    with Session(db.engine_for(streamlit_server.database_url)) as session:
        return list(
            session.exec(
                select(Action).where(Action.archived_at.is_(None)).order_by(Action.id).limit(2)  # type: ignore[union-attr]
            )
        )


async def visit(url: str, fiche: Action, comment: str) -> tuple[list[str], list[str]]:
    """One user: the overview, the fiche's convention page, then a saved comment.
    Returns (the overview's headings, the toasts after the save)."""
    session = await client.AppSession.open(url, client.page_cookie(url))
    try:
        overview = await session.run("")
        page = await session.run("convention", client.fiche_query(fiche.convention_id, fiche.id))
        saved = await client.save_fiche_comment(
            session, page, fiche.convention_id, fiche.id, fiche.code, comment
        )
    finally:
        await session.close()
    return overview.headings(), saved.toasts()


def test_two_sessions_load_the_overview_and_save_a_comment_that_is_stored(
    streamlit_server,  # noqa: F811
    fiches,
):
    comments = [f"Relance n° {n} faite par le client de charge" for n in (1, 2)]

    async def both():  # type: ignore[no-untyped-def]
        return await asyncio.gather(
            *(visit(streamlit_server.url, f, c) for f, c in zip(fiches, comments, strict=True))
        )

    answers = asyncio.run(both())

    for (headings, toasts), fiche in zip(answers, fiches, strict=True):
        assert "Vue d'ensemble des CTG" in headings
        assert toasts == [f"Fiche {fiche.code} enregistrée."]
    with Session(db.engine_for(streamlit_server.database_url)) as session:
        for fiche, comment in zip(fiches, comments, strict=True):
            assert session.get(Action, fiche.id).last_comment == comment
            logged = session.exec(
                select(ChangeLog).where(
                    ChangeLog.entity == "action", ChangeLog.entity_id == fiche.id
                )
            ).all()
            assert [row.changes["last_comment"][1] for row in logged][-1:] == [comment]


def test_a_fiche_the_page_does_not_show_cannot_be_saved(streamlit_server):  # noqa: F811
    async def unknown_convention():  # type: ignore[no-untyped-def]
        session = await client.AppSession.open(streamlit_server.url)
        try:
            return await session.run("convention", "convention=999999")
        finally:
            await session.close()

    page = asyncio.run(unknown_convention())
    with pytest.raises(client.PageFailed, match="widget introuvable"):
        page.widget_id("button", "Enregistrer la fiche", "action-")


def test_an_error_message_on_the_page_counts_as_a_failed_page():
    from streamlit.proto.Alert_pb2 import Alert

    shown = [
        ("alert", Alert(body="Mode démonstration", format=Alert.Format.INFO)),
        ("alert", Alert(body="Une erreur inattendue s'est produite", format=Alert.Format.ERROR)),
    ]

    assert client.PageRun(0.1, shown[:1]).problems() == []
    assert client.PageRun(0.1, shown).problems() == [
        "erreur affichée : Une erreur inattendue s'est produite"
    ]


def test_the_client_refuses_any_host_but_this_machine():
    with pytest.raises(ValueError, match="cette machine"):
        asyncio.run(client.AppSession.open("http://example.org"))
