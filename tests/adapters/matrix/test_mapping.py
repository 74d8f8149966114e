"""The pure rules of the Matrix mapping: reply fallbacks, mentions, choice numbers, notices with HTML."""

from __future__ import annotations

from adapters.matrix import mapping
from core.events import Button


def test_a_reply_reads_as_typed_without_the_quoted_fallback() -> None:
    body = "> <@wang:linli.test> 📢 新项目 #1\n> 认领 #1\n\n1"
    assert mapping.strip_reply_fallback(body) == "1"
    assert mapping.strip_reply_fallback("1") == "1"
    assert mapping.strip_reply_fallback(">not a quote") == ">not a quote"


def test_the_message_replied_to_and_edits() -> None:
    assert mapping.in_reply_to({"m.relates_to": {"m.in_reply_to": {"event_id": "$a"}}}) == "$a"
    assert mapping.in_reply_to({"body": "x"}) is None
    assert mapping.is_edit({"m.relates_to": {"rel_type": "m.replace", "event_id": "$a"}})
    assert not mapping.is_edit({"m.relates_to": {"m.in_reply_to": {"event_id": "$a"}}})


def test_mentions_from_pills_intentional_mentions_and_plain_ids_once_each() -> None:
    content = {"formatted_body": '<a href="https://matrix.to/#/@li:linli.test">李四</a> and '
                                 "<a href='https://matrix.to/#/@zhang:linli.test?via=x'>张三</a>",
               "m.mentions": {"user_ids": ["@li:linli.test", "@wang:linli.test"]}}
    body = "/授予 李四 志愿者 @zhao:example.org:8448 and mail@example.org"
    assert mapping.mentioned_ids(content, body) == [
        "@li:linli.test", "@zhang:linli.test", "@wang:linli.test", "@zhao:example.org:8448"]


def test_choice_numbers_and_keycaps() -> None:
    assert [mapping.choice_number(t) for t in ("1", " 2 ", "#3", "4.", "10", "1 2", "一", "claim 1")] == [
        1, 2, 3, 4, 10, None, None, None]
    assert mapping.keycap_number("1️⃣") == 1
    assert mapping.keycap_number("1\u20e3") == 1  # without the variation selector, as some clients send it
    assert mapping.keycap_number("🔟") == 10
    assert mapping.keycap_number("👍") is None


def test_a_notice_has_html_and_a_plain_fallback_and_choices_show_their_commands() -> None:
    plain, rich = mapping.choices_text([Button("认领 #1", "/claim 1"), Button("<b>", "/x")], "回复编号")
    assert plain == "1️⃣ 认领 #1 — /claim 1\n2️⃣ <b> — /x\n回复编号"
    assert rich == "1️⃣ 认领 #1 — <code>/claim 1</code><br>2️⃣ &lt;b&gt; — <code>/x</code><br><i>回复编号</i>"
    content = mapping.notice("第一行\n<第二行>", reply_to="$q", mention=("@li:linli.test", "李四"))
    assert content == {
        "msgtype": "m.notice", "body": "李四: 第一行\n<第二行>", "format": "org.matrix.custom.html",
        "formatted_body": '<a href="https://matrix.to/#/@li:linli.test">李四</a>: 第一行<br>&lt;第二行&gt;',
        "m.mentions": {"user_ids": ["@li:linli.test"]}, "m.relates_to": {"m.in_reply_to": {"event_id": "$q"}},
    }
    edited = mapping.edit("$old", mapping.notice("新"))
    assert edited["body"] == "* 新"
    assert edited["m.new_content"]["body"] == "新"
    assert edited["m.relates_to"] == {"rel_type": "m.replace", "event_id": "$old"}


def test_identities_use_the_matrix_id_as_username() -> None:
    person = mapping.identity("@li:linli.test", "李四", is_admin=True)
    assert (person.platform, person.user_id, person.display_name, person.username, person.is_chat_admin) == (
        "matrix", "@li:linli.test", "李四", "li:linli.test", True)
    assert mapping.identity("@x:y", None).display_name == "@x:y"


def test_creators_of_a_room() -> None:
    state = [{"type": "m.room.name", "state_key": "", "sender": "@a:x", "content": {}},
             {"type": "m.room.create", "state_key": "", "sender": "@wang:x",
              "content": {"additional_creators": ["@li:x"]}}]
    assert mapping.creators(state) == frozenset({"@wang:x", "@li:x"})
