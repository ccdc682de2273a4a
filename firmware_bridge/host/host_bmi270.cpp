#include "Arduino_BMI270_BMM150.h"

static float to_g(int16_t raw) { return raw / 8192.0f; }
static float to_dps(int16_t raw) { return raw / 16.384f; }

/* reports what the library does: (1 << odr) * 0.39 */
BoschSensorClass::BoschSensorClass() : HostImu(100.0, 99.84f, to_g, to_dps) {}

BoschSensorClass IMU;
