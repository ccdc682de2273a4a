"""Where live IMU samples come from: serial, BLE, or a replayed file, all behind one interface."""
