#include "Arduino_BMI270_BMM150.h"

#include "sim.h"

BoschSensorClass IMU;

int BoschSensorClass::begin() {
    _acc.start(100.0);
    _gyr.start(100.0);
    return 1;
}

void BoschSensorClass::end() {
    _acc.stop();
    _gyr.stop();
}

int BoschSensorClass::accelerationAvailable() { return _acc.fresh() ? 1 : 0; }
int BoschSensorClass::gyroscopeAvailable() { return _gyr.fresh() ? 1 : 0; }
/* what the library reports: (1 << odr) * 0.39 */
float BoschSensorClass::accelerationSampleRate() { return 99.84f; }
float BoschSensorClass::gyroscopeSampleRate() { return 99.84f; }

int BoschSensorClass::readAcceleration(float &x, float &y, float &z) {
    uint64_t k = _acc.take();
    x = sim::signal(k, 0) / 8192.0f;
    y = sim::signal(k, 1) / 8192.0f;
    z = sim::signal(k, 2) / 8192.0f;
    return 1;
}

int BoschSensorClass::readGyroscope(float &x, float &y, float &z) {
    uint64_t k = _gyr.take();
    x = sim::signal(k, 3) / 16.384f;
    y = sim::signal(k, 4) / 16.384f;
    z = sim::signal(k, 5) / 16.384f;
    return 1;
}
