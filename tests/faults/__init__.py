"""The fault suite: the real ``linli run`` process against the Bot API emulator, with faults injected.

See ``tests/faults/README.md`` for what each test proves, how long it takes and how to run the long set.
"""
