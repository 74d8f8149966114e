from core.testing import Harness


async def test_setup_and_whoami(community: Harness) -> None:
    replies = await community.send("张三", "/whoami")
    print(replies, community.adapter.sent)
    assert "张三" in replies[0]
