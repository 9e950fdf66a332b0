"""Stand-ins at the seams, speaking the real wire formats; our own code is never mocked.

Each platform's API is a local HTTP server on 127.0.0.1 reached through the real client
library, and every one shares one life cycle (`server.LocalServer`: start on a free port,
`origin`/`url`, `hold()` for a request never answered, `stop()`, `async with`):

    slack.py          the Slack Web API (FakeSlack), signed Events/interaction bodies
    block_kit.py      Slack's Block Kit limits as a checker (the local Slack refuses with it)
    teams.py          the Bot Framework Connector of one team (FakeConnector), activities
    openid.py         login.botframework.com's OpenID keys and tokens (on a thread of its own)
    graph.py          the Facebook Graph API (FakeGraph)
    graph_listing.py  Graph's listing edges for reconciliation (FakeListing)
    instagram.py      the Instagram Graph API (FakeInstagramGraph)
    x.py              the X API v2 and Account Activity (FakeX)
    viber.py          the Viber REST Bot API (FakeViber), signed callbacks
    sandbox.py        the sandbox platform (SandboxPlatform), its mentions and signatures
    chat.py           a chat backend that records what it is shown (RecordingChat) and
                      what an event or a ping says (said, ping_text)
    redis.py          a redis-server of a test's own, to kill and fill (RedisServer)
    wait.py           the one bounded wait: poll a condition until a deadline
"""

from tests.fakes.chat import RecordingChat, ping_text, said
from tests.fakes.graph import FakeGraph
from tests.fakes.graph_listing import FakeListing
from tests.fakes.instagram import FakeInstagramGraph
from tests.fakes.openid import OpenIdServer
from tests.fakes.redis import RedisServer, assemble_on
from tests.fakes.sandbox import SandboxPlatform, mention_json, signed
from tests.fakes.server import LocalServer, free_port
from tests.fakes.slack import FakeSlack
from tests.fakes.teams import FakeConnector
from tests.fakes.viber import FakeViber
from tests.fakes.wait import eventually, until
from tests.fakes.x import FakeX

__all__ = [
    "FakeConnector",
    "FakeGraph",
    "FakeInstagramGraph",
    "FakeListing",
    "FakeSlack",
    "FakeViber",
    "FakeX",
    "LocalServer",
    "OpenIdServer",
    "RecordingChat",
    "RedisServer",
    "SandboxPlatform",
    "assemble_on",
    "eventually",
    "free_port",
    "mention_json",
    "ping_text",
    "said",
    "signed",
    "until",
]
