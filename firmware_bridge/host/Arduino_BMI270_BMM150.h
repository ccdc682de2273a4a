/* Host stand-in for Arduino_BMI270_BMM150 (Nano 33 BLE Sense Rev2): accel + gyro at 100 Hz,
   converted as the library does (raw / 8192 g, raw / 16.384 dps). */
#ifndef EDGEHAR_HOST_BMI270_H
#define EDGEHAR_HOST_BMI270_H

#include "host_imu.h"

class BoschSensorClass : public HostImu {
public:
    BoschSensorClass();
};

extern BoschSensorClass IMU;

#endif
