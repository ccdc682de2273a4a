/*
 * edgehar streamer for the Arduino Nano 33 BLE Sense Rev2 / Nano 33 BLE Rev2 (BMI270 IMU).
 * Streams accelerometer (g) and gyroscope (deg/s) at the IMU's 100 Hz as edgehar frames over USB
 * serial and BLE (edgehar GATT service). The Rev1 board has a different IMU: nano33ble_rev1.
 */
#include <Arduino_BMI270_BMM150.h>
#include <EdgeharStream.h>

/* Arduino_BMI270_BMM150 runs the accelerometer at +/-4 g (8192 LSB/g) and the gyroscope at
   +/-2000 dps (16.384 LSB/dps) and returns float = raw / sensitivity; dividing by these scales
   gives the raw counts back exactly. */
static const float ACC_SCALE = 4.0f / 32768.0f;
static const float GYR_SCALE = 2000.0f / 32768.0f;

static const edgehar_channel CHANNELS[6] = {
    {"acc_x", "g", ACC_SCALE, 4.0f},        {"acc_y", "g", ACC_SCALE, 4.0f},
    {"acc_z", "g", ACC_SCALE, 4.0f},        {"gyr_x", "deg/s", GYR_SCALE, 2000.0f},
    {"gyr_y", "deg/s", GYR_SCALE, 2000.0f}, {"gyr_z", "deg/s", GYR_SCALE, 2000.0f},
};
/* The library's accelerationSampleRate() says 99.84 Hz: (1 << odr) * 0.39, a rounded 100/256.
   The BMI270's configured ODR is 100 Hz; the host measures the true rate from device time. */
static const edgehar_config CONFIG = {100000u, EDGEHAR_DEFAULT_SAMPLES_PER_FRAME, 0, "edgehar-nano33-rev2",
                                      "nano33ble-rev2 1.0.0", CHANNELS, 6};

static EdgeharStream stream;

static int16_t toRaw(float value, float scale) {
    float counts = value / scale;
    if (counts > 32767.0f) return 32767;
    if (counts < -32768.0f) return -32768;
    return (int16_t)lroundf(counts);
}

static void fail() {
    pinMode(LED_BUILTIN, OUTPUT);
    for (;;) { /* blink: IMU or radio did not start */
        digitalWrite(LED_BUILTIN, HIGH);
        delay(100);
        digitalWrite(LED_BUILTIN, LOW);
        delay(100);
    }
}

void setup() {
    Serial.begin(115200); /* native USB: the baud rate is ignored */
    if (!IMU.begin()) fail();
    if (!stream.begin(CONFIG)) fail();
}

void loop() {
    stream.poll();
    if (!IMU.accelerationAvailable()) return;
    uint32_t t = micros();
    float ax, ay, az, gx, gy, gz;
    IMU.readAcceleration(ax, ay, az);
    IMU.readGyroscope(gx, gy, gz);
    const int16_t raw[6] = {toRaw(ax, ACC_SCALE), toRaw(ay, ACC_SCALE), toRaw(az, ACC_SCALE),
                            toRaw(gx, GYR_SCALE), toRaw(gy, GYR_SCALE), toRaw(gz, GYR_SCALE)};
    stream.addSample(t, raw);
}
