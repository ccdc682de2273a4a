/* A sensor that produces sim::signal() samples at a fixed output data rate on the simulated clock,
   keeping only the newest one as a register-based IMU does (no FIFO). */
#ifndef EDGEHAR_HOST_SIM_IMU_H
#define EDGEHAR_HOST_SIM_IMU_H

#include <stdint.h>

class SimImu {
public:
    void start(double odr_hz);
    void stop() { _running = false; }
    bool running() const { return _running; }
    /* True while a sample newer than the last one read is there. */
    bool fresh() const;
    /* Index of the newest sample (call only when one exists); marks it read. */
    uint64_t take();

private:
    int64_t newest() const; /* -1 before the first sample */
    bool _running = false;
    double _odr = 0;
    uint64_t _start_us = 0;
    int64_t _last_read = -1;
};

#endif
