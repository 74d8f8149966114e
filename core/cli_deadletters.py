"""``linli deadletters list|replay``: the events the core set aside after failing on them (a bug).

Replaying hands each event to the core again, in this process, once the bug is fixed; its replies are
stored in the outbox, where the running bot adopts them within a minute or two. An event that
was handled after all is a no-op (its processed mark says so).
"""

from __future__ import annotations

from core import audit
from core.app import Application
from core.config import Settings
from core.deadletters import decode_event, waiting
from core.storage import close_database, open_database


async def list_dead_letters(settings: Settings) -> list[str]:
    app = Application(settings)
    await open_database(settings.database.url, app.plugins.model_modules())
    try:
        lines = []
        for letter in await waiting():
            event = decode_event(letter.payload)
            text = (event.text or event.button_data or "")[:60]
            error = letter.error.splitlines()[0][:100] if letter.error else ""
            lines.append(f"{letter.id:>5}  {letter.created_at:%Y-%m-%d %H:%M}  {event.event_id}  "
                         f"{event.sender.display_name}: {text!r}  ({error})")
        return lines or ["no dead letters"]
    finally:
        await close_database()


async def replay_dead_letters(settings: Settings) -> list[str]:
    app = Application(settings)
    await open_database(settings.database.url, app.plugins.model_modules())
    try:
        await app.refresh_state()  # delivery is not started here: the running bot sends the replies
        lines = []
        for letter in await waiting():
            event = decode_event(letter.payload)
            try:
                handled = await app.bus.handle(event)
            except Exception as error:
                lines.append(f"{letter.id}: still fails ({type(error).__name__}: {error})")
                continue
            letter.replayed_at = app.now()
            await letter.save(update_fields=["replayed_at"])
            await audit.record(community_id=None, plugin="core", action="deadletters replay", by_operator=True,
                               target=f"dead letter {letter.id}", details={"event": event.event_id,
                                                                           "handled": bool(handled)})
            lines.append(f"{letter.id}: {'handled' if handled else 'had been handled already'}")
        return lines or ["no dead letters"]
    finally:
        await close_database()
