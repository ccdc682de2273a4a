/* What the host stand-ins of Arduino_LSM9DS1 and Arduino_BMI270_BMM150 share: the IMU API the Nano
   33 BLE sketches call, over a simulated accelerometer and gyroscope. Each stand-in names its class
   as its library does and supplies the output rate, the rate it reports and its float conversion. */
#ifndef EDGEHAR_HOST_IMU_H
#define EDGEHAR_HOST_IMU_H

#include <stdint.h>

#include "sim_imu.h"

class HostImu {
public:
    int begin();
    void end();
    int accelerationAvailable();
    int readAcceleration(float &x, float &y, float &z);
    float accelerationSampleRate();
    int gyroscopeAvailable();
    int readGyroscope(float &x, float &y, float &z);
    float gyroscopeSampleRate();

protected:
    typedef float (*Convert)(int16_t raw);
    HostImu(double odr_hz, float reported_hz, Convert to_g, Convert to_dps)
        : _odr_hz(odr_hz), _reported_hz(reported_hz), _to_g(to_g), _to_dps(to_dps) {}

private:
    double _odr_hz;
    float _reported_hz;
    Convert _to_g, _to_dps;
    SimImu _acc, _gyr;
};

#endif
