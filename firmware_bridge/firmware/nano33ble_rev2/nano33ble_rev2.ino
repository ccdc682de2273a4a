/*
 * edgehar streamer for the Arduino Nano 33 BLE Sense Rev2 / Nano 33 BLE Rev2 (BMI270 IMU).
 * Streams accelerometer (g) and gyroscope (deg/s) at the IMU's 100 Hz as edgehar frames over USB
 * serial and BLE (edgehar GATT service). The Rev1 board has a different IMU: nano33ble_rev1.
 * Everything but the rate and the names is shared with Rev1 in EdgeharNano33.h.
 */
#include <Arduino_BMI270_BMM150.h>
#include <EdgeharNano33.h>

/* The library's accelerationSampleRate() says 99.84 Hz: (1 << odr) * 0.39, a rounded 100/256.
   The BMI270's configured ODR is 100 Hz; the host measures the true rate from device time. */
static const edgehar_config CONFIG = {100000u, EDGEHAR_DEFAULT_SAMPLES_PER_FRAME, 0, "edgehar-nano33-rev2",
                                      "nano33ble-rev2 1.0.0", EDGEHAR_NANO33_CHANNELS, 6};

static EdgeharNano33 board;

void setup() { board.setup(IMU, CONFIG); }

void loop() { board.loop(IMU); }
