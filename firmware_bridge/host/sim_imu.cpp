#include "sim_imu.h"

#include "sim.h"

void SimImu::start(double odr_hz) {
    _running = true;
    _odr = odr_hz;
    _start_us = sim::now_us();
    _last_read = -1;
}

int64_t SimImu::newest() const {
    if (!_running) return -1;
    /* sample k is ready at start + (k + 1) / odr */
    double elapsed_s = (double)(sim::now_us() - _start_us) / 1e6;
    return (int64_t)(elapsed_s * _odr) - 1;
}

bool SimImu::fresh() const { return newest() > _last_read; }

uint64_t SimImu::take() {
    int64_t k = newest();
    if (k < 0) k = 0;
    _last_read = k;
    return (uint64_t)k;
}
