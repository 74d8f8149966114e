"""What the running platform counts, for Prometheus (``GET /metrics``): one :class:`Metrics` per application.

The bus, the router, delivery and the scheduler each hold a ``metrics`` attribute and make one small call
where something happens; the application gives them its own object, so two applications in one process
(tests) never count into each other. A part built without an application counts into a throwaway object.
Labels are bounded: event types, plugin names, adapter (platform) names, job names and fixed outcomes, never
a chat, a person or a community.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

#: Handler latency buckets, seconds: a command takes milliseconds; a slow database shows as the top buckets.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """The application's counters and histograms, in a registry of its own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.events = Counter("linli_events", "Events the bus finished, by event type and outcome "
                              "(handled, duplicate, failed, unavailable)", ["type", "outcome"], registry=r)
        self.handler_seconds = Histogram("linli_handler_seconds", "Time one subscriber (a command handler runs "
                                         "inside the router's) took, by plugin", ["plugin"],
                                         buckets=LATENCY_BUCKETS, registry=r)
        self.commands = Counter("linli_commands", "Chat commands answered, by plugin and outcome "
                                "(ok, refused, error)", ["plugin", "outcome"], registry=r)
        self.plugin_errors = Counter("linli_plugin_errors", "Handlers, subscribers and jobs that raised (a bug), "
                                     "by plugin", ["plugin"], registry=r)
        self.outbound = Counter("linli_outbound_messages", "Messages the outbox handed to an adapter, by adapter "
                                "and outcome (sent, retry, expired, failed)", ["adapter", "outcome"], registry=r)
        self.throttle_waits = Counter("linli_throttle_waits", "Times an adapter asked delivery to wait "
                                      "(flood control: retry_after), by adapter", ["adapter"], registry=r)
        self.throttle_seconds = Counter("linli_throttle_wait_seconds", "Seconds delivery waited because an "
                                        "adapter asked it to, by adapter", ["adapter"], registry=r)
        self.scheduler_runs = Counter("linli_scheduler_runs", "Scheduled job runs, by job and outcome (ok, failed)",
                                      ["job", "outcome"], registry=r)
        self.scheduler_ticks = Counter("linli_scheduler_ticks", "Scheduler loop passes", registry=r)
        self.queue_depth = Gauge("linli_bus_queue_depth", "Events accepted and not yet handled", registry=r)
        self._children: dict[tuple[int | str, ...], Any] = {}

    def _child(self, metric: Counter | Histogram, *labels: str) -> Any:
        """``metric.labels(*labels)``, looked up once (it validates and locks on every call: a few µs on
        every event; the labels are bounded, so is this)."""
        key: tuple[int | str, ...] = (id(metric), *labels)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = metric.labels(*labels)
        return child

    # -- the calls the parts make ------------------------------------------------------------------
    def event(self, event_type: str, outcome: str) -> None:
        self._child(self.events, event_type, outcome).inc()

    @contextmanager
    def timed(self, plugin: str) -> Iterator[None]:
        """Observe how long the block took as ``plugin``'s handler latency, whether it raised or not."""
        start = time.perf_counter()
        try:
            yield
        finally:
            self._child(self.handler_seconds, plugin).observe(time.perf_counter() - start)

    def command(self, plugin: str, outcome: str) -> None:
        self._child(self.commands, plugin, outcome).inc()

    def plugin_error(self, plugin: str) -> None:
        self.plugin_errors.labels(plugin).inc()

    def outbound_message(self, adapter: str, outcome: str) -> None:
        self._child(self.outbound, adapter, outcome).inc()

    def throttled(self, adapter: str, seconds: float) -> None:
        self.throttle_waits.labels(adapter).inc()
        self.throttle_seconds.labels(adapter).inc(max(seconds, 0.0))

    def job_run(self, job: str, outcome: str) -> None:
        self.scheduler_runs.labels(job, outcome).inc()

    def watch_queue(self, depth: Callable[[], float]) -> None:
        """Read the bus's queue depth when scraped (it changes too often to be set on every event)."""
        self.queue_depth.set_function(depth)

    def exposition(self) -> bytes:
        """The registry in Prometheus' text format."""
        return generate_latest(self.registry)


#: What a bus, router, delivery or scheduler built without an application counts into (nobody reads it).
UNOWNED = Metrics()
