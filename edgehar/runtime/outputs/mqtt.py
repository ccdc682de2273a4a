"""MQTT output (the ``mqtt`` extra): predictions onto a broker for home automation and dashboards.

``--mqtt mqtt://HOST[:PORT][/PREFIX][?qos=N&client_id=ID]`` publishes the same JSON records as
``--jsonl``: windows on ``PREFIX/window``, events on ``PREFIX/event``, link changes, start and
summary on ``PREFIX/status``, and the current activity, retained, on ``PREFIX/state`` so a
subscriber that connects later learns it at once. paho's network thread reconnects with backoff;
a broker that is down never stalls the pipeline (QoS 0 messages are dropped meanwhile, QoS 1
ones queued up to a bound).
"""

from __future__ import annotations

import json
import threading
from urllib.parse import parse_qs, urlparse

from edgehar.errors import EdgeharError

_QUEUE_BOUND = 10_000
_CONNECT_WAIT_S = 5.0
_DRAIN_WAIT_S = 5.0


def parse_mqtt_url(url: str) -> tuple[str, int, str, int, str]:
    """(host, port, topic prefix, qos, client id) from an ``mqtt://`` URL."""
    parts = urlparse(url)
    if parts.scheme != "mqtt" or not parts.hostname:
        raise EdgeharError(f"--mqtt {url!r}: expected mqtt://HOST[:PORT][/PREFIX][?qos=0|1|2]")
    query = parse_qs(parts.query)
    try:
        port = parts.port or 1883
        qos = int(query.get("qos", ["0"])[0])
    except ValueError:
        raise EdgeharError(f"--mqtt {url!r}: port and qos must be integers") from None
    if qos not in (0, 1, 2):
        raise EdgeharError(f"--mqtt {url!r}: qos must be 0, 1 or 2")
    prefix = parts.path.strip("/") or "edgehar"
    return parts.hostname, port, prefix, qos, query.get("client_id", [""])[0]


class MqttSink:
    def __init__(self, url: str) -> None:
        try:
            import paho.mqtt.client as mqtt
        except ImportError:
            raise EdgeharError("--mqtt needs paho-mqtt: pip install 'edgehar[mqtt]'") from None
        host, port, self.prefix, self.qos, client_id = parse_mqtt_url(url)
        self._connected = threading.Event()
        self._client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id)
        self._client.max_queued_messages_set(_QUEUE_BOUND)
        self._client.reconnect_delay_set(min_delay=1, max_delay=30)
        self._client.on_connect = lambda client, userdata, flags, reason, props: self._connected.set()
        self._client.on_disconnect = lambda client, userdata, flags, reason, props: self._connected.clear()
        self._client.will_set(f"{self.prefix}/status", json.dumps({"type": "link", "event": "gone"}), qos=1)
        try:
            self._client.connect_async(host, port, keepalive=30)
        except (OSError, ValueError) as exc:
            raise EdgeharError(f"--mqtt {url}: {exc}") from None
        self._client.loop_start()
        # Wait briefly so the first windows are not dropped; a broker that is down is not fatal.
        self._connected.wait(_CONNECT_WAIT_S)
        self._last_state: str | None = None
        self._last_info = None

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def _publish(self, topic: str, record: dict, retain: bool = False) -> None:
        self._last_info = self._client.publish(
            f"{self.prefix}/{topic}", json.dumps(record, separators=(",", ":")), qos=self.qos, retain=retain
        )

    def start(self, record: dict) -> None:
        self._publish("status", record)

    def emit(self, record: dict) -> None:
        kind = record["type"]
        if kind == "window":
            self._publish("window", record)
            if record["label"] != self._last_state:
                self._last_state = record["label"]
                self._publish("state", {"label": record["label"], "t": record["t"]}, retain=True)
        elif kind == "event":
            self._publish("event", record)
        else:
            self._publish("status", record)

    def close(self, summary: dict) -> None:
        self._publish("status", summary)
        if self._last_info is not None and self.connected:
            try:
                self._last_info.wait_for_publish(_DRAIN_WAIT_S)
            except (RuntimeError, ValueError):
                pass  # not sent (broker gone): nothing more to do at shutdown
        self._client.disconnect()
        self._client.loop_stop()
