/* Host stand-in for Arduino_LSM9DS1 (Nano 33 BLE Sense Rev1): 119 Hz accel + gyro, converted to
   float exactly as the library does (raw * 4 / 32768 g, raw * 2000 / 32768 dps). */
#ifndef EDGEHAR_HOST_LSM9DS1_H
#define EDGEHAR_HOST_LSM9DS1_H

#include "host_imu.h"

class LSM9DS1Class : public HostImu {
public:
    LSM9DS1Class();
};

extern LSM9DS1Class IMU;

#endif
