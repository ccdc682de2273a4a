/*
 * edgehar streamer for the Arduino Nano 33 BLE Sense (Rev1) / Nano 33 BLE (LSM9DS1 IMU).
 * Streams accelerometer (g) and gyroscope (deg/s) at the IMU's 119 Hz as edgehar frames over USB
 * serial and BLE (edgehar GATT service). Rev2 boards have a BMI270 instead: nano33ble_rev2.
 */
#include <Arduino_LSM9DS1.h>
#include <EdgeharStream.h>

/* Arduino_LSM9DS1 runs the accelerometer at +/-4 g and the gyroscope at +/-2000 dps and returns
   float = raw * 4 / 32768 and raw * 2000 / 32768 (not the datasheet sensitivities); dividing by these scales
   gives the raw counts back exactly. */
static const float ACC_SCALE = 4.0f / 32768.0f;
static const float GYR_SCALE = 2000.0f / 32768.0f;

static const edgehar_channel CHANNELS[6] = {
    {"acc_x", "g", ACC_SCALE, 4.0f},        {"acc_y", "g", ACC_SCALE, 4.0f},
    {"acc_z", "g", ACC_SCALE, 4.0f},        {"gyr_x", "deg/s", GYR_SCALE, 2000.0f},
    {"gyr_y", "deg/s", GYR_SCALE, 2000.0f}, {"gyr_z", "deg/s", GYR_SCALE, 2000.0f},
};
static const edgehar_config CONFIG = {119000u, EDGEHAR_DEFAULT_SAMPLES_PER_FRAME, 0, "edgehar-nano33-rev1",
                                      "nano33ble-rev1 1.0.0", CHANNELS, 6};

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
