#include "host_imu.h"

#include "sim.h"

int HostImu::begin() {
    _acc.start(_odr_hz);
    _gyr.start(_odr_hz);
    return 1;
}

void HostImu::end() {
    _acc.stop();
    _gyr.stop();
}

int HostImu::accelerationAvailable() { return _acc.fresh() ? 1 : 0; }
int HostImu::gyroscopeAvailable() { return _gyr.fresh() ? 1 : 0; }
float HostImu::accelerationSampleRate() { return _reported_hz; }
float HostImu::gyroscopeSampleRate() { return _reported_hz; }

int HostImu::readAcceleration(float &x, float &y, float &z) {
    uint64_t k = _acc.take();
    x = _to_g(sim::signal(k, 0));
    y = _to_g(sim::signal(k, 1));
    z = _to_g(sim::signal(k, 2));
    return 1;
}

int HostImu::readGyroscope(float &x, float &y, float &z) {
    uint64_t k = _gyr.take();
    x = _to_dps(sim::signal(k, 3));
    y = _to_dps(sim::signal(k, 4));
    z = _to_dps(sim::signal(k, 5));
    return 1;
}
