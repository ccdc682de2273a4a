#include "Arduino_LSM9DS1.h"

#include "sim.h"

LSM9DS1Class IMU;

int LSM9DS1Class::begin() {
    _acc.start(119.0);
    _gyr.start(119.0);
    return 1;
}

void LSM9DS1Class::end() {
    _acc.stop();
    _gyr.stop();
}

int LSM9DS1Class::accelerationAvailable() { return _acc.fresh() ? 1 : 0; }
int LSM9DS1Class::gyroscopeAvailable() { return _gyr.fresh() ? 1 : 0; }
float LSM9DS1Class::accelerationSampleRate() { return 119.0f; }
float LSM9DS1Class::gyroscopeSampleRate() { return 119.0f; }

int LSM9DS1Class::readAcceleration(float &x, float &y, float &z) {
    uint64_t k = _acc.take();
    x = sim::signal(k, 0) * 4.0f / 32768.0f;
    y = sim::signal(k, 1) * 4.0f / 32768.0f;
    z = sim::signal(k, 2) * 4.0f / 32768.0f;
    return 1;
}

int LSM9DS1Class::readGyroscope(float &x, float &y, float &z) {
    uint64_t k = _gyr.take();
    x = sim::signal(k, 3) * 2000.0f / 32768.0f;
    y = sim::signal(k, 4) * 2000.0f / 32768.0f;
    z = sim::signal(k, 5) * 2000.0f / 32768.0f;
    return 1;
}
