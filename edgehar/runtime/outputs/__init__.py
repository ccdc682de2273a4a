"""Where predictions go: the live console, JSON lines, MQTT. All receive the same records."""
