/*
 * edgehar streamer for the Arduino Nano 33 BLE Sense (Rev1) / Nano 33 BLE (LSM9DS1 IMU).
 * Streams accelerometer (g) and gyroscope (deg/s) at the IMU's 119 Hz as edgehar frames over USB
 * serial and BLE (edgehar GATT service). Rev2 boards have a BMI270 instead: nano33ble_rev2.
 * Everything but the rate and the names is shared with Rev2 in EdgeharNano33.h.
 */
#include <Arduino_LSM9DS1.h>
#include <EdgeharNano33.h>

static const edgehar_config CONFIG = {119000u, EDGEHAR_DEFAULT_SAMPLES_PER_FRAME, 0, "edgehar-nano33-rev1",
                                      "nano33ble-rev1 1.0.0", EDGEHAR_NANO33_CHANNELS, 6};

static EdgeharNano33 board;

void setup() { board.setup(IMU, CONFIG); }

void loop() { board.loop(IMU); }
