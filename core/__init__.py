"""linli's core: the bus, the router, the ledger and storage; adapters and plugins build on it.

Importing it makes Tortoise read model field comments the fast way (:mod:`core.model_comments`), before
any model class of the core or of a plugin is defined.
"""

from core import model_comments

model_comments.install()
