/*
 * EdgeharNano33: the whole streamer for the Arduino Nano 33 BLE boards, whichever IMU they carry.
 * Both IMU libraries (Arduino_LSM9DS1 on Rev1, Arduino_BMI270_BMM150 on Rev2) have the same API
 * (IMU.begin, accelerationAvailable, readAcceleration in g, readGyroscope in deg/s) and both run at
 * +/-4 g and +/-2000 dps, so only the rate and the names differ between the two sketches:
 *
 *   #include <Arduino_LSM9DS1.h>      // or <Arduino_BMI270_BMM150.h>
 *   #include <EdgeharNano33.h>
 *   static const edgehar_config CONFIG = {119000u, EDGEHAR_DEFAULT_SAMPLES_PER_FRAME, 0, "name",
 *                                         "firmware 1.0.0", EDGEHAR_NANO33_CHANNELS, 6};
 *   static EdgeharNano33 board;
 *   void setup() { board.setup(IMU, CONFIG); }
 *   void loop() { board.loop(IMU); }
 */
#ifndef EDGEHAR_NANO33_H
#define EDGEHAR_NANO33_H

#include <EdgeharStream.h>
#include <math.h>

/* Arduino_LSM9DS1 returns float = raw * 4 / 32768 (g) and raw * 2000 / 32768 (dps);
   Arduino_BMI270_BMM150 returns raw / 8192 (g) and raw / 16.384 (dps): the same full scales, not
   the datasheet sensitivities. Dividing by these scales gives the raw counts back exactly. */
#define EDGEHAR_NANO33_ACC_SCALE (4.0f / 32768.0f)
#define EDGEHAR_NANO33_GYR_SCALE (2000.0f / 32768.0f)

static const edgehar_channel EDGEHAR_NANO33_CHANNELS[6] = {
    {"acc_x", "g", EDGEHAR_NANO33_ACC_SCALE, 4.0f},        {"acc_y", "g", EDGEHAR_NANO33_ACC_SCALE, 4.0f},
    {"acc_z", "g", EDGEHAR_NANO33_ACC_SCALE, 4.0f},        {"gyr_x", "deg/s", EDGEHAR_NANO33_GYR_SCALE, 2000.0f},
    {"gyr_y", "deg/s", EDGEHAR_NANO33_GYR_SCALE, 2000.0f}, {"gyr_z", "deg/s", EDGEHAR_NANO33_GYR_SCALE, 2000.0f},
};

class EdgeharNano33 {
public:
    /* cfg must outlive the board (a static const in the sketch). */
    template <class Imu> void setup(Imu &imu, const edgehar_config &cfg) {
        Serial.begin(115200); /* native USB: the baud rate is ignored */
        if (!imu.begin()) fail();
        if (!_stream.begin(cfg)) fail();
    }

    template <class Imu> void loop(Imu &imu) {
        _stream.poll();
        if (!imu.accelerationAvailable()) return;
        uint32_t t = micros();
        float ax, ay, az, gx, gy, gz;
        imu.readAcceleration(ax, ay, az);
        imu.readGyroscope(gx, gy, gz);
        const int16_t raw[6] = {toRaw(ax, EDGEHAR_NANO33_ACC_SCALE), toRaw(ay, EDGEHAR_NANO33_ACC_SCALE),
                                toRaw(az, EDGEHAR_NANO33_ACC_SCALE), toRaw(gx, EDGEHAR_NANO33_GYR_SCALE),
                                toRaw(gy, EDGEHAR_NANO33_GYR_SCALE), toRaw(gz, EDGEHAR_NANO33_GYR_SCALE)};
        _stream.addSample(t, raw);
    }

private:
    EdgeharStream _stream;

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
};

#endif /* EDGEHAR_NANO33_H */
