"""The whole plugin contract, in one file.

A plugin is a module (or object) with ``@hookimpl`` functions named after the specs below. pluggy
collects them; linli calls them. pluggy is synchronous, so the ``async`` hooks return coroutines which
linli's own dispatcher awaits (see :mod:`core.plugins`): fan-out with per-plugin isolation, first-result
by walking implementations in order, and the per-community enablement check done there. A plugin that
is switched off in a community is never asked anything about that community.

Every hook takes keyword arguments only. Names start with ``linli_`` so a reader can grep them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from core.bus import Subscription
    from core.cli import CliCommand
    from core.commands import Command
    from core.corrections import Correction
    from core.manifest import PluginManifest
    from core.rosters.kinds import RosterKind
    from core.scheduler import JobSpec
    from core.web import WebRoute
    from core.web.pages import WebPage

PROJECT = "linli"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def linli_manifest() -> PluginManifest:
    """Who the plugin is: name, titles, version, requirements, settings model, models, locales.

    Exactly one per plugin; the name is the plugin's identity everywhere (enablement, Tortoise app
    label, translation domain, job names).
    """
    raise NotImplementedError


@hookspec
def linli_commands() -> list[Command]:
    """The chat commands the plugin answers. Declared with :func:`core.commands.command`."""
    raise NotImplementedError


@hookspec
def linli_subscriptions() -> list[Subscription]:
    """The events the plugin reacts to. Handlers run inside the event's transaction, in a savepoint."""
    raise NotImplementedError


@hookspec
def linli_jobs() -> list[JobSpec]:
    """Periodic jobs, and the handlers one-shot jobs scheduled by the plugin refer to by name."""
    raise NotImplementedError


@hookspec
def linli_web_routes() -> list[WebRoute]:
    """Raw endpoints the plugin adds under ``/c/<slug>/<plugin>/…`` on the web server (404 where the plugin is
    off or the board is private; ``request.match_info["community_id"]`` holds the community's id).

    For a page of the public board, prefer :func:`linli_web_pages`: it gets the frame, translations and a
    :class:`core.web.pages.WebScope` instead of a bare request.
    """
    raise NotImplementedError


@hookspec
def linli_web_pages() -> list[WebPage]:
    """Pages of the community's public board, at ``/c/<slug>/<name>/`` (see :class:`core.web.pages.WebPage`).

    Shown, and listed in the navigation, only where the plugin is enabled; a private board shows none.
    """
    raise NotImplementedError


@hookspec
def linli_cli_commands() -> list[CliCommand]:
    """Subcommands the plugin adds to the ``linli`` command line (``linli export hours …``), as
    :class:`core.cli.CliCommand`\\ s: their words, help, options, and an async ``run`` that gets the parsed
    arguments and a :class:`core.cli.CliContext` (settings, the open database, communities by name).
    Words the core uses (``run``, ``migrate`` …) are not available to plugins.
    """
    raise NotImplementedError


@hookspec
def linli_roster_kinds() -> list[RosterKind]:
    """The rosters the plugin can import from a spreadsheet (``linli import KIND FILE``, ``/import KIND``), as
    :class:`core.rosters.kinds.RosterKind`\\ s: columns as organizers head them, ``check`` (one row → values, or a
    Refusal with the reason) and ``apply`` (one checked row made true for one person, idempotently). A kind
    with ``extends`` adds columns to another kind's sheet. Offered where the plugin is enabled.
    """
    raise NotImplementedError


@hookspec
async def linli_decorate_names(community_id: int, user_ids: list[int]) -> dict[int, str]:
    """Marks to show beside people's names (e.g. the party badge 🚩), by user id.

    Called by the one function that renders names, so whatever a plugin returns shows up in every
    listing, ranking and reply. Return only the users that get a mark.
    """
    raise NotImplementedError


@hookspec
async def linli_user_has_badge(community_id: int, user_id: int, badge: str) -> bool | None:
    """Whether a person holds a verified badge (e.g. ``"party_member"``); ``None``: not mine to say.

    First result wins. Lets a plugin ask about badges without importing the plugin that grants them.
    """
    raise NotImplementedError


@hookspec
async def linli_verifiable_badges(community_id: int) -> list[str]:
    """The badges (named as :func:`linli_user_has_badge` is asked) this plugin can verify in a community.

    Asked of the plugins enabled there, and the answers joined. A plugin offering an option that depends
    on a badge (claims' 党员优先 needs ``"party_member"``) refuses it when nobody can grant the badge,
    instead of publishing something nobody can use.
    """
    raise NotImplementedError


@hookspec
async def linli_whoami_lines(community_id: int, user_id: int) -> list[tuple[str, dict[str, Any]]]:
    """What a person reads about themselves in ``/whoami`` (e.g. their badges, hidden ones too).

    ``(msgid, values)`` pairs, translated by the core in the plugin's own domain (string values too, so a
    value may be a msgid such as a badge's name). They may be private
    (a badge the person has not chosen to show), so in a group chat the core sends them to the person
    alone. Return an empty list when there is nothing to say.
    """
    raise NotImplementedError


@hookspec
async def linli_published_results(community_id: int) -> dict[str, Any] | None:
    """Results a plugin has published for everyone in a community (the ratings plugin's red and black list),
    as plain JSON under readable keys, for the web board; None when there is nothing published.

    Only what was announced in the chats: never anything sealed, never who did what.
    """
    raise NotImplementedError


@hookspec
def linli_corrections() -> list[Correction]:
    """The kinds of record an organizer can reverse with ``/correct <kind> <ref…> <reason>`` (``/更正``), as
    :class:`core.corrections.Correction`\\ s: a verified claim, an approved service record, a verified badge.

    The plugin finds the record, marks it corrected and undoes what follows in its own tables; it names the
    ledger entries the record earned and the core books their opposites, tells the person privately and
    writes the audit row. Only the kinds of plugins enabled in the community are offered there.
    """
    raise NotImplementedError


@hookspec
async def linli_member_data(user_id: int) -> dict[str, Any] | None:
    """Everything the plugin holds about one person, in every community, for ``/mydata`` (PIPL).

    Return plain JSON-able values under readable keys (``{"claims": [...]}``), or None when it holds
    nothing. Asked of every installed plugin, on or off, because switched-off plugins keep their data.
    """
    raise NotImplementedError


@hookspec
async def linli_forget_member(user_id: int, pseudonym: str) -> None:
    """Erase what the plugin holds about a person who asked to be forgotten (``/forgetme``).

    What the community's records must keep (verified work, issued certificates, ledger entries) stays,
    attached to the user id, whose name becomes ``pseudonym`` in the same transaction; free text that could identify the
    person (notes, photos, their own words) goes. Runs in the same transaction as the core's erasure.
    """


@hookspec
async def linli_merge_users(from_user_id: int, into_user_id: int) -> None:
    """Two user ids turned out to be one person (account linking): move everything to ``into_user_id``."""


@hookspec
async def linli_startup() -> None:
    """The application is up (database ready, bus running); prepare caches or background work."""


@hookspec
async def linli_shutdown() -> None:
    """The application is stopping; the bus has drained."""


def describe_hooks() -> dict[str, str]:
    """Hook names and their first doc line, for ``linli plugin new`` and the docs."""
    out: dict[str, Any] = {}
    for name, value in sorted(globals().items()):
        if name.startswith("linli_") and callable(value):
            out[name] = (value.__doc__ or "").strip().splitlines()[0]
    return out
