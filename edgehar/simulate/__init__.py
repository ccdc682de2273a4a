"""A simulated IMU board (``edgehar simulate``): datasets streamed like firmware would, over a pty,
TCP or BLE, with seeded faults, so the runtime is tested against real links without hardware."""
