#include "Arduino_LSM9DS1.h"

static float to_g(int16_t raw) { return raw * 4.0f / 32768.0f; }
static float to_dps(int16_t raw) { return raw * 2000.0f / 32768.0f; }

LSM9DS1Class::LSM9DS1Class() : HostImu(119.0, 119.0f, to_g, to_dps) {}

LSM9DS1Class IMU;
